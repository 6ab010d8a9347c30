"""The system-test harness works: namespaces, veth, processes, packets, and
everything is gone afterwards (also after an exception, also at exit)."""

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

import twamp_ref as tr
from harness import netns, pkt
from harness.proc import Proc, ProcError

HERE = Path(__file__).parent
ECHO = str(HERE / "harness" / "udp_echo.py")
PY = "/usr/bin/python3"
PORT = 7001



def _gone(pid: int, marker: str) -> bool:
    """The process is gone (its PID is free or reused by something else)."""
    try:
        return marker not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except FileNotFoundError:
        return True


def _echo(procs, ns):
    p = procs([PY, ECHO, PORT], ns=ns, name="echo")
    p.wait_for_log(rf"ready {PORT}", timeout=10)
    p.wait_for_port(PORT, "udp", timeout=10)
    return p


def test_pid_is_the_program(ns_pair, procs):
    p = _echo(procs, ns_pair.b)
    assert os.readlink(f"/proc/{p.pid}/exe").startswith("/usr/bin/python3")
    assert os.stat(f"/proc/{p.pid}/ns/net").st_ino == os.stat(ns_pair.b.path).st_ino
    assert ns_pair.b.pids() == [p.pid]


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_udp_echo_across_veth(ns_pair, procs, family):
    _echo(procs, ns_pair.b)
    s = pkt.udp_socket(ns_pair.a, family)
    dst = ns_pair.b_end.ip4 if family == socket.AF_INET else ns_pair.b_end.ip6
    with s:
        assert pkt.exchange(s, b"hello " + dst.encode(), (dst, PORT), timeout=5) == b"hello " + dst.encode()
    # the echo server is not reachable from the test's own namespace
    assert ns_pair.a_end.ip4.startswith("10.99.1.") and ns_pair.b_end.ip6.startswith("fd00:99:1::")


def test_raw_frames(ns_pair, procs):
    """Frames built with scapy leave on the AF_PACKET port: IP options and
    fragments are answered by the echo server; a VLAN frame reaches the peer."""
    from scapy.layers.inet import UDP, IPOption_RR

    _echo(procs, ns_pair.b)
    a, b = ns_pair.a_end, ns_pair.b_end
    rx = pkt.udp_socket(a.ns, bind=("0.0.0.0", 40000))
    with rx, pkt.RawPort(a) as port, pkt.RawPort(b) as peer:
        port.send(pkt.udp_frame(a, b, 40000, PORT, b"with options", ip_options=[IPOption_RR()]))
        assert pkt.recv(rx, 5)[0] == b"with options"
        big = bytes(range(256)) * 5
        frags = pkt.fragment(pkt.udp_frame(a, b, 40000, PORT, big), 256)
        assert len(frags) == 6
        port.send_all(frags)
        assert pkt.recv(rx, 5)[0] == big
        port.send(pkt.udp_frame(a, b, 40001, PORT, b"tagged", vlan=99))
        seen = peer.recv(lambda f: f.haslayer("Dot1Q") and UDP in f and f[UDP].sport == 40001, 5)
        assert seen is not None and seen["Dot1Q"].vlan == 99 and bytes(seen[UDP].payload) == b"tagged"


def test_twamp_sender_against_echo(ns_pair, procs):
    """An echo is not a reflector: TwampSender.check must reject it."""
    _echo(procs, ns_pair.b)
    keys = tr.derive_test_keys(bytes(16), bytes(16), bytes(32))
    snd = pkt.TwampSender(sec=tr.AUTH, keys=keys, padding=64)
    with pkt.udp_socket(ns_pair.a) as s:
        plain, wire = snd.next()
        reply = pkt.exchange(s, wire, (ns_pair.b_end.ip4, PORT), timeout=5)
    assert reply == wire and len(wire) == 112
    with pytest.raises(tr.AuthError):
        snd.check(plain, reply)


def _cleanup_case(raise_inside: bool):
    names, pid = [], None
    try:
        with netns.NetnsPair(subnet=7) as net:
            names = [net.a.name, net.b.name]
            assert set(names) <= netns.list_namespaces()
            with Proc([PY, ECHO, PORT], ns=net.b) as p:
                pid = p.pid
                p.wait_for_log(rf"ready {PORT}", timeout=10)
                with pkt.udp_socket(net.a) as s:
                    assert pkt.exchange(s, b"x", (net.b_end.ip4, PORT), timeout=5) == b"x"
                if raise_inside:
                    raise KeyError("inside")
    except KeyError:
        assert raise_inside
    assert p.returncode == -signal.SIGTERM
    assert _gone(pid, "udp_echo.py")
    assert not set(names) & netns.list_namespaces()


@pytest.mark.system
def test_cleanup_after_normal_exit():
    _cleanup_case(False)


@pytest.mark.system
def test_cleanup_after_exception():
    _cleanup_case(True)


@pytest.mark.system
def test_cleanup_at_interpreter_exit(tmp_path):
    """A namespace and a process left behind are removed by the atexit hooks."""
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "from harness import netns\n"
        "from harness.proc import Proc\n"
        "ns = netns.Netns.create()\n"
        f"p = Proc([{PY!r}, {ECHO!r}, '{PORT}'], ns=ns, logdir={str(tmp_path)!r}).start()\n"
        f"p.wait_for_log('ready', timeout=10)\n"
        "print(ns.name, p.pid, flush=True)\n"
    )
    r = subprocess.run([PY, "-c", script], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    name, pid = r.stdout.split()
    assert name.startswith("twr-t-")
    assert name not in netns.list_namespaces()
    assert _gone(int(pid), "udp_echo.py")


@pytest.mark.system
def test_namespace_delete_kills_stragglers(tmp_path):
    with netns.Netns.create() as ns:
        p = Proc([PY, ECHO, PORT], ns=ns, logdir=tmp_path).start()
        p.wait_for_log("ready", timeout=10)
    assert p.wait(timeout=10) == -signal.SIGKILL
    assert ns.name not in netns.list_namespaces()


def test_stop_escalates_to_sigkill(procs):
    ignore = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    p = procs([PY, "-c", ignore])
    p.wait_for_log("up", timeout=10)
    assert p.stop(term_timeout=0.5) == -signal.SIGKILL
    assert not p.alive()


def test_waits_are_bounded(procs, tmp_path):
    quiet = procs([PY, "-c", "import time; time.sleep(60)"])
    with pytest.raises(ProcError, match="no log"):
        quiet.wait_for_log("never", timeout=0.3)
    with pytest.raises(ProcError, match="no file"):
        quiet.wait_for_file(tmp_path / "never", timeout=0.3)
    with pytest.raises(ProcError, match="no udp port"):
        quiet.wait_for_port(PORT, timeout=0.3)
    dead = procs([PY, "-c", "import sys; print('bad config', file=sys.stderr); sys.exit(3)"])
    with pytest.raises(ProcError, match="(?s)exited.*bad config"):
        dead.wait_for_log("ready", timeout=10)
    assert dead.returncode is None and dead.wait(timeout=5) == 3


def test_unavailable_reports_a_reason(monkeypatch):
    monkeypatch.setattr(netns.os, "geteuid", lambda: 1000)
    assert "root" in netns.unavailable()
