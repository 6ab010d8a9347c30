#!/usr/bin/python3
"""Copy the bytes the unit tests need out of the reference captures.

Run once by hand (the tests never read the captures themselves):

    /usr/bin/python3 tests/data/extract_vectors.py <folder with the reference pcaps> tests/data

Writes, per capture, text files of hex lines (lines starting with '#' are
comments):

  <name>.test.hex     TWAMP-Test UDP payloads:     <frame> <s|r> <hex>
                      s = Session-Sender -> Reflector, r = Reflector -> Sender
  <name>.control.hex  TWAMP-Control TCP payloads:  <frame> <c|s> <hex>
                      c = client -> server, s = server -> client
  frames.hex          a few whole Ethernet frames: <name>:<frame> <hex>
"""
import sys
from pathlib import Path

from scapy.all import IP, TCP, UDP, rdpcap  # noqa: E402 (scapy import is slow)

TWPING = ["twping_mode_O", "twping_mode_A", "twping_mode_E", "twping_mode_M"]
LIGHT = "twampy_light_sender_to_responder"
CONTROL = ["twping_mode_A", "twping_mode_E"]  # the control exchanges the tests decrypt
WRONG = "twping_mode_A_wrong_passphrase"  # control only: the token must not decrypt
CONTROL_PORT = 8620


def test_lines(pkts):
    """UDP payloads; the sender is the source port of the first UDP packet."""
    lines, sender_port = [], None
    for i, p in enumerate(pkts, 1):
        if UDP not in p:
            continue
        if sender_port is None:
            sender_port = p[UDP].sport
        d = "s" if p[UDP].sport == sender_port else "r"
        lines.append(f"{i} {d} {bytes(p[UDP].payload).hex()}")
    return lines


def control_lines(pkts):
    lines = []
    for i, p in enumerate(pkts, 1):
        if TCP not in p or not bytes(p[TCP].payload):
            continue
        d = "s" if p[TCP].sport == CONTROL_PORT else "c"
        lines.append(f"{i} {d} {bytes(p[TCP].payload).hex()}")
    return lines


def write(path, header, lines):
    path.write_text("".join(f"# {h}\n" for h in header) + "\n".join(lines) + "\n")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: extract_vectors.py PCAP_FOLDER [OUT_FOLDER]")
    src = Path(sys.argv[1])
    dst = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).parent)
    frames = []
    for name in TWPING + [LIGHT]:
        pkts = rdpcap(str(src / f"{name}.pcap"))
        origin = f"from {name}.pcap (perfSONAR twping/twampd on loopback)"
        if name == LIGHT:
            origin = f"from {name}.pcap (Nokia twampy sender and responder)"
        write(dst / f"{name}.test.hex",
              [f"TWAMP-Test UDP payloads {origin}",
               "<frame> <s: sender->reflector | r: reflector->sender> <hex>"],
              test_lines(pkts))
        if name in CONTROL:
            write(dst / f"{name}.control.hex",
                  [f"TWAMP-Control TCP payloads {origin}",
                   "<frame> <c: client->server | s: server->client> <hex>"],
                  control_lines(pkts))
        udp = [(i, p) for i, p in enumerate(pkts, 1) if UDP in p and IP in p]
        for i, p in udp[:2]:
            frames.append(f"{name}:{i} {bytes(p).hex()}")
    write(dst / f"{WRONG}.control.hex",
          [f"TWAMP-Control TCP payloads from {WRONG}.pcap (client used a wrong passphrase)",
           "<frame> <c: client->server | s: server->client> <hex>"],
          control_lines(rdpcap(str(src / f"{WRONG}.pcap"))))
    write(dst / "frames.hex",
          ["Whole Ethernet frames (first sender and reflector packet of each capture)",
           "<capture>:<frame> <hex>"], frames)


if __name__ == "__main__":
    main()
