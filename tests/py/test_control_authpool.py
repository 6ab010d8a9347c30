"""System tests of twamp-controld's authentication pool (control/ctl_authpool.c):
PBKDF2 and the Token check run on worker threads, so wrong Tokens cost the
workers' time and never the event loop's.

twamp-controld runs alone in a fresh namespace and listens on 127.0.0.1
there (no reflector: set-ups need no dataplane, the session socket is
absent); every loopback address 127.x.y.z of that namespace can be a
client's source, so a test can rotate sources as an attacker would
(ip-block cannot stop them: each address fails once).

* a flood of wrong Tokens from 20 attackers, each connection from a new
  source address, sent as fast as the server answers: a good client's 20
  authenticated set-ups all get Accept 0, the state socket (served by the
  event loop) answers promptly throughout, and the counters add up;
* jobs that wait for the only worker longer than authentication-timeout:
  the connection is closed, the job is discarded (auth-jobs-discarded),
  and the timeout is the server's, not a failed authentication;
* auth-workers 0 is one worker per CPU the server may run on (its
  affinity: that of the test, inherited).

The connection limits are raised out of the way here: they are not what is
tested (max-pending-authentication would otherwise refuse connections
before the greeting)."""

from __future__ import annotations

import ctypes
import os
import re
import socket
import statistics
import struct
import subprocess
import threading
import time

import pytest

from harness import netns
from harness.controld import Controld
from harness.reflector import ProcGroup
from harness.twamp_ctl import AUTH, ControlClosed, TwampControl

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

HOST = "127.0.0.1"
KEYS = {"user1": b"correct horse battery staple"}
LIMITS = {"max-connections": 256, "max-connections-per-client": 8,
          "max-pending-authentication": 128}
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


@pytest.fixture
def ns(tmp_path):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    with netns.Netns.create() as n:
        yield n


@pytest.fixture
def procs(tmp_path):
    g = ProcGroup(tmp_path)
    yield g
    g.stop_all()


def start(tmp_path, procs, ns, port, server):
    d = Controld(tmp_path, tmp_path / "no-dataplane.sock", keys=KEYS,
                 server={"listen-address": [HOST], "server-tcp-port": port, **LIMITS, **server},
                 name=f"controld-{port}")
    d.start(procs, ns)
    return d


