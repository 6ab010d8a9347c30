"""Sending and receiving test packets from inside a network namespace.

Sockets are created inside a namespace by a short-lived thread that setns()
into it (namespaces are per thread; a socket keeps the namespace it was made
in), so the test process itself never leaves its own namespace.

Plain UDP (the normal path):

    s = udp_socket(net.a, socket.AF_INET, ttl=255)     # bound to an ephemeral port
    reply = exchange(s, payload, (net.b_end.ip4, 862), timeout=2.0)   # bytes or None

Raw frames (malformed, truncated, fragmented, IP options, VLAN), built with
scapy and sent on an AF_PACKET socket bound to the veth end:

    with RawPort(net.a_end) as port:
        f = udp_frame(net.a_end, net.b_end, 40000, 862, payload, ip_options=[IPOption_RR()])
        port.send(f)                   # or port.send_all(fragment(f, 64))
        port.recv(lambda p: UDP in p and p[UDP].dport == 40000, timeout=2.0)

A reply to a raw-sent packet also reaches the kernel of the sending
namespace; bind a udp_socket() to the source port to receive it there.

TWAMP on top of twamp_ref:

    snd = TwampSender(sec=twamp_ref.AUTH, keys=keys, padding=64)
    plain, wire = snd.next()                           # seq 0, 1, ...
    reply = exchange(s, wire, addr)
    got = snd.check(plain, reply, ttl=255)             # twamp_ref.ReplyCheck

Every receive is bounded by its timeout and returns None when it expires.
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import select
import socket
import struct
import threading
import time

import twamp_ref as tr

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40

_libc = ctypes.CDLL(None, use_errno=True)


def _ns_path(ns) -> str:
    return f"/run/netns/{getattr(ns, 'name', ns)}"


def in_netns(ns, fn):
    """Run fn() on a thread switched into namespace `ns`; return its result."""
    box = {}

    def body():
        try:
            fd = os.open(_ns_path(ns), os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({ns}): {os.strerror(err)}")
            finally:
                os.close(fd)
            box["result"] = fn()
        except BaseException as e:     # handed to the caller's thread
            box["error"] = e

    th = threading.Thread(target=body, name=f"netns-{ns}")
    th.start()
    th.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


# ---------------------------------------------------------------------------
# Plain UDP


def udp_socket(ns, family=socket.AF_INET, bind=None, ttl: int | None = 255) -> socket.socket:
    """A UDP socket inside `ns`, bound to `bind` (default: any address,
    ephemeral port).  ttl sets IP_TTL / IPV6_UNICAST_HOPS (senders use 255)."""
    def make():
        s = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if ttl is not None:
                if family == socket.AF_INET:
                    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
                else:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
            s.bind(bind or (("0.0.0.0", 0) if family == socket.AF_INET else ("::", 0)))
        except BaseException:
            s.close()
            raise
        return s
    return in_netns(ns, make)


def recv(sock: socket.socket, timeout: float, bufsize: int = 65535):
    """(data, address) of the next datagram, or None after `timeout` s."""
    r, _, _ = select.select([sock], [], [], timeout)
    if not r:
        return None
    return sock.recvfrom(bufsize)


def exchange(sock: socket.socket, payload: bytes, addr, timeout: float = 2.0,
             match=None) -> bytes | None:
    """Send `payload` to `addr` and return the first datagram from `addr`
    (and for which match(data) is true, if given) within `timeout`."""
    sock.sendto(payload, addr)
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        got = recv(sock, left)
        if got is None:
            return None
        data, src = got
        if _same_addr(src, addr) and (match is None or match(data)):
            return data


def _same_addr(a, b) -> bool:
    return ipaddress.ip_address(a[0]) == ipaddress.ip_address(b[0]) and a[1] == b[1]


# ---------------------------------------------------------------------------
# Raw frames


def udp_frame(src, dst, sport: int, dport: int, payload: bytes, v6: bool = False,
              ttl: int = 255, tos: int = 0, ip_options=None, vlan: int | None = None,
              qinq: int | None = None, udp_len: int | None = None, chksum: int | None = None):
    """An Ethernet/IP/UDP frame between two VethEnds (scapy packet).
    udp_len / chksum override the UDP header fields for malformed packets;
    vlan adds an 802.1Q tag, qinq an outer 802.1ad tag."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Dot1AD, Dot1Q, Ether

    eth = Ether(src=src.mac, dst=dst.mac)
    if qinq is not None:
        eth = eth / Dot1AD(vlan=qinq)
    if vlan is not None:
        eth = eth / Dot1Q(vlan=vlan)
    if v6:
        ip = IPv6(src=src.ip6, dst=dst.ip6, hlim=ttl, tc=tos)
    else:
        ip = IP(src=src.ip4, dst=dst.ip4, ttl=ttl, tos=tos, options=ip_options or [])
    udp = UDP(sport=sport, dport=dport)
    if udp_len is not None:
        udp.len = udp_len
    if chksum is not None:
        udp.chksum = chksum
    return eth / ip / udp / payload


