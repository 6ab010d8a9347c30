"""System tests: the real twamp-reflector (DPDK, af_packet) reflecting TWAMP
Light in every mode, checked octet by octet with the independent Python
reference (twamp_ref). One reflector serves the whole module, with one Light
reflector per case on its own UDP port."""

import secrets
import socket

import pytest

import twamp_ref as tr
from harness import netns
from harness.pkt import exchange, udp_socket
from harness.proc import Proc
from harness.reflector import running_reflector

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

KEY = secrets.token_bytes(48)
KEYS = tr.TestKeys(KEY[:16], KEY[16:])

LIGHT = [
    {"name": "open", "udp-port": 862},
    {"name": "auth", "udp-port": 863, "mode": "authenticated", "key-id": "k1"},
    {"name": "enc", "udp-port": 864, "mode": "encrypted", "key-id": "k1"},
    {"name": "stateful", "udp-port": 865, "state": "stateful"},
    {"name": "sym-auth", "udp-port": 866, "mode": "authenticated", "key-id": "k1",
     "symmetrical-size": True},
    {"name": "dscp-set", "udp-port": 867, "dscp": 46},
    {"name": "restricted", "udp-port": 868, "allowed-sender": ["10.99.7.0/24"]},
    {"name": "sym-enc", "udp-port": 869, "mode": "encrypted", "key-id": "k1",
     "symmetrical-size": True},
    {"name": "stateful-auth", "udp-port": 870, "mode": "authenticated", "key-id": "k1",
     "state": "stateful"},
]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    with running_reflector(tmp_path_factory.mktemp("light"), 1, light=LIGHT,
                           keys={"k1": KEY}, dataplane={"stage-cycles": True}) as (net, r):
        yield net, r


def run_session(net, port, sec, n=20, padding=0, symmetrical=False, stateful=False,
                keys=None, v6=False, tos=None, sport=0):
    """Send n packets from a kernel socket in namespace a (source port sport,
    or an ephemeral one), check every reply. Returns the list of ReplyCheck."""
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    dst = (net.b_end.ip6 if v6 else net.b_end.ip4, port)
    s = udp_socket(net.a, fam, bind=(("::" if v6 else "0.0.0.0"), sport) if sport else None)
    if tos is not None:
        if v6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, tos)
        else:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
    out = []
    try:
        for seq in range(n):
            pad = bytes((i * 7 + seq) & 0xFF for i in range(padding))
            plain = tr.build_sender(seq, tr.ntp_now(), 0x8001, pad, sec, symmetrical)
            wire = tr.protect(plain, tr.sender_layout(sec, symmetrical), keys)
            reply = exchange(s, wire, dst, timeout=2.0)
            assert reply is not None, f"no reply to seq {seq} on port {port}"
            out.append(tr.check_reply(plain, reply, keys, sec, symmetrical, ttl=255,
                                      stateful=stateful))
    finally:
        s.close()
    return out


def assert_times_sane(checks):
    for c in checks:
        assert c.rx_ts <= c.ts, "transmit timestamp before receive timestamp"
        residence = tr.ntp_diff_ns(c.ts, c.rx_ts)
        assert 0 <= residence < 1_000_000_000
        now = tr.ntp_now()
        assert abs(tr.ntp_diff_ns(now, c.ts)) < 60 * 1_000_000_000, "reflector clock far off"


@pytest.mark.parametrize("padding", [0, 27, 64, 1000])
def test_open_ipv4(env, padding):
    net, r = env
    checks = run_session(net, 862, tr.OPEN, padding=padding)
    assert [c.seq for c in checks] == list(range(20))     # stateless: sender's seq
    assert_times_sane(checks)


def test_open_ipv6(env):
    net, r = env
    checks = run_session(net, 862, tr.OPEN, padding=30, v6=True)
    assert_times_sane(checks)


@pytest.mark.parametrize("v6", [False, True])
@pytest.mark.parametrize("port,sec", [(863, tr.AUTH), (864, tr.ENC)])
def test_authenticated_and_encrypted(env, port, sec, v6):
    net, r = env
    checks = run_session(net, port, sec, padding=64, keys=KEYS, v6=v6)
    assert_times_sane(checks)


@pytest.mark.parametrize("port,sec", [(866, tr.AUTH), (869, tr.ENC)])
def test_symmetrical(env, port, sec):
    net, r = env
    checks = run_session(net, port, sec, padding=16, keys=KEYS, symmetrical=True)
    assert_times_sane(checks)


