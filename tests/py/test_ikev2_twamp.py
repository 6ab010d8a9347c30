"""TWAMP with IKEv2-derived keys (RFC 7717) end to end: real charon daemons,
key agents, twamp-controld, the reflector and twamp-client.

Topology (harness.reflector.running_reflector plus harness.charon):

    namespace a                              namespace b
    twamp-client, charon a                   reflector (af_packet on the veth,
    10.99.11.1 on the veth  ── veth ──▶      TAP tw0 holds 10.99.11.2),
                                             twamp-controld, charon b
    key agent a (root namespace, Unix socket) key agent b (likewise)

IKE (UDP 500) from charon a reaches charon b the way TWAMP-Control reaches
controld: through the dataplane's exception port (tw0), since b's veth end
has no address. Each charon has a childless PSK IKEv2 SA with the other;
each key agent serves its own charon's ippm plugin. controld asks agent b
(SPI lookups, pings), the client asks agent a (peer lookup).

Also the Python control client (harness.twamp_ctl) for what ours would
never send: stale SPIs, a connection from another address than the SA's.
"""

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from harness import charon, keyagent, netns
from harness.charon import CharonPair, Conn
from harness.controld import Controld
from harness.keyagent import KeyAgent, lookup_peer, lookup_spi
from harness.reflector import TAP, ProcGroup, binary, running_reflector
from harness.twamp_ctl import AUTH, ENC, MIXED, TwampControl
from harness.users import suite_users

pytestmark = [
    pytest.mark.system,
    pytest.mark.sanitize,
    pytest.mark.skipif(keyagent.plugin_unavailable() is not None,
                       reason=keyagent.plugin_unavailable() or ""),
]

SUBNET = 11
IKEV2 = 0x80
CONN = Conn("tw", 1, "aes256-sha256-prfsha256-x25519")
PSK_ID, PSK = "psk-user", b"a pre-shared passphrase"
MODES = "unauthenticated authenticated encrypted unauth-test-encrypt-control IKEv2Derived"
# documented (control/README.md): a change shows in greetings within the
# ping interval (2 s) + key-agent-timeout; the bound below only keeps a
# loaded test machine from failing the wait
REFRESH_BOUND = 15.0


def policy(kinds=("spi", "peer")):
    """Root (the tests, twamp-client) and the control server's test user."""
    return [{"name": name, "uid": uid, "lookup": list(kinds),
             "peer-prefix": [f"10.99.{SUBNET}.0/24"]}
            for name, uid in (("tests", 0), ("controld", suite_users().controld.uid))]


class Env:
    def __init__(self, base, net, r, pair, agents, d, procs):
        self.base, self.net, self.r, self.pair = base, net, r, pair
        self.agents, self.d, self.procs = agents, d, procs

    @property
    def server(self):
        return self.net.b_end.ip4


@pytest.fixture(scope="module")
def env():
    reason = netns.unavailable() or charon.unavailable()
    if reason:
        pytest.skip(reason)
    # agents run as nobody: every folder on the way must be traversable
    base = Path(tempfile.mkdtemp(prefix="twr-ikev2-"))
    base.chmod(0o755)
    procs = ProcGroup(base / "logs")
    try:
        with running_reflector(base, SUBNET) as (net, r):
            pair = CharonPair(net, base, keyagent.plugin_module(), [CONN])
            pair.start(procs)
            # charon b's address lives on the TAP only: IKE goes through the dataplane
            assert "inet " not in net.b.ip("-o", "addr", "show", "dev", net.b_end.ifname).stdout
            assert f"inet {net.b_end.ip4}/" in net.b.ip("-o", "addr", "show", "dev", TAP).stdout
            agents = {side: KeyAgent(base / f"agent-{side}", ch.ippm_sock, policy()).start(procs)
                      for side, ch in (("a", pair.a), ("b", pair.b))}
            d = Controld(base, r.sock, keys={PSK_ID: PSK},
                         server={"modes": MODES, "test-port-min": 50000, "test-port-max": 50100,
                                 "ikev2-derived": {"key-agent-socket": str(agents["b"].socket),
                                                   "key-agent-timeout": 500}},
                         security={"ip-block": {"failed-times": 100}})
            d.start(procs, net.b)
            e = Env(base, net, r, pair, agents, d, procs)
            wait_for(lambda: offered(e), "IKEv2Derived offered at start")
            yield e
            d.stop()
            for agent in agents.values():
                assert agent.proc.stop() == 0, agent.proc.tails()
                assert "Sanitizer" not in agent.proc.stderr()
    finally:
        procs.stop_all()
        shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------------------
