#!/usr/bin/python3
"""Write the seed corpus of fuzz_ctl_hashlog (committed; re-run by hand).

    /usr/bin/python3 tests/fuzz/make_hashlog_corpus.py

corpus/fuzz_ctl_hashlog/  a selector octet (bit 0 reseal, bit 1 no key, bit 2 the file
                          entry point too; see
                          fuzz_ctl_hashlog.c), then a security log in the
                          format of control/ctl_hashlog.h, chained under the
                          target's test key with hmac/hashlib: empty, one
                          and several records, and each way of breaking it
                          (a changed, removed, swapped or cut record, a
                          sequence gap, a line too long, no MAC, upper-case
                          hex, a sequence number of 20 digits)
"""
import hashlib
import hmac
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus" / "fuzz_ctl_hashlog"
KEY = b"fuzz hash-chain key, 32 octets!\0"
EVENTS = [
    "connection from 10.99.0.2 port 40000",
    "login failed: unknown KeyID from 10.99.0.2",
    "blocked 10.99.0.2 for 300 s after 5 failed logins",
    "session 0a63000100000000e9000000 started from [fd00:99::2]:9000",
    "alarm: 20 blocked addresses",
]


def chain(records, key=KEY, seq0=1):
    """The log's lines: "<seq> <time> <text> mac=<hex>\\n"."""
    prev, out = bytes(32), []
    for i, text in enumerate(records):
        rec = f"{seq0 + i} 2026-12-08T01:{i:02d}:00.123Z {text}".encode()
        mac = hmac.new(key, prev + rec, hashlib.sha256).digest()
        out.append(rec + b" mac=" + mac.hex().encode() + b"\n")
        prev = mac
    return out


def seeds():
    full = chain(EVENTS)
    yield "empty", b"\0"
    yield "one", b"\0" + b"".join(full[:1])
    yield "five", b"\0" + b"".join(full)
    yield "five_file", b"\4" + b"".join(full)
    yield "changed_file", b"\5" + b"".join(full[:3]).replace(b"blocked", b"Blocked")
    yield "five_resealed", b"\1" + b"".join(full)
    yield "no_key", b"\2" + b"".join(chain(EVENTS, key=b""))
    changed = full[:]
    changed[2] = changed[2].replace(b"300 s", b"3 s  ")
    yield "changed", b"\0" + b"".join(changed)
    yield "changed_resealed", b"\1" + b"".join(changed)
    yield "removed", b"\0" + b"".join(full[:2] + full[3:])
    yield "removed_resealed", b"\1" + b"".join(full[:2] + full[3:])
    yield "swapped", b"\0" + b"".join([full[0], full[2], full[1]] + full[3:])
    yield "first_removed", b"\0" + b"".join(full[1:])
    yield "cut", b"\0" + b"".join(full)[:-20]
    yield "no_final_newline", b"\0" + b"".join(full)[:-1]
    yield "gap", b"\1" + b"".join(chain(EVENTS[:2]) + chain(EVENTS[2:], seq0=4))
    yield "long_line", b"\1" + b"".join(chain(["x" * 1100]))
    yield "no_mac", b"\0" + b"1 2026-12-08T01:00:00.123Z started\n"
    yield "upper_hex", b"\0" + full[0].upper()
    yield "seq_20_digits", b"\1" + b"".join(chain(EVENTS[:1], seq0=10 ** 19))
    yield "crlf", b"\1" + b"".join(line.replace(b"\n", b"\r\n") for line in full)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in seeds():
        (OUT / name).write_bytes(data)


if __name__ == "__main__":
    main()
