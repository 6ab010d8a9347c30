"""System tests of twamp-controld's pre-authentication limits against
hosts that try to deny the service without a credential (control/README.md,
Security baseline), with a good client that must be served all along.

twamp-controld runs in namespace b on a stand-in for the dataplane's
session API (harness.fake_dataplane: sessions are installed and started,
nothing is reflected); the clients run in namespace a from many source
addresses of the veth's subnets:

  10.99.17.1         the good client (authenticated set-ups)
  10.99.17.10-249    attackers and hogs
  fd00:99:17::1:0/112  rotating IPv6 sources, all in one /64
  fd00:99:117::1     an IPv6 client in another /64

  (a) pending abuse: two addresses hold max-pending-authentication silent
      connections, closing and reconnecting every 2 s: both get blocked
      (their closes count as abandoned authentications), every good set-up
      succeeds (the oldest pending connection gives way to it);
  (b) open-mode hog: 64 unauthenticated connections from 8 addresses that
      run no session: the good client gets in every time (the idlest is
      evicted), the hogs are closed after open-idle-timeout, and a
      connection with started sessions is never evicted;
  (c) slowloris: 300 silent connections from rotating addresses: every
      good set-up succeeds;
  (d) rotating IPv6 sources in one /64 are limited and blocked together.
Each checks the counters and the log lines."""

import select
import socket
import time
from pathlib import Path

import pytest

from harness import netns
from harness.controld import Controld
from harness.fake_dataplane import ACTIVE, FakeDataplane
from harness.pkt import in_netns
from harness.reflector import ProcGroup
from harness.twamp_ctl import AUTH, UNAUTH, ControlClosed, TwampControl

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

SUBNET = 17
KEYS = {"user1": b"correct horse battery staple"}
GOOD = f"10.99.{SUBNET}.1"
HOSTS = [f"10.99.{SUBNET}.{h}" for h in range(10, 250)]
V6_HOSTS = [f"fd00:99:{SUBNET:x}::1:{h:x}" for h in range(1, 33)]
V6_OTHER = f"fd00:99:1{SUBNET:02x}::1"          # another /64
V6_OTHER_SERVER = f"fd00:99:1{SUBNET:02x}::2"


class Env:
    def __init__(self, net, tmp, dp, procs):
        self.net, self.tmp, self.dp, self.procs = net, tmp, dp, procs
        self.d = None
        self.n = 0

    @property
    def server(self):
        return self.net.b_end.ip4

    def start(self, server=None, security=None):
        """A fresh twamp-controld (fresh counters) with these settings."""
        self.stop()
        self.n += 1
        self.d = Controld(self.tmp, self.dp.path, keys=KEYS, server=server or {},
                          security=security or {}, name=f"controld-guard{self.n}")
        self.d.start(self.procs, self.net.b)
        return self.d

    def stop(self):
        if self.d is not None and self.d.proc is not None and self.d.proc.returncode is None:
            self.d.stop()
        self.d = None

    def connect(self, src=GOOD, host=None) -> TwampControl:
        return TwampControl.connect(self.net.a, host or self.server, 862, src=src)

    def silent(self, srcs, host=None) -> list:
        """Connections that say nothing, one per source, made in one go."""
        host = host or self.server
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET

        def make():
            out = []
            for src in srcs:
                s = socket.socket(fam, socket.SOCK_STREAM)
                s.settimeout(5.0)
                s.bind((src, 0))
                s.connect((host, 862))
                out.append(s)
            return out
        return in_netns(self.net.a, make)

    def good_setup(self, src=GOOD, host=None) -> int:
        """One authenticated set-up of the good client: its Accept, or -1 when
        the connection was closed before the Server-Start."""
        try:
            c = self.connect(src, host)
        except OSError:
            return -1
        try:
            c.greeting()
            return c.setup(AUTH, b"user1", KEYS["user1"])
        except (ControlClosed, OSError):
            return -1
        finally:
            c.close()


