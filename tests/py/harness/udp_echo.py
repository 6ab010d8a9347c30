"""A tiny UDP echo server for harness self-tests.

    /usr/bin/python3 udp_echo.py PORT

Binds [::]:PORT dual-stack (IPv4 and IPv6), prints "ready PORT" once bound,
and sends every datagram back to its source until killed.
"""

import socket
import sys


def main():
    port = int(sys.argv[1])
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    print(f"ready {port}", flush=True)
    while True:
        data, addr = s.recvfrom(65535)
        s.sendto(data, addr)


if __name__ == "__main__":
    main()
