"""Write the request frames of the replay benchmark as a pcap file.

usage: replay_pcap.py MODE KEY_HEX_FILE UDP_PAYLOAD DST_MAC OUT.pcap

MODE is open, auth or enc. 256 TWAMP-Test sender packets (RFC 5357 §4.1.2;
sequence numbers 0..255, sixteen source ports) from 10.99.100.1 to
10.99.100.2:862, built and protected by the project's independent Python
reference (tests/py/twamp_ref.py) with the 48-octet Light key in
KEY_HEX_FILE (AES key, then HMAC key). DPDK's pcap driver replays them
without end (infinite_rx=1), so the reflector measures its own cost per
packet with no second process and no link between cores.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "py"))
import twamp_ref as tr  # noqa: E402

FRAMES = 256
SRC_MAC = bytes.fromhex("020000996401")
SRC_IP = bytes([10, 99, 100, 1])
DST_IP = bytes([10, 99, 100, 2])
SRC_PORT, DST_PORT = 40000, 862


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(dst_mac: bytes, sport: int, payload: bytes) -> bytes:
    ulen = 8 + len(payload)
    pseudo = SRC_IP + DST_IP + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, DST_PORT, ulen, 0) + payload
    uc = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", uc) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0, SRC_IP, DST_IP)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + SRC_MAC + b"\x08\x00" + ip + udp


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__)
    mode, key_file, size, dst_mac, out = argv[1], argv[2], int(argv[3]), argv[4], argv[5]
    sec = {"open": tr.OPEN, "auth": tr.AUTH, "enc": tr.ENC}[mode]
    with open(key_file, encoding="ascii") as f:
        key = bytes.fromhex(f.read().strip())
    if len(key) != 48:
        sys.exit(f"{key_file}: 48 octets expected")
    keys = tr.TestKeys(key[:16], key[16:])
    lay = tr.sender_layout(sec)
    if size < lay.base_len:
        sys.exit(f"UDP payload {size} is shorter than the {mode} sender packet ({lay.base_len})")
    mac = bytes.fromhex(dst_mac.replace(":", ""))
    now = tr.ntp_now()
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # pcap, Ethernet
        for i in range(FRAMES):
            plain = tr.build_sender(i, now, 0x8001, bytes(size - lay.base_len), sec)
            wire = plain if sec == tr.OPEN else tr.protect(plain, lay, keys)
            fr = frame(mac, SRC_PORT + i % 16, wire)
            t = time.time()
            f.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6), len(fr), len(fr)) + fr)


if __name__ == "__main__":
    main(sys.argv)
