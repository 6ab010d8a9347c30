"""A client of the dataplane's session API (common/session_api.h), written
from the header's layout: host byte order, fixed sizes, one SOCK_SEQPACKET
message each way.

    with SessionApi("/run/twamp-reflector/session.sock") as api:
        api.add(sid, ipver=4, sec=AUTH, reflector=("10.99.1.2", 862),
                sender=("10.99.1.1", 40000), aes=..., hmac=...)
        api.start(sid); api.counters(sid); api.stop(sid); api.remove(sid)
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass

VERSION = 1
OP_ADD, OP_START, OP_STOP, OP_REMOVE, OP_COUNTERS, OP_FLUSH, OP_INFO = range(1, 8)
OK, EINVAL, EEXIST, ENOENT, ENOSPC, EAGAIN, EINTERNAL, EPERM = range(8)

SF_SYMMETRICAL, SF_REFLECT_OCTETS, SF_DSCP_SET, SF_START_NOW = 1, 2, 4, 8

HDR = struct.Struct("=HHIII")
REPLY = struct.Struct("=II")
SESSION = struct.Struct("=16sBBBB16s16sHHHHII16s32s")
COUNTERS = struct.Struct("=QQQQQQII")
INFO = struct.Struct("=IIII")


class ApiError(RuntimeError):
    def __init__(self, status: int):
        super().__init__(f"session API status {status}")
        self.status = status


@dataclass
class Counters:
    rx: int
    reflected: int
    auth_fail: int
    malformed: int
    tx_drop: int
    last_rx_unix_ns: int
    state: int


def _addr(a: str) -> bytes:
    return ipaddress.ip_address(a).packed.ljust(16, b"\0")


def session_body(sid, ipver, sec, reflector, sender, aes=bytes(16), hmac=bytes(32),
                 flags=0, dscp=0, reflect_len=0, timeout_ms=2000, refwait_s=900) -> bytes:
    return SESSION.pack(sid, ipver, sec, flags, dscp, _addr(reflector[0]), _addr(sender[0]),
                        reflector[1], sender[1], reflect_len, 0, timeout_ms, refwait_s, aes, hmac)


class SessionApi:
    def __init__(self, path: str, timeout: float = 5.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.seq = 0

    def raw(self, msg: bytes) -> tuple[int, int, bytes]:
        """Send any bytes; return (op, status, body) of the reply."""
        self.s.send(msg)
        rep = self.s.recv(1024)
        _, op, length, _, _ = HDR.unpack_from(rep)
        status, _ = REPLY.unpack_from(rep, HDR.size)
        assert length == len(rep)
        return op, status, rep[HDR.size + REPLY.size:]

    def call(self, op: int, body: bytes = b"") -> bytes:
        self.seq += 1
        msg = HDR.pack(VERSION, op, HDR.size + len(body), self.seq, 0) + body
        rop, status, rbody = self.raw(msg)
        assert rop == op
        if status != OK:
            raise ApiError(status)
        return rbody

    def add(self, sid: bytes, **kw):
        self.call(OP_ADD, session_body(sid, **kw))

    def start(self, sid: bytes):
        self.call(OP_START, sid)

    def stop(self, sid: bytes):
        self.call(OP_STOP, sid)

    def remove(self, sid: bytes):
        self.call(OP_REMOVE, sid)

    def counters(self, sid: bytes) -> Counters:
        return Counters(*COUNTERS.unpack(self.call(OP_COUNTERS, sid))[:7])

    def flush(self):
        self.call(OP_FLUSH)

    def info(self) -> dict:
        m, n, w, _ = INFO.unpack(self.call(OP_INFO))
        return {"max_sessions": m, "sessions": n, "workers": w}

    def close(self):
        self.s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
