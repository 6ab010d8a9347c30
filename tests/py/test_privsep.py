"""Privilege separation, with the real daemons (issue 17, item 5):

- twamp-controld and twamp-keyagent give up root for their configured
  users once their sockets are open: /proc/PID/status shows the user's ids
  in all four slots, no capability in any set, no_new_privs; started as
  root without a user they refuse to run;
- the reflector's session socket (mode 0660, the configured group) admits
  root, its own uid and the group's members only (SO_PEERCRED and
  SO_PEERGROUPS), disconnects idle clients, and refuses test ports 500,
  4500 and system ports outside the test port range, each with its counter
  and log line; the unprivileged control server reconnects after an idle
  close and still installs sessions;
- a socket directory writable by others is refused.

Users and groups are made here with useradd -r / groupadd -r under unique
names and removed afterwards (harness.users).
"""

import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import netns
from harness.controld import Controld
from harness.keyagent import KeyAgent, agent_binary, ping
from harness.reflector import ProcGroup, binary, running_reflector
from harness.session_api import EPERM, ApiError, SessionApi
from harness.twamp_ctl import UNAUTH, TwampControl
from harness.users import SystemGroup, SystemUser

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

SUBNET = 17
IDLE_S = 2
SERVER = {"test-port-min": 50200, "test-port-max": 50300, "server-tcp-port": 8862}
CAP_SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


class Env:
    pass


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    e = Env()
    e.tmp = tmp_path_factory.mktemp("privsep")
    with running_reflector(e.tmp, SUBNET,
                           dataplane={"session-api-idle-timeout": IDLE_S}) as (net, r):
        e.net, e.r = net, r
        e.procs = ProcGroup(e.tmp)
        # a user of its own, in the socket's group only as a supplementary group
        e.ctl_user = SystemUser("pctl", groups=[r.api_group.name])
        e.other = SystemUser("poth")                 # in no group of ours
        try:
            e.d = Controld(e.tmp, r.sock, server=SERVER, user=e.ctl_user.name)
            e.d.start(e.procs, net.b)
            yield e
            e.d.stop()
        finally:
            e.procs.stop_all()
            e.ctl_user.remove()
            e.other.remove()


def status(pid) -> dict:
    text = Path(f"/proc/{pid}/status").read_text()
    return {k: v.strip() for k, v in (line.split(":", 1) for line in text.splitlines()
                                      if ":" in line)}


def assert_dropped(pid, uid, gid, groups):
    st = status(pid)
    assert st["Uid"].split() == [str(uid)] * 4, st["Uid"]
    assert st["Gid"].split() == [str(gid)] * 4, st["Gid"]
    assert sorted(int(g) for g in st["Groups"].split()) == sorted(groups), st["Groups"]
    for cap in CAP_SETS:
        assert int(st[cap], 16) == 0, f"{cap} {st[cap]}"
    assert st["NoNewPrivs"] == "1"
    for task in Path(f"/proc/{pid}/task").iterdir():     # every thread
        t = status(f"{pid}/task/{task.name}")
        assert t["Uid"].split() == [str(uid)] * 4 and int(t["CapEff"], 16) == 0


def stats(r) -> dict:
    return r.stats()


def wait_for(pred, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.05)


def request_session(e, sport):
    c = TwampControl.connect(e.net.a, e.net.b_end.ip4, SERVER["server-tcp-port"])
    try:
        c.greeting()
        assert c.setup(UNAUTH) == 0
        return c, c.request_session(sender_port=sport)
    except Exception:
        c.close()
        raise


# ---------------------------------------------------------------------------
# twamp-controld


def test_controld_runs_as_its_user_without_capabilities(env):
    e = env
    u = e.ctl_user
    assert_dropped(e.d.proc.pid, u.uid, u.gid, [u.gid, e.r.api_group.gid])
    e.d.wait_log(rf"running as uid {u.uid} gid {u.gid} user {u.name}, no capabilities")