# helpers


def wait_for(pred, what, timeout=REFRESH_BOUND):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.05)


def ikev2_state(e):
    return e.d.state()["server"]["ikev2-derived"]


def offered(e):
    return ikev2_state(e)["offered"] is True


def spis(sa):
    return bytes.fromhex(sa["initiator-spi"]), bytes.fromhex(sa["responder-spi"])


def fresh_sa(e):
    """Exactly one new IKE SA between the two charons."""
    if e.pair.a.sas(CONN.name) or e.pair.b.sas(CONN.name):
        e.pair.terminate(CONN.name)
    return e.pair.initiate(CONN.name)


def client_argv(e, *args):
    return [str(binary("twamp-client")), "twamp", *args, "--json", e.server]


def run_client(e, *args):
    r = subprocess.run(["ip", "netns", "exec", e.net.a.name, *client_argv(e, *args)],
                       capture_output=True, text=True, timeout=90)
    out = json.loads(r.stdout) if r.stdout.strip() else None
    return r, out


def ike_args(e, mode, count=40):
    return ["--ikev2", "--keyagent-socket", str(e.agents["a"].socket), "-m", mode,
            "-c", str(count), "-i", "0.01", "-t", "0.5"]


def psk_args(e, mode="auth", count=20):
    path = e.base / "psk-secret"
    path.write_bytes(PSK + b"\n")
    path.chmod(0o600)
    return ["--key-id", PSK_ID, "--secret-file", str(path), "-m", mode, "-c", str(count),
            "-i", "0.01", "-t", "0.5"]


def check_ok(r, out, count):
    """r: the CompletedProcess, or None when the exit status was checked."""
    if r is not None:
        assert r.returncode == 0, r.stderr
    assert out["control"]["result"] == "ok" and out["control"]["stopped"], out["control"]
    for s in out["sessions"]:
        assert (s["sent"], s["received"], s["lost"]) == (count, count, 0), s
        assert s["auth_failures"] == 0 and s["error"] is None, s


def python_setup(e, mode, keyid, secret, src=None):
    """Our independent control client: greeting and Set-Up-Response; the
    greeting's Modes and the Server-Start Accept."""
    c = TwampControl.connect(e.net.a, e.server, 862, src=src)
    try:
        g = c.greeting()
        return g.modes, c.setup(mode, keyid, secret)
    finally:
        c.close()


def log_has(e, pattern):
    return e.d.log_count(pattern) > 0


# ---------------------------------------------------------------------------
# sessions


@pytest.mark.parametrize("mode", ["auth", "enc"])
def test_session_with_the_sa_key(env, mode):
    e = env
    sa = fresh_sa(e)
    try:
        before = e.d.stats()
        r, out = run_client(e, *ike_args(e, mode))
        check_ok(r, out, 40)
        ike = out["control"]["ikev2"]
        assert (ike["spi_i"], ike["spi_r"]) == (sa["initiator-spi"], sa["responder-spi"])
        assert ike["prf"] == "HMAC_SHA2_256"
        assert out["control"]["mode_value"] == {"auth": AUTH, "enc": ENC}[mode] | IKEV2
        assert "ikev2-derived" in out["control"]["modes_offered"]
        assert out["control"]["key_id"] is None
        assert {s["mode"] for s in out["sessions"]} == {mode}
        after = e.d.stats()
        assert after["ikev2-authentication-ok"] == before["ikev2-authentication-ok"] + 1
        assert after["authentication-ok"] == before["authentication-ok"] + 1
        assert after["sessions-started"] == before["sessions-started"] + 1
        a_ip = e.net.a_end.ip4
        assert log_has(e, rf"authentication ok: peer={a_ip}:\d+ ikev2 spi={sa['initiator-spi']}:"
                          rf"{sa['responder-spi']} ike-peer={a_ip} ike-id=\"{a_ip}\" "
                          rf"prf=HMAC_SHA2_256 mode=0x{({'auth': 2, 'enc': 4}[mode] | IKEV2):x}")
        # both agents handed out the same key for this SA, to the server by
        # SPIs and to the client by the server's address
        kb = lookup_spi(e.agents["b"].socket, *spis(sa))
        ka = lookup_peer(e.agents["a"].socket, e.server)
        assert kb["status"] == ka["status"] == "OK" and kb["key"] == ka["key"]
        assert any("request=spi spi=" + sa["initiator-spi"] + ":" + sa["responder-spi"] + " status=OK"
                   in line for line in e.agents["b"].audit_lines())
    finally:
        e.pair.terminate(CONN.name)


