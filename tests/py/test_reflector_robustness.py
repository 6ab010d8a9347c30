"""Hostile and unusual frames at the reflector's data port: each is counted
where it belongs, none crashes anything, and test packets keep being
reflected. Frames are built with scapy and sent raw on the sender's veth."""

import random

import pytest
from scapy.layers.inet import ICMP, IP, UDP, IPOption_RR, fragment
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop
from scapy.layers.l2 import Dot1Q, Ether

import twamp_ref as tr
from harness import netns
from harness.pkt import RawPort, exchange, udp_socket
from harness.reflector import running_reflector

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

KEY = bytes(range(48))
KEYS = tr.TestKeys(KEY[:16], KEY[16:])


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    light = [{"name": "open", "udp-port": 862},
             {"name": "auth", "udp-port": 863, "mode": "authenticated", "key-id": "k"}]
    with running_reflector(tmp_path_factory.mktemp("robust"), 3, light=light,
                           keys={"k": KEY}) as (net, r):
        with RawPort(net.a_end) as port:
            yield net, r, port


def eth(net):
    return Ether(src=net.a_end.mac, dst=net.b_end.mac)


def sender_payload():
    return tr.build_sender(1, tr.ntp_now(), 0x8001, bytes(20), tr.OPEN)


def udp4(net, payload, dport=862, sport=50000, **ip):
    return eth(net) / IP(src=net.a_end.ip4, dst=net.b_end.ip4, ttl=64, **ip) / \
        UDP(sport=sport, dport=dport) / payload


def reply_to(net, sport):
    def match(f):   # a reflected UDP packet, not an ICMP error quoting one
        return ICMP not in f and UDP in f and f[UDP].sport in (862, 863) and f[UDP].dport == sport
    return match


def delta(r, before, name):
    return r.stats()[name] - before[name]


def still_reflects(net):
    s = udp_socket(net.a)
    try:
        plain = sender_payload()
        reply = exchange(s, plain, (net.b_end.ip4, 862), timeout=2.0)
        assert reply is not None
        tr.check_reply(plain, reply, None, tr.OPEN, ttl=255)
    finally:
        s.close()


def test_raw_frame_is_reflected_with_ttl(env):
    net, r, port = env
    payload = sender_payload()
    port.send(udp4(net, payload, sport=50001))
    f = port.recv(reply_to(net, 50001), timeout=2.0)
    assert f is not None
    chk = tr.check_reply(payload, bytes(f[UDP].payload), None, tr.OPEN, ttl=64)
    assert chk.sender_ttl == 64
    assert f[IP].ttl == 255 and f[IP].src == net.b_end.ip4 and f[Ether].dst == net.a_end.mac


# 802.1Q and double 802.1Q. An 802.1ad (0x88a8) outer tag is parsed too (unit
# tests), but DPDK's af_packet PMD re-inserts the tag the kernel stripped with
# TPID 0x8100, so on this port the reply's outer TPID would change.
@pytest.mark.parametrize("tags,sec,short", [([100], tr.OPEN, False), ([100], tr.AUTH, False),
                                            ([200, 300], tr.OPEN, False), ([200, 300], tr.AUTH, False),
                                            ([100], tr.OPEN, True), ([200, 300], tr.OPEN, True)])
def test_vlan_and_qinq_tags_kept(env, tags, sec, short):
    """The reply keeps the request's tags and is checked octet by octet.
    Requests as long as their replies take the plain copy (pipeline.c) with one
    tag or two; one octet shorter, the general copy."""
    net, r, port = env
    sport = 50010 + len(tags) * 4 + (sec == tr.AUTH) * 2 + short
    padding = (64 if sec == tr.AUTH else 27) - short
    plain = tr.build_sender(1, tr.ntp_now(), 0x8001, bytes(padding), sec)
    keys = KEYS if sec == tr.AUTH else None
    wire = tr.protect(plain, tr.sender_layout(sec), keys) if keys else plain
    frame = eth(net)
    for t in tags:
        frame = frame / Dot1Q(vlan=t)
    frame = frame / IP(src=net.a_end.ip4, dst=net.b_end.ip4, ttl=64) / \
        UDP(sport=sport, dport=863 if keys else 862) / wire
    before = r.stats()
    port.send(frame)
    f = port.recv(reply_to(net, sport), timeout=2.0)
    assert f is not None
    got, layer = [], f
    while layer.haslayer(Dot1Q):
        layer = layer[Dot1Q]
        got.append(layer.vlan)
        layer = layer.payload
    assert got == tags
    tr.check_reply(plain, bytes(f[UDP].payload), keys, sec, ttl=64)
    assert delta(r, before, "fast_lane") == (0 if short else 1)
    assert delta(r, before, "reflected") == 1


def test_truncated_and_malformed_frames_counted(env):
    net, r, port = env
    before = r.stats()
    good = bytes(udp4(net, sender_payload(), sport=50003))
    frames = [good[:n] for n in (14, 20, 33, 38, 41)]          # cut in every header
    bad_len = bytearray(good)
    bad_len[16:18] = (len(good)).to_bytes(2, "big")             # IP length past the frame
    frames.append(bytes(bad_len))
    bad_hl = bytearray(good)
    bad_hl[14] = 0x44                                           # IHL 4
    frames.append(bytes(bad_hl))
    bad_udp_len = bytearray(good)
    bad_udp_len[14 + 24:14 + 26] = b"\x00\x04"                  # UDP length 4
    frames.append(bytes(bad_udp_len))
    port.send_all(frames)
    st = r.wait_stat("malformed", before["malformed"] + len(frames))
    assert st["malformed"] - before["malformed"] == len(frames)
    assert port.recv(reply_to(net, 50003), timeout=0.3) is None
    still_reflects(net)


