#!/usr/bin/python3
"""Write the seed corpora of the key agent's serving path and of the charon
plugin's message code (committed; re-run by hand). Layouts:
common/keyagent_proto.h, keyagent/plugin/ippm_msg.h.

    /usr/bin/python3 tests/fuzz/make_keyagent_serve_corpus.py

corpus/fuzz_keyagent_serve/  a policy, a caller's request and the plugin's
                             answer (fuzz_keyagent_serve.c): permitted and
                             refused SPI, peer and ping lookups, IPv4 and
                             IPv6 prefixes, every plugin status, a raw and a
                             missing plugin answer, truncated, oversized,
                             empty and piecemeal requests, bad magic and
                             version
corpus/fuzz_ippm_msg/        plugin-leg requests of each type (and broken
                             ones) followed by reply fields (fuzz_ippm_msg.c),
                             raw and made valid
"""
import struct
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus"
SPI_I = bytes.fromhex("ecc00c7b111cb7b6")
SPI_R = bytes.fromhex("7759347709741a1b")
V4 = bytes([10, 99, 0, 2]) + bytes(12)
V6 = bytes.fromhex("fd000099000000000000000000000002")


def request(magic, typ, spi_i=bytes(8), spi_r=bytes(8), fam=0, addr=bytes(16), version=1):
    return magic + bytes([version, typ, 0, 0]) + spi_i + spi_r + bytes([fam, 0, 0, 0]) + addr + bytes(4)


def rule(uid=True, gid=False, spi=True, peer=True, prefixes=(), mine=True):
    """One rule of fuzz_keyagent_serve: flags, then (v6 bit | length, 16 octets) per prefix.
    mine: the rule names the caller's uid and gid (else others)."""
    f = (1 if uid else 0) | (2 if gid else 0) | (12 if mine else 0) | (16 if spi else 0) | \
        (32 if peer else 0)
    f |= len(prefixes) << 6
    out = bytes([f])
    for v6, length, addr in prefixes:
        out += bytes([(0x80 if v6 else 0) | length]) + addr
    return out


NET4 = (False, 24, bytes([10, 99, 0, 0]) + bytes(12))
NET6 = (True, 32, bytes.fromhex("fd000099") + bytes(12))


def serve(rules, req, plugin=0, pieces=0, answer=b""):
    sel = len(rules) | plugin << 2 | pieces << 4
    return bytes([sel]) + b"".join(rules) + bytes([len(req)]) + req + answer


def charon(prf_choice=1, status=0, remote_v6=False, remote=V4[:4], key=bytes(range(64))):
    return bytes([prf_choice, status, 1 if remote_v6 else 0]) + remote + key


def serve_seeds():
    both = [rule(prefixes=[NET4, NET6])]
    spi = request(b"TWKA", 2, SPI_I, SPI_R)
    yield "spi_ok", serve(both, spi, answer=charon())
    yield "spi_ok_v6", serve(both, spi, answer=charon(2, 0, True, V6))
    # a key that repeats the SPIs, which the audit line does show
    yield "key_like_spis", serve(both, spi, answer=charon(key=(SPI_I + SPI_R) * 4))
    yield "spi_outside", serve(both, spi, answer=charon(remote=bytes([192, 0, 2, 1])))
    yield "peer_ok", serve(both, request(b"TWKA", 3, fam=4, addr=V4), answer=charon(3))
    yield "peer_v6", serve(both, request(b"TWKA", 3, fam=6, addr=V6), answer=charon(4))
    yield "peer_outside", serve(both, request(b"TWKA", 3, fam=4, addr=bytes([192, 0, 2, 1]) + bytes(12)))
    yield "ping", serve(both, request(b"TWKA", 1), answer=charon())
    yield "no_rules", serve([], spi)
    yield "other_uid", serve([rule(prefixes=[NET4], mine=False)], spi)
    yield "gid_rule", serve([rule(uid=False, gid=True, spi=False, prefixes=[NET4])],
                            request(b"TWKA", 3, fam=4, addr=V4), answer=charon())
    yield "kind_refused", serve([rule(spi=False, prefixes=[NET4])], spi)
    for status in range(1, 7):
        yield f"plugin_status{status}", serve(both, spi, plugin=1, answer=charon(1, status))
    yield "plugin_raw", serve(both, spi, plugin=2, answer=bytes(648))
    yield "plugin_raw_short", serve(both, spi, plugin=2, answer=b"IPPM\x01\x82")
    yield "plugin_closes", serve(both, spi, plugin=3)
    yield "truncated", serve(both, spi[:30])
    yield "oversized", serve(both, spi + b"x")
    yield "empty", serve(both, b"")
    yield "pieces", serve(both, spi, pieces=3, answer=charon())
    yield "bad_magic", serve(both, request(b"IPPM", 2, SPI_I, SPI_R))
    yield "bad_version", serve(both, request(b"TWKA", 2, SPI_I, SPI_R, version=2))
    yield "three_rules", serve([rule(spi=False, prefixes=[NET6]), rule(gid=True, prefixes=[NET4]),
                                rule(prefixes=[NET4, NET6, (False, 0, bytes(16))])], spi,
                               answer=charon())


def ippm_fields(status=0, prf=5, klen=32, lfam=4, rfam=6, lid=b"moon", rid=b"sun", valid=False):
    return (bytes([0x80 if valid else 0, status, 0]) + struct.pack(">H", prf) + bytes([klen])
            + bytes(range(0x40, 0x80)) + bytes([lfam, rfam]) + V4 + V6 + bytes([2, 9])
            + bytes([len(lid)]) + lid + bytes([len(rid)]) + rid)


def ippm_seeds():
    for name, req in (("ping", request(b"IPPM", 1)), ("spi", request(b"IPPM", 2, SPI_I, SPI_R)),
                      ("peer4", request(b"IPPM", 3, fam=4, addr=V4)),
                      ("peer6", request(b"IPPM", 3, fam=6, addr=V6))):
        yield f"{name}_ok", req + ippm_fields()
        yield f"{name}_valid", req + ippm_fields(valid=True, prf=3)
        yield f"{name}_no_sa", req + ippm_fields(status=1)
    req = request(b"IPPM", 2, SPI_I, SPI_R)
    yield "bad_prf_len", req + ippm_fields(prf=6, klen=32)
    yield "long_ids", req + ippm_fields(lid=b"C=CH, O=strongSwan, CN=moon" * 9, rid=b"\x01\x7f")
    yield "bad_family", req + ippm_fields(lfam=5)
    yield "bad_magic", request(b"TWKA", 2, SPI_I, SPI_R)
    yield "bad_version", request(b"IPPM", 2, SPI_I, SPI_R, version=0)
    yield "mbz", request(b"IPPM", 3, fam=4, addr=V4)[:44] + b"\0\0\0\1"
    yield "peer4_padding", request(b"IPPM", 3, fam=4, addr=V6)
    yield "spi_zero", request(b"IPPM", 2, SPI_I)


def main():
    for target, gen in (("fuzz_keyagent_serve", serve_seeds), ("fuzz_ippm_msg", ippm_seeds)):
        d = OUT / target
        d.mkdir(parents=True, exist_ok=True)
        for name, data in gen():
            (d / name).write_bytes(data)


if __name__ == "__main__":
    main()