def test_mixed_mode_and_key_chain_clients_side_by_side(env):
    e = env
    fresh_sa(e)
    try:
        r, out = run_client(e, *ike_args(e, "mixed", count=20))
        check_ok(r, out, 20)
        assert out["control"]["mode_value"] == MIXED | IKEV2
        r, out = run_client(e, *psk_args(e, "enc"))
        check_ok(r, out, 20)
        assert out["control"]["ikev2"] is None and out["control"]["key_id"] == PSK_ID
    finally:
        e.pair.terminate(CONN.name)


def test_rekey_during_a_session(env):
    """The running session keeps its key; a new connection uses the new
    SA's SPIs; the old SPIs get Accept 6."""
    e = env
    old = fresh_sa(e)
    old_key = lookup_spi(e.agents["a"].socket, *spis(old))["key"]
    try:
        p = e.procs(["ip", "netns", "exec", e.net.a.name,
                     *client_argv(e, *ike_args(e, "enc", count=400))], name="client-rekey")

        def testing():
            return [c for c in e.d.connections() if c.get("control-state") == "test"]
        conn = wait_for(testing, "session started")[0]
        assert (conn["ike-spi-i"], conn["ike-spi-r"]) == (old["initiator-spi"], old["responder-spi"])
        assert conn["ike-remote-id"] == e.net.a_end.ip4
        assert "IKEv2Derived" in conn["selected-mode"]
        lookups = sum("request=spi" in line for line in e.agents["b"].audit_lines())
        new = e.pair.rekey(CONN.name, old)
        assert p.wait(90) == 0, p.tails()
        out = json.loads(p.stdout())
        check_ok(None, out, 400)
        assert out["control"]["ikev2"]["spi_i"] == old["initiator-spi"]
        # the server did not ask the agent again for that connection
        assert sum("request=spi" in line for line in e.agents["b"].audit_lines()) == lookups

        r, out = run_client(e, *ike_args(e, "auth", count=10))
        check_ok(r, out, 10)
        assert out["control"]["ikev2"]["spi_i"] == new["initiator-spi"]
        assert out["control"]["ikev2"]["spi_r"] == new["responder-spi"]

        before = e.d.stats()
        modes, accept = python_setup(e, AUTH | IKEV2, b"".join(spis(old)), old_key)
        assert modes & IKEV2 and accept == 6
        after = e.d.stats()
        assert after["ikev2-no-sa"] == before["ikev2-no-sa"] + 1
        assert after["authentication-failed"] == before["authentication-failed"] + 1
        assert log_has(e, rf"ikev2 set-up refused: peer={e.net.a_end.ip4}:\d+ "
                          rf"spi={old['initiator-spi']}:{old['responder-spi']} mode=0x82 "
                          rf"agent=NO_SA: no established IKEv2 SA with these SPIs \(Accept 6\)")
    finally:
        e.pair.terminate(CONN.name)


def test_ike_through_the_exception_port(env):
    """The IKE exchange of a new SA reached charon b through the TAP."""
    e = env
    before = e.r.stats()["exception_to_kernel"]
    fresh_sa(e)
    try:
        assert e.pair.b.sas(CONN.name)[0]["local-host"] == e.server
        assert e.r.stats()["exception_to_kernel"] >= before + 2  # IKE_SA_INIT, IKE_AUTH
    finally:
        e.pair.terminate(CONN.name)


def test_deleted_sa(env):
    e = env
    sa = fresh_sa(e)
    key = lookup_spi(e.agents["b"].socket, *spis(sa))["key"]
    e.pair.terminate(CONN.name)
    _, accept = python_setup(e, ENC | IKEV2, b"".join(spis(sa)), key)
    assert accept == 6
    # the client finds no SA itself: it says so and stops (exit 3)
    r, out = run_client(e, *ike_args(e, "auth"))
    assert r.returncode == 3, r.stderr
    assert r.stderr.strip() == f"twamp-client: no IKEv2 SA with {e.server}"
    assert out["control"]["result"] == "unsupported"
    assert out["control"]["ikev2"] == {"spi_i": None, "spi_r": None, "prf": None}
    assert out["sessions"] == []