def test_controld_reconnects_after_an_idle_close(env):
    """The dataplane closes the server's idle API connection; the next
    session is installed on a new one, made by path as the unprivileged
    user (a member of the socket's group by SO_PEERGROUPS only)."""
    e = env
    u = e.ctl_user
    # the connection made at start-up (as root, before the drop) goes idle
    wait_for(lambda: stats(e.r)["api_idle_closed"] >= 1, "the first idle close",
             timeout=IDLE_S + 8)
    for sport in (43001, 43002):
        c, a = request_session(e, sport)
        try:
            assert a.accept == 0, "no session after the idle close"
            assert a.sid.hex() in set(e.r.telemetry("/twamp/sessions"))
        finally:
            c.close()                                # REMOVE on the same connection
        # this round's idle close of the user's connection (the log holds them all)
        line = (f"session API: closed an idle client (pid {e.d.proc.pid} uid {u.uid}): "
                f"no request for {IDLE_S}s")
        wait_for(lambda: e.r.proc.stderr().count(line) >= sport - 43000,
                 f"idle close {sport - 43000} of the user's connection", timeout=IDLE_S + 8)


def test_controld_refuses_root_without_a_user(env):
    e = env
    d = Controld(e.tmp, e.tmp / "none.sock", server=SERVER, user="", name="controld-root")
    r = subprocess.run(d.argv(d.write_config()), capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stderr
    assert ("started as root and no server/user is configured: refusing to run as root"
            in r.stderr), r.stderr
    assert not d.state_path.exists()             # nothing was opened


def test_controld_refuses_an_unknown_user(env):
    e = env
    d = Controld(e.tmp, e.tmp / "none.sock", server=SERVER, user="twr-t-nosuchuser",
                 name="controld-nouser")
    r = subprocess.run(d.argv(d.write_config()), capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and 'no user "twr-t-nosuchuser"' in r.stderr, r.stderr


def test_state_socket_directory_writable_by_others_is_refused(env):
    e = env
    loose = e.tmp / "loose"
    loose.mkdir()
    loose.chmod(0o777)
    d = Controld(e.tmp, e.tmp / "none.sock", server=SERVER, name="controld-loose")
    d.state_path = loose / "state.sock"
    r = subprocess.run(d.argv(d.write_config()), capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stderr
    assert f"socket directory {loose}: writable by others; refused" in r.stderr, r.stderr
    assert not d.state_path.exists()


# ---------------------------------------------------------------------------
# the session socket


CLIENT = r"""
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect", e.errno); sys.exit(0)
try:
    s.send(struct.pack("=HHIII", 1, 7, 16, 1, 0))   # INFO
    rep = s.recv(512)
    print("reply", len(rep))
except OSError as e:
    print("closed", e.errno)
"""


def as_user(user, path, groups=None):
    r = subprocess.run([sys.executable, "-c", CLIENT, str(path)], capture_output=True,
                       text=True, timeout=30, user=user.uid, group=user.gid,
                       extra_groups=groups or [], cwd="/")
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_session_socket_mode_and_group(env):
    st = os.stat(env.r.sock)
    assert stat.S_IMODE(st.st_mode) == 0o660 and (st.st_uid, st.st_gid) == (0, env.r.api_group.gid)


def test_session_socket_admits_a_member_of_its_group(env):
    e = env
    assert as_user(e.ctl_user, e.r.sock, [e.r.api_group.gid]) == ["reply", "40"]


def test_session_socket_refuses_another_uid(env):
    """The file's mode keeps others out; widened by mistake, the peer
    check still does, with its counter and a log line."""
    e = env
    assert as_user(e.other, e.r.sock)[0] == "connect"          # EACCES: mode 0660
    before = stats(e.r)["api_peer_refused"]
    os.chmod(e.r.api_dir, 0o755)
    os.chmod(e.r.sock, 0o666)
    try:
        out = as_user(e.other, e.r.sock)
    finally:
        os.chmod(e.r.sock, 0o660)
        os.chmod(e.r.api_dir, 0o750)
    assert out[0] in ("closed", "reply") and out[-1] != "40", out   # no INFO answer
    assert stats(e.r)["api_peer_refused"] == before + 1
    e.r.proc.wait_for_log(rf"session API: refused a connection from pid \d+ uid {e.other.uid} "
                          rf"gid {e.other.gid}: not root, not uid 0, not in group "
                          rf"{re.escape(e.r.api_group.name)}")


def api_client(e, timeout=5.0) -> SessionApi:
    """A connection, once the listen backlog (4) has room: the main lcore
    accepts every 50 ms at least."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return SessionApi(str(e.r.sock))
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_idle_clients_are_disconnected_and_free_the_slots(env):
    """Nine silent clients: the ninth finds the 8 slots full (the control
    server's connection may hold one); all are closed after the idle
    timeout, and a new client is served."""
    e = env
    before = stats(e.r)
    held = [api_client(e) for _ in range(9)]
    try:
        for h in held:
            h.s.settimeout(IDLE_S + 8)
            assert h.s.recv(512) == b""              # refused at once, or closed idle
        after = stats(e.r)
        assert after["api_refused"] >= before["api_refused"] + 1
        assert after["api_idle_closed"] >= before["api_idle_closed"] + 7
        e.r.proc.wait_for_log(rf"session API: closed an idle client \(pid {os.getpid()} uid 0\)")
        e.r.proc.wait_for_log(r"session API: refused a connection from pid \d+ uid 0: 8 clients "
                              r"already")
        with SessionApi(str(e.r.sock)) as fresh:    # a slot again
            assert fresh.info()["max_sessions"] > 0
    finally:
        for h in held:
            h.close()


@pytest.mark.parametrize("port,why", [
    (500, r"test port reserved for IKE \(UDP 500, 4500\) \(UDP 500; range 49152-65535\)"),
    (4500, r"test port reserved for IKE \(UDP 500, 4500\) \(UDP 4500;"),
    (22, r"test port below 1024 outside the configured test port range \(UDP 22;"),
    (862, r"test port below 1024 outside the configured test port range \(UDP 862;"),
])
def test_add_on_a_reserved_port_is_refused(env, port, why):
    e = env
    before = stats(e.r)["api_port_refused"]
    sid = bytes([0x17, port >> 8, port & 0xFF]) + bytes(13)
    with SessionApi(str(e.r.sock)) as api:
        with pytest.raises(ApiError) as exc:
            api.add(sid, ipver=4, sec=0, reflector=(e.net.b_end.ip4, port),
                    sender=(e.net.a_end.ip4, 40000))
        assert exc.value.status == EPERM
        # a port the policy allows goes in as before
        api.add(sid, ipver=4, sec=0, reflector=(e.net.b_end.ip4, 20862),
                sender=(e.net.a_end.ip4, 40000))
        api.remove(sid)
    assert stats(e.r)["api_port_refused"] == before + 1
    e.r.proc.wait_for_log(rf"session API: add {sid.hex()} refused: status 7: {why}")


# ---------------------------------------------------------------------------
# twamp-keyagent (no charon needed: the plugin is reached per request)


def test_keyagent_runs_as_its_user_without_capabilities(tmp_path):
    base = tmp_path
    procs = ProcGroup(base / "logs")
    try:
        with SystemGroup("pkag") as g, SystemUser("pka") as u:
            agent = KeyAgent(base / "agent", base / "no-plugin.sock",
                             [{"name": "t", "uid": 0, "lookup": ["spi"],
                               "peer-prefix": ["10.0.0.0/8"]}],
                             user=u.name, socket_group=g.name).start(procs)
            assert_dropped(agent.proc.pid, u.uid, u.gid, [u.gid])
            st = agent.socket.stat()
            assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o660, 0, g.gid)
            assert ping(agent.socket)["status"] == "AGENT_DOWN"      # serving, unprivileged
            agent.proc.wait_for_log(rf"uid {u.uid} gid {u.gid}, no capabilities")
            assert agent.proc.stop() == 0, agent.proc.tails()
    finally:
        procs.stop_all()


def test_keyagent_refuses_root_without_a_user_and_a_loose_directory(tmp_path):
    clients = [{"name": "t", "uid": 0, "lookup": ["spi"], "peer-prefix": ["10.0.0.0/8"]}]
    a = KeyAgent(tmp_path / "root", tmp_path / "no-plugin.sock", clients, user=None)
    r = subprocess.run([str(agent_binary()), "-c", str(a.config)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert "started as root and no user is configured: refusing to run as root" in r.stderr
    assert not a.socket.exists()
    b = KeyAgent(tmp_path / "loose", tmp_path / "no-plugin.sock", clients)
    b.dir.chmod(0o777)
    r = subprocess.run([str(agent_binary()), "-c", str(b.config)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert f"socket directory {b.dir}: writable by others; refused" in r.stderr, r.stderr
    assert not b.socket.exists()
