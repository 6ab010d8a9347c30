"""Full TWAMP end to end: our Control-Client / Session-Sender (twamp-client
twamp) against our control server (twamp-controld) and our reflector
(twamp-reflector), the real binaries.

    namespace a                         namespace b
    twamp-client twamp ── veth ═══ veth (af_packet) ── twamp-reflector
                                                          │ exception port
                                                          └─ TAP tw0 ── twamp-controld
                                                                  (session API)

One namespace pair, reflector and controld serve the whole module; each
test runs the client once and checks:

* the client's --json: control "ok", every session sent and got back every
  packet (no loss, duplicates, failures), with a distinct SID;
* the reflector: a watcher polling its telemetry (/twamp/sessions and
  /twamp/session,SID) saw each of those SIDs installed during the run, with
  the client's ports and the test mode; the global counters grew by exactly
  the packets reflected and nothing else went wrong; the sessions are gone
  after Stop-Sessions plus their Timeout;
* the server: its log names each SID, and its state socket's counters grew
  by exactly what the run should cause (every other counter unchanged), with
  no connection left.

Covered: every mode over IPv4 and IPv6, three sessions, RFC 5938
individual session control, RFC 6038 reflect octets and symmetrical size
(alone, and all together in mixed mode over IPv6), a chosen receiver port
and DSCP, the largest packet that fits 1500 octets.  Refusals end the client
with exit 3 and the server counts them: a wrong passphrase and an unknown
KeyID (authentication-failed), a packet one octet too large (the session,
Accept 1)."""

from __future__ import annotations

import json
import os
import re
import threading
import time

import pytest

from harness import netns
from harness.controld import Controld
from harness.reflector import ProcGroup, binary, running_reflector

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

SUBNET = 10
KEYID = "e2e-user"
SECRET = b"end to end shared secret"
KEYS = {KEYID: SECRET, "other": b"another user's secret"}
PORT_MIN, PORT_MAX = 51000, 51099
SERVER = {"count": 10, "test-port-min": PORT_MIN, "test-port-max": PORT_MAX}
COUNT, INTERVAL, TIMEOUT = 50, "0.002", "1"   # packets and seconds per session
CLIENT_BOUND = 60.0                          # seconds a client run may take at most
MODE_BITS = {"open": 0x1, "auth": 0x2, "enc": 0x4, "mixed": 0x8}
TEST_MODE = {"open": "open", "auth": "authenticated", "enc": "encrypted", "mixed": "open"}
# reflector counters that must not move during a clean run (not ip_options:
# the kernel in namespace a sends IGMP / MLD reports with Router Alert at times)
DP_QUIET = ("auth_failures", "malformed", "no_session", "not_started", "bad_checksum",
            "oversized", "tx_drops")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("twamp-e2e")
    with running_reflector(tmp, SUBNET) as (net, r):
        procs = ProcGroup(tmp)
        d = Controld(tmp, r.sock, keys=KEYS, server=SERVER)
        try:
            d.start(procs, net.b)
            yield net, r, d
            d.stop()
        finally:
            procs.stop_all()


def secret_file(tmp_path, data=SECRET + b"\n", name="secret"):
    path = tmp_path / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, data)
    os.close(fd)
    return path


class Watcher(threading.Thread):
    """Polls the reflector's telemetry while a client runs: every SID
    installed that was not there at the start, with its last details."""

    def __init__(self, r):
        super().__init__(daemon=True)
        self.r = r
        self.before = set(r.telemetry("/twamp/sessions"))
        self.seen: dict[str, dict] = {}
        self.error = None
        self.halt = threading.Event()

    def run(self):
        try:
            while not self.halt.is_set():
                for sid in set(self.r.telemetry("/twamp/sessions")) - self.before:
                    info = self.r.telemetry(f"/twamp/session,{sid}")
                    if info:                    # None once removed in between
                        self.seen[sid] = info
                self.halt.wait(0.02)
        except Exception as e:                  # handed to the test
            self.error = e

    def stop(self):
        self.halt.set()
        self.join(10)
        assert not self.is_alive(), "telemetry watcher stuck"
        if self.error:
            raise self.error