def test_peer_address_check(env):
    """The SA's key used from another address of namespace a: Accept 6."""
    e = env
    sa = fresh_sa(e)
    other = f"10.99.{SUBNET}.7"
    e.net.a.ip("addr", "add", f"{other}/24", "dev", e.net.a_end.ifname)
    try:
        key = lookup_spi(e.agents["b"].socket, *spis(sa))["key"]
        before = e.d.stats()
        _, accept = python_setup(e, AUTH | IKEV2, b"".join(spis(sa)), key, src=other)
        assert accept == 6
        assert e.d.stats()["ikev2-peer-mismatch"] == before["ikev2-peer-mismatch"] + 1
        assert log_has(e, rf"ikev2 set-up refused: peer={other}:\d+ .* agent=OK: the connection "
                          rf"does not come from the IKE SA's peer {e.net.a_end.ip4} \(Accept 6\)")
        # the same key from the SA's own address is good; a wrong one is Accept 1
        assert python_setup(e, AUTH | IKEV2, b"".join(spis(sa)), key)[1] == 0
        assert python_setup(e, AUTH | IKEV2, b"".join(spis(sa)), key[::-1])[1] == 1
    finally:
        e.net.a.ip("addr", "del", f"{other}/24", "dev", e.net.a_end.ifname, check=False)
        e.pair.terminate(CONN.name)


# ---------------------------------------------------------------------------
# the key agent and charon going away and coming back


def restart_agent_b(e, kinds):
    old = e.agents["b"]
    assert old.proc.stop() == 0
    e.agents["b"] = KeyAgent(old.dir, e.pair.b.ippm_sock, policy(kinds)).start(e.procs)


def test_agent_gone_policy_refusal_and_back(env):
    e = env
    sa = fresh_sa(e)
    try:
        e.agents["b"].proc.stop()
        st = wait_for(lambda: not offered(e) and ikev2_state(e), "0x80 withdrawn without agent")
        assert st["key-agent-status"] == "unreachable"
        assert log_has(e, r"key agent at \S+: NO_AGENT: not offering IKEv2-derived mode \(0x80\)")
        r, out = run_client(e, *ike_args(e, "auth"))
        assert r.returncode == 3
        assert "server does not offer IKEv2-derived keys (mode 0x80" in r.stderr
        assert out["control"]["result"] == "unsupported"
        assert out["control"]["ikev2"]["spi_i"] == sa["initiator-spi"]
        r, out = run_client(e, *psk_args(e))
        check_ok(r, out, 20)

        # an agent whose policy gives this server no SPI lookups: Accept 6
        restart_agent_b(e, ["peer"])
        wait_for(lambda: offered(e), "0x80 offered again")
        before = e.d.stats()
        r, out = run_client(e, *ike_args(e, "enc"))
        assert r.returncode == 3
        assert (f"server has no IKEv2 SA {sa['initiator-spi']}:{sa['responder-spi']} for us "
                "(Accept 6)") in r.stderr
        assert out["control"]["accept"] == 6 and out["control"]["result"] == "refused"
        assert e.d.stats()["ikev2-not-permitted"] == before["ikev2-not-permitted"] + 1

        restart_agent_b(e, ["spi", "peer"])
        wait_for(lambda: offered(e), "0x80 offered again")
        r, out = run_client(e, *ike_args(e, "enc", count=10))
        check_ok(r, out, 10)
    finally:
        if not e.agents["b"].proc.alive():
            restart_agent_b(e, ["spi", "peer"])
        e.pair.terminate(CONN.name)


def test_charon_stopped_and_back(env):
    e = env
    fresh_sa(e)
    e.pair.b.stop()
    try:
        st = wait_for(lambda: not offered(e) and ikev2_state(e), "0x80 withdrawn without charon")
        assert st["key-agent-status"] == "charon-unreachable"
        assert log_has(e, r"key agent at \S+: AGENT_DOWN: not offering IKEv2-derived mode")
        modes, accept = python_setup(e, AUTH, PSK_ID.encode(), PSK)
        assert not modes & IKEV2 and modes & AUTH and accept == 0
        r, out = run_client(e, *psk_args(e, "enc"))
        check_ok(r, out, 20)
        assert "ikev2-derived" not in out["control"]["modes_offered"]
    finally:
        e.pair.b.start(e.procs)
    st = wait_for(lambda: offered(e) and ikev2_state(e), "0x80 offered with charon back")
    assert st["key-agent-status"] == "ok"
    assert e.d.log_count(r"key agent at \S+: OK: offering IKEv2-derived mode \(0x80\)") >= 2
    sa = fresh_sa(e)
    try:
        r, out = run_client(e, *ike_args(e, "auth", count=10))
        check_ok(r, out, 10)
        assert out["control"]["ikev2"]["spi_i"] == sa["initiator-spi"]
    finally:
        e.pair.terminate(CONN.name)
