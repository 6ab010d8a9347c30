"""A stand-in for the dataplane's session API (common/session_api.h), for
system tests of twamp-controld that need sessions to be accepted and
started but no test packet reflected: it keeps a table of SIDs and their
states and answers every call as the dataplane would, without DPDK.

    with FakeDataplane(tmp / "session.sock") as dp:
        d = Controld(tmp, dp.path, ...)     # sessions are installed here
        dp.sessions()                       # {sid: state}

One thread serves the socket (SOCK_SEQPACKET, any namespace reaches it
through the file system); stop() ends it, bounded.
"""

from __future__ import annotations

import os
import select
import socket
import threading
from pathlib import Path

from .session_api import (COUNTERS, EEXIST, EINVAL, ENOENT, HDR, INFO, OK, OP_ADD, OP_COUNTERS,
                          OP_FLUSH, OP_INFO, OP_REMOVE, OP_START, OP_STOP, REPLY, VERSION)

INSTALLED, ACTIVE, STOPPING = 0, 1, 2


class FakeDataplane:
    def __init__(self, path):
        self.path = str(path)
        self.table: dict[bytes, int] = {}
        self.calls: list[int] = []
        self._lock = threading.Lock()
        self._stop_r, self._stop_w = os.pipe()
        self._thread = None
        self._lsock = None

    def start(self) -> "FakeDataplane":
        Path(self.path).unlink(missing_ok=True)
        self._lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._lsock.bind(self.path)
        self._lsock.listen(4)
        self._thread = threading.Thread(target=self._serve, name="fake-dataplane", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:
            os.write(self._stop_w, b"x")
            self._thread.join(timeout=5.0)
            self._thread = None
        if self._lsock is not None:
            self._lsock.close()
            self._lsock = None
        for fd in (self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._stop_r = self._stop_w = -1
        Path(self.path).unlink(missing_ok=True)

    def sessions(self) -> dict[bytes, int]:
        with self._lock:
            return dict(self.table)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- serving -------------------------------------------------------------
    def _serve(self):
        conns: list[socket.socket] = []
        try:
            while True:
                r, _, _ = select.select([self._lsock, self._stop_r, *conns], [], [], 1.0)
                if self._stop_r in r:
                    return
                for s in r:
                    if s is self._lsock:
                        c, _ = self._lsock.accept()
                        conns.append(c)
                        continue
                    try:
                        msg = s.recv(1024)
                    except OSError:
                        msg = b""
                    if not msg:
                        conns.remove(s)
                        s.close()
                        continue
                    s.send(self._answer(msg))
        finally:
            for c in conns:
                c.close()

    def _answer(self, msg: bytes) -> bytes:
        if len(msg) < HDR.size:
            return self._reply(0, 0, EINVAL)
        version, op, _, seq, _ = HDR.unpack_from(msg)
        body = msg[HDR.size:]
        with self._lock:
            self.calls.append(op)
            if version != VERSION:
                return self._reply(op, seq, EINVAL)
            if op == OP_FLUSH:
                self.table.clear()
                return self._reply(op, seq, OK)
            if op == OP_INFO:
                return self._reply(op, seq, OK, INFO.pack(4096, len(self.table), 1, 0))
            sid = body[:16]
            if len(sid) != 16:
                return self._reply(op, seq, EINVAL)
            if op == OP_ADD:
                if sid in self.table:
                    return self._reply(op, seq, EEXIST)
                self.table[sid] = INSTALLED
                return self._reply(op, seq, OK)
            if sid not in self.table:
                return self._reply(op, seq, ENOENT)
            if op == OP_START:
                self.table[sid] = ACTIVE
            elif op == OP_STOP:
                self.table[sid] = STOPPING
            elif op == OP_REMOVE:
                del self.table[sid]
            elif op == OP_COUNTERS:
                return self._reply(op, seq, OK, COUNTERS.pack(0, 0, 0, 0, 0, 0, self.table[sid], 0))
            else:
                return self._reply(op, seq, EINVAL)
            return self._reply(op, seq, OK)

    @staticmethod
    def _reply(op: int, seq: int, status: int, payload: bytes = b"") -> bytes:
        n = HDR.size + REPLY.size + len(payload)
        return HDR.pack(VERSION, op, n, seq, 0) + REPLY.pack(status, 0) + payload
