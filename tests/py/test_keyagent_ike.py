"""RFC 7717 keys from real IKEv2 SAs.

Two strongSwan charon daemons, one per namespace, joined by a veth, set up
childless PSK IKEv2 SAs; each loads the ippm plugin and has a twamp-keyagent
beside it. The key both ends hand out must be prf(SK_d, "IPPM") computed
here with Python's hmac over the SK_d that charon logs at `ike = 4` (a
test-only oracle): for HMAC-SHA2-256 and -384, after an IKE rekey, and with
a PPK (RFC 8784, where SK_d changes after charon's key hook has fired).
"""

import hashlib
import hmac
import shutil
import tempfile
from pathlib import Path

import pytest

from harness import charon, keyagent
from harness.charon import CharonPair, Conn
from harness.keyagent import KeyAgent, lookup_peer, lookup_spi, ping, query
from harness.netns import NetnsPair
from harness.reflector import ProcGroup

SUBNET = 7
CONNS = [
    Conn("p256", 1, "aes256-sha256-prfsha256-x25519"),
    Conn("p384", 11, "aes256-sha384-prfsha384-x25519"),
    Conn("ppk", 21, "aes256-sha256-prfsha256-x25519", ppk=True),
]
HASH = {"PRF_HMAC_SHA2_256": hashlib.sha256, "PRF_HMAC_SHA2_384": hashlib.sha384}

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(keyagent.plugin_unavailable() is not None,
                       reason=keyagent.plugin_unavailable() or ""),
]


class Env:
    def __init__(self, net, pair, agents, procs):
        self.net, self.pair, self.agents, self.procs = net, pair, agents, procs


@pytest.fixture(scope="module")
def ike():
    missing = charon.unavailable()
    if missing:
        pytest.fail(missing)   # the plugin was built, so charon must be there
    base = Path(tempfile.mkdtemp(prefix="twr-ka-ike-"))
    base.chmod(0o755)
    procs = ProcGroup(base / "logs")
    try:
        with NetnsPair(subnet=SUBNET) as net:
            pair = CharonPair(net, base, keyagent.plugin_module(), CONNS)
            pair.start(procs)
            policy = [{"name": "tests", "uid": 0, "lookup": ["spi", "peer"],
                       "peer-prefix": [f"10.99.{SUBNET}.0/24"]}]
            agents = {side: KeyAgent(base / f"agent-{side}", ch.ippm_sock, policy).start(procs)
                      for side, ch in (("a", pair.a), ("b", pair.b))}
            yield Env(net, pair, agents, procs)
            for agent in agents.values():
                assert agent.proc.stop() == 0, agent.proc.tails()
                assert "Sanitizer" not in agent.proc.stderr()
    finally:
        procs.stop_all()
        shutil.rmtree(base, ignore_errors=True)


def spis(sa):
    return bytes.fromhex(sa["initiator-spi"]), bytes.fromhex(sa["responder-spi"])


def ippm_key(sa, skd):
    return hmac.new(skd, b"IPPM", HASH[sa["prf-alg"]]).digest()


def new_skds(env, marks):
    """SK_d values both daemons logged since the marks; they must agree."""
    a, b = env.pair.a.skds_since(marks[0]), env.pair.b.skds_since(marks[1])
    assert a and a == b
    return a


def marks(env):
    return env.pair.a.log_mark(), env.pair.b.log_mark()


def assert_served(env, sa, want, conn):
    """Both agents hand out `want` for the SA's SPIs, with the right SA data."""
    a_addr = env.pair.a.addr(conn)
    b_addr = env.pair.b.addr(conn)
    for side, me, peer in (("a", a_addr, b_addr), ("b", b_addr, a_addr)):
        rep = lookup_spi(env.agents[side].socket, *spis(sa))
        assert rep["status"] == "OK", (side, rep["status"])
        assert rep["key"] == want, side
        assert rep["prf"] == {"PRF_HMAC_SHA2_256": 5, "PRF_HMAC_SHA2_384": 6}[sa["prf-alg"]]
        assert (rep["spi_i"], rep["spi_r"]) == spis(sa)
        assert (rep["local"], rep["remote"]) == (me, peer)
        assert (rep["local_id"], rep["remote_id"]) == (me, peer)


@pytest.mark.parametrize("name", ["p256", "p384"])
def test_both_ends_serve_the_independent_key(ike, name):
    m = marks(ike)
    sa = ike.pair.initiate(name)
    try:
        skds = new_skds(ike, m)
        assert len(skds) == 1
        want = ippm_key(sa, skds[0])
        assert len(want) == {"p256": 32, "p384": 48}[name]
        assert_served(ike, sa, want, ike.pair.conns[name])
        # the C client calls (keyagent_client.h) agree
        q = query(ike.agents["b"].socket, "spi", sa["initiator-spi"], sa["responder-spi"])
        assert q["status"] == "OK" and q["rc"] == 0
        assert q["key-sha256"] == hashlib.sha256(want).hexdigest()
        assert q["prf"] == {"p256": "HMAC_SHA2_256", "p384": "HMAC_SHA2_384"}[name]
    finally:
        ike.pair.terminate(name)


