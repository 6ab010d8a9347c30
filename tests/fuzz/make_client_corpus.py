#!/usr/bin/python3
"""Write the seed corpora of the client's receive path and private files
(committed; re-run by hand).

    /usr/bin/python3 tests/fuzz/make_client_corpus.py

corpus/fuzz_client_reply/  replies to the target's 16 sent packets
                           (fuzz_client_reply.c): made from fields in each
                           security mode (in order, reordered, duplicated,
                           never sent, a wrong sender timestamp, extreme
                           reflector timestamps, padding), and raw open-mode
                           replies laid out as RFC 5357 §4.2.1 has them
                           (docs/protocol.md), short ones included
corpus/fuzz_client_files/  key files (96 hex digits with newlines, spaces,
                           CRLF, upper case; too few, too many, a bad
                           character, too large) and passphrase files
                           ("\\n", "\\r\\n", none, empty, 1024 and 1025 octets),
                           each also mode 0644
"""
import struct
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus"
T1_BASE = 0xeb00000000000000
MS = 4294967  # 1 ms in 2^-32 s


def made(seq, refl_seq=0, t3=None, t2=None, errest=0x8001, ttl=64, wrong_ts=0, pad=0, t4=2 * MS):
    t1 = T1_BASE + seq * MS
    t2 = t1 + MS // 2 if t2 is None else t2
    t3 = t2 + MS // 10 if t3 is None else t3
    return (bytes([seq]) + struct.pack(">IQHQ", refl_seq, t3, errest, t2) + bytes([ttl, wrong_ts, pad])
            + struct.pack(">I", t4))


def raw_open(seq, length=41):
    t1 = T1_BASE + seq * MS
    t2, t3 = t1 + MS // 2, t1 + MS // 2 + 1000
    body = (struct.pack(">IQH", seq, t3, 0x8001) + bytes(2) + struct.pack(">QIQH", t2, seq, t1, 0x8001)
            + bytes(2) + bytes([63]))
    body = (body + bytes(max(0, length - len(body))))[:length]
    return struct.pack(">H", len(body)) + body


def reply_seeds():
    for sec, name in ((0, "open"), (1, "auth"), (2, "enc")):
        for sym in (0, 4):
            sel = bytes([sec | sym | 8 | 16])
            yield f"made_{name}{'_sym' if sym else ''}", sel + b"".join(made(i) for i in range(16))
        sel = bytes([sec | 8])
        yield f"made_{name}_reordered", sel + b"".join(made(i) for i in (0, 2, 1, 3, 3, 5, 4))
        yield f"made_{name}_unsent", sel + made(17) + made(3, wrong_ts=1) + made(15, pad=200)
        yield f"made_{name}_extreme", sel + made(1, t2=0, t3=2 ** 64 - 1) + \
            made(2, t2=2 ** 64 - 1, t3=0) + made(3, t4=0xffffffff) + made(4, t2=0, t3=0, t4=0)
    yield "raw_open", bytes([0]) + b"".join(raw_open(i) for i in range(16))
    yield "raw_open_padded", bytes([16]) + raw_open(0, 200) + raw_open(1, 1000)
    yield "raw_short", bytes([0]) + raw_open(0, 40) + raw_open(1, 0)
    yield "raw_auth", bytes([1]) + raw_open(0, 112)
    yield "raw_enc", bytes([2]) + raw_open(0, 112)


KEYS_HEX = bytes(range(48)).hex()


def file_seeds():
    files = {
        "key": (KEYS_HEX[:32] + "\n" + KEYS_HEX[32:] + "\n").encode(),
        "key_spaced": " ".join(KEYS_HEX[i:i + 8] for i in range(0, 96, 8)).encode() + b"\r\n",
        "key_upper": KEYS_HEX.upper().encode() + b"\t\v\f",
        "key_short": KEYS_HEX[:94].encode(),
        "key_long": (KEYS_HEX + "00").encode(),
        "key_bad_char": (KEYS_HEX[:40] + "g" + KEYS_HEX[41:]).encode(),
        "key_nul": KEYS_HEX.encode() + b"\0",
        "key_large": KEYS_HEX.encode() + b" " * 4100,
        "secret": b"interop-passphrase\n",
        "secret_crlf": b"interop-passphrase\r\n",
        "secret_bare": b"interop-passphrase",
        "secret_only_newline": b"\n",
        "secret_cr_only": b"\r",
        "secret_empty": b"",
        "secret_1024": b"p" * 1024 + b"\r\n",
        "secret_1025": b"p" * 1025,
        "secret_binary": bytes(range(256)),
    }
    for name, text in files.items():
        yield name, b"\0" + text
        yield name + "_0644", b"\1" + text


def main():
    for target, gen in (("fuzz_client_reply", reply_seeds), ("fuzz_client_files", file_seeds)):
        d = OUT / target
        d.mkdir(parents=True, exist_ok=True)
        for name, data in gen():
            (d / name).write_bytes(data)


if __name__ == "__main__":
    main()
