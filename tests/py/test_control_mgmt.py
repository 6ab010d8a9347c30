"""TWAMP-Control on a management interface: the client reaches the server on
an address the dataplane does not serve and names the data port's address
as the Receiver Address (twamp-client twamp --receiver-address).

    namespace a                              namespace b
    twamp-client ── veth 10.99.S.0/24 ═══ veth (af_packet) ── twamp-reflector
         │          (test packets)                              │ TAP tw0
         │                                                      │ 10.99.S.2
         └──── veth 10.99.S+100.0/24 ═══ veth (kernel) ──── twamp-controld
               (TWAMP-Control)           10.99.S+100.2     (any address)

twamp-controld's configuration carries the reflector's dataplane section,
so the server knows the port's addresses (10.99.S.2, fd00:99:S::2): the
only addresses test sessions may name.  Checked:

* with --receiver-address 10.99.S.2 over the management connection, an
  authenticated session measures every packet: installed in the reflector
  (its telemetry) with the data address as reflector and the client's
  management address as sender, the reflected counter grows by the count;
* without it (our client then names the address it connected to) and with
  an address that is not a dataplane address: Accept 1, exit 3, the
  server's log line and sessions-refused;
* a zero Receiver Address (from the harness's own TWAMP-Control client)
  means the management address, which the dataplane does not serve:
  Accept 1 asking to name one; the data address on the same connection is
  accepted, its SID carries it;
* control through the exception port still needs no Receiver Address.

The test packets leave a from its management address (the Sender Address,
the control peer) towards the data address: a's neighbour entry for the
data address is pinned, since an ARP request sourced from the management
address would be dropped by b's strict reverse-path filter.
"""

from __future__ import annotations

import json
import re
import socket
from dataclasses import dataclass

import pytest

from harness import netns
from harness.controld import Controld
from harness.reflector import ProcGroup, binary, running_reflector
from harness.twamp_ctl import AUTH, TwampControl
from test_twamp_e2e import (AUTH_JOB, DP_QUIET, Run, Watcher, counter_delta, secret_file,
                            wait_gone)

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

SUBNET = 12
MGMT_SUBNET = SUBNET + 100
KEYID = "mgmt-user"
SECRET = b"management plane secret"
PORT_MIN, PORT_MAX = 51100, 51199
SERVER = {"count": 10, "test-port-min": PORT_MIN, "test-port-max": PORT_MAX}
COUNT, INTERVAL, TIMEOUT = 50, "0.002", "1"
CLIENT_BOUND = 60.0
REFUSED = "twamp-client: session 1 refused (Accept 1: failure, reason unspecified)"


@dataclass
class Env:
    net: netns.NetnsPair
    mgmt: netns.Veth        # kernel-owned at both ends
    r: object
    d: Controld


def pin_neighbour(net):
    """Keep the neighbour entry a learnt for the data address (the start-up
    ping) for the whole module."""
    a_end = net.a_end.ifname
    entries = json.loads(net.a.ip("-j", "neigh", "show", "dev", a_end).stdout)
    mac = next(e["lladdr"] for e in entries if e.get("dst") == net.b_end.ip4 and "lladdr" in e)
    net.a.ip("neigh", "replace", net.b_end.ip4, "lladdr", mac, "dev", a_end, "nud", "permanent")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("control-mgmt")
    with running_reflector(tmp, SUBNET) as (net, r):
        mgmt = netns.Veth.create(net.a, net.b, MGMT_SUBNET)   # gone with the namespaces
        pin_neighbour(net)
        procs = ProcGroup(tmp)
        dp = r.config()["twamp-reflector:twamp-reflector"]["dataplane"]
        d = Controld(tmp, r.sock, keys={KEYID: SECRET}, server=SERVER, dataplane=dp)
        try:
            d.start(procs, net.b)
            yield Env(net, mgmt, r, d)
            d.stop()
        finally:
            procs.stop_all()


def run_client(env, procs, tmp_path, host, *extra, mode="auth"):
    """twamp-client twamp ... --json HOST from namespace a, observed on
    both daemons; waits for the sessions to go and the connection to close."""
    r, d = env.r, env.d
    argv = [binary("twamp-client"), "twamp", "-m", mode, "-c", str(COUNT), "-i", INTERVAL,
            "-t", TIMEOUT, "--json", *extra]
    if mode != "open":
        argv += ["--key-id", KEYID, "--secret-file", secret_file(tmp_path, SECRET + b"\n")]
    argv.append(host)
    dp0, srv0, log0 = r.stats(), d.stats(), len(d.log())
    w = Watcher(r)
    w.start()
    try:
        p = procs(argv, ns=env.net.a, name="client")
        rc = p.wait(timeout=CLIENT_BOUND)
        out = json.loads(p.stdout()) if p.stdout().strip() else None
        left = wait_gone(r, [s["sid"] for s in out["sessions"]] if out else [])
    finally:
        w.stop()
    assert not left, f"sessions still installed after Stop-Sessions + Timeout: {left}"
    srv1 = d.wait_stat("connections-closed", srv0["connections-closed"] + 1)
    assert not d.connections(), "the server still holds the connection"
    return Run(rc, out, p.stderr(), w.seen, counter_delta(dp0, r.stats()),
               counter_delta(srv0, srv1, ignore=("state-requests",)), d.log()[log0:])