def _batch(ns, lines, tmp):
    """Many `ip` commands in the namespace in one run."""
    p = Path(tmp) / f"{ns.name}.batch"
    p.write_text("".join(f"{line}\n" for line in lines))
    try:
        netns._ip("-n", ns.name, "-batch", str(p))
    finally:
        p.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("control-guard")
    with netns.NetnsPair(subnet=SUBNET) as net:
        dev_a, dev_b = net.a_end.ifname, net.b_end.ifname
        _batch(net.a, [f"addr add {h}/24 dev {dev_a}" for h in HOSTS] +
               [f"addr add {h}/64 dev {dev_a} nodad" for h in V6_HOSTS] +
               [f"addr add {V6_OTHER}/64 dev {dev_a} nodad"], tmp)
        net.b.ip("addr", "add", f"{V6_OTHER_SERVER}/64", "dev", dev_b, "nodad")
        procs = ProcGroup(tmp)
        dp = FakeDataplane(tmp / "session.sock").start()
        e = Env(net, tmp, dp, procs)
        try:
            yield e
            e.stop()
        finally:
            procs.stop_all()
            dp.stop()


def wait_for(pred, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def pending(d) -> int:
    return sum(1 for c in d.connections() if c["control-state"] == "setup")


def readable(socks, timeout=1.0) -> list:
    """Those of socks the server has closed (or sent something on)."""
    r, _, _ = select.select(socks, [], [], timeout)
    return r


def close_all(socks):
    for s in socks:
        s.close()


def closed_by_server(sock, timeout=5.0) -> bool:
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def blocked_list(d) -> dict:
    return {b["blocked-ip"]: int(b["prefix-length"])
            for b in d.state()["security-baseline"].get("ip-block-list", [])}


# ---- (a) pending abuse --------------------------------------------------------

def test_pending_abuse_blocked_good_client_served(env):
    """Two addresses hold max-pending-authentication (2 x 8) silent
    connections, close them all every 2 s and reconnect at once."""
    d = env.start(server={"max-pending-authentication": 16})
    a1, a2 = HOSTS[0], HOSTS[1]
    results = []
    held = []
    for rnd in range(4):
        held = env.silent([a1] * 8 + [a2] * 8)
        if not results:                                  # the first round: all held
            wait_for(lambda: pending(d) == 16, "16 pending connections")
        t_end = time.monotonic() + 2.0
        while time.monotonic() < t_end:
            results.append(env.good_setup())
            time.sleep(0.1)
        close_all(held)
        if rnd == 0:                                     # 15 or 16 closes: both blocked
            d.wait_stat("addresses-blocked", 2)
    assert results and all(r == 0 for r in results), results
    # (closed with the greeting unread: the peer's kernel resets the connection)
    d.wait_log(rf"authentication abandoned: peer={a1}:\d+ state=setup: (peer closed the "
               r"connection|connection reset) before Server-Start")
    d.wait_log(rf"address blocked: {a1} after 5 failed authentications within 60s, for 300s")
    d.wait_log(rf"address blocked: {a2} after 5 failed authentications within 60s, for 300s")
    d.wait_log(rf"connection evicted: peer=10\.99\.{SUBNET}\.1[01]:\d+ state=setup idle=\d+s: "
               rf"max-pending-authentication reached: room made for peer={GOOD}:\d+")
    d.wait_log(rf"connection refused: peer={a1}:\d+: source address blocked")
    st = d.wait_stat("refused-blocked", 48)
    assert st["addresses-blocked"] == 2
    assert st["authentication-abandoned"] >= 10
    assert st["evicted-pending"] >= 1
    assert st["refused-blocked"] >= 48                   # rounds 2-4: every connection
    assert st["authentication-ok"] == len(results)
    assert st["refused-pending-authentication"] == 0
    assert blocked_list(d) == {a1: 32, a2: 32}
    # the good client is not blocked and still served
    assert env.good_setup() == 0


def test_peer_close_counts_as_failure(env):
    """Every way of leaving a set-up counts toward ip-block: closing before
    and in the middle of the Set-Up-Response, Mode 0, a Mode not offered."""
    d = env.start(security={"ip-block": {"failed-times": 4}})
    src = HOSTS[2]
    c = env.connect(src)                                 # closes at once
    c.close()
    c = env.connect(src)                                 # closes after the greeting
    c.greeting()
    c.close()
    c = env.connect(src)                                 # half a Set-Up-Response
    c.greeting()
    c.send_raw(c.setup_response(AUTH, b"user1", KEYS["user1"])[:60])
    c.close()
    d.wait_stat("authentication-abandoned", 3)
    c = env.connect(src)                                 # Mode 0: declines
    c.greeting()
    c.send_raw(bytes(4))
    assert c.closed()
    c.close()
    d.wait_log(rf"address blocked: {src} after 4 failed authentications within 60s")
    st = d.stats()
    assert st["authentication-abandoned"] == 3
    assert st["mode-declined"] == 1
    assert st["closed-mid-message"] == 1
    assert st["addresses-blocked"] == 1
    d.wait_log(rf"authentication abandoned: peer={src}:\d+ state=setup: peer closed the "
               r"connection in the middle of its Set-Up-Response")
    # a Mode not offered counts too (another source)
    src2 = HOSTS[3]
    for _ in range(4):
        c = env.connect(src2)
        c.greeting()
        assert c.setup(UNAUTH | 0x80) == 3
        c.close()
    d.wait_log(rf"address blocked: {src2} after 4 failed authentications")
    assert d.stats()["mode-refused"] == 4
    assert env.good_setup() == 0


# ---- (b) open-mode hog --------------------------------------------------------

def open_hogs(env, srcs):
    hogs = []
    for src in srcs:
        c = env.connect(src)
        c.greeting()
        assert c.setup(UNAUTH) == 0
        hogs.append(c)
    return hogs


IDLE_S = 12                                          # open-idle-timeout of the hog test


def test_open_mode_hog(env):
    """64 unauthenticated connections from 8 addresses, refilled whenever
    one is evicted: every good set-up gets in, and the hogs are closed by
    open-idle-timeout."""
    d = env.start(server={"open-idle-timeout": IDLE_S})
    srcs = HOSTS[10:18]
    t0 = time.monotonic()
    hogs = open_hogs(env, [s for s in srcs for _ in range(8)])
    wait_for(lambda: len(d.connections()) == 64, "64 connections")
    results = []
    for _ in range(10):
        results.append(env.good_setup())
        # the evicted hog's address reconnects: 64 again
        wait_for(lambda: len(d.connections()) == 63, "the good client gone")
        gone = readable([h.s for h in hogs])
        assert len(gone) == 1, len(gone)
        out = next(h for h in hogs if h.s is gone[0])
        hogs = [h for h in hogs if h is not out] + open_hogs(env, [out.local()[0]])
        out.close()
    assert all(r == 0 for r in results), results
    assert time.monotonic() - t0 < IDLE_S, f"too slow for an open-idle-timeout of {IDLE_S} s"
    st = d.stats()
    assert st["evicted-idle"] == 10
    assert st["refused-max-connections"] == 0
    assert st["authentication-ok"] == 10
    d.wait_log(rf"connection evicted: peer=10\.99\.{SUBNET}\.\d+:\d+ state=request idle=\d+s: "
               rf"max-connections reached: room made for peer={GOOD}:\d+")
    # idle for open-idle-timeout: every hog is closed
    for h in hogs:
        assert h.closed(timeout=IDLE_S + 5.0)
        h.close()
    wait_for(lambda: len(d.connections()) == 0, "every hog closed", timeout=15.0)
    st = d.stats()
    assert st["open-idle-closed"] == 64
    d.wait_log(rf"closing connection: peer=10\.99\.{SUBNET}\.\d+:\d+ state=request: "
               rf"unauthenticated, no session started for {IDLE_S}s \(open-idle-timeout\)")
    assert st["addresses-blocked"] == 0                  # open mode is no failure


def request_and_start(c, sport):
    a = c.request_session(sender_port=sport)
    assert a.accept == 0, a.accept
    assert c.start_sessions() == 0
    return a


def test_running_sessions_never_evicted(env):
    """At max-connections the idlest connection without started sessions
    gives way (unauthenticated before authenticated); connections with
    started sessions never do, and when only they are left a new one is
    refused."""
    d = env.start(server={"max-connections": 4, "max-connections-per-client": 2,
                          "max-pending-authentication": 4})
    runners = []
    for i, src in enumerate(HOSTS[30:32]):               # authenticated, running
        c = env.connect(src)
        c.greeting()
        assert c.setup(AUTH, b"user1", KEYS["user1"]) == 0
        request_and_start(c, 41000 + i)
        runners.append(c)
    idle_auth = env.connect(HOSTS[32])                   # authenticated, idle: oldest
    idle_auth.greeting()
    assert idle_auth.setup(AUTH, b"user1", KEYS["user1"]) == 0
    idle_open = open_hogs(env, [HOSTS[33]])[0]           # unauthenticated, idle
    wait_for(lambda: len(d.connections()) == 4, "4 connections")
    newcomer = env.connect(HOSTS[34])                    # the unauthenticated one gives way
    newcomer.greeting()
    assert idle_open.closed()
    assert not idle_auth.closed(timeout=0.2)
    assert newcomer.setup(AUTH, b"user1", KEYS["user1"]) == 0
    request_and_start(newcomer, 41002)
    third = env.connect(HOSTS[35])                       # then the idle authenticated one
    third.greeting()
    assert idle_auth.closed()
    assert third.setup(AUTH, b"user1", KEYS["user1"]) == 0
    request_and_start(third, 41003)
    st = d.stats()
    assert st["evicted-idle"] == 2
    active = [s for s, v in env.dp.sessions().items() if v == ACTIVE]
    assert len(active) >= 4
    # four connections with started sessions: a fifth is refused
    late = env.connect(HOSTS[36])
    with pytest.raises(ControlClosed):
        late.greeting()
    late.close()
    d.wait_log(rf"connection refused: peer={HOSTS[36]}:\d+: max-connections reached")
    assert d.stats()["refused-max-connections"] == 1
    for c in runners + [newcomer, third]:
        assert not c.closed(timeout=0.05)
        c.close()
    for c in (idle_open, idle_auth):
        c.close()


# ---- (c) slowloris -------------------------------------------------------------

def test_slowloris_rotating_sources(env):
    """300 silent connections from 150 rotating addresses (two each), then
    more while the good client sets up 20 times: every set-up succeeds.
    The log budget is raised so that every eviction line can be looked for
    (with the default budget most of them are counted, not written)."""
    d = env.start(server={"max-pending-authentication": 16},
                  security={"log-security": {"rate-limit": {
        "lines-per-source": 1000, "lines-per-second": 100000, "burst": 100000}}})
    srcs = HOSTS[40:190]
    held = env.silent([s for s in srcs for _ in range(2)])
    wait_for(lambda: d.stats()["evicted-pending"] >= 300 - 16, "the oldest giving way")
    results = []
    for i in range(20):
        held += env.silent(srcs[i * 5:(i + 1) * 5])     # the flood goes on
        results.append(env.good_setup())
    assert all(r == 0 for r in results), results
    st = d.stats()
    assert st["authentication-ok"] == 20
    assert st["evicted-pending"] >= 300 - 16 + 100
    assert st["refused-pending-authentication"] == 0
    assert st["refused-max-connections"] == 0
    assert pending(d) <= 16
    d.wait_log(rf"connection evicted: peer=10\.99\.{SUBNET}\.\d+:\d+ state=setup idle=\d+s: "
               rf"max-pending-authentication reached: room made for peer={GOOD}:\d+")
    close_all(held)


# ---- (d) rotating IPv6 sources in one /64 ---------------------------------------

def test_ipv6_prefix_is_one_source(env):
    """Addresses of one /64 share max-connections-per-client and ip-block;
    another /64 is another source."""
    d = env.start(server={"max-connections-per-client": 4})
    v6 = env.net.b_end.ip6
    held = env.silent(V6_HOSTS[0:4], host=v6)           # four addresses, one source
    wait_for(lambda: pending(d) == 4, "4 pending connections")
    extra = env.silent(V6_HOSTS[4:5], host=v6)[0]
    assert closed_by_server(extra)
    extra.close()
    d.wait_log(rf"connection refused: peer=\[{V6_HOSTS[4]}\]:\d+: "
               r"max-connections-per-client reached")
    assert d.stats()["refused-per-client"] == 1
    close_all(held)                                      # four abandoned: not yet blocked
    d.wait_stat("authentication-abandoned", 4)
    assert blocked_list(d) == {}
    c = env.connect(V6_HOSTS[5], host=v6)                # a fifth address fails
    c.greeting()
    assert c.setup(AUTH, b"user1", b"wrong") == 1
    c.close()
    d.wait_log(rf"address blocked: fd00:99:{SUBNET:x}::/64 after 5 failed authentications "
               r"within 60s, for 300s")
    assert blocked_list(d) == {f"fd00:99:{SUBNET:x}::": 64}
    for src in V6_HOSTS[6:10]:                           # every address of it is refused
        s = env.silent([src], host=v6)[0]
        assert closed_by_server(s)
        s.close()
    d.wait_stat("refused-blocked", 4)
    d.wait_log(rf"connection refused: peer=\[{V6_HOSTS[9]}\]:\d+: source address blocked")
    # another /64 and IPv4 are other sources
    assert env.good_setup(V6_OTHER, host=V6_OTHER_SERVER) == 0
    assert env.good_setup() == 0
    st = d.stats()
    assert st["addresses-blocked"] == 1
    assert st["authentication-failed"] == 1
    assert st["authentication-abandoned"] == 4
