"""System tests of twamp-controld against hostile clients, with the real
reflector (namespace b, control through the dataplane's exception port)
and clients in namespace a using several source addresses:

  10.99.7.1  the well-behaved client: a long-lived connection (the
             "keeper") and fresh ones, served after every hostile test
  10.99.7.3  outside the control ACL
  10.99.7.4  fails to authenticate until it is blocked
  10.99.7.5-7  the hostile clients (one failed authentication at most
             each, below the blocking threshold)
  10.99.7.16-31  more of them, one per test that makes a set-up fail or
             leaves one (abandoned set-ups count toward ip-block too)

Each hostile input must get the right Accept or a closed connection, a
log line and a counter in the state JSON."""

import base64
import struct
import subprocess
import time

import pytest

import twamp_ref as tr
from harness import netns
from harness.controld import Controld
from harness.pkt import exchange, udp_socket
from harness.reflector import ProcGroup, binary, running_reflector
from harness.twamp_ctl import (AUTH, ENC, ISC, UNAUTH, ControlClosed, TwampControl, duration,
                               mode_test_sec, request_body)

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

SUBNET = 7
KEYS = {"user1": b"correct horse battery staple"}
GOOD, ACL_OUT, BLOCKME, H5, H6, H7 = (f"10.99.{SUBNET}.{h}" for h in (1, 3, 4, 5, 6, 7))
X = [f"10.99.{SUBNET}.{h}" for h in range(16, 32)]
SERVER = {"test-port-min": 50000, "test-port-max": 50100, "max-connections": 8,
          "max-connections-per-client": 3, "max-pending-authentication": 4,
          "authentication-timeout": 2}
SECURITY = {
    "control-acl": {"permit-prefix": [f"{GOOD}/32", f"{BLOCKME}/30", f"{X[0]}/28",
                                      f"fd00:99:{SUBNET}::/64"]},
    "ip-block": {"failed-times": 2, "failed-period": 600, "reactive-time": 600},
}


class Env:
    def __init__(self, net, r, d, procs, tmp):
        self.net, self.r, self.d, self.procs, self.tmp = net, r, d, procs, tmp
        self.keeper = None
        self.sport = 40000

    def connect(self, src=GOOD, port=862):
        return TwampControl.connect(self.net.a, self.net.b_end.ip4, port, src=src)

    def next_port(self):
        self.sport += 1
        return self.sport


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("control-hostile")
    with running_reflector(tmp, SUBNET) as (net, r):
        for h in (3, 4, 5, 6, 7, *range(16, 32)):
            net.a.ip("addr", "add", f"10.99.{SUBNET}.{h}/24", "dev", net.a_end.ifname)
        procs = ProcGroup(tmp)
        d = Controld(tmp, r.sock, keys=KEYS, server=SERVER, security=SECURITY)
        try:
            d.start(procs, net.b)
            e = Env(net, r, d, procs, tmp)
            e.keeper = e.connect()
            e.keeper.greeting()
            assert e.keeper.setup(ENC, b"user1", KEYS["user1"]) == 0
            yield e
            e.keeper.close()
            d.stop()
        finally:
            procs.stop_all()


def wait_connections(e, n, timeout=10.0):
    """Until the server holds n connections (closes are noticed async)."""
    deadline = time.monotonic() + timeout
    while len(e.d.connections()) != n:
        assert time.monotonic() < deadline, f"{len(e.d.connections())} connections, not {n}"
        time.sleep(0.05)


def assert_served(e):
    """The keeper still negotiates and reflects; a fresh client sets up."""
    k, sport = e.keeper, e.next_port()
    a = k.request_session(sender_port=sport, timeout=duration(0.1))
    assert a.accept == 0
    assert k.start_sessions() == 0
    s = udp_socket(e.net.a, bind=(GOOD, sport))
    try:
        sec, keys = mode_test_sec(k.mode), k.test_keys(a.sid)
        plain = tr.build_sender(0, tr.ntp_now(), 0x8001, b"", sec)
        reply = exchange(s, tr.protect(plain, tr.sender_layout(sec), keys),
                         (e.net.b_end.ip4, a.port), timeout=2.0)
        assert reply is not None, "the well-behaved client's session does not reflect"
        tr.check_reply(plain, reply, keys, sec, ttl=255, stateful=True)
    finally:
        s.close()
    k.stop_sessions(1)
    c = e.connect()
    try:
        c.greeting()
        assert c.setup(AUTH, b"user1", KEYS["user1"]) == 0
    finally:
        c.close()


def closed_before_greeting(c) -> bool:
    try:
        c.recv_exact(1)
    except ControlClosed:
        return True
    return False