def wait_gone(r, sids, timeout=15.0) -> set:
    """The SIDs still installed once none is, or the timeout passed."""
    deadline = time.monotonic() + timeout
    while True:
        left = set(r.telemetry("/twamp/sessions")) & set(sids)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


# one set-up's PBKDF2 run by the authentication pool (a secured mode)
AUTH_JOB = {"auth-jobs-queued": 1, "auth-jobs-completed": 1}


def counter_delta(before: dict, after: dict, ignore=()) -> dict:
    return {k: after[k] - before[k] for k in after
            if k in before and k not in ignore and after[k] != before[k]}


class Run:
    """One client run and what was observed around it."""

    def __init__(self, rc, out, err, seen, dp_delta, srv_delta, log):
        self.rc, self.out, self.err = rc, out, err
        self.seen, self.dp_delta, self.srv_delta, self.log = seen, dp_delta, srv_delta, log


def run_client(env, procs, tmp_path, mode, *extra, v6=False, key_id=KEYID, secret=SECRET,
               count=COUNT):
    """twamp-client twamp ... --json from namespace a; waits for the sessions
    to leave the dataplane and the server to close the connection."""
    net, r, d = env
    host = net.b_end.ip6 if v6 else net.b_end.ip4
    argv = [binary("twamp-client"), "twamp", "-m", mode, "-c", str(count), "-i", INTERVAL,
            "-t", TIMEOUT, "--json", *extra]
    if mode != "open":
        argv += ["--key-id", key_id, "--secret-file", secret_file(tmp_path, secret + b"\n")]
    argv.append(host)
    dp0, srv0, log0 = r.stats(), d.stats(), len(d.log())
    w = Watcher(r)
    w.start()
    try:
        p = procs(argv, ns=net.a, name="client")
        rc = p.wait(timeout=CLIENT_BOUND)
        out = json.loads(p.stdout()) if p.stdout().strip() else None
        sids = [s["sid"] for s in out["sessions"]] if out else []
        left = wait_gone(r, sids)
    finally:
        w.stop()
    assert not left, f"sessions still installed after Stop-Sessions + Timeout: {left}"
    srv1 = d.wait_stat("connections-closed", srv0["connections-closed"] + 1)
    assert not d.connections(), "the server still holds the connection"
    return Run(rc, out, p.stderr(), w.seen, counter_delta(dp0, r.stats()),
               counter_delta(srv0, srv1, ignore=("state-requests",)), d.log()[log0:])


