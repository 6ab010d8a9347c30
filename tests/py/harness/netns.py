"""Network namespaces and veth pairs for system tests.

    from harness.netns import NetnsPair

    with NetnsPair(subnet=1) as net:          # two namespaces joined by a veth
        net.a.name, net.b.name                 # "twr-t-3f9c1a2b", ...
        net.a_end.ip4, net.b_end.ip4           # "10.99.1.1", "10.99.1.2"
        net.a_end.ip6, net.b_end.ip6           # "fd00:99:1::1", "fd00:99:1::2"
        net.a_end.ifname, net.a_end.mac
        net.a.run("ping", "-c1", net.b_end.ip4)

Lower level: ``Netns.create()`` (a namespace with lo up, usable as a context
manager) and ``Veth.create(ns_a, ns_b, subnet)``.

Cleanup is guaranteed: leaving a ``with`` block (normally or through an
exception) deletes what it created, and an ``atexit`` hook deletes every
namespace this process created and has not deleted yet.  Deleting a namespace
first kills (SIGKILL, by PID) any process still running inside it: a
namespace is created here with a fresh random name, so whatever runs in it
was started by the tests.  Namespace names start with ``twr-t-``; nothing
outside namespaces created here is ever touched.

``unavailable()`` returns why namespaces cannot be used (not root, no ``ip``),
or None.  Every external command is bounded by a timeout.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

PREFIX = "twr-t-"
CMD_TIMEOUT = 10.0          # seconds, for every `ip` invocation

_live: dict[str, "Netns"] = {}
_lock = threading.Lock()


class NetnsError(RuntimeError):
    pass


def _ip(*args, check=True, timeout=CMD_TIMEOUT) -> subprocess.CompletedProcess:
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {r.stderr.strip()}")
    return r


def unavailable() -> str | None:
    """Why network namespaces cannot be used here, or None if they can."""
    if os.geteuid() != 0:
        return "needs root for network namespaces"
    if shutil.which("ip") is None:
        return "iproute2 `ip` not found"
    try:
        r = _ip("netns", "list", check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"`ip netns` unusable: {e}"
    if r.returncode != 0:
        return f"`ip netns` unusable: {r.stderr.strip()}"
    return None


def list_namespaces() -> set[str]:
    out = _ip("netns", "list").stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


class Netns:
    """One network namespace, deleted by delete() / leaving ``with``."""

    def __init__(self, name: str):
        self.name = name
        self.path = f"/run/netns/{name}"

    @classmethod
    def create(cls, prefix: str = PREFIX) -> "Netns":
        name = prefix + secrets.token_hex(4)
        ns = cls(name)
        with _lock:
            _ip("netns", "add", name)
            _live[name] = ns
        try:
            ns.ip("link", "set", "lo", "up")
        except BaseException:
            ns.delete()
            raise
        return ns

    # -- commands inside the namespace --------------------------------------

    def ip(self, *args, check=True) -> subprocess.CompletedProcess:
        """Run `ip -n <ns> args...`."""
        return _ip("-n", self.name, *args, check=check)

    def run(self, *argv, check=True, timeout=CMD_TIMEOUT, **kw) -> subprocess.CompletedProcess:
        """Run a short command inside the namespace and wait for it."""
        r = subprocess.run(["ip", "netns", "exec", self.name, *argv], capture_output=True,
                           text=True, timeout=timeout, **kw)
        if check and r.returncode != 0:
            raise NetnsError(f"{self.name}: {' '.join(argv)}: rc {r.returncode}: {r.stderr.strip()}")
        return r

    def link(self, ifname: str) -> dict:
        return json.loads(self.ip("-j", "link", "show", "dev", ifname).stdout)[0]

    def wait_link_up(self, ifname: str, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while True:
            info = self.link(ifname)
            if info.get("operstate") == "UP":
                return
            if time.monotonic() > deadline:
                raise NetnsError(f"{self.name}/{ifname} not up after {timeout}s: {info.get('operstate')}")
            time.sleep(0.02)

    def pids(self) -> list[int]:
        r = _ip("netns", "pids", self.name, check=False)
        return [int(p) for p in r.stdout.split() if p.isdigit()]

    # -- cleanup --------------------------------------------------------------

    def delete(self):
        """Kill what still runs inside, then delete the namespace.  Idempotent."""
        with _lock:
            if _live.pop(self.name, None) is None:
                return
        for pid in self.pids():
            if pid == os.getpid():      # a socket-making thread of ours
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _ip("netns", "del", self.name, check=False)

    @property
    def alive(self) -> bool:
        return self.name in _live

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.delete()
        return False

    def __repr__(self):
        return f"Netns({self.name!r})"


@dataclass
class VethEnd:
    ns: Netns
    ifname: str
    mac: str
    ip4: str            # address without prefix length; the subnet is /24
    ip6: str            # address without prefix length; the subnet is /64


def ip4_addr(subnet: int, host: int) -> str:
    return f"10.99.{subnet}.{host}"


def ip6_addr(subnet: int, host: int) -> str:
    return f"fd00:99:{subnet:x}::{host:x}"


class Veth:
    """A veth pair with one end in each namespace, addressed and up."""

    def __init__(self, a: VethEnd, b: VethEnd, subnet: int):
        self.a, self.b, self.subnet = a, b, subnet

    @classmethod
    def create(cls, ns_a: Netns, ns_b: Netns, subnet: int = 1,
               host_a: int = 1, host_b: int = 2) -> "Veth":
        if not 0 <= subnet <= 255 or not (1 <= host_a <= 254 and 1 <= host_b <= 254):
            raise ValueError("subnet 0..255, hosts 1..254")
        tag = secrets.token_hex(3)
        name_a, name_b = f"twr{tag}a", f"twr{tag}b"
        _ip("link", "add", name_a, "netns", ns_a.name, "type", "veth",
            "peer", "name", name_b, "netns", ns_b.name)
        ends = []
        for ns, name, host in ((ns_a, name_a, host_a), (ns_b, name_b, host_b)):
            ns.ip("addr", "add", f"{ip4_addr(subnet, host)}/24", "dev", name)
            ns.ip("addr", "add", f"{ip6_addr(subnet, host)}/64", "dev", name, "nodad")
            ns.ip("link", "set", name, "up")
            ends.append(VethEnd(ns, name, ns.link(name)["address"],
                                ip4_addr(subnet, host), ip6_addr(subnet, host)))
        for end in ends:
            end.ns.wait_link_up(end.ifname)
        return cls(ends[0], ends[1], subnet)

    def delete(self):
        """Delete the pair (deleting either namespace also does it)."""
        if self.a.ns.alive:
            self.a.ns.ip("link", "del", self.a.ifname, check=False)


class NetnsPair:
    """Two namespaces joined by a veth pair: attributes a, b (Netns), veth,
    a_end, b_end (VethEnd).  A context manager; close() deletes it all."""

    def __init__(self, subnet: int = 1):
        self.subnet = subnet
        self.a = self.b = self.veth = None

    def open(self) -> "NetnsPair":
        try:
            self.a = Netns.create()
            self.b = Netns.create()
            self.veth = Veth.create(self.a, self.b, self.subnet)
        except BaseException:
            self.close()
            raise
        return self

    @property
    def a_end(self) -> VethEnd:
        return self.veth.a

    @property
    def b_end(self) -> VethEnd:
        return self.veth.b

    def close(self):
        for ns in (self.a, self.b):
            if ns is not None:
                ns.delete()

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()
        return False


def _cleanup_all():
    for ns in list(_live.values()):
        try:
            ns.delete()
        except Exception:       # keep going: delete every other namespace too
            pass


atexit.register(_cleanup_all)
