"""Processes started inside a network namespace, stopped by PID.

    from harness.proc import Proc

    with Proc(["/usr/bin/twamp-reflector", "-c", cfg], ns=net.b, logdir=tmp_path) as p:
        p.wait_for_log(r"ready", timeout=10)        # regex on stdout+stderr
        p.wait_for_port(862, "udp", timeout=10)     # a socket bound in p's namespace
        p.wait_for_file("/run/twr/ctl.sock")
        ...
    p.returncode                                    # set once stopped

``ip netns exec NS prog args`` switches namespace and then exec()s the
program, so ``p.pid`` is the program's own PID (check: /proc/PID/exe).  Wrap
a shell pipeline as ``["sh", "-c", "exec prog ..."]`` to keep that true.
ns=None runs the program in the current namespace.

stdout and stderr go to ``<logdir>/<name>.out`` / ``.err`` (name defaults to
the program's basename plus the PID).  stop() sends SIGTERM, waits
``term_timeout`` seconds, then SIGKILL, and always reaps; leaving ``with``
calls it, and an atexit hook stops every process still running.  Every wait
is bounded; a wait that fails raises ProcError carrying the log tails.
"""

from __future__ import annotations

import atexit
import itertools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

POLL = 0.02                  # seconds between checks while waiting

_running: set["Proc"] = set()
_serial = itertools.count(1)
_lock = threading.Lock()


class ProcError(RuntimeError):
    pass


def _ns_name(ns) -> str | None:
    return None if ns is None else getattr(ns, "name", ns)


class Proc:
    def __init__(self, argv, ns=None, logdir=None, name: str | None = None,
                 env: dict | None = None, cwd=None):
        self.argv = [str(a) for a in argv]
        self.ns = _ns_name(ns)
        self._own_logdir = logdir is None     # made here: removed after stop()
        self.logdir = Path(logdir) if logdir is not None else Path(tempfile.mkdtemp(prefix="twr-t-log-"))
        self.name = name
        self.env, self.cwd = env, cwd
        self.popen: subprocess.Popen | None = None
        self.pid: int | None = None
        self.returncode: int | None = None
        self.stdout_path = self.stderr_path = None

    # -- lifecycle ----------------------------------------------------------

    def start(self) -> "Proc":
        if self.popen is not None:
            raise ProcError("already started")
        cmd = self.argv if self.ns is None else ["ip", "netns", "exec", self.ns, *self.argv]
        self.logdir.mkdir(parents=True, exist_ok=True)
        base = self.name or f"{Path(self.argv[0]).name}-{next(_serial)}"
        self.stdout_path = self.logdir / f"{base}.out"
        self.stderr_path = self.logdir / f"{base}.err"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            env = None if self.env is None else {**os.environ, **self.env}
            self.popen = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                          env=env, cwd=self.cwd, start_new_session=True)
        self.pid = self.popen.pid
        with _lock:
            _running.add(self)
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        """Wait for the program to exit by itself; ProcError after timeout."""
        try:
            rc = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ProcError(f"{self}: still running after {timeout}s\n{self.tails()}") from None
        self._reaped(rc)
        return rc

    def signal(self, sig: int):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, term_timeout: float = 5.0, kill_timeout: float = 5.0) -> int | None:
        """SIGTERM, then SIGKILL after term_timeout; always reaps.  Returns the
        exit status (negative: killed by that signal).  Idempotent."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.popen.wait(timeout=term_timeout)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=kill_timeout)
        self._reaped(self.popen.wait(timeout=kill_timeout))
        if self._own_logdir:
            shutil.rmtree(self.logdir, ignore_errors=True)
        return self.returncode

    def _reaped(self, rc: int):
        self.returncode = rc
        with _lock:
            _running.discard(self)

    def __enter__(self):
        if self.popen is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def __repr__(self):
        return f"Proc(pid={self.pid}, ns={self.ns}, argv={self.argv[:3]}...)"

    # -- output -------------------------------------------------------------

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path else ""

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path else ""

    def tails(self, n: int = 20) -> str:
        out = "\n".join(self.stdout().splitlines()[-n:])
        err = "\n".join(self.stderr().splitlines()[-n:])
        return f"--- stdout tail ---\n{out}\n--- stderr tail ---\n{err}"

    # -- bounded waits ------------------------------------------------------

    def _wait_until(self, what: str, check, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            got = check()
            if got:
                return got
            if not self.alive():
                got = check()       # the event may precede the exit
                if got:
                    return got
                rc = self.popen.poll() if self.popen else None
                raise ProcError(f"{self}: exited (rc {rc}) before {what}\n{self.tails()}")
            if time.monotonic() > deadline:
                raise ProcError(f"{self}: no {what} after {timeout}s\n{self.tails()}")
            time.sleep(POLL)

    def wait_for_log(self, pattern: str, timeout: float = 10.0, stream: str = "both") -> re.Match:
        """First match of regex `pattern` in stdout, stderr or both."""
        rx = re.compile(pattern, re.M)

        def check():
            texts = {"stdout": [self.stdout()], "stderr": [self.stderr()],
                     "both": [self.stdout(), self.stderr()]}[stream]
            for text in texts:
                m = rx.search(text)
                if m:
                    return m
            return None
        return self._wait_until(f"log /{pattern}/", check, timeout)

    def wait_for_file(self, path, timeout: float = 10.0) -> Path:
        p = Path(path)
        return self._wait_until(f"file {p}", lambda: p if p.exists() else None, timeout)

    def wait_for_port(self, port: int, proto: str = "udp", timeout: float = 10.0) -> bool:
        """A socket bound to `port` (UDP) or listening on it (TCP), IPv4 or
        IPv6, in the process's network namespace (/proc/PID/net/*)."""
        if proto not in ("udp", "tcp"):
            raise ValueError("proto is udp or tcp")
        return self._wait_until(f"{proto} port {port}",
                                lambda: _port_bound(self.pid, self.ns, port, proto), timeout)


def _in_netns(pid: int, ns: str | None) -> bool:
    """True once `pid` runs in namespace `ns` (ip netns exec has switched)."""
    try:
        mine = os.stat(f"/proc/{pid}/ns/net").st_ino
        want = os.stat(f"/run/netns/{ns}" if ns else "/proc/self/ns/net").st_ino
    except OSError:
        return False
    return mine == want


def _port_bound(pid: int, ns: str | None, port: int, proto: str) -> bool:
    if not _in_netns(pid, ns):
        return False
    for table in (proto, proto + "6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            local, state = f[1], f[3]
            if int(local.rsplit(":", 1)[1], 16) == port and (proto == "udp" or state == "0A"):
                return True
    return False


def _stop_all():
    for p in list(_running):
        try:
            p.stop(term_timeout=2.0)
        except Exception:        # keep going: stop every other process too
            pass


atexit.register(_stop_all)