# ---- authentication -------------------------------------------------------

def test_wrong_passphrase(env):
    before = env.d.stats()
    c = env.connect(H5)
    c.greeting()
    assert c.setup(AUTH, b"user1", b"not the passphrase") == 1
    assert c.closed()
    c.close()
    env.d.wait_log(rf"authentication failed: peer={H5}:\d+ key-id=\"user1\" mode=0x2: "
                   r"token does not carry the challenge \(Accept 1\)")
    st = env.d.stats()
    assert st["authentication-failed"] == before["authentication-failed"] + 1
    assert st["unknown-key-id"] == before["unknown-key-id"]
    assert_served(env)


def test_unknown_keyid(env):
    before = env.d.stats()
    c = env.connect(H6)
    c.greeting()
    assert c.setup(ENC, b"nobody\x01", KEYS["user1"]) == 1     # the same Accept as a wrong secret
    assert c.closed()
    c.close()
    env.d.wait_log(rf"authentication failed: peer={H6}:\d+ key-id=\"nobody\\x01\" mode=0x4: "
                   r"unknown KeyID \(Accept 1\)")
    st = env.d.stats()
    assert st["unknown-key-id"] == before["unknown-key-id"] + 1
    assert st["authentication-failed"] == before["authentication-failed"] + 1
    assert_served(env)


def test_mode_not_offered(env):
    before = env.d.stats()
    c = env.connect(X[0])
    c.greeting()
    assert c.setup(UNAUTH | 0x80) == 3                  # IKEv2-derived: not offered
    assert c.closed()
    c.close()
    env.d.wait_log(r"Set-Up-Response Mode 0x81 not offered \(offered 0x7f\): Accept 3")
    assert env.d.stats()["mode-refused"] == before["mode-refused"] + 1
    assert_served(env)


def test_stalled_setup_times_out(env):
    """A client that stops sending in the middle of its Set-Up-Response."""
    before = env.d.stats()
    c = env.connect(H7)
    c.greeting()
    c.send_raw(c.setup_response(AUTH, b"user1", KEYS["user1"])[:100])
    assert_served(env)                                   # meanwhile
    assert c.closed(timeout=15.0)
    c.close()
    env.d.wait_log(rf"closing connection: peer={H7}:\d+ state=setup: authentication timeout")
    st = env.d.stats()
    assert st["authentication-timeout"] == before["authentication-timeout"] + 1
    assert st["authentication-failed"] == before["authentication-failed"] + 1


def test_blocked_address(env):
    for _ in range(2):
        c = env.connect(BLOCKME)
        c.greeting()
        assert c.setup(AUTH, b"user1", b"guess") == 1
        c.close()
    env.d.wait_log(rf"address blocked: {BLOCKME} after 2 failed authentications within 600s, "
                   r"for 600s")
    before = env.d.stats()
    c = env.connect(BLOCKME)                             # retrying
    assert closed_before_greeting(c)
    c.close()
    env.d.wait_log(rf"connection refused: peer={BLOCKME}:\d+: source address blocked")
    st = env.d.state()
    assert int(st["server"]["statistics"]["refused-blocked"]) == \
        before["refused-blocked"] + 1
    assert int(st["server"]["statistics"]["addresses-blocked"]) == 1
    blocked = {b["blocked-ip"]: int(b["unblock-interval"])
               for b in st["security-baseline"]["ip-block-list"]}
    assert 0 < blocked[BLOCKME] <= 600
    assert GOOD not in blocked
    assert_served(env)


def test_acl_refusal(env):
    """Refused, counted per source, never blocked."""
    before = env.d.stats()
    for _ in range(3):
        c = env.connect(ACL_OUT)
        assert closed_before_greeting(c)
        c.close()
    env.d.wait_log(rf"connection refused: peer={ACL_OUT}:\d+: source not in control-acl "
                   r"\(3 from this source within 600s\)")
    st = env.d.state()
    assert int(st["server"]["statistics"]["refused-acl"]) == before["refused-acl"] + 3
    blocked = st["security-baseline"].get("ip-block-list", [])
    assert ACL_OUT not in {b["blocked-ip"] for b in blocked}
    assert_served(env)


# ---- messages ----------------------------------------------------------------

def ready(env, src=H5, mode=ENC):
    c = env.connect(src)
    c.greeting()
    assert c.setup(mode, b"user1", KEYS["user1"]) == 0
    return c


