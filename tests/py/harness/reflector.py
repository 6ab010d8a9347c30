"""The real twamp-reflector in a network namespace, for system tests.

    with NetnsPair(subnet=1) as net:
        r = Reflector(net, tmp_path, light=[{"name": "l", "udp-port": 862}])
        r.start(procs)                       # af_packet on net.b_end, TAP tw0
        r.telemetry("/twamp/stats")          # dict
        with r.api() as api: api.add(...)    # session API (harness.session_api)

The session socket is in a directory of its own under /tmp (r.api_dir,
made by the reflector), with the group of harness.users.suite_users().api,
which the control server's test user is in.

Topology: namespace a is the sender with the kernel's address on its veth
end; namespace b runs the reflector on the other veth end through
af_packet. The kernel in b must not handle that interface's traffic itself
(its addresses live on the TAP exception interface, like on a NIC bound to
DPDK), so b's veth end gets no address, no IPv6, strict reverse-path
filtering and no ARP replies. The sender's veth end computes UDP checksums
in software (veth would otherwise leave them to an offload that af_packet
does not finish).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import secrets
import socket
import tempfile
import time
from pathlib import Path

from .proc import Proc
from .users import suite_users

TAP = "tw0"


class ProcGroup:
    """Starts Procs with their logs in one folder and stops them all, last
    started first (the procs() fixture, for module-scoped fixtures)."""

    def __init__(self, logdir):
        self.logdir, self.started = logdir, []

    def __call__(self, argv, ns=None, name=None, env=None):
        p = Proc(argv, ns=ns, logdir=self.logdir, name=name, env=env).start()
        self.started.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.started):
            p.stop()


@contextlib.contextmanager
def running_reflector(tmpdir, subnet, **kw):
    """Two namespaces joined by a veth (10.99.<subnet>.0/24), a reflector
    started in the second with Reflector(**kw); yields (net, reflector).
    On the way out the reflector must stop cleanly (status 0, no sanitizer
    report), and every process and namespace is gone whatever happened."""
    from . import netns
    procs = ProcGroup(tmpdir)
    with netns.NetnsPair(subnet=subnet) as net:
        r = Reflector(net, tmpdir, **kw)
        try:
            r.start(procs)
            yield net, r
            r.stop()
        finally:
            procs.stop_all()
            shutil.rmtree(f"/var/run/dpdk/{r.prefix}", ignore_errors=True)
            shutil.rmtree(r.api_dir, ignore_errors=True)


def build_dir() -> Path:
    """The build whose binaries are tested: $TWR_BUILD, else ./build."""
    top = Path(__file__).resolve().parents[3]
    return Path(os.environ.get("TWR_BUILD", top / "build"))


def binary(name: str) -> Path:
    sub = {"twamp-reflector": "dataplane", "twamp-client": "client",
           "twamp-controld": "control"}[name]
    return build_dir() / sub / name


def isolate_data_iface(ns, ifname: str):
    """Keep the kernel off a DPDK af_packet interface, with the script that
    operators use (dpdk-configs/af-packet-isolate.sh)."""
    top = Path(__file__).resolve().parents[3]
    ns.run("sh", str(top / "dpdk-configs" / "af-packet-isolate.sh"), ifname)


def software_checksums(ns, ifname: str):
    ns.run("ethtool", "-K", ifname, "tx", "off")


class Reflector:
    def __init__(self, net, tmpdir: Path, light=None, keys=None, extra=None,
                 addrs=None, dataplane=None, queues: int = 1):
        self.net, self.tmp = net, Path(tmpdir)
        self.prefix = "twr-t-" + secrets.token_hex(4)
        # the session socket's directory, made by the reflector (0750, group
        # api_group): outside the test's private folder, so that the control
        # server reaches it once it runs as its unprivileged user
        self.api_dir = Path(tempfile.gettempdir()) / f"twr-t-api-{secrets.token_hex(4)}"
        self.sock = self.api_dir / "session.sock"
        self.api_group = suite_users().api
        self.addrs = addrs or [f"{net.b_end.ip4}/24", f"{net.b_end.ip6}/64"]
        self.light = light or []
        self.keys = keys or {}          # key-id -> 48 raw octets
        self.dataplane = dataplane or {}
        self.extra = extra or {}
        self.queues = queues            # af_packet qpairs = RX queues = workers
        self.proc: Proc | None = None

    # -- configuration ---------------------------------------------------
    def config(self) -> dict:
        import base64
        dp = {"session-socket": str(self.sock), "session-socket-group": self.api_group.name,
              "mbufs": 4095,
              "port": [{"name": "net_af_packet0", "exception-interface": TAP,
                        "rx-queues": self.queues, "address": self.addrs}]}
        dp.update(self.dataplane)
        top = {"dataplane": dp, "session-reflector": {"light": {"reflector": self.light}}}
        if self.keys:
            top["key-chain"] = {"key": [{"key-id": k, "secret-key": base64.b64encode(v).decode()}
                                        for k, v in self.keys.items()]}
        top.update(self.extra)
        return {"twamp-reflector:twamp-reflector": top}

    def write_config(self) -> Path:
        path = self.tmp / "reflector.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.config(), f, indent=1)
        os.chmod(path, 0o600)
        return path

    def argv(self, cfg: Path) -> list[str]:
        # main lcore on CPU 0, workers spread over the two CPUs
        lcores = ",".join(f"{i}@{i % 2}" for i in range(self.queues + 1))
        return [str(binary("twamp-reflector")), "--no-huge", "-m", "512", "--no-pci",
                "--file-prefix", self.prefix, "--lcores", lcores, "--log-level", "lib.eal:error",
                "--vdev", f"net_af_packet0,iface={self.net.b_end.ifname},qpairs={self.queues}",
                "--", "-c", str(cfg)]

    # -- life cycle ------------------------------------------------------
    def start(self, procs, timeout: float = 30.0) -> Proc:
        isolate_data_iface(self.net.b, self.net.b_end.ifname)
        software_checksums(self.net.a, self.net.a_end.ifname)
        cfg = self.write_config()
        self.proc = procs(self.argv(cfg), ns=self.net.b, name="reflector")
        self.proc.wait_for_log(r"twamp-reflector \S+ running", timeout=timeout)
        self.proc.wait_for_log(r"worker 0 on lcore", timeout=timeout)
        self._wait_reachable()
        return self.proc

    def _wait_reachable(self, timeout: float = 10.0):
        """ARP through the exception path: the first packet may wait for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.net.a.run("ping", "-c", "1", "-W", "1", self.net.b_end.ip4, check=False)
            if r.returncode == 0:
                return
        raise RuntimeError("reflector's address never answered ping: " + self.proc.tails())

    def stop(self):
        """Stop by PID; the reflector must exit cleanly (status 0, no
        sanitizer report)."""
        if self.proc is None:
            return
        rc = self.proc.stop()
        err = self.proc.stderr()
        for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert bad not in err, f"reflector: {bad}\n{self.proc.tails(40)}"
        assert rc == 0, f"reflector exited with {rc}\n{self.proc.tails(20)}"


    # -- observation -----------------------------------------------------
    def telemetry(self, cmd: str, timeout: float = 5.0):
        path = f"/var/run/dpdk/{self.prefix}/dpdk_telemetry.v2"
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(timeout)
        try:
            s.connect(path)
            json.loads(s.recv(16384))          # the greeting
            s.send(cmd.encode())
            reply = json.loads(s.recv(1 << 20))
        finally:
            s.close()
        return reply[cmd.split(",")[0]]

    def stats(self) -> dict:
        return self.telemetry("/twamp/stats")

    def wait_stat(self, name: str, at_least: int, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            st = self.stats()
            if st[name] >= at_least or time.monotonic() > deadline:
                return st
            time.sleep(0.05)

    def api(self):
        from .session_api import SessionApi
        return SessionApi(str(self.sock))