def check_measured(run, sender, reflector, setup):
    assert run.rc == 0, run.err
    ctl = run.out["control"]
    assert (ctl["result"], ctl["error"], ctl["stopped"]) == ("ok", None, True)
    [s] = run.out["sessions"]
    assert (s["sent"], s["received"], s["lost"]) == (COUNT, COUNT, 0), s
    assert (s["duplicates"], s["auth_failures"], s["invalid"], s["error"]) == (0, 0, 0, None), s
    assert (s["host"], s["port"]) == (reflector, s["reflector_port"])
    info = run.seen.get(s["sid"])
    assert info is not None, f"session {s['sid']} never seen in /twamp/sessions"
    assert info["reflector"] == reflector and info["sender"] == sender, info
    assert (info["sender_port"], info["reflector_port"]) == (s["sender_port"],
                                                              s["reflector_port"])
    assert re.search(rf"session accepted: peer={re.escape(sender)}:\d+ accept=0 "
                     rf"sid={s['sid']} sender={re.escape(sender)}:{s['sender_port']} "
                     rf"reflector={re.escape(reflector)}:{s['reflector_port']} ", run.log), run.log
    assert run.dp_delta.get("reflected") == COUNT, run.dp_delta
    assert not {k: run.dp_delta[k] for k in DP_QUIET if k in run.dp_delta}, run.dp_delta
    assert run.srv_delta == {"connections-accepted": 1, "connections-closed": 1, setup: 1,
                             "sessions-accepted": 1, "sessions-started": 1,
                             "sessions-stopped": 1,
                             **({} if setup == "setup-unauthenticated" else AUTH_JOB)}
    return s


def check_refused(run, why):
    assert run.rc == 3, run.err
    assert run.err.strip() == REFUSED
    ctl = run.out["control"]
    assert (ctl["result"], ctl["accept"], ctl["stopped"]) == ("refused", 1, False)
    assert run.out["sessions"] == [] and not run.seen
    assert run.dp_delta.get("reflected") is None
    assert re.search(r"session refused: peer=\S+ accept=1: " + re.escape(why), run.log), run.log
    assert run.srv_delta == {"connections-accepted": 1, "connections-closed": 1,
                             "authentication-ok": 1, "sessions-refused": 1, **AUTH_JOB}


def test_management_with_receiver_address(env, procs, tmp_path):
    data, mgmt = env.net.b_end.ip4, env.mgmt.b.ip4
    run = run_client(env, procs, tmp_path, mgmt, "--receiver-address", data)
    check_measured(run, sender=env.mgmt.a.ip4, reflector=data, setup="authentication-ok")
    assert run.out["server"]["address"] == mgmt
    assert run.out["server"]["receiver_address"] == data
    assert re.search(rf"connection accepted: peer={re.escape(env.mgmt.a.ip4)}:\d+ "
                     rf"local={re.escape(mgmt)}:862", run.log), run.log


def test_management_without_receiver_address(env, procs, tmp_path):
    """Our client then names the address it connected to (the management
    address): not a dataplane address."""
    mgmt = env.mgmt.b.ip4
    run = run_client(env, procs, tmp_path, mgmt)
    check_refused(run, f"Receiver Address {mgmt} is not an address of the dataplane ports")
    assert run.out["server"]["receiver_address"] is None


def test_receiver_address_not_a_dataplane_address(env, procs, tmp_path):
    """In the data port's prefix, but not the port's address."""
    other = netns.ip4_addr(SUBNET, 3)
    run = run_client(env, procs, tmp_path, env.mgmt.b.ip4, "--receiver-address", other)
    check_refused(run, f"Receiver Address {other} is not an address of the dataplane ports")


def test_zero_receiver_address_on_management(env):
    """A client that leaves the Receiver Address zero (RFC 5357: the server
    picks) on the management connection is told to name it; naming the
    data address on the same connection is accepted."""
    d = env.d
    srv0, log0 = d.stats(), len(d.log())
    c = TwampControl.connect(env.net.a, env.mgmt.b.ip4, 862)
    try:
        c.greeting()
        assert c.setup(AUTH, KEYID.encode(), SECRET) == 0
        assert c.request_session(sender_port=40001).accept == 1
        a = c.request_session(sender_port=40001,
                              receiver_addr=socket.inet_aton(env.net.b_end.ip4))
        assert a.accept == 0 and a.sid[:4] == socket.inet_aton(env.net.b_end.ip4)
    finally:
        c.close()
    srv1 = d.wait_stat("connections-closed", srv0["connections-closed"] + 1)
    log = d.log()[log0:]
    assert re.search(rf"session refused: peer={re.escape(env.mgmt.a.ip4)}:\d+ accept=1: "
                     rf"the control connection's address {re.escape(env.mgmt.b.ip4)} is not "
                     rf"served by the dataplane: the request must name a Receiver Address",
                     log), log
    assert re.search(r"connection closed: .* sessions-removed=1 ", log), log
    assert counter_delta(srv0, srv1, ignore=("state-requests",)) == {
        "connections-accepted": 1, "connections-closed": 1, "authentication-ok": 1,
        "sessions-refused": 1, "sessions-accepted": 1, "sessions-removed": 1, **AUTH_JOB}


def test_exception_port_needs_no_receiver_address(env, procs, tmp_path):
    """Control through the exception port, on a dataplane address: the zero
    Receiver Address is that address, as before."""
    data = env.net.b_end.ip4
    run = run_client(env, procs, tmp_path, data, mode="open")
    check_measured(run, sender=env.net.a_end.ip4, reflector=data,
                   setup="setup-unauthenticated")
    assert run.out["server"]["receiver_address"] is None
