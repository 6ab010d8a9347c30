"""Two strongSwan charon daemons, one per namespace, with the ippm plugin.

    pair = CharonPair(net, workdir, plugin, conns=[Conn("p256", 1, "aes256-sha256-prfsha256-x25519")])
    pair.start(procs)                     # both daemons up, connections loaded
    sa = pair.initiate("p256")            # childless IKEv2 SA, PSK; dict from swanctl --raw
    pair.a.skds_since(mark)               # SK_d values charon logged (ike = 4) since a mark
    pair.rekey("p256"), pair.terminate("p256")
    pair.a.stop(); pair.a.start(procs)    # restart one daemon

Each connection has its own pair of addresses on the veth (10.99.S.H and
10.99.S.H+1), so the responder picks its configuration (proposals, PPK) by
address alone. charon's pid file is hard-wired to /var/run/charon.pid, so each
daemon runs under `ip netns exec` (a private mount namespace) with its own
folder bind-mounted on /run; every other path (vici and ippm sockets, log) is
absolute outside /run. The plugin is not installed: charon is started with
LD_PRELOAD=<plugin> and an explicit plugin list ending in `ippm`.

The log at `ike = 4` prints SK_d with every other IKE key: an independent
oracle for the tests, never a production setting. Every wait is bounded;
daemons are stopped by PID (harness.proc).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "swanctl"
PLUGINS = ("random nonce aes sha1 sha2 hmac kdf pem pkcs1 x509 pubkey curve25519 openssl "
           "socket-default kernel-netlink vici ippm")
PSK = "0sdHdhbXAtcmVmbGVjdG9yIHRlc3QgUFNL"             # base64, test only
PPK = "0x" + "5a" * 32                                   # test only
CMD_TIMEOUT = 15.0


class CharonError(RuntimeError):
    pass


@dataclass
class Conn:
    name: str
    host: int                 # side a is 10.99.S.host, side b 10.99.S.(host+1)
    proposal: str
    ppk: bool = False


def unavailable() -> str | None:
    """Why charon cannot run here, or None."""
    if not os.path.exists(CHARON):
        return f"{CHARON} not installed (strongswan-charon)"
    if shutil.which(SWANCTL) is None:
        return "swanctl not installed (strongswan-swanctl)"
    return None


def stop_system_service():
    """A charon started by systemd in the root namespace does not disturb
    ours (own namespaces, own /run), but ike.md asks that it be stopped."""
    if not os.path.isdir("/run/systemd/system") or shutil.which("systemctl") is None:
        return
    for unit in ("strongswan-starter", "strongswan"):
        r = subprocess.run(["systemctl", "is-active", "--quiet", unit], timeout=CMD_TIMEOUT)
        if r.returncode == 0:
            subprocess.run(["systemctl", "stop", unit], timeout=CMD_TIMEOUT, check=False)


def parse_sas(text: str) -> list[dict]:
    """`swanctl --list-sas --raw`: one dict per IKE SA (plus "name")."""
    sas = []
    for line in text.splitlines():
        m = re.match(r"list-sa event \{(\S+) \{", line)
        if m:
            sa = dict(re.findall(r"([\w-]+)=([^ {}]+)", line))
            sa["name"] = m.group(1)
            sas.append(sa)
    return sas


def parse_skds(text: str) -> list[bytes]:
    """SK_d values in log order from a charon log at `ike = 4` (lines like
    `13[IKE] <c|1> Sk_d secret => 32 bytes @ 0x...` then hex-dump lines of
    the same thread)."""
    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\d+)\[IKE\] (?:<[^>]*> )?Sk_d secret => (\d+) bytes", line)
        if not m:
            continue
        thread, want, data = m.group(1), int(m.group(2)), b""
        for nxt in lines[i + 1:]:
            if len(data) >= want:
                break
            d = re.match(rf"^{thread}\[IKE\] (?:<[^>]*> )?\s*\d+: ((?:[0-9A-F]{{2}} ?){{1,16}})", nxt)
            if d:
                data += bytes.fromhex(d.group(1).replace(" ", ""))
        if len(data) != want:
            raise CharonError(f"incomplete Sk_d dump in the log ({len(data)} of {want} octets)")
        out.append(data)
    return out


class Charon:
    """One daemon: its folder, configuration and process."""

    def __init__(self, ns, folder: Path, plugin: Path, subnet: int, side: str, conns, ippm_group: str):
        self.ns, self.dir, self.plugin, self.side = ns, folder, plugin, side
        self.subnet, self.conns, self.ippm_group = subnet, conns, ippm_group
        self.rundir = folder / "run"
        self.vici = folder / "charon.vici"
        self.ippm_sock = folder / "ippm.sock"
        self.log = folder / "charon.log"
        self.conf = folder / "strongswan.conf"
        self.swanctl_conf = folder / "swanctl.conf"
        self.proc = None

    def addr(self, conn: Conn, peer: bool = False) -> str:
        mine = conn.host if self.side == "a" else conn.host + 1
        other = conn.host + 1 if self.side == "a" else conn.host
        return f"10.99.{self.subnet}.{other if peer else mine}"

    def write_config(self):
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(f"""charon {{
  load = {PLUGINS}
  install_routes = no
  retransmit_tries = 2
  plugins {{
    vici {{
      socket = unix://{self.vici}
    }}
    ippm {{
      socket = unix://{self.ippm_sock}
      group = {self.ippm_group}
    }}
  }}
  filelog {{
    test {{
      path = {self.log}
      default = 1
      ike = 4
      ike_name = yes
      flush_line = yes
    }}
  }}
  syslog {{
    daemon {{
      default = -1
    }}
  }}
}}
""")
        conns, secrets = [], [f"  ike-psk {{\n    secret = {PSK}\n  }}"]
        for c in self.conns:
            ppk = "    ppk_id = twr-ppk\n    ppk_required = yes\n" if c.ppk else ""
            conns.append(f"""  {c.name} {{
    version = 2
    local_addrs = {self.addr(c)}
    remote_addrs = {self.addr(c, peer=True)}
    proposals = {c.proposal}
    rekey_time = 0
    reauth_time = 0
    dpd_delay = 0
    mobike = no
    childless = force
{ppk}    local {{
      auth = psk
      id = {self.addr(c)}
    }}
    remote {{
      auth = psk
      id = {self.addr(c, peer=True)}
    }}
  }}""")
        if any(c.ppk for c in self.conns):
            secrets.append(f"  ppk-test {{\n    id = twr-ppk\n    secret = {PPK}\n  }}")
        self.swanctl_conf.write_text("connections {\n" + "\n".join(conns) + "\n}\nsecrets {\n"
                                     + "\n".join(secrets) + "\n}\n")

    def start(self, procs, timeout: float = 10.0):
        cmd = (f"mount --bind {self.rundir} /run && STRONGSWAN_CONF={self.conf} "
               f"LD_PRELOAD={self.plugin} exec {CHARON}")
        self.proc = procs(["sh", "-c", cmd], ns=self.ns, name=f"charon-{self.side}-{time.monotonic_ns()}")
        deadline = time.monotonic() + timeout
        while True:
            if self.ippm_sock.exists() and self.vici.exists():
                r = self.swanctl("--stats", check=False)
                if r.returncode == 0:
                    break
            if not self.proc.alive() or time.monotonic() > deadline:
                raise CharonError(f"charon {self.side} not up\n{self.proc.tails()}\n{self.log_text()[-3000:]}")
            time.sleep(0.05)
        self.swanctl("--load-all", "--file", str(self.swanctl_conf))

    def stop(self):
        if self.proc is not None:
            self.proc.stop(term_timeout=10.0)

    def swanctl(self, *args, check=True, timeout=CMD_TIMEOUT) -> subprocess.CompletedProcess:
        r = subprocess.run([SWANCTL, *args, "--uri", f"unix://{self.vici}"], capture_output=True,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise CharonError(f"swanctl {' '.join(args)} ({self.side}): {r.stdout}{r.stderr}")
        return r

    def sas(self, name: str | None = None) -> list[dict]:
        sas = parse_sas(self.swanctl("--list-sas", "--raw").stdout)
        return [s for s in sas if name is None or s["name"] == name]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_mark(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def skds_since(self, mark: int) -> list[bytes]:
        with open(self.log, "rb") as f:
            f.seek(mark)
            return parse_skds(f.read().decode(errors="replace"))


class CharonPair:
    """charon in net.a (side a, initiator) and net.b (side b)."""

    def __init__(self, net, workdir: Path, plugin: Path, conns, ippm_group: str = "nogroup"):
        self.net, self.conns = net, {c.name: c for c in conns}
        subnet = net.veth.subnet
        self.a = Charon(net.a, Path(workdir) / "charon-a", plugin, subnet, "a", conns, ippm_group)
        self.b = Charon(net.b, Path(workdir) / "charon-b", plugin, subnet, "b", conns, ippm_group)

    def start(self, procs):
        stop_system_service()
        for c in self.conns.values():          # each connection's own addresses
            for side, end in (("a", self.net.a_end), ("b", self.net.b_end)):
                host = c.host if side == "a" else c.host + 1
                if f"10.99.{self.net.veth.subnet}.{host}" != end.ip4:
                    end.ns.ip("addr", "add", f"10.99.{self.net.veth.subnet}.{host}/24", "dev", end.ifname)
        for ch in (self.a, self.b):
            ch.write_config()
            ch.start(procs)

    def stop(self):
        for ch in (self.b, self.a):
            ch.stop()

    def initiate(self, name: str) -> dict:
        """Set up the connection's IKE SA (from a); the SA as both sides see it."""
        self.a.swanctl("--initiate", "--ike", name, "--timeout", "10")
        return self.wait_sa(name, lambda sa: True)

    def wait_sa(self, name: str, accept, timeout: float = 10.0) -> dict:
        """Wait until both sides hold exactly one ESTABLISHED SA of `name`,
        with the same SPIs, that accept(sa) likes; returns a's view."""
        deadline = time.monotonic() + timeout
        while True:
            a, b = self.a.sas(name), self.b.sas(name)
            if (len(a) == 1 and len(b) == 1 and a[0]["state"] == b[0]["state"] == "ESTABLISHED"
                    and a[0]["initiator-spi"] == b[0]["initiator-spi"]
                    and a[0]["responder-spi"] == b[0]["responder-spi"] and accept(a[0])):
                return a[0]
            if time.monotonic() > deadline:
                raise CharonError(f"SA {name} not as expected after {timeout}s: a={a} b={b}")
            time.sleep(0.05)

    def rekey(self, name: str, old: dict) -> dict:
        self.a.swanctl("--rekey", "--ike", name)
        return self.wait_sa(name, lambda sa: sa["initiator-spi"] != old["initiator-spi"])

    def terminate(self, name: str, timeout: float = 10.0):
        self.a.swanctl("--terminate", "--ike", name, "--timeout", "10", check=False)
        deadline = time.monotonic() + timeout
        while self.a.sas(name) or self.b.sas(name):
            if time.monotonic() > deadline:
                raise CharonError(f"SA {name} still there after {timeout}s")
            time.sleep(0.05)