# Tests that expect a stateful reflector's exact numbers send from source
# ports of their own: the reflector keeps a sender's counter for REFWAIT, and
# an ephemeral port may repeat one an earlier flow had.
def test_stateful_counts_per_sender(env):
    net, r = env
    # the sender starts at 100: a stateful reflector counts on its own from 0
    s = udp_socket(net.a, bind=("0.0.0.0", 47001))
    try:
        got = []
        for seq in range(100, 110):
            plain = tr.build_sender(seq, tr.ntp_now(), 0x8001, b"", tr.OPEN)
            reply = exchange(s, plain, (net.b_end.ip4, 865), timeout=2.0)
            assert reply is not None
            got.append(tr.check_reply(plain, reply, None, tr.OPEN, stateful=True, ttl=255).seq)
        assert got == list(range(10))
    finally:
        s.close()
    # another sender (another source port) has its own counter
    checks = run_session(net, 865, tr.OPEN, n=3, stateful=True, sport=47002)
    assert [c.seq for c in checks] == [0, 1, 2]


def test_stateful_authenticated(env):
    net, r = env
    checks = run_session(net, 870, tr.AUTH, n=5, keys=KEYS, stateful=True, sport=47003)
    assert [c.seq for c in checks] == list(range(5))


def test_dscp_reflected_and_set(env):
    net, r = env
    for port, tos_in, want in ((862, 0x28, 0x28), (867, 0x28, 46 << 2)):
        s = udp_socket(net.a)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos_in)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
        try:
            plain = tr.build_sender(1, tr.ntp_now(), 0x8001, b"", tr.OPEN)
            s.sendto(plain, (net.b_end.ip4, port))
            s.settimeout(2.0)
            data, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(4))
            tos = [c[2][0] for c in anc if c[1] == socket.IP_TOS]
            assert tos and tos[0] & 0xFC == want, f"port {port}: TOS {tos}"
        finally:
            s.close()


def test_fast_lane_takes_the_common_shape(env):
    """Requests at least as long as the reply, IPv4 and IPv6, in every mode,
    take the pipeline's plain copy (pipeline.c); the replies were checked octet by octet
    above and again here. Requests shorter than the reply go the general
    way. (Tagged frames: test_reflector_robustness.py.)"""
    net, r = env
    cases = [(dict(port=862, sec=tr.OPEN, padding=27), 5),       # 41 octets: the reply's length
             (dict(port=863, sec=tr.AUTH, padding=64, keys=KEYS), 5),
             (dict(port=870, sec=tr.AUTH, padding=64, keys=KEYS, stateful=True), 5),
             (dict(port=862, sec=tr.OPEN, padding=26), 0),       # one octet short of the reply
             (dict(port=862, sec=tr.OPEN, padding=30, v6=True), 5),
             (dict(port=863, sec=tr.AUTH, padding=64, keys=KEYS, v6=True), 5),
             (dict(port=870, sec=tr.AUTH, padding=64, keys=KEYS, stateful=True, v6=True), 5),
             (dict(port=862, sec=tr.OPEN, padding=26, v6=True), 0),
             (dict(port=864, sec=tr.ENC, padding=64, keys=KEYS), 5)]
    for kw, want in cases:
        before = r.stats()
        port, sec = kw.pop("port"), kw.pop("sec")
        checks = run_session(net, port, sec, n=5, **kw)
        assert len(checks) == 5
        after = r.stats()
        assert after["fast_lane"] - before["fast_lane"] == want, (port, sec, kw)
        assert after["reflected"] - before["reflected"] == 5


STAGES = ("rx", "take", "auth", "build", "stamp", "tx", "general")


def stage_cycles(r) -> dict:
    w = r.telemetry("/twamp/workers")["0"]
    return {s: w[f"stage_{s}_cycles"] for s in STAGES} | {"busy": w["busy_cycles"]}


def test_stage_cycles_follow_the_path(env):
    """dataplane/stage-cycles: authenticated and encrypted requests in the
    plain copy move the receive and every one of its stages; requests one octet
    shorter than their reply (open, here) move the general path's and none
    of the lane's passes after take (frames that are not test packets, such
    as ARP, may move take and general at any time). The stages never add up
    to more than the busy cycles."""
    net, r = env
    lane = {"rx", "take", "auth", "build", "stamp", "tx"}
    cases = [(dict(port=863, sec=tr.AUTH, padding=64, keys=KEYS), lane, set()),
             (dict(port=864, sec=tr.ENC, padding=64, keys=KEYS), lane, set()),
             (dict(port=862, sec=tr.OPEN, padding=26),
              {"rx", "take", "general"}, {"auth", "build", "stamp", "tx"})]
    for kw, moved, still in cases:
        before = stage_cycles(r)
        port, sec = kw.pop("port"), kw.pop("sec")
        run_session(net, port, sec, n=5, **kw)
        after = stage_cycles(r)
        d = {k: after[k] - before[k] for k in after}
        assert all(d[s] > 0 for s in moved), (port, d)
        assert all(d[s] == 0 for s in still), (port, d)
        assert sum(after[s] for s in STAGES) <= after["busy"], after


