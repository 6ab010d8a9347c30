#!/usr/bin/python3
"""Write the seed corpus of fuzz_control_server (committed; re-run by hand).

    /usr/bin/python3 tests/fuzz/make_control_server_corpus.py

Byte 0 selects the mode and the harness's behaviour (see the comment at
the top of fuzz_control_server.c); the rest is plaintext commands (the
harness seals them) or, with bit 5, the raw client stream in open mode.
The harness's random values are a counter from 1, so the server's SIDs are
predictable: 0a630102 eead0687 00000000 then 4 counter octets, the first
session's being 31323334 (after Challenge, Salt and Server-IV).
"""
import struct
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus" / "fuzz_control_server"

UNAUTH, AUTH, ENC, MIXED = 0, 1, 2, 3
ISC, REFLECT, SYMM, RAW, FLAKY, UNKNOWN_KEY = 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
AGENT = 0x80                # with RAW: a fake key agent, IKEv2Derived offered


def sid(k):
    """SID of the k-th session (0-based) a connection gets."""
    first = 49 + 4 * k
    return bytes.fromhex("0a630102eead068700000000") + bytes(range(first, first + 4))


def request(sport=40001, rport=50000, padding=64, octets=0, pad_reflect=0, ipvn=4,
            timeout=2 << 32, typep=0):
    m = bytearray(112)
    m[0], m[1] = 5, ipvn
    struct.pack_into(">HH", m, 12, sport, rport)
    struct.pack_into(">I", m, 64, padding)
    struct.pack_into(">Q", m, 76, timeout)
    struct.pack_into(">IHH", m, 84, typep, octets, pad_reflect)
    return bytes(m)


def cmd(c, n=0):
    m = bytearray(32)
    m[0] = c
    struct.pack_into(">I", m, 4 if c == 3 else 12, n)
    return bytes(m)


def nmsg(c, sids):
    m = bytearray(16)
    m[0] = c
    struct.pack_into(">I", m, 12, len(sids))
    return bytes(m) + b"".join(sids) + bytes(16)


def setup_open():
    return struct.pack(">I", 1) + bytes(160)


def setup_ikev2(spi_i, spi_r, mode=0x82):
    """RFC 7717 Set-Up-Response: SPIs in the KeyID (the Token is not valid)."""
    return struct.pack(">I", mode) + spi_i + spi_r + bytes(64) + bytes(64) + bytes(16)


SEEDS = {
    "open_lifecycle": bytes([UNAUTH]) + request() + cmd(2) + cmd(3, 1),
    "auth_lifecycle": bytes([AUTH]) + request() + cmd(2) + cmd(3, 1),
    "enc_two_sessions": bytes([ENC]) + request() + request(sport=40002) + cmd(2) + cmd(3, 2),
    "mixed_lifecycle": bytes([MIXED]) + request(typep=46 << 24) + cmd(2) + cmd(3, 1),
    "isc_n_messages": bytes([ENC | ISC]) + request() + request(sport=40002)
    + nmsg(7, [sid(0)]) + request(sport=40003) + nmsg(9, [sid(0), sid(1)]) + nmsg(7, [sid(2)]),
    "isc_unknown_sid": bytes([AUTH | ISC]) + request() + nmsg(7, [bytes(16)]),
    "rfc6038": bytes([AUTH | REFLECT | SYMM]) + request(octets=0xabcd, pad_reflect=8)
    + request(sport=40002, pad_reflect=65) + cmd(2),
    "refusals": bytes([UNAUTH]) + request(ipvn=6) + request(sport=0) + request(padding=100000)
    + request(typep=0x40000000) + cmd(2),
    "flaky_dataplane": bytes([UNAUTH | FLAKY]) + request() + request(sport=40002)
    + request(sport=40003) + request(sport=40004) + cmd(2) + cmd(3, 4),
    "out_of_order": bytes([ENC]) + cmd(3, 1),
    "unknown_command": bytes([AUTH]) + cmd(6),
    "unknown_key": bytes([AUTH | UNKNOWN_KEY]),
    "raw_open": bytes([RAW]) + setup_open() + request() + cmd(2) + cmd(3, 1),
    "raw_declined": bytes([RAW]) + bytes(4),
    "raw_bad_mode": bytes([RAW]) + struct.pack(">I", 0x402) + bytes(160),
    # with the fake key agent (raw + bit 7): SPIi octet 0 picks its answer
    "raw_ikev2_key": bytes([RAW | AGENT]) + setup_ikev2(bytes([8, 2]) + bytes(6), bytes(7) + b"\x01"),
    "raw_ikev2_other_peer": bytes([RAW | AGENT]) + setup_ikev2(bytes([0, 1]) + bytes(6), b"\x01" * 8),
    "raw_ikev2_no_sa": bytes([RAW | AGENT]) + setup_ikev2(b"\x01" * 8, b"\x02" * 8, mode=0x84),
    "raw_ikev2_zero_spi": bytes([RAW | AGENT]) + setup_ikev2(b"\x03" * 8, bytes(8)),
    "raw_ikev2_open": bytes([RAW | AGENT]) + setup_ikev2(b"\x03" * 8, b"\x03" * 8, mode=0x81),
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in SEEDS.items():
        (OUT / name).write_bytes(data)
    print(f"{len(SEEDS)} seeds in {OUT}")


if __name__ == "__main__":
    main()
