"""System tests of twamp-controld with the real reflector: the control
server runs in namespace b next to the dataplane and is reached through
the dataplane's exception port (the TAP interface tw0 carries the data
port's addresses); the Control-Client (harness.twamp_ctl, an independent
implementation) and the Session-Sender run in namespace a.

Sessions in every mode are negotiated, seen installed in the dataplane
(telemetry /twamp/sessions), reflected (twamp_ref checks the replies octet
by octet), stopped (removed after their Timeout), removed when their
connection closes or controld stops, and flushed by a restarted controld."""

import signal
import socket
import time

import pytest

import twamp_ref as tr
from harness import netns
from harness.controld import Controld
from harness.pkt import exchange, udp_socket
from harness.reflector import ProcGroup, running_reflector
from harness.twamp_ctl import (AUTH, ENC, ISC, MIXED, REFLECT, SYMM, UNAUTH, TwampControl,
                               duration, mode_test_sec)

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

SUBNET = 6
KEYS = {"user1": b"correct horse battery staple", "user2": b"another shared secret"}
PORTS = {"test-port-min": 50000, "test-port-max": 50100}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("control")
    with running_reflector(tmp, SUBNET) as (net, r):
        procs = ProcGroup(tmp)
        d = Controld(tmp, r.sock, keys=KEYS, server=PORTS)
        try:
            d.start(procs, net.b)
            yield net, r, d, procs, tmp
            d.stop()
        finally:
            procs.stop_all()


def connect(net, v6=False, port=862):
    return TwampControl.connect(net.a, net.b_end.ip6 if v6 else net.b_end.ip4, port)


def installed(r) -> set:
    return set(r.telemetry("/twamp/sessions"))