def check_clean(run, env, mode, n=1, count=COUNT, v6=False, setup_extra=None):
    """A run in which every session measured every packet, seen end to end."""
    net, _, _ = env
    assert run.rc == 0, run.err
    out = run.out
    ctl = out["control"]
    assert (ctl["result"], ctl["error"], ctl["accept"]) == ("ok", None, None)
    assert ctl["stopped"] is True and ctl["mode"] == mode
    assert ctl["mode_value"] & 0xf == MODE_BITS[mode]
    assert out["server"]["address"] == (net.b_end.ip6 if v6 else net.b_end.ip4)
    assert out["server"]["port"] == 862
    sessions = out["sessions"]
    assert [s["index"] for s in sessions] == list(range(1, n + 1))
    assert len({s["sid"] for s in sessions}) == n
    for s in sessions:
        assert (s["sent"], s["received"], s["lost"]) == (count, count, 0), s
        assert (s["duplicates"], s["auth_failures"], s["invalid"]) == (0, 0, 0), s
        assert s["loss_percent"] == 0 and s["error"] is None, s
        assert s["rtt_ns"]["count"] == count
        assert s["sender_ttl"] == {"min": 255, "max": 255}
        assert s["mode"] == ("open" if mode in ("open", "mixed") else mode)
        assert PORT_MIN <= s["reflector_port"] <= PORT_MAX
        assert (s["host"], s["port"]) == (out["server"]["address"], s["reflector_port"])
        # the dataplane had it installed during the run, as negotiated
        info = run.seen.get(s["sid"])
        assert info is not None, f"session {s['sid']} never seen in /twamp/sessions"
        assert (info["sender_port"], info["reflector_port"]) == (s["sender_port"],
                                                                  s["reflector_port"])
        assert info["mode"] == TEST_MODE[mode]
        assert info["sender"].strip("[]") == (net.a_end.ip6 if v6 else net.a_end.ip4)
        assert info["reflector"].strip("[]") == (net.b_end.ip6 if v6 else net.b_end.ip4)
        assert re.search(rf"session accepted: peer=\S+ accept=0 sid={s['sid']} ", run.log)
        assert re.search(rf"session stopped: peer=\S+ sid={s['sid']} timeout=1000ms", run.log)
    # the reflector reflected exactly these packets, and nothing went wrong
    assert run.dp_delta.get("reflected") == n * count, run.dp_delta
    assert not {k: run.dp_delta[k] for k in DP_QUIET if k in run.dp_delta}, run.dp_delta
    # the server counted exactly this connection
    setup = "setup-unauthenticated" if mode == "open" else "authentication-ok"
    want = {"connections-accepted": 1, "connections-closed": 1, setup: 1,
            "sessions-accepted": n, "sessions-started": n, "sessions-stopped": n,
            **({} if mode == "open" else AUTH_JOB), **(setup_extra or {})}
    assert run.srv_delta == want


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("mode", ["open", "auth", "enc", "mixed"])
def test_modes(env, procs, tmp_path, mode, v6):
    run = run_client(env, procs, tmp_path, mode, v6=v6)
    check_clean(run, env, mode, v6=v6)
    assert run.out["control"]["mode_value"] == MODE_BITS[mode]
    assert run.out["control"]["key_id"] == (None if mode == "open" else KEYID)
    if mode != "open":
        assert re.search(rf'authentication ok: peer=\S+ key-id="{KEYID}" '
                         rf'mode=0x{MODE_BITS[mode]:x}', run.log)


def test_three_sessions(env, procs, tmp_path):
    run = run_client(env, procs, tmp_path, "enc", "-n", "3", "-s", "128")
    check_clean(run, env, "enc", n=3)
    assert {s["packet_size"] for s in run.out["sessions"]} == {128}
    assert len({s["reflector_port"] for s in run.out["sessions"]}) == 3
    assert re.search(r"start sessions: peer=\S+ started=3 accept=0", run.log)


def test_individual_session_control(env, procs, tmp_path):
    run = run_client(env, procs, tmp_path, "auth", "-n", "2", "--individual")
    check_clean(run, env, "auth", n=2)
    assert run.out["control"]["individual"] is True
    assert run.out["control"]["mode_value"] == 0x2 | 0x10
    assert re.search(r"start-n sessions: peer=\S+ sessions=2 accept=0", run.log), run.log


def test_reflect_octets(env, procs, tmp_path):
    run = run_client(env, procs, tmp_path, "auth", "--reflect-octets", "8", "-s", "112")
    check_clean(run, env, "auth")
    assert run.out["control"]["reflect_octets"] is True
    assert run.out["control"]["mode_value"] == 0x2 | 0x20
    s = run.out["sessions"][0]
    assert s["server_octets"] == 0                      # what our server offers
    m = re.search(rf"session accepted: .* sid={s['sid']} .* flags=0x([0-9a-f]+) .* padding=64 ",
                  run.log)
    assert m and int(m.group(1), 16) & 0x02, run.log    # TWR_SF_REFLECT_OCTETS


def test_symmetrical(env, procs, tmp_path):
    run = run_client(env, procs, tmp_path, "enc", "--symmetrical", "-s", "160")
    check_clean(run, env, "enc")
    assert run.out["control"]["symmetrical"] is True
    assert run.out["control"]["mode_value"] == 0x4 | 0x40
    s = run.out["sessions"][0]
    assert s["symmetrical"] is True and s["packet_size"] == 160
    m = re.search(rf"session accepted: .* sid={s['sid']} .* flags=0x([0-9a-f]+) .* padding=48 ",
                  run.log)
    assert m and int(m.group(1), 16) & 0x01, run.log    # TWR_SF_SYMMETRICAL