def enter(ns):
    """Switch the calling thread into namespace ns."""
    fd = os.open(f"/run/netns/{ns.name}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)


def wrong_setup(keyid=b"user1") -> bytes:
    """A Set-Up-Response (mode authenticated) whose Token is random octets:
    it costs the sender nothing and the server one PBKDF2."""
    return struct.pack(">I", AUTH) + keyid.ljust(80, b"\0") + os.urandom(64) + bytes(16)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        part = s.recv(n - len(buf))
        if not part:
            raise ControlClosed(f"closed after {len(buf)} of {n} octets")
        buf += part
    return buf


class Attackers:
    """n threads in ns, each sending wrong Tokens as fast as the server
    answers, every connection from a source address never used before."""

    def __init__(self, ns, port, n):
        self.ns, self.port, self.n = ns, port, n
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.next_src = 0
        self.accepts: dict[int, int] = {}
        self.closed = self.errors = 0
        self.threads = [threading.Thread(target=self.body, daemon=True) for _ in range(n)]

    def source(self) -> str:
        with self.lock:
            k = self.next_src
            self.next_src += 1
        return f"127.0.{10 + k // 250}.{1 + k % 250}"    # 127.0.10.1 ... (never 127.0.0.1)

    def one(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.settimeout(30)
            s.bind((self.source(), 0))
            s.connect((HOST, self.port))
            recv_exact(s, 64)
            s.sendall(wrong_setup())
            accept = recv_exact(s, 48)[15]
            with self.lock:
                self.accepts[accept] = self.accepts.get(accept, 0) + 1
        except (ControlClosed, ConnectionError):
            with self.lock:
                self.closed += 1
        finally:
            s.close()

    def body(self):
        try:
            enter(self.ns)
        except OSError:
            with self.lock:
                self.errors += 1
            return
        while not self.stop.is_set():
            try:
                self.one()
            except OSError:
                with self.lock:
                    self.errors += 1
                time.sleep(0.01)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=40)
        assert not any(t.is_alive() for t in self.threads), "an attacker thread hangs"
        return False

    def answered(self) -> int:
        with self.lock:
            return sum(self.accepts.values())


def good_setup(ns, port) -> float:
    """One authenticated set-up from 127.0.0.1; its time in seconds."""
    t0 = time.monotonic()
    c = TwampControl.connect(ns, HOST, port, src=HOST, timeout=30)
    try:
        c.greeting()
        accept = c.setup(AUTH, b"user1", KEYS["user1"])
    finally:
        c.close()
    assert accept == 0, f"the good client's set-up was answered Accept {accept}"
    return time.monotonic() - t0


def timed_state(d) -> float:
    t0 = time.monotonic()
    d.state()
    return time.monotonic() - t0


def wait_quiet(d, timeout=30.0) -> dict:
    """Until no connection is left and no job waits; the state then."""
    deadline = time.monotonic() + timeout
    while True:
        st = d.state()["server"]
        if not st.get("ctrl-connection") and int(st["auth-queue-depth"]) == 0:
            return st
        assert time.monotonic() < deadline, \
            f"{len(st.get('ctrl-connection', []))} connections, depth {st['auth-queue-depth']}"
        time.sleep(0.1)


def delta(after, before, name):
    return int(after["statistics"][name]) - int(before["statistics"][name])


# ---------------------------------------------------------------------------

def test_wrong_token_flood(tmp_path, procs, ns):
    d = start(tmp_path, procs, ns, 8620, {"auth-workers": 2, "count": 15})
    d.wait_log(r"authentication pool: 2 workers \(auth-workers 2\), queue of 256 jobs")
    idle = [good_setup(ns, 8620) for _ in range(3)]
    before = d.state()["server"]
    times, state_times = [], []
    with Attackers(ns, 8620, 20) as a:
        deadline = time.monotonic() + 10
        while a.answered() < 40:                        # the flood is on
            assert time.monotonic() < deadline, f"attackers answered {a.answered()} times"
            time.sleep(0.05)
        for _ in range(20):
            times.append(good_setup(ns, 8620))
            state_times.append(timed_state(d))
        flooded = a.answered()
    after = wait_quiet(d)
    print(f"good set-up idle {statistics.median(idle) * 1e3:.0f} ms, under flood median "
          f"{statistics.median(times) * 1e3:.0f} ms max {max(times) * 1e3:.0f} ms; state read "
          f"max {max(state_times) * 1e3:.0f} ms; attackers answered {flooded}: {a.accepts}, "
          f"closed {a.closed}, errors {a.errors}, sources {a.next_src}")
    assert a.errors == 0
    assert set(a.accepts) <= {1}, a.accepts           # wrong Token: Accept 1, nothing else
    assert a.accepts.get(1, 0) >= 40
    # the loop is not stalled by the PBKDF2 runs: the state socket answers
    assert max(state_times) < 2.0, state_times
    assert delta(after, before, "authentication-ok") == 20
    assert delta(after, before, "authentication-failed") == a.accepts[1]
    assert delta(after, before, "unknown-key-id") == 0
    assert delta(after, before, "refused-pending-authentication") == 0
    assert delta(after, before, "addresses-blocked") == 0     # one failure per source
    queued = delta(after, before, "auth-jobs-queued")
    completed = delta(after, before, "auth-jobs-completed")
    # every set-up answered went through the pool; nothing was refused
    assert completed == 20 + a.accepts[1]
    assert delta(after, before, "auth-jobs-queue-full") == 0
    assert queued == completed + delta(after, before, "auth-jobs-discarded")
    assert int(after["auth-queue-depth"]) == 0
    d.stop()


def test_timeout_while_waiting_for_a_worker(tmp_path, procs, ns):
    """One worker, 2^20 iterations (0.3-1.3 s each), a 3 s authentication
    timeout: of 24 wrong Set-Up-Responses sent at once, the later ones wait
    past the timeout; each connection ends either answered (Accept 1, a
    failed authentication) or closed by the timeout with its job discarded
    (not a failed authentication: the client had sent all it had to). A
    25th resets right after its Set-Up-Response: abandoned, job discarded."""
    n = 24
    d = start(tmp_path, procs, ns, 8621, {"auth-workers": 1, "count": 20,
                                          "authentication-timeout": 3})
    d.wait_log(r"authentication pool: 1 workers \(auth-workers 1\)")
    before = d.state()["server"]
    socks = []
    try:
        for i in range(n):
            c = TwampControl.connect(ns, HOST, 8621, src=f"127.0.1.{i + 1}", timeout=30)
            socks.append(c)
            c.greeting()
        for c in socks:
            c.send_raw(wrong_setup())
        # one more sends a wrong Token and resets while its job waits: an
        # abandoned authentication (ip-block), its job discarded
        r = TwampControl.connect(ns, HOST, 8621, src="127.0.1.200", timeout=30)
        r.greeting()
        r.send_raw(wrong_setup())
        r.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        r.close()
        d.wait_stat("authentication-abandoned",
                    int(before["statistics"]["authentication-abandoned"]) + 1, timeout=10)
        # waiting for the worker, each is still a connection in set-up
        # (pending authentication)
        mid = d.state()["server"]
        assert int(mid["auth-queue-depth"]) >= 1, mid["auth-queue-depth"]
        states = [x["control-state"] for x in mid.get("ctrl-connection", [])]
        assert states == ["setup"] * n, states
        answered = timed_out = 0
        for c in socks:
            try:
                accept = c.server_start()
                assert accept == 1
                answered += 1
            except ControlClosed:
                timed_out += 1
    finally:
        for c in socks:
            c.close()
    wait_quiet(d, timeout=60)
    # a job cancelled while it runs is discarded when its worker is done
    d.wait_stat("auth-jobs-discarded",
                int(before["statistics"]["auth-jobs-discarded"]) + timed_out + 1, timeout=30)
    after = d.state()["server"]
    waited = d.log_count(r"closing connection: peer=127\.0\.1\.\d+:\d+ state=setup: "
                         r"authentication timeout \(the job waited for an authentication "
                         r"worker\)")
    print(f"answered {answered}, timed out {timed_out}, logged {waited}")
    assert timed_out >= 2 and answered + timed_out == n
    assert 1 <= waited <= timed_out       # lines within the log budget; the counters count all
    assert delta(after, before, "authentication-failed") == answered
    assert delta(after, before, "authentication-timeout") == timed_out
    assert delta(after, before, "authentication-abandoned") == 1
    assert delta(after, before, "auth-jobs-discarded") == timed_out + 1
    assert delta(after, before, "auth-jobs-completed") == answered
    assert delta(after, before, "auth-jobs-queued") == n + 1
    assert delta(after, before, "addresses-blocked") == 0
    d.stop()


def test_workers_default_one_per_cpu(tmp_path, procs, ns):
    d = start(tmp_path, procs, ns, 8622, {})
    n = min(64, len(os.sched_getaffinity(0)))
    d.wait_log(rf"authentication pool: {n} workers \(auth-workers 0\), queue of 256 jobs")
    assert int(d.state()["server"]["auth-queue-depth"]) == 0
    good_setup(ns, 8622)
    d.stop()


def test_config_refuses_too_many_workers(tmp_path):
    d = Controld(tmp_path, tmp_path / "none.sock", keys=KEYS, server={"auth-workers": 65})
    r = subprocess.run(d.argv(d.write_config()), capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r.stderr
    assert re.search(r"auth-workers", r.stderr), r.stderr