def test_restricted_sender_refused_and_counted(env):
    net, r = env
    before = r.stats()["unknown_sender"]
    s = udp_socket(net.a)
    try:
        plain = tr.build_sender(0, tr.ntp_now(), 0x8001, b"", tr.OPEN)
        assert exchange(s, plain, (net.b_end.ip4, 868), timeout=0.5) is None
    finally:
        s.close()
    assert r.wait_stat("unknown_sender", before + 1)["unknown_sender"] == before + 1


def test_wrong_key_dropped_and_counted(env):
    net, r = env
    before = r.stats()["auth_failures"]
    wrong = tr.TestKeys(bytes(16), bytes(32))
    s = udp_socket(net.a)
    try:
        plain = tr.build_sender(0, tr.ntp_now(), 0x8001, b"", tr.AUTH)
        wire = tr.protect(plain, tr.sender_layout(tr.AUTH), wrong)
        assert exchange(s, wire, (net.b_end.ip4, 863), timeout=0.5) is None
    finally:
        s.close()
    assert r.wait_stat("auth_failures", before + 1)["auth_failures"] == before + 1


def test_too_short_for_mode_dropped_and_counted(env):
    net, r = env
    before = r.stats()["malformed"]
    s = udp_socket(net.a)
    try:
        # 14 octets are a whole open packet, but too short for authenticated mode
        plain = tr.build_sender(0, tr.ntp_now(), 0x8001, b"", tr.OPEN)
        assert exchange(s, plain, (net.b_end.ip4, 863), timeout=0.5) is None
        assert exchange(s, plain[:10], (net.b_end.ip4, 862), timeout=0.5) is None
    finally:
        s.close()
    assert r.wait_stat("malformed", before + 2)["malformed"] >= before + 2


def test_exception_path_icmp_and_tcp(env):
    """Everything that is not a test packet reaches the kernel behind the TAP."""
    net, r = env
    res = net.a.run("ping", "-c", "2", "-W", "2", net.b_end.ip4, check=False)
    assert res.returncode == 0
    res = net.a.run("ping", "-6", "-c", "2", "-W", "2", net.b_end.ip6, check=False)
    assert res.returncode == 0
    # TCP to a listener in the reflector's namespace, through the TAP
    srv = Proc(["/usr/bin/python3", "-c",
                "import socket;s=socket.create_server(('0.0.0.0',8862));c,_=s.accept();"
                "c.sendall(b'hello-over-tap');c.close()"], ns=net.b, logdir=r.tmp, name="tcpsrv")
    srv.start()
    try:
        srv.wait_for_port(8862, "tcp", timeout=5)
        res = net.a.run("/usr/bin/python3", "-c",
                        f"import socket;c=socket.create_connection(('{net.b_end.ip4}',8862),timeout=5);"
                        "print(c.recv(100).decode())", check=False)
        assert res.stdout.strip() == "hello-over-tap"
    finally:
        srv.stop()
    st = r.stats()
    assert st["exception_to_kernel"] > 0 and st["exception_from_kernel"] > 0


def test_udp_to_closed_port_goes_to_kernel(env):
    """A UDP port that is no test port is the kernel's: it answers ICMP
    port unreachable, which the sender sees as ECONNREFUSED."""
    net, r = env
    s = udp_socket(net.a)
    try:
        s.connect((net.b_end.ip4, 9999))
        s.send(b"x" * 20)
        s.settimeout(2.0)
        with pytest.raises(ConnectionRefusedError):
            s.recv(100)
    finally:
        s.close()


def test_dpdk_telemetry_script_shows_counters(env):
    net, r = env
    import json
    import subprocess
    out = subprocess.run(["/usr/bin/dpdk-telemetry.py", "-f", r.prefix], input="/twamp/stats\n",
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    body = out.stdout[out.stdout.index('{"/twamp/stats"'):]
    stats = json.loads(body[:body.index("}}") + 2])["/twamp/stats"]
    for k in ("rx_packets", "reflected", "auth_failures", "malformed", "no_session",
              "exception_to_kernel"):
        assert k in stats
    assert stats["reflected"] > 0
    light = r.telemetry("/twamp/light")
    assert light["auth"]["mode"] == "authenticated" and light["auth"]["udp_port"] == 863
    workers = r.telemetry("/twamp/workers")
    assert workers["0"]["busy_packets"] > 0
    # every busy burst held at least one packet
    assert 0 < workers["0"]["busy_bursts"] <= workers["0"]["busy_packets"], workers["0"]


def test_reflector_survived(env):
    """Runs last in this module: after everything above, still reflecting."""
    net, r = env
    assert r.proc.alive()
    run_session(net, 863, tr.AUTH, n=3, keys=KEYS)