def test_tampered_hmac(env):
    before = env.d.stats()
    c = ready(env)
    c.send_sealed(request_body(sender_port=env.next_port()), tamper=100)
    assert c.closed()
    c.close()
    env.d.wait_log(rf"closing connection: peer={H5}:\d+ state=request: command 5: HMAC does not verify")
    assert env.d.stats()["hmac-failures"] == before["hmac-failures"] + 1
    assert env.d.stats()["sessions-accepted"] == before["sessions-accepted"]
    assert_served(env)


def test_unknown_command(env):
    before = env.d.stats()
    c = ready(env)
    c.send_sealed(bytes([6]) + bytes(31))               # Experimentation
    assert c.closed()
    c.close()
    env.d.wait_log(rf"closing connection: peer={H5}:\d+ state=request: unknown command 6")
    assert env.d.stats()["unknown-commands"] == before["unknown-commands"] + 1
    assert_served(env)


def test_command_out_of_order(env):
    before = env.d.stats()
    c = ready(env)
    c.stop_sessions(1)                                   # nothing started
    assert c.closed()
    c.close()
    c = ready(env, mode=AUTH)
    c.send_sealed(struct.pack(">B11xI", 7, 0) + bytes(16))   # Start-N without RFC 5938
    assert c.closed()
    c.close()
    env.d.wait_log(r"command 3 not allowed in state request \(mode 0x4\)")
    env.d.wait_log(r"command 7 not allowed in state request \(mode 0x2\)")
    assert env.d.stats()["out-of-order-commands"] == before["out-of-order-commands"] + 2
    assert_served(env)


def test_oversized_message(env):
    """Start-N-Sessions announcing more SIDs than any connection may hold:
    refused on its first block, before anything more is read."""
    before = env.d.stats()
    c = ready(env, mode=ENC | ISC)
    c.send_sealed(struct.pack(">B11xI", 7, 100000) + bytes(16))
    assert c.closed()
    c.close()
    env.d.wait_log(r"command 7: Number of Sessions above the limit")
    assert env.d.stats()["malformed-messages"] == before["malformed-messages"] + 1
    # a message longer than it should be: the extra block is read as the
    # next command (number 0) and refused
    before = env.d.stats()
    c = ready(env, mode=UNAUTH)
    c.send_raw(request_body(sender_port=env.next_port()) + bytes(16))
    a = c.recv_msg(48)
    assert a[0] == 0                                     # the request itself is fine
    assert c.closed()
    c.close()
    assert env.d.wait_stat("unknown-commands", before["unknown-commands"] + 1)[
        "unknown-commands"] == before["unknown-commands"] + 1
    assert_served(env)


def test_truncated_message(env):
    before = env.d.stats()
    c = ready(env, mode=UNAUTH)
    c.send_raw(request_body(sender_port=env.next_port())[:50])
    c.s.shutdown(1)                                      # and nothing more
    assert c.closed()
    c.close()
    env.d.wait_log(rf"closing connection: peer={H5}:\d+ state=request: peer closed the "
                   r"connection in the middle of a message")
    assert env.d.stats()["closed-mid-message"] == before["closed-mid-message"] + 1
    assert_served(env)


def test_garbage_setup(env):
    """Octets that are no Set-Up-Response (Mode of no security mode)."""
    before = env.d.stats()
    c = env.connect(X[1])
    c.greeting()
    c.send_raw(b"GET / HTTP/1.1\r\n" + bytes(148))
    assert c.recv_exact(48)[15] == 3
    assert c.closed()
    c.close()
    assert env.d.stats()["mode-refused"] == before["mode-refused"] + 1
    assert_served(env)


# ---- limits -------------------------------------------------------------------

def test_per_client_limit(env):
    wait_connections(env, 1)
    before = env.d.stats()
    held = [ready(env, H5, UNAUTH) for _ in range(3)]
    c = env.connect(H5)
    assert closed_before_greeting(c)
    c.close()
    env.d.wait_log(rf"connection refused: peer={H5}:\d+: max-connections-per-client reached")
    assert env.d.stats()["refused-per-client"] == before["refused-per-client"] + 1
    assert_served(env)
    for h in held:
        h.close()


