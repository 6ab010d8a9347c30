"""twamp-controld in a network namespace, for system tests.

    with running_reflector(tmp, subnet) as (net, r):
        d = Controld(tmp, session_socket=r.sock, keys={"user1": b"secret"},
                     server={"count": 10})
        # dataplane=r.config()[...]["dataplane"]: the server knows the port
        # addresses (the test addresses), as from one shared file
        d.start(procs, net.b)                # next to the reflector, in b
        d.state()                            # the YANG JSON of the state socket
        d.stats()["sessions-accepted"]       # server/statistics as ints
        d.wait_log(r"session accepted: .*")  # its stderr (one line per event)
        d.stop()                             # SIGTERM: exit 0, no sanitizer report

The server runs as harness.users.suite_users().controld (server/user; it
refuses to run as root without one): a member of the reflector's session
socket group and of nogroup (the key agents' sockets).

The configuration is written as the twamp-reflector YANG module wants it
(root-owned, mode 0600, since it holds keys); the state socket lives in
the test's temporary folder (a Unix socket: reachable from any namespace).
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import time
from pathlib import Path

from .reflector import binary
from .users import suite_users


class Controld:
    def __init__(self, tmpdir, session_socket, keys=None, server=None, security=None,
                 dataplane=None, name: str = "controld", user: str | None = None):
        self.tmp = Path(tmpdir)
        self.name = name
        self.session_socket = str(session_socket)
        self.state_path = self.tmp / f"{name}-state.sock"
        self.keys = keys or {}                  # key-id -> secret octets
        self.server = {"count": 10, **(server or {})}
        self.security = security or {}
        self.dataplane = dataplane or {}        # e.g. the reflector's: its port addresses
        # server/user: None = the suite's test user (harness.users), "" = none
        self.user = suite_users().controld.name if user is None else user
        self.proc = None

    # -- configuration ---------------------------------------------------
    def config(self) -> dict:
        server = dict(self.server)
        if self.user and "user" not in server:
            server["user"] = self.user
        top = {"server": server}
        if self.security:
            top["security-baseline"] = self.security
        if self.dataplane:
            top["dataplane"] = self.dataplane
        if self.keys:
            top["key-chain"] = {"key": [{"key-id": k, "secret-key": base64.b64encode(v).decode()}
                                        for k, v in self.keys.items()]}
        return {"twamp-reflector:twamp-reflector": top}

    def write_config(self) -> Path:
        path = self.tmp / f"{self.name}.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.config(), f, indent=1)
        os.chmod(path, 0o600)
        return path

    def argv(self, cfg: Path) -> list[str]:
        return [str(binary("twamp-controld")), "-c", str(cfg),
                "--session-socket", self.session_socket, "--state-socket", str(self.state_path)]

    # -- life cycle ------------------------------------------------------
    def start(self, procs, ns, timeout: float = 15.0):
        cfg = self.write_config()
        self.proc = procs(self.argv(cfg), ns=ns, name=self.name)
        self.proc.wait_for_log(r"twamp-controld \S+ running", timeout=timeout)
        return self.proc

    def stop(self) -> int:
        """SIGTERM; must exit 0 without a sanitizer report."""
        rc = self.proc.stop()
        err = self.proc.stderr()
        for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert bad not in err, f"controld: {bad}\n{self.proc.tails(40)}"
        assert rc == 0, f"controld exited with {rc}\n{self.proc.tails(20)}"
        return rc

    # -- observation -----------------------------------------------------
    def log(self) -> str:
        return self.proc.stderr()

    def wait_log(self, pattern: str, timeout: float = 10.0) -> re.Match:
        return self.proc.wait_for_log(pattern, timeout=timeout, stream="stderr")

    def log_count(self, pattern: str) -> int:
        return len(re.findall(pattern, self.log(), re.M))

    def state(self, timeout: float = 5.0) -> dict:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        data = b""
        try:
            s.connect(str(self.state_path))
            while True:
                part = s.recv(65536)
                if not part:
                    break
                data += part
        finally:
            s.close()
        return json.loads(data)["twamp-reflector:twamp-reflector"]

    def stats(self) -> dict:
        return {k: int(v) for k, v in self.state()["server"]["statistics"].items()}

    def connections(self) -> list[dict]:
        return self.state()["server"].get("ctrl-connection", [])

    def wait_stat(self, name: str, at_least: int, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            st = self.stats()
            if st[name] >= at_least or time.monotonic() > deadline:
                return st
            time.sleep(0.05)
