#!/usr/bin/python3
"""Write the seed corpora of the session API's two ends (committed; re-run
by hand). Layouts: common/session_api.h, host byte order (little-endian, as
on the x86-64 build hosts).

    /usr/bin/python3 tests/fuzz/make_session_api_corpus.py

corpus/fuzz_dp_api/       request sequences for the dataplane's server
                          (fuzz_dp_api.c): a session's life (ADD, START,
                          COUNTERS, STOP, REMOVE), the table filled past its
                          8 slots, duplicates, unknown SIDs, FLUSH and INFO,
                          test ports the port policy refuses,
                          expiry after STOP and after REFWAIT, malformed and
                          oversized requests
corpus/fuzz_ctl_dp_unix/  calls and the fake dataplane's answers for
                          twamp-controld's client (fuzz_ctl_dp_unix.c):
                          well-formed replies of every status, COUNTERS with
                          a body, each header field wrong, short and long
                          bodies, raw and oversized replies, a closed
                          connection and the reconnect after it
"""
import struct
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus"
ADD, START, STOP, REMOVE, COUNTERS, FLUSH, INFO = range(1, 8)


def hdr(op, body=b"", seq=1):
    return struct.pack("<HHII I", 1, op, 16 + len(body), seq, 0) + body


def session(sid, port=9000, sec=1, flags=0, timeout_ms=2000, refwait_s=900, v6=False,
            refl_port=50000):
    if v6:
        refl, snd, ipver = bytes.fromhex("fd000099" + "00" * 11 + "01"), \
            bytes.fromhex("fd000099" + "00" * 11 + "02"), 6
    else:
        refl, snd, ipver = bytes([10, 99, 0, 1]) + bytes(12), bytes([10, 99, 0, 2]) + bytes(12), 4
    return (sid + bytes([ipver, sec, flags, 0]) + refl + snd
            + struct.pack("<HHHHII", refl_port, port, 0, 0, timeout_ms, refwait_s)
            + bytes(range(16)) + bytes(range(32)))


def sid(n):
    return bytes([0x0a, 0x63, 0, 1]) + struct.pack(">I", n) + bytes(8)


def rec(msg, fix=False):
    """One request record of fuzz_dp_api: k, 2 octets of length, the message."""
    return bytes([1 if fix else 0]) + struct.pack("<H", len(msg)) + msg


def expiry(seconds):
    return bytes([0x80 | (seconds // 8)])


def dp_api_seeds():
    s1, s2 = sid(1), sid(2)
    yield "lifecycle", b"".join([
        rec(hdr(ADD, session(s1))), rec(hdr(START, s1, 2)), rec(hdr(COUNTERS, s1, 3)),
        rec(hdr(STOP, s1, 4)), rec(hdr(COUNTERS, s1, 5)), rec(hdr(REMOVE, s1, 6)),
        rec(hdr(COUNTERS, s1, 7)), rec(hdr(INFO, seq=8))])
    yield "fill", b"".join(rec(hdr(ADD, session(sid(i), port=9000 + i), i)) for i in range(10)) + \
        rec(hdr(INFO)) + rec(hdr(FLUSH)) + rec(hdr(INFO))
    yield "duplicates", b"".join([
        rec(hdr(ADD, session(s1))), rec(hdr(ADD, session(s1, port=9001))),
        rec(hdr(ADD, session(s2))), rec(hdr(ADD, session(s2, port=9002)))])
    yield "unknown_sid", b"".join(rec(hdr(op, s2)) for op in (START, STOP, REMOVE, COUNTERS))
    yield "modes", b"".join(rec(hdr(ADD, session(sid(i), port=9100 + i, sec=i % 3,
                                                   flags=(1, 2, 4, 8, 15)[i % 5], v6=i % 2 == 1)))
                            for i in range(6))
    yield "expire_stop", b"".join([
        rec(hdr(ADD, session(s1, timeout_ms=5000))), rec(hdr(STOP, s1)), expiry(0),
        rec(hdr(COUNTERS, s1)), expiry(8), rec(hdr(COUNTERS, s1))])
    yield "expire_refwait", b"".join([
        rec(hdr(ADD, session(s1, flags=8, refwait_s=20))),
        rec(hdr(ADD, session(s2, port=9001, refwait_s=20))), rec(hdr(START, s2)),
        expiry(16), expiry(40), rec(hdr(INFO))])
    yield "remove_reuse", b"".join([
        rec(hdr(ADD, session(s1))), rec(hdr(REMOVE, s1)), rec(hdr(ADD, session(s1))),
        rec(hdr(FLUSH)), rec(hdr(ADD, session(s1)))])
    yield "malformed", b"".join([
        rec(b"\1\0"), rec(hdr(ADD, session(s1))[:-1]), rec(hdr(9)),
        rec(struct.pack("<HHII I", 2, INFO, 16, 1, 0)), rec(struct.pack("<HHII I", 1, INFO, 16, 1, 7)),
        rec(hdr(ADD, session(s1)[:16] + bytes([5]) + session(s1)[17:])),
        rec(hdr(ADD, session(s1))[:-4] + b"\0\0\0\0" + b"xx", fix=True)])
    # test ports the dataplane's port policy refuses (common/port_policy.h)
    yield "reserved_ports", b"".join(rec(hdr(ADD, session(sid(i), refl_port=p)))
                                     for i, p in enumerate((862, 500, 4500, 53, 22, 49151, 65535)))
    yield "oversized", rec(hdr(ADD, session(s1)) + bytes(468))
    yield "fixed_header", rec(struct.pack("<HHII I", 0, START, 0, 9, 0) + s1, fix=True)


# fuzz_ctl_dp_unix: a call (octet, SID octet), then an answer per request
CALL = {"add": 0, "start": 1, "stop": 2, "remove": 3, "counters": 4, "flush": 5, "new": 6}


def call(name, arg=0x11):
    return bytes([CALL[name], arg])


def ok(status=0):
    return bytes([status << 2])


def tampered(field):
    return bytes([1 | field << 2])


def counters_body():
    return struct.pack("<QQQQQQII", 10, 9, 1, 0, 0, 1795000000000000000, 1, 0)


def dp_unix_seeds():
    yield "add_ok", call("add") + ok() + ok()
    yield "statuses", call("add") + ok() + b"".join(call("start") + ok(s) for s in range(8))
    yield "counters", call("add") + ok() + ok() + call("counters") + ok() + counters_body()
    yield "counters_long", call("counters") + ok() + bytes([0x20]) + counters_body() + b"\0"
    yield "counters_short", call("counters") + ok() + bytes([0x40]) + counters_body()
    yield "flush_refused", call("remove") + ok(4) + call("remove") + ok() + ok()
    yield "tampered", call("add") + ok() + b"".join(call("start") + tampered(f) for f in range(4))
    yield "closed", call("add") + ok() + bytes([3]) + call("stop") + ok() + call("new") + \
        call("flush") + ok() + ok()
    yield "raw", call("stop") + ok() + bytes([2, 6]) + hdr(STOP, bytes(2), 2)
    yield "raw_oversized", call("stop") + ok() + bytes([2, 200]) + bytes(600)
    yield "every_call", b"".join(call(n) + ok() + (ok() if i == 0 else b"")
                                 for i, n in enumerate(("add", "start", "stop", "remove", "flush")))


def main():
    for target, gen in (("fuzz_dp_api", dp_api_seeds), ("fuzz_ctl_dp_unix", dp_unix_seeds)):
        d = OUT / target
        d.mkdir(parents=True, exist_ok=True)
        for name, data in gen():
            (d / name).write_bytes(data)


if __name__ == "__main__":
    main()