def test_pending_limit(env):
    """At max-pending-authentication the oldest pending connection gives way
    to the new one; those the peers then leave count as abandoned."""
    wait_connections(env, 1)
    before = env.d.stats()
    pending = []
    for src in X[2:6]:                                   # greeted, not set up
        p = env.connect(src)
        p.greeting()
        pending.append(p)
    wait_connections(env, 5)
    try:
        c = env.connect(H7)
        c.greeting()
        assert pending[0].closed()                       # the oldest gave way
        assert c.setup(ENC, b"user1", KEYS["user1"]) == 0
        c.close()
    finally:
        for p in pending:                                # before their timeout (2 s)
            p.close()
    env.d.wait_log(rf"connection evicted: peer={X[2]}:\d+ state=setup idle=\d+s: "
                   rf"max-pending-authentication reached: room made for peer={H7}:\d+")
    wait_connections(env, 1)
    st = env.d.stats()
    assert st["evicted-pending"] == before["evicted-pending"] + 1
    assert st["refused-pending-authentication"] == before["refused-pending-authentication"]
    # each of the three left counts toward ip-block: abandoned (or, on a
    # machine too slow to close them within 2 s, timed out)
    left = st["authentication-abandoned"] - before["authentication-abandoned"]
    assert left + st["authentication-timeout"] - before["authentication-timeout"] == 3
    if left:
        env.d.wait_log(r"authentication abandoned: peer=10\.99\.7\.(19|20|21):\d+ state=setup: ")
    assert_served(env)


def test_total_limit(env):
    """At max-connections the idlest unauthenticated connection without
    sessions gives way; the authenticated keeper stays."""
    wait_connections(env, 1)                             # the keeper
    before = env.d.stats()
    held = [ready(env, src, UNAUTH) for src in (H5, H5, H5, H6, H6, H6, H7)]
    wait_connections(env, 8)
    c = env.connect(H7)
    c.greeting()
    assert held[0].closed()                              # the idlest
    assert c.setup(AUTH, b"user1", KEYS["user1"]) == 0
    env.d.wait_log(rf"connection evicted: peer={H5}:\d+ state=request idle=\d+s: "
                   rf"max-connections reached: room made for peer={H7}:\d+")
    st = env.d.stats()
    assert st["evicted-idle"] == before["evicted-idle"] + 1
    assert st["refused-max-connections"] == before["refused-max-connections"]
    c.close()
    held.pop(0).close()
    wait_connections(env, 7)
    assert_served(env)                                   # the keeper was kept
    for h in held:
        h.close()


# ---- alarm and configuration ---------------------------------------------------

def test_failed_login_alarm(env):
    d2 = Controld(env.tmp, env.tmp / "no-dataplane.sock", keys=KEYS, name="controld-alarm",
                  server={**SERVER, "server-tcp-port": 8625},
                  security={"login-failed-threshold-alarm":
                            {"upper-limit": 3, "lower-limit": 0, "period": 2}})
    d2.start(env.procs, env.net.b)
    for src in (H5, H6, H7):
        c = env.connect(src, port=8625)
        c.greeting()
        assert c.setup(AUTH, b"user1", b"wrong") == 1
        c.close()
    d2.wait_log(r"alarm raised: login-failed-threshold: 3 failed authentications within 2s")
    st = d2.state()
    assert st["security-baseline"]["login-failed-threshold-alarm"]["alarm-raised"] is True
    assert int(st["server"]["statistics"]["alarms-raised"]) == 1
    d2.wait_log(r"alarm cleared: login-failed-threshold", timeout=15.0)
    alarm = d2.state()["security-baseline"]["login-failed-threshold-alarm"]
    assert alarm["alarm-raised"] is False
    d2.stop()


def test_count_above_max_exponent_refused(env):
    d2 = Controld(env.tmp, env.tmp / "none.sock", keys=KEYS, name="controld-badcount",
                  server={"count": 16, "max-count-exponent": 15})
    r = subprocess.run(d2.argv(d2.write_config()), capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "count must not exceed max-count-exponent" in lines[0]


def test_hash_chained_log(env):
    """The local security log verifies; one changed character does not."""
    log = env.tmp / "security.log"
    d2 = Controld(env.tmp, env.tmp / "none.sock", keys=KEYS,
                  name="controld-log", server={**SERVER, "server-tcp-port": 8626},
                  security={"log-security": {"local-log-file": str(log),
                                             "log-key": base64.b64encode(b"k" * 32).decode()}})
    d2.start(env.procs, env.net.b)
    c = env.connect(H5, port=8626)
    c.greeting()
    assert c.setup(AUTH, b"user1", b"wrong") == 1
    c.close()
    d2.wait_log(r"authentication failed: peer=")
    d2.stop()
    text = log.read_text()
    assert "authentication failed: peer=" in text and " mac=" in text
    verify = [str(binary("twamp-controld")), "--verify-log", str(log), "-c",
              str(env.tmp / "controld-log.json")]
    r = subprocess.run(verify, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    i = text.index("authentication failed")
    log.write_text(text[:i] + "Authentication" + text[i + len("authentication"):])
    r = subprocess.run(verify, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "MAC does not verify" in r.stdout
