"""twamp-keyagent for system tests, and an independent Python codec of its
messages (the layout of common/keyagent_proto.h), so that tests can send
what the C client never would.

    agent = KeyAgent(folder, plugin_socket=pair.a.ippm_sock, clients=[...])
    agent.start(procs)                       # as root: drops to nobody
    rep = lookup_spi(agent.socket, spi_i, spi_r)   # dict: status, key, prf, ...
    agent.audit_bytes()                      # the audit log, raw

The agent's folder is made world-traversable (0755): the agent gives up
root for `nobody` and must still reach the plugin socket (group nogroup).
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import struct
import subprocess
import time
from pathlib import Path

from .reflector import build_dir

REQ_LEN, REPLY_LEN = 48, 648
PING, LOOKUP_SPI, LOOKUP_PEER = 1, 2, 3
STATUS = ["OK", "NO_SA", "NOT_PERMITTED", "AGENT_DOWN", "MALFORMED", "VERSION", "INTERNAL"]
PRF = {2: ("HMAC_SHA1", "sha1"), 5: ("HMAC_SHA2_256", "sha256"), 6: ("HMAC_SHA2_384", "sha384"),
       7: ("HMAC_SHA2_512", "sha512")}


def agent_binary() -> Path:
    return build_dir() / "keyagent" / "twamp-keyagent"


def query_binary() -> Path:
    return build_dir() / "keyagent" / "twamp-keyagent-query"


def plugin_module() -> Path:
    return build_dir() / "keyagent" / "libstrongswan-ippm.so"


def plugin_unavailable() -> str | None:
    if not plugin_module().exists():
        return (f"charon ippm plugin not built in {build_dir()} (meson -Dstrongswan_src= is empty; "
                "see keyagent/plugin/strongswan-tree.sh)")
    return None


def _addr(text: str | None) -> tuple[int, bytes]:
    if text is None:
        return 0, bytes(16)
    a = ipaddress.ip_address(text)
    return (4, a.packed + bytes(12)) if a.version == 4 else (6, a.packed)


def request(typ: int, spi_i: bytes = bytes(8), spi_r: bytes = bytes(8), peer: str | None = None,
            magic: bytes = b"TWKA", version: int = 1) -> bytes:
    fam, addr = _addr(peer)
    return (magic + bytes([version, typ, 0, 0]) + spi_i + spi_r + bytes([fam, 0, 0, 0]) + addr
            + bytes(4))


def _fmt_addr(fam: int, raw: bytes) -> str | None:
    if fam == 4:
        return str(ipaddress.IPv4Address(raw[:4]))
    if fam == 6:
        return str(ipaddress.IPv6Address(raw))
    return None


def _ident(field: bytes, n: int) -> str:
    return field[:n].decode("ascii")


def decode_reply(buf: bytes, magic: bytes = b"TWKA") -> dict:
    """Parse a reply; raises ValueError if it is not one."""
    if len(buf) != REPLY_LEN or buf[:4] != magic or buf[4] != 1 or not buf[5] & 0x80:
        raise ValueError(f"not a reply: {len(buf)} octets {buf[:8].hex()}")
    prf, klen = struct.unpack(">HB", buf[8:11])
    lidlen, ridlen = struct.unpack(">HH", buf[68:72])
    return {
        "type": buf[5] & 0x7f, "status": STATUS[buf[6]], "flags": buf[7], "prf": prf,
        "key": buf[72:72 + klen], "spi_i": buf[16:24], "spi_r": buf[24:32],
        "local": _fmt_addr(buf[32], buf[36:52]), "remote": _fmt_addr(buf[33], buf[52:68]),
        "local_id": _ident(buf[136:392], lidlen), "remote_id": _ident(buf[392:648], ridlen),
        "raw": buf,
    }


def exchange(path, data: bytes, timeout: float = 5.0, shutdown: bool = False) -> bytes:
    """Send raw bytes, read until the server closes (bounded)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        if data:
            s.sendall(data)
        if shutdown:
            s.shutdown(socket.SHUT_WR)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out


def lookup_spi(path, spi_i: bytes, spi_r: bytes, magic: bytes = b"TWKA") -> dict:
    return decode_reply(exchange(path, request(LOOKUP_SPI, spi_i, spi_r, magic=magic)), magic)


def lookup_peer(path, peer: str, magic: bytes = b"TWKA") -> dict:
    return decode_reply(exchange(path, request(LOOKUP_PEER, peer=peer, magic=magic)), magic)


def ping(path, magic: bytes = b"TWKA") -> dict:
    return decode_reply(exchange(path, request(PING, magic=magic)), magic)


def query(path, *args, user: int | None = None, group: int | None = None) -> dict:
    """twamp-keyagent-query (the C client API); its key=value output as a dict."""
    r = subprocess.run([str(query_binary()), "-s", str(path), *args], capture_output=True,
                       text=True, timeout=15, user=user, group=group,
                       extra_groups=[] if user is not None else None)
    fields = {}
    for tok in r.stdout.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            fields[k] = v.strip('"')
    fields["rc"] = r.returncode
    return fields


class KeyAgent:
    """A twamp-keyagent with its configuration in `folder`."""

    def __init__(self, folder, plugin_socket, clients: list[dict], user: str = "nobody",
                 socket_group: str = "nogroup", **settings):
        self.dir = Path(folder)
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.socket = self.dir / "agent.sock"
        self.audit = self.dir / "audit.log"
        self.config = self.dir / "agent.json"
        top = {"socket": str(self.socket), "plugin-socket": str(plugin_socket), "user": user,
               "socket-group": socket_group, "audit-log": str(self.audit), "client": clients,
               **settings}
        top = {k: v for k, v in top.items() if v is not None}   # None: leave the leaf out
        self.config.write_text(json.dumps({"twamp-keyagent:twamp-keyagent": top}, indent=1))
        os.chmod(self.config, 0o600)
        self.proc = None

    def start(self, procs, timeout: float = 10.0):
        self.proc = procs([str(agent_binary()), "-c", str(self.config)],
                          name=f"keyagent-{self.dir.name}")
        self.proc.wait_for_log(r"serving ", timeout=timeout)
        return self

    def audit_bytes(self) -> bytes:
        return self.audit.read_bytes() if self.audit.exists() else b""

    def audit_lines(self) -> list[str]:
        return self.audit_bytes().decode(errors="replace").splitlines()

    def wait_audit(self, count: int, timeout: float = 5.0) -> list[str]:
        """Wait until the audit log has at least `count` lines."""
        deadline = time.monotonic() + timeout
        while len(self.audit_lines()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"audit log has {len(self.audit_lines())} lines, want {count}")
            time.sleep(0.02)
        return self.audit_lines()