def test_all_features_mixed_ipv6(env, procs, tmp_path):
    """Mixed mode (open test packets) with RFC 5938 and both RFC 6038
    features over IPv6, three sessions."""
    run = run_client(env, procs, tmp_path, "mixed", "-n", "3", "--individual", "--symmetrical",
                     "--reflect-octets", "4", "-s", "100", v6=True)
    check_clean(run, env, "mixed", n=3, v6=True)
    assert run.out["control"]["mode_value"] == 0x8 | 0x10 | 0x20 | 0x40
    for s in run.out["sessions"]:
        assert s["symmetrical"] is True and s["server_octets"] == 0
        m = re.search(rf"session accepted: .* sid={s['sid']} .* sec=0 flags=0x([0-9a-f]+) ",
                      run.log)
        assert m and int(m.group(1), 16) & 0x03 == 0x03, run.log
    assert re.search(r"stop-n sessions: peer=\S+ sessions=3 accept=0", run.log), run.log


def test_receiver_port_and_dscp(env, procs, tmp_path):
    run = run_client(env, procs, tmp_path, "enc", "--receiver-port", str(PORT_MIN + 50),
                     "--dscp", "46")
    check_clean(run, env, "enc")
    s = run.out["sessions"][0]
    assert s["reflector_port"] == PORT_MIN + 50
    assert re.search(rf"session accepted: .* sid={s['sid']} .* dscp=46 ", run.log), run.log


@pytest.mark.parametrize("mode,size,v6", [("open", 1472, False), ("enc", 1452, True)],
                         ids=["open-ipv4", "enc-ipv6"])
def test_largest_packet(env, procs, tmp_path, mode, size, v6):
    """The largest sender packet that fits a 1500-octet IP packet."""
    run = run_client(env, procs, tmp_path, mode, "-s", str(size), v6=v6)
    check_clean(run, env, mode, v6=v6)
    assert run.out["sessions"][0]["packet_size"] == size


def test_packet_too_large(env, procs, tmp_path):
    """One octet more: the server refuses the session (Accept 1), the
    client reports it and exits 3, nothing is left installed."""
    run = run_client(env, procs, tmp_path, "auth", "-s", "1473")
    assert run.rc == 3
    assert run.err.strip() == ("twamp-client: session 1 refused "
                               "(Accept 1: failure, reason unspecified)")
    ctl = run.out["control"]
    assert (ctl["result"], ctl["accept"], ctl["stopped"]) == ("refused", 1, False)
    assert run.out["sessions"] == [] and not run.seen
    assert re.search(r"session refused: peer=\S+ accept=1: Padding Length too large", run.log)
    assert run.srv_delta == {"connections-accepted": 1, "connections-closed": 1,
                             "authentication-ok": 1, "sessions-refused": 1, **AUTH_JOB}


def check_refused(run, env, key_id, why):
    assert run.rc == 3, run.err
    errs = [line for line in run.err.splitlines() if line]
    assert len(errs) == 1 and errs[0].startswith("twamp-client: ")
    assert "authentication failed (Accept 1)" in errs[0]
    ctl = run.out["control"]
    assert (ctl["result"], ctl["accept"], ctl["stopped"]) == ("refused", 1, False)
    assert run.out["sessions"] == [] and not run.seen
    assert run.dp_delta.get("reflected") is None
    net = env[0]
    assert re.search(rf'authentication failed: peer={re.escape(net.a_end.ip4)}:\d+ '
                     rf'key-id="{key_id}" mode=0x2: {why} \(Accept 1\)', run.log), run.log


def test_wrong_passphrase(env, procs, tmp_path):
    run = run_client(env, procs, tmp_path, "auth", secret=b"not the secret")
    check_refused(run, env, KEYID, "token does not carry the challenge")
    assert run.srv_delta == {"connections-accepted": 1, "connections-closed": 1,
                             "authentication-failed": 1, **AUTH_JOB}


def test_unknown_key_id(env, procs, tmp_path):
    run = run_client(env, procs, tmp_path, "auth", key_id="nobody")
    check_refused(run, env, "nobody", "unknown KeyID")
    assert run.srv_delta == {"connections-accepted": 1, "connections-closed": 1,
                             "authentication-failed": 1, "unknown-key-id": 1, **AUTH_JOB}