def test_rekey_serves_the_new_key_and_forgets_the_old(ike):
    conn = ike.pair.conns["p256"]
    old = ike.pair.initiate("p256")
    try:
        old_key = lookup_spi(ike.agents["a"].socket, *spis(old))["key"]
        m = marks(ike)
        new = ike.pair.rekey("p256", old)
        skds = new_skds(ike, m)
        assert len(skds) == 1
        want = ippm_key(new, skds[0])
        assert want != old_key
        assert_served(ike, new, want, conn)
        for side in "ab":
            assert lookup_spi(ike.agents[side].socket, *spis(old))["status"] == "NO_SA"
        assert lookup_peer(ike.agents["a"].socket, ike.pair.b.addr(conn))["key"] == want
    finally:
        ike.pair.terminate("p256")


def test_deleted_sa_is_no_sa(ike):
    conn = ike.pair.conns["p256"]
    sa = ike.pair.initiate("p256")
    assert lookup_spi(ike.agents["a"].socket, *spis(sa))["status"] == "OK"
    ike.pair.terminate("p256")
    for side in "ab":
        rep = lookup_spi(ike.agents[side].socket, *spis(sa))
        assert rep["status"] == "NO_SA" and rep["key"] == b""
    assert lookup_peer(ike.agents["a"].socket, ike.pair.b.addr(conn))["status"] == "NO_SA"
    q = query(ike.agents["a"].socket, "spi", sa["initiator-spi"], sa["responder-spi"])
    assert q["status"] == "NO_SA" and q["rc"] == 1


def test_ppk_key_uses_the_post_ppk_sk_d(ike):
    m = marks(ike)
    sa = ike.pair.initiate("ppk")
    try:
        skds = new_skds(ike, m)
        # derived once from the DH secret, then again with the PPK (RFC 8784)
        assert len(skds) == 2 and skds[0] != skds[1]
        want = ippm_key(sa, skds[1])
        assert_served(ike, sa, want, ike.pair.conns["ppk"])
        assert lookup_spi(ike.agents["a"].socket, *spis(sa))["key"] != ippm_key(sa, skds[0])
    finally:
        ike.pair.terminate("ppk")


def test_lookup_by_peer_address(ike):
    conn = ike.pair.conns["p384"]
    sa = ike.pair.initiate("p384")
    try:
        want = lookup_spi(ike.agents["a"].socket, *spis(sa))["key"]
        a_addr, b_addr = ike.pair.a.addr(conn), ike.pair.b.addr(conn)
        rep = lookup_peer(ike.agents["a"].socket, b_addr)
        assert rep["status"] == "OK" and rep["key"] == want
        assert (rep["spi_i"], rep["spi_r"]) == spis(sa)
        assert lookup_peer(ike.agents["b"].socket, a_addr)["key"] == want
        q = query(ike.agents["a"].socket, "peer", b_addr)
        assert q["status"] == "OK" and q["key-sha256"] == hashlib.sha256(want).hexdigest()
        assert q["spi"] == f"{sa['initiator-spi']}:{sa['responder-spi']}"
        # the other connections' peers have no SA now
        assert lookup_peer(ike.agents["a"].socket, f"10.99.{SUBNET}.2")["status"] == "NO_SA"
        assert lookup_peer(ike.agents["a"].socket, f"fd00:99:{SUBNET}::2")["status"] == "NOT_PERMITTED"
    finally:
        ike.pair.terminate("p384")


def test_charon_down_is_agent_down_and_the_agent_carries_on(ike):
    agent = ike.agents["a"]
    assert ping(agent.socket)["status"] == "OK"
    ike.pair.a.stop()
    rep = ping(agent.socket)
    assert rep["status"] == "AGENT_DOWN"
    assert lookup_spi(agent.socket, b"\x11" * 8, b"\x22" * 8)["status"] == "AGENT_DOWN"
    q = query(agent.socket, "ping")
    assert q["status"] == "AGENT_DOWN" and q["rc"] == 1
    assert agent.proc.alive()
    assert ping(ike.agents["b"].socket)["status"] == "OK"
    # charon back: served again, without touching the agent
    ike.pair.a.start(ike.procs)
    assert ping(agent.socket)["status"] == "OK"
    m = marks(ike)
    sa = ike.pair.initiate("p256")
    try:
        want = ippm_key(sa, new_skds(ike, m)[0])
        assert_served(ike, sa, want, ike.pair.conns["p256"])
    finally:
        ike.pair.terminate("p256")
    assert ('status=AGENT_DOWN client=tests reason="charon\'s ippm plugin unreachable"'
            in "\n".join(agent.audit_lines()))


def test_no_client_can_reach_charon_without_the_plugin_group(ike):
    """The plugin socket: owner root, group nogroup, mode 0660."""
    st = ike.pair.a.ippm_sock.stat()
    assert oct(st.st_mode & 0o7777) == "0o660"
    assert st.st_uid == 0 and st.st_gid == 65534
    # and it speaks the same layout (plugin leg magic)
    assert ping(ike.pair.a.ippm_sock, magic=b"IPPM")["status"] == "OK"