def fragment(frame, size: int):
    """IPv4 fragments of an Ethernet[/VLAN]/IP frame, `size` octets of IP
    payload each (a multiple of 8), each with the frame's link headers."""
    from scapy.layers.inet import IP, fragment as ip_fragment

    link = frame.copy()
    link[IP].underlayer.remove_payload()
    return [link.copy() / f for f in ip_fragment(frame[IP].copy(), fragsize=size)]


class RawPort:
    """An AF_PACKET socket bound to a VethEnd's interface inside its namespace."""

    def __init__(self, end):
        self.end = end

        def make():
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            try:
                s.bind((end.ifname, 0))
                s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            except BaseException:
                s.close()
                raise
            return s
        self.sock = in_netns(end.ns, make)

    def send(self, frame) -> int:
        """Send one frame (scapy packet or bytes) as is."""
        return self.sock.send(bytes(frame))

    def send_all(self, frames):
        for f in frames:
            self.send(f)

    def recv(self, match=None, timeout: float = 2.0, outgoing: bool = False):
        """Next received frame (scapy Ether) for which match(frame) is true,
        or None after `timeout`.  Frames this port sent are skipped unless
        outgoing=True."""
        from scapy.layers.l2 import Ether

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            data, anc, _, addr = self.sock.recvmsg(65535, socket.CMSG_SPACE(32))
            if addr[2] == PACKET_OUTGOING and not outgoing:
                continue
            frame = Ether(_with_vlan_tag(data, anc))
            if match is None or match(frame):
                return frame

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _with_vlan_tag(data: bytes, ancillary) -> bytes:
    """Put back the VLAN tag the kernel took off into metadata (VLAN RX
    offload, reported in PACKET_AUXDATA), so frames read as they were sent."""
    for level, kind, aux in ancillary:
        if level != SOL_PACKET or kind != PACKET_AUXDATA or len(aux) < 20:
            continue
        status, _, _, _, _, tci, tpid = struct.unpack_from("=IIIHHHH", aux)
        if status & TP_STATUS_VLAN_VALID:
            if not status & TP_STATUS_VLAN_TPID_VALID:
                tpid = 0x8100
            return data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data


# ---------------------------------------------------------------------------
# TWAMP test packets


class TwampSender:
    """Builds a session's sender packets and checks the replies (twamp_ref).

    sec: twamp_ref.OPEN / AUTH / ENC; keys: twamp_ref.TestKeys (AUTH/ENC);
    padding: Padding Length, or bytes to use as the padding itself;
    errest: the sender's Error Estimate; clock: returns an NTP timestamp."""

    def __init__(self, sec=tr.OPEN, keys=None, padding=0, symmetrical=False,
                 errest=0x8001, clock=tr.ntp_now, reflect_len=0, stateful=False):
        self.sec, self.keys, self.symmetrical = sec, keys, symmetrical
        self.padding = bytes(padding)       # an int gives that many zero octets
        self.errest, self.clock = errest, clock
        self.reflect_len, self.stateful = reflect_len, stateful
        self.seq = 0
        self.layout = tr.sender_layout(sec, symmetrical)

    def build(self, seq: int, ts: int | None = None) -> tuple[bytes, bytes]:
        """(plaintext, wire) of the packet with Sequence Number `seq`."""
        plain = tr.build_sender(seq, self.clock() if ts is None else ts, self.errest,
                                self.padding, self.sec, self.symmetrical)
        return plain, tr.protect(plain, self.layout, self.keys)

    def next(self) -> tuple[bytes, bytes]:
        out = self.build(self.seq)
        self.seq += 1
        return out

    def check(self, plain: bytes, reply_wire: bytes, ttl: int | None = None) -> tr.ReplyCheck:
        """twamp_ref.check_reply with this session's parameters."""
        return tr.check_reply(plain, reply_wire, self.keys, self.sec, self.symmetrical,
                              ttl=ttl, stateful=self.stateful, reflect_len=self.reflect_len)
