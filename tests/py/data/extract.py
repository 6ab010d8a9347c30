#!/usr/bin/python3
"""Copy the bytes the Python tests need out of the reference captures.

Usage:  /usr/bin/python3 tests/py/data/extract.py PCAP_DIR [OUT_DIR]

For every ``*.pcap`` in PCAP_DIR it writes ``OUT_DIR/<stem>.json`` (OUT_DIR
defaults to this script's directory) holding, as hex strings:

  control.client_to_server / control.server_to_client
      the TCP payload of each direction of the TWAMP-Control connection,
      reassembled in sequence-number order (duplicates dropped);
  test[]
      every UDP datagram in capture order: frame number, role ("sender" for
      the side that sent the first datagram, "reflector" for the other),
      addresses, ports, IP TTL and the UDP payload.

The tests read only these JSON files, never the captures themselves.  The
script is run by hand when the captures change; its output is committed.
"""

import json
import pathlib
import sys

from scapy.all import IP, TCP, UDP, rdpcap


def _tcp_streams(pkts):
    """Reassemble both directions of the (single) TCP connection."""
    segs = {}
    server_port = None
    for p in pkts:
        if IP not in p or TCP not in p:
            continue
        tcp = p[TCP]
        if tcp.flags & 0x12 == 0x12:          # SYN+ACK comes from the server
            server_port = tcp.sport
        data = bytes(tcp.payload)
        if not data:
            continue
        key = (p[IP].src, tcp.sport, p[IP].dst, tcp.dport)
        segs.setdefault(key, {})[tcp.seq] = data
    out = {"client_to_server": "", "server_to_client": ""}
    for key, by_seq in segs.items():
        stream = bytearray()
        start = min(by_seq)
        for seq in sorted(by_seq):
            off = (seq - start) & 0xFFFFFFFF
            if off != len(stream):
                raise SystemExit(f"gap or overlap in TCP stream {key} at {seq}")
            stream += by_seq[seq]
        direction = "server_to_client" if key[1] == server_port else "client_to_server"
        out[direction] = stream.hex()
    return out, server_port


def _udp_datagrams(pkts):
    out = []
    sender = None
    for n, p in enumerate(pkts, start=1):
        if IP not in p or UDP not in p:
            continue
        ip, udp = p[IP], p[UDP]
        if sender is None:
            sender = (ip.src, udp.sport)
        role = "sender" if (ip.src, udp.sport) == sender else "reflector"
        out.append({
            "frame": n,
            "role": role,
            "src": ip.src, "sport": udp.sport,
            "dst": ip.dst, "dport": udp.dport,
            "ttl": ip.ttl,
            "payload": bytes(udp.payload).hex(),
        })
    return out


def extract(pcap: pathlib.Path) -> dict:
    pkts = rdpcap(str(pcap))
    control, server_port = _tcp_streams(pkts)
    return {
        "source": pcap.name,
        "control_server_port": server_port,
        "control": control,
        "test": _udp_datagrams(pkts),
    }


def main(argv):
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    src = pathlib.Path(argv[1])
    dst = pathlib.Path(argv[2]) if len(argv) == 3 else pathlib.Path(__file__).parent
    pcaps = sorted(src.glob("*.pcap"))
    if not pcaps:
        raise SystemExit(f"no .pcap files in {src}")
    for pcap in pcaps:
        data = extract(pcap)
        out = dst / (pcap.stem + ".json")
        out.write_text(json.dumps(data, indent=1) + "\n")
        print(f"{out}: {len(data['test'])} datagrams")


if __name__ == "__main__":
    main(sys.argv)