def wait_gone(r, sids, timeout=10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not installed(r) & {s.hex() for s in sids}:
            return True
        time.sleep(0.05)
    return False


def ping(net, c, sid, sport, rport, n=3, v6=False, padding=b"", symmetrical=False, reflect_len=0):
    """n test packets of the session; the checked replies (None: no reply)."""
    sec, keys = mode_test_sec(c.mode), c.test_keys(sid)
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    s = udp_socket(net.a, fam, bind=(net.a_end.ip6 if v6 else net.a_end.ip4, sport))
    dst = (net.b_end.ip6 if v6 else net.b_end.ip4, rport)
    out = []
    try:
        for seq in range(n):
            plain = tr.build_sender(seq, tr.ntp_now(), 0x8001, padding, sec, symmetrical)
            reply = exchange(s, tr.protect(plain, tr.sender_layout(sec, symmetrical), keys), dst,
                             timeout=1.0)
            out.append(None if reply is None else
                       tr.check_reply(plain, reply, keys, sec, symmetrical, ttl=255,
                                      stateful=True, reflect_len=reflect_len))
    finally:
        s.close()
    return out


def conn_state(d, local_port):
    for c in d.connections():
        if int(c["client-tcp-port"]) == local_port:
            return c
    return None


@pytest.mark.parametrize("mode", [UNAUTH, AUTH, ENC, MIXED],
                         ids=["unauthenticated", "authenticated", "encrypted", "mixed"])
def test_session_in_each_mode(env, mode):
    net, r, d, _, _ = env
    before = d.stats()
    c = connect(net)
    sport = 41000 + mode
    try:
        g = c.greeting()
        assert g.modes == 0x7f and g.count == 1024
        assert c.setup(mode, b"user1", KEYS["user1"]) == 0
        a = c.request_session(sender_port=sport, receiver_port=50000 + mode, padding=32,
                              timeout=duration(0.3))
        assert a.accept == 0 and a.port == 50000 + mode
        assert a.sid[:4] == socket.inet_aton(net.b_end.ip4)
        assert a.sid.hex() in installed(r)
        assert ping(net, c, a.sid, sport, a.port, n=1) == [None]   # not started yet
        assert c.start_sessions() == 0
        checks = ping(net, c, a.sid, sport, a.port, n=3, padding=bytes(32))
        assert [x.seq for x in checks] == [0, 1, 2]
        # the operational state: the connection, its session, the dataplane's counters
        st = conn_state(d, c.local()[1])
        assert st["control-state"] == "test" and st["server-ip"] == net.b_end.ip4
        ts = st["test-session"][0]
        assert ts["sid"] == a.sid.hex() and int(ts["reflector-udp-port"]) == a.port
        assert ts["test-security"] == {tr.OPEN: "unauthenticated", tr.AUTH: "authenticated",
                                       tr.ENC: "encrypted"}[mode_test_sec(mode)]
        assert int(ts["received"]) >= 3 and ts["state"] == "active"
        c.stop_sessions(1)
        assert wait_gone(r, [a.sid]), "stopped session still installed after its Timeout"
        assert ping(net, c, a.sid, sport, a.port, n=1) == [None]
    finally:
        c.close()
    d.wait_log(rf"session accepted: peer={net.a_end.ip4}:\d+ accept=0 sid={a.sid.hex()}")
    d.wait_log(rf"session stopped: peer={net.a_end.ip4}:\d+ sid={a.sid.hex()} timeout=300ms")
    after = d.wait_stat("connections-closed", before["connections-closed"] + 1)
    assert after["sessions-accepted"] == before["sessions-accepted"] + 1
    assert after["sessions-started"] == before["sessions-started"] + 1
    assert after["sessions-stopped"] == before["sessions-stopped"] + 1
    key = "setup-unauthenticated" if mode == UNAUTH else "authentication-ok"
    assert after[key] == before[key] + 1


def test_close_removes_sessions(env):
    net, r, d, _, _ = env
    c = connect(net)
    c.greeting()
    assert c.setup(ENC, b"user2", KEYS["user2"]) == 0
    sids = [c.request_session(sender_port=42000 + i).sid for i in range(2)]
    assert {s.hex() for s in sids} <= installed(r)
    local = c.local()[1]
    c.close()
    assert wait_gone(r, sids), "sessions of a closed connection still installed"
    d.wait_log(rf"connection closed: peer={net.a_end.ip4}:{local} state=request "
               r"sessions-removed=2 reason=peer closed")


def test_ipv6_control_and_test(env):
    net, r, d, _, _ = env
    c = connect(net, v6=True)
    try:
        c.greeting()
        assert c.setup(ENC, b"user1", KEYS["user1"]) == 0
        a = c.request_session(ipvn=6, sender_port=43000, padding=16)
        assert a.accept == 0
        assert c.request_session(ipvn=4, sender_port=43001).accept == 3   # not this connection's
        assert c.start_sessions() == 0
        assert all(ping(net, c, a.sid, 43000, a.port, n=2, v6=True, padding=bytes(16)))
        st = conn_state(d, c.local()[1])
        assert st["client-ip"] == net.a_end.ip6 and st["server-ip"] == net.b_end.ip6
        assert st["test-session"][0]["reflector-ip"] == net.b_end.ip6
    finally:
        c.close()
    assert wait_gone(r, [a.sid])


def test_individual_session_control(env):
    net, r, d, _, _ = env
    c = connect(net)
    try:
        c.greeting()
        assert c.setup(AUTH | ISC, b"user1", KEYS["user1"]) == 0
        a1 = c.request_session(sender_port=44000, timeout=duration(0.2))
        a2 = c.request_session(sender_port=44001)
        assert c.start_n([a1.sid]) == (0, [a1.sid])
        assert ping(net, c, a1.sid, 44000, a1.port, n=1)[0] is not None
        assert ping(net, c, a2.sid, 44001, a2.port, n=1) == [None]        # not started
        assert c.start_n([bytes(16)]) == (1, [bytes(16)])                 # not ours
        a3 = c.request_session(sender_port=44002)                        # while testing
        assert a3.accept == 0
        assert c.stop_n([a1.sid]) == (0, [a1.sid])
        assert wait_gone(r, [a1.sid])
        assert {a2.sid.hex(), a3.sid.hex()} <= installed(r)
    finally:
        c.close()
    assert wait_gone(r, [a2.sid, a3.sid])
    d.wait_log(r"start-n sessions: peer=\S+ sessions=1 accept=1")


def test_reflect_octets_and_symmetrical(env):
    net, r, d, _, _ = env
    c = connect(net)
    try:
        c.greeting()
        assert c.setup(ENC | REFLECT | SYMM, b"user2", KEYS["user2"]) == 0
        a = c.request_session(sender_port=45000, padding=64, octets=0x1234, pad_reflect=4)
        assert (a.accept, a.reflected_octets, a.server_octets) == (0, 0x1234, 0)
        assert c.start_sessions() == 0
        checks = ping(net, c, a.sid, 45000, a.port, n=2, symmetrical=True,
                      padding=b"\xaa\xbb\xcc\xdd" + bytes(60), reflect_len=4)
        assert all(checks)
        assert checks[0].plain[112:116] == b"\xaa\xbb\xcc\xdd"
        st = conn_state(d, c.local()[1])["test-session"][0]
        assert st["symmetrical-size"] is True and int(st["reflect-length"]) == 4
    finally:
        c.close()
    assert wait_gone(r, [a.sid])


def _instance(env, name, port, **kw):
    net, r, _, procs, tmp = env
    d = Controld(tmp, kw.pop("session_socket", r.sock), keys=KEYS,
                 server={**PORTS, "server-tcp-port": port, **kw.pop("server", {})}, name=name, **kw)
    d.start(procs, net.b)
    return d


def test_sigterm_removes_sessions(env):
    net, r, _, _, _ = env
    d2 = _instance(env, "controld-term", 8621)
    c = connect(net, port=8621)
    c.greeting()
    assert c.setup(UNAUTH) == 0
    a = c.request_session(sender_port=46000)
    assert a.sid.hex() in installed(r)
    d2.stop()                                          # SIGTERM, exit 0
    assert a.sid.hex() not in installed(r)
    assert "signal 15: shutting down" in d2.log()
    assert c.closed()
    c.close()


def test_restart_flushes_dataplane(env):
    net, r, _, _, _ = env
    d2 = _instance(env, "controld-kill", 8622)
    c = connect(net, port=8622)
    c.greeting()
    assert c.setup(UNAUTH) == 0
    a = c.request_session(sender_port=47000)
    d2.proc.signal(signal.SIGKILL)                    # no chance to clean up
    d2.proc.wait(timeout=10)
    c.close()
    assert a.sid.hex() in installed(r)                 # left behind
    d3 = _instance(env, "controld-restarted", 8622)
    d3.wait_log(r"dataplane at \S+: flushed")
    assert a.sid.hex() not in installed(r)
    d3.stop()


def test_dataplane_unreachable(env):
    net, r, _, _, tmp = env
    d2 = _instance(env, "controld-nodp", 8623, session_socket=tmp / "no-dataplane.sock")
    c = connect(net, port=8623)
    try:
        c.greeting()
        assert c.setup(AUTH, b"user1", KEYS["user1"]) == 0
        assert c.request_session(sender_port=48000).accept == 2
        assert c.request_session(sender_port=48001).accept == 2   # still served
    finally:
        c.close()
    d2.wait_log(r"session refused: peer=\S+ accept=2: dataplane unreachable")
    st = d2.state()
    assert st["server"]["dataplane-reachable"] is False
    assert int(st["server"]["statistics"]["dataplane-unreachable"]) >= 2
    d2.stop()


def test_servwait_closes_idle_connection(env):
    net, r, _, _, _ = env
    d2 = _instance(env, "controld-servwait", 8624, server={"servwait": 1})
    c = connect(net, port=8624)
    c.greeting()
    assert c.setup(UNAUTH) == 0
    assert c.closed(timeout=15.0)
    c.close()
    d2.wait_log(r"closing connection: peer=\S+ state=request: idle for SERVWAIT")
    assert d2.stats()["servwait-closed"] == 1
    d2.stop()