def test_short_test_packet_counted(env):
    net, r, port = env
    before = r.stats()
    port.send(udp4(net, sender_payload()[:13], sport=50004))
    assert r.wait_stat("malformed", before["malformed"] + 1)["malformed"] == before["malformed"] + 1


def test_bad_udp_checksum_dropped(env):
    net, r, port = env
    before = r.stats()
    frame = udp4(net, sender_payload(), sport=50005)
    frame[UDP].chksum = 0x1234
    port.send(frame)
    assert port.recv(reply_to(net, 50005), timeout=0.5) is None
    assert delta(r, before, "bad_checksum") == 1


def test_ip_options_go_to_kernel(env):
    net, r, port = env
    before = r.stats()
    port.send(udp4(net, sender_payload(), sport=50006, options=[IPOption_RR()]))
    assert port.recv(reply_to(net, 50006), timeout=0.5) is None
    # >= : the sender's kernel sends MLD reports with a Hop-by-Hop header too
    assert delta(r, before, "ip_options") >= 1
    assert delta(r, before, "reflected") == 0


def test_ipv6_extension_header_goes_to_kernel(env):
    net, r, port = env
    before = r.stats()
    frame = eth(net) / IPv6(src=net.a_end.ip6, dst=net.b_end.ip6) / IPv6ExtHdrHopByHop() / \
        UDP(sport=50007, dport=862) / sender_payload()
    port.send(frame)
    assert port.recv(reply_to(net, 50007), timeout=0.5) is None
    assert delta(r, before, "ip_options") >= 1
    assert delta(r, before, "reflected") == 0


def test_fragments_reassembled_by_af_packet(env):
    """DPDK's af_packet PMD joins a PACKET_FANOUT group with the DEFRAG flag,
    so the kernel reassembles IP fragments before the dataplane sees them: a
    fragmented test packet is reflected whole. (On NIC, memif and TAP ports
    the dataplane sees fragments and passes them to the exception path; the
    parser's unit tests cover that classification.)"""
    net, r, port = env
    before = r.stats()
    plain = tr.build_sender(1, tr.ntp_now(), 0x8001, bytes(600), tr.OPEN)
    frags = fragment(udp4(net, plain, sport=50008)[IP], fragsize=256)
    assert len(frags) == 3
    port.send_all([eth(net) / f for f in frags])
    f = port.recv(reply_to(net, 50008), timeout=2.0)
    assert f is not None
    tr.check_reply(plain, bytes(f[UDP].payload), None, tr.OPEN, ttl=64)
    assert delta(r, before, "fragments") == 0


def test_unicast_for_another_mac_dropped(env):
    net, r, port = env
    before = r.stats()
    frame = udp4(net, sender_payload(), sport=50009)
    frame[Ether].dst = "02:00:00:00:00:99"
    port.send(frame)
    assert port.recv(reply_to(net, 50009), timeout=0.5) is None
    assert delta(r, before, "not_for_us") == 1


def test_bad_hmac_and_oversized_padding(env):
    net, r, port = env
    before = r.stats()
    plain = tr.build_sender(3, tr.ntp_now(), 0x8001, bytes(1400), tr.AUTH)
    wire = bytearray(tr.protect(plain, tr.sender_layout(tr.AUTH), KEYS))
    good = bytes(wire)
    wire[40] ^= 1                                              # HMAC
    port.send(udp4(net, bytes(wire), dport=863, sport=50010))
    assert port.recv(reply_to(net, 50010), timeout=0.5) is None
    assert delta(r, before, "auth_failures") == 1
    port.send(udp4(net, good, dport=863, sport=50011))          # 1448-octet payload: reflected
    f = port.recv(reply_to(net, 50011), timeout=2.0)
    assert f is not None
    tr.check_reply(plain, bytes(f[UDP].payload), KEYS, tr.AUTH, ttl=64)


def test_random_garbage_never_crashes(env):
    net, r, port = env
    rng = random.Random(1234)
    dst = bytes.fromhex(net.b_end.mac.replace(":", ""))
    src = bytes.fromhex(net.a_end.mac.replace(":", ""))
    good = bytes(udp4(net, sender_payload(), sport=50012))
    frames = []
    for i in range(3000):
        if i % 3 == 0:   # a valid frame with random octets flipped
            b = bytearray(good)
            for _ in range(rng.randint(1, 6)):
                b[rng.randrange(14, len(b))] = rng.randrange(256)
            frames.append(bytes(b))
        else:            # random ethertype and bytes
            n = rng.randint(0, 300)
            frames.append(dst + src + rng.choice([b"\x08\x00", b"\x86\xdd", b"\x81\x00", b"\x88\xb5"]) +
                          rng.randbytes(n))
    port.send_all(frames)
    r.wait_stat("rx_packets", r.stats()["rx_packets"] + 1)
    assert r.proc.alive()
    still_reflects(net)
