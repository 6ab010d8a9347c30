#!/usr/bin/python3
"""Write the seed corpora of the fuzz targets (committed; re-run by hand).

    /usr/bin/python3 tests/fuzz/make_corpus.py

corpus/fuzz_tw_pkt/     Ethernet frames: the captured twping/twampy frames
                          of tests/data/frames.hex, plus frames built with
                          scapy for each parser branch (VLAN, QinQ, IPv6,
                          fragments, options, extension headers, non-UDP)
corpus/fuzz_session_api/  session API requests, one per op, in host byte
                          order (little-endian, as on the x86-64 build hosts)
"""
import struct
from pathlib import Path

from scapy.all import ARP, Dot1AD, Dot1Q, Ether, ICMP, IP, IPv6, IPv6ExtHdrFragment, \
    IPv6ExtHdrHopByHop, Raw, TCP, UDP

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"

# a 48-octet authenticated sender packet (docs/protocol.md §11.4 KAT) and a
# 14-octet open one
AUTH_SENDER = bytes.fromhex("585885d9d6aae2cad674f209f469b2e2"
                            "e8000000800000008001000000000000"
                            "5eb4c3e5ee9e073cc9c0e7de7c14345e")
OPEN_SENDER = bytes.fromhex("00000001e80000008000000080010000")[:14]


def frames():
    out = {}
    for line in (DATA / "frames.hex").read_text().splitlines():
        if line and not line.startswith("#"):
            tag, hexdata = line.split()
            out["cap_" + tag.replace(":", "_")] = bytes.fromhex(hexdata)

    eth = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
    v4 = IP(src="10.99.0.2", dst="10.99.0.1", ttl=255, tos=0xb8)
    v6 = IPv6(src="fd00:99::2", dst="fd00:99::1", hlim=255, tc=0xb8)
    udp = UDP(sport=50001, dport=862)
    pad = Raw(AUTH_SENDER + bytes(64))
    built = {
        "v4_open": eth / v4 / udp / Raw(OPEN_SENDER),
        "v4_auth": eth / v4 / udp / pad,
        "v4_vlan": eth / Dot1Q(vlan=99) / v4 / udp / pad,
        "v4_qinq": eth / Dot1AD(vlan=10) / Dot1Q(vlan=99) / v4 / udp / pad,
        "v4_udp_nocsum": eth / v4 / UDP(sport=50001, dport=862, chksum=0) / Raw(OPEN_SENDER),
        "v4_frag": eth / IP(src="10.99.0.2", dst="10.99.0.1", flags="MF") / udp / pad,
        "v4_options": eth / IP(src="10.99.0.2", dst="10.99.0.1", options=b"\x01\x01\x01\x00") / udp / pad,
        "v4_tcp": eth / v4 / TCP(sport=40000, dport=862),
        "v4_icmp": eth / v4 / ICMP(),
        "v6_auth": eth / v6 / udp / pad,
        "v6_qinq": eth / Dot1AD(vlan=10) / Dot1Q(vlan=99) / v6 / udp / pad,
        "v6_frag": eth / v6 / IPv6ExtHdrFragment() / udp / pad,
        "v6_hbh": eth / v6 / IPv6ExtHdrHopByHop() / udp / pad,
        "arp": eth / ARP(psrc="10.99.0.2", pdst="10.99.0.1"),
    }
    for name, pkt in built.items():
        out[name] = bytes(pkt)
    return out


HDR = struct.Struct("<HHIII")
SESSION = struct.Struct("<16sBBBB16s16sHHHHII16s32s")


def api_messages():
    sid = bytes(range(0x40, 0x50))
    v4 = lambda a: bytes(a) + bytes(12)  # noqa: E731
    sess4 = SESSION.pack(sid, 4, 1, 0x02, 0, v4([10, 99, 0, 1]), v4([10, 99, 0, 2]),
                         862, 50001, 2, 0, 2000, 900, bytes(range(16)), bytes(range(16, 48)))
    v6a = bytes.fromhex("fd000099000000000000000000000001")
    v6b = bytes.fromhex("fd000099000000000000000000000002")
    sess6 = SESSION.pack(sid, 6, 2, 0x0d, 46, v6a, v6b, 862, 50001, 0, 0, 2000, 0,
                         bytes(16), bytes(32))
    msgs = {}

    def msg(name, op, body=b""):
        msgs[name] = HDR.pack(1, op, HDR.size + len(body), 7, 0) + body

    msg("add_v4", 1, sess4)
    msg("add_v6", 1, sess6)
    msg("start", 2, sid)
    msg("stop", 3, sid)
    msg("remove", 4, sid)
    msg("counters", 5, sid)
    msg("flush", 6)
    msg("info", 7)
    return msgs


def write(dirname, items):
    d = HERE / "corpus" / dirname
    d.mkdir(parents=True, exist_ok=True)
    for name, data in items.items():
        (d / name).write_bytes(data)


def main():
    write("fuzz_tw_pkt", frames())
    write("fuzz_session_api", api_messages())


if __name__ == "__main__":
    main()
