#!/usr/bin/python3
"""Write the seed corpus of fuzz_keyagent_proto (committed; re-run by hand).

    /usr/bin/python3 tests/fuzz/make_keyagent_corpus.py

corpus/fuzz_keyagent_proto/  key agent requests (ping, by SPIs, by IPv4 and
                             IPv6 peer) and replies (OK with each PRF length,
                             IPv4 and IPv6, long identities, each error
                             status), on both legs; layouts in
                             common/keyagent_proto.h
"""
import struct
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus" / "fuzz_keyagent_proto"
SPI_I = bytes.fromhex("ecc00c7b111cb7b6")
SPI_R = bytes.fromhex("7759347709741a1b")
V4 = bytes([10, 99, 0, 2]) + bytes(12)
V6 = bytes.fromhex("fd000099000000000000000000000002")


def request(magic, typ, spi_i=bytes(8), spi_r=bytes(8), fam=0, addr=bytes(16)):
    return magic + bytes([1, typ, 0, 0]) + spi_i + spi_r + bytes([fam, 0, 0, 0]) + addr + bytes(4)


def ident(s):
    b = s.encode()
    return struct.pack(">H", len(b)), b + bytes(256 - len(b))


def reply_ok(magic, typ, prf, klen, lfam, laddr, rfam, raddr, lid, rid, flags=0):
    llen, lfield = ident(lid)
    rlen, rfield = ident(rid)
    key = bytes(range(0x40, 0x40 + klen)) + bytes(64 - klen)
    msg = (magic + bytes([1, typ | 0x80, 0, flags]) + struct.pack(">HBB", prf, klen, 0) + bytes(4)
           + SPI_I + SPI_R + bytes([lfam, rfam, 1, 2]) + laddr + raddr + llen + rlen + key
           + lfield + rfield)
    assert len(msg) == 648
    return msg


def reply_err(magic, typ, status):
    return magic + bytes([1, typ | 0x80, status, 0]) + bytes(640)


def seeds():
    for magic, leg in ((b"TWKA", "agent"), (b"IPPM", "plugin")):
        yield f"{leg}_req_ping", request(magic, 1)
        yield f"{leg}_req_spi", request(magic, 2, SPI_I, SPI_R)
        yield f"{leg}_req_peer4", request(magic, 3, fam=4, addr=V4)
        yield f"{leg}_req_peer6", request(magic, 3, fam=6, addr=V6)
        yield f"{leg}_req_truncated", request(magic, 2, SPI_I, SPI_R)[:30]
        yield f"{leg}_rep_sha256", reply_ok(magic, 2, 5, 32, 4, V4, 4, V4, "10.99.0.1", "10.99.0.2")
        yield f"{leg}_rep_sha384_v6", reply_ok(magic, 3, 6, 48, 6, V6, 6, V6, "sun.example",
                                               "C=CH, O=strongSwan, CN=moon")
        yield f"{leg}_rep_sha512_long", reply_ok(magic, 2, 7, 64, 4, V4, 6, V6, "x" * 255,
                                                 "y" * 255, flags=3)
        yield f"{leg}_rep_sha1", reply_ok(magic, 2, 2, 20, 4, V4, 4, V4, "a", "b")
        yield f"{leg}_rep_cmac", reply_ok(magic, 3, 8, 16, 4, V4, 4, V4, "a", "b")
        for status in range(1, 7):
            yield f"{leg}_rep_status{status}", reply_err(magic, 2, status)
        yield f"{leg}_rep_ping", reply_err(magic, 1, 0)
        yield f"{leg}_rep_undecodable", reply_err(magic, 0, 4)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in seeds():
        (OUT / name).write_bytes(data)


if __name__ == "__main__":
    main()
