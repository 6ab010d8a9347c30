"""An independent TWAMP-Control client for the system tests of
twamp-controld, written from docs/protocol.md §4-§5 on top of twamp_ref's
primitives (token_key, encrypt_token, CbcStream, derive_test_keys); the
running HMACs of §5.3 are kept here with hmac/hashlib. It shares no code
with the C implementation.

    c = TwampControl.connect(net.a, "10.99.5.2", 862, src="10.99.5.1")
    g = c.greeting()                                   # Greeting
    acc = c.setup(AUTH, b"user1", b"secret")           # Set-Up-Response, Server-Start
    a = c.request_session(sender_port=40001)           # Accept-Session
    c.start_sessions(); c.stop_sessions(1)
    c.close()

Modes: UNAUTH 1, AUTH 2, ENC 4, MIXED 8, plus ISC 0x10, REFLECT 0x20,
SYMM 0x40.  After Server-Start with Accept 0 every message is sealed
(modes 2, 4, 8: HMAC-SHA1/16 over the plaintext, then AES-CBC continuing
the direction's chain) or sent with a zero HMAC field (mode 1).
Hostile helpers: send_raw(), send_sealed(..., tamper=...), closed().
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import socket
import struct
import time
from dataclasses import dataclass

import twamp_ref as tr

from .pkt import in_netns

UNAUTH, AUTH, ENC, MIXED = 0x1, 0x2, 0x4, 0x8
ISC, REFLECT, SYMM = 0x10, 0x20, 0x40
SECURED = AUTH | ENC | MIXED

CMD_START, CMD_STOP, CMD_REQUEST = 2, 3, 5
CMD_START_N, CMD_START_N_ACK, CMD_STOP_N, CMD_STOP_N_ACK = 7, 8, 9, 10


class ControlClosed(Exception):
    """The server closed the connection."""


@dataclass
class Greeting:
    modes: int
    challenge: bytes
    salt: bytes
    count: int


@dataclass
class AcceptSession:
    accept: int
    port: int
    sid: bytes
    reflected_octets: int
    server_octets: int


def mode_test_sec(mode: int) -> str:
    """Test-packet security of a Mode (mixed tests in the open)."""
    if mode & AUTH:
        return tr.AUTH
    if mode & ENC:
        return tr.ENC
    return tr.OPEN


class _Mac:
    """A direction's running HMAC (§5.3): every plaintext block but the
    HMAC fields; an HMAC field takes the digest and starts afresh."""

    def __init__(self, key: bytes):
        self.key = key
        self.h = _hmac.new(key, digestmod=hashlib.sha1)

    def add(self, data: bytes):
        self.h.update(data)

    def take(self) -> bytes:
        d = self.h.digest()[:16]
        self.h = _hmac.new(self.key, digestmod=hashlib.sha1)
        return d


def request_body(ipvn=4, sender_port=40001, receiver_port=0, sender_addr=b"", receiver_addr=b"",
                 padding=0, start_time=0, timeout=0, dscp=0, octets=0, pad_reflect=0,
                 type_p=None, conf=(0, 0)) -> bytes:
    """Request-TW-Session plaintext, HMAC field zero (§4.4)."""
    m = bytearray(112)
    m[0], m[1], m[2], m[3] = CMD_REQUEST, ipvn, conf[0], conf[1]
    struct.pack_into(">HH", m, 12, sender_port, receiver_port)
    m[16:16 + len(sender_addr)] = sender_addr
    m[32:32 + len(receiver_addr)] = receiver_addr
    struct.pack_into(">IQQI", m, 64, padding, start_time, timeout,
                     (dscp & 0x3f) << 24 if type_p is None else type_p)
    struct.pack_into(">HH", m, 88, octets, pad_reflect)
    return bytes(m)


def duration(seconds: float) -> int:
    """A Timeout in the NTP timestamp format."""
    whole = int(seconds)
    return whole << 32 | int((seconds - whole) * (1 << 32))


class TwampControl:
    def __init__(self, sock: socket.socket, timeout: float = 10.0):
        self.s = sock
        self.s.settimeout(timeout)
        self.mode = 0
        self.secured = False
        self.enc = self.dec = None
        self.mac_out = self.mac_in = None
        self.g: Greeting | None = None

    # -- connection -------------------------------------------------------
    @classmethod
    def connect(cls, ns, host: str, port: int, src: str | None = None,
                timeout: float = 10.0) -> "TwampControl":
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET

        def make():
            s = socket.socket(fam, socket.SOCK_STREAM)
            try:
                s.settimeout(timeout)
                if src:
                    s.bind((src, 0))
                s.connect((host, port))
            except BaseException:
                s.close()
                raise
            return s
        return cls(in_netns(ns, make), timeout)

    def close(self):
        self.s.close()

    def local(self):
        return self.s.getsockname()

    def recv_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            try:
                part = self.s.recv(n - len(buf))
            except ConnectionResetError:
                part = b""
            if not part:
                raise ControlClosed(f"closed after {len(buf)} of {n} octets")
            buf += part
        return buf

    def closed(self, timeout: float = 10.0) -> bool:
        """True if the server closes within `timeout` s (any data it still
        sends is drained); False if the connection stays open."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.s.recv(4096)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not data:
                return True
        return False

    def send_raw(self, data: bytes):
        self.s.sendall(data)

    # -- greeting and set-up ---------------------------------------------
    def greeting(self) -> Greeting:
        g = self.recv_exact(64)
        modes, = struct.unpack_from(">I", g, 12)
        count, = struct.unpack_from(">I", g, 48)
        self.g = Greeting(modes, g[16:32], g[32:48], count)
        return self.g

    def setup_response(self, mode: int, keyid: bytes = b"", secret: bytes | None = None,
                       aes: bytes = bytes(range(16)), hmac_key: bytes = bytes(range(16, 48)),
                       civ: bytes = bytes(range(48, 64)), challenge: bytes | None = None) -> bytes:
        """The 164 octets of a Set-Up-Response (§4.2)."""
        self.mode, self._keys = mode, (aes, hmac_key, civ)
        if mode & SECURED:
            k = tr.token_key(secret, self.g.salt, self.g.count)
            token = tr.encrypt_token(k, challenge or self.g.challenge, aes, hmac_key)
        else:
            token = bytes(64)
        return struct.pack(">I", mode) + keyid.ljust(80, b"\0") + token + civ

    def server_start(self) -> int:
        """Read Server-Start; on Accept 0 open the streams (§5.2-§5.3)."""
        ss = self.recv_exact(48)
        accept = ss[15]
        if accept != 0:
            return accept
        aes, hmac_key, civ = self._keys
        self.secured = bool(self.mode & SECURED)
        if self.secured:
            self.enc = tr.CbcStream(aes, civ)
            self.dec = tr.CbcStream(aes, ss[16:32])
            self.mac_out, self.mac_in = _Mac(hmac_key), _Mac(hmac_key)
            self.mac_in.add(self.dec.decrypt(ss[32:48]))   # folded into the next HMAC
        self.session_keys = (aes, hmac_key)
        return accept

    def setup(self, mode: int, keyid: bytes = b"", secret: bytes | None = None, **kw) -> int:
        if self.g is None:
            self.greeting()
        self.send_raw(self.setup_response(mode, keyid, secret, **kw))
        return self.server_start()

    # -- sealed messages ---------------------------------------------------
    def seal(self, plain: bytes) -> bytes:
        body = plain[:-16]
        if not self.secured:
            return body + bytes(16)
        self.mac_out.add(body)
        return self.enc.encrypt(body + self.mac_out.take())

    def send_sealed(self, plain: bytes, tamper: int | None = None):
        wire = bytearray(self.seal(plain))
        if tamper is not None:
            wire[tamper] ^= 0x01
        self.send_raw(bytes(wire))

    def recv_msg(self, n: int) -> bytes:
        wire = self.recv_exact(n)
        if not self.secured:
            return wire
        plain = self.dec.decrypt(wire)
        self.mac_in.add(plain[:-16])
        if not _hmac.compare_digest(self.mac_in.take(), plain[-16:]):
            raise AssertionError("server HMAC does not verify")
        return plain

    # -- commands ------------------------------------------------------------
    def request_session(self, **kw) -> AcceptSession:
        self.send_sealed(request_body(**kw))
        a = self.recv_msg(48)
        port, = struct.unpack_from(">H", a, 2)
        ro, so = struct.unpack_from(">HH", a, 20)
        return AcceptSession(a[0], port, a[4:20], ro, so)

    def start_sessions(self) -> int:
        self.send_sealed(bytes([CMD_START]) + bytes(31))
        return self.recv_msg(32)[0]

    def stop_sessions(self, n: int, accept: int = 0):
        self.send_sealed(struct.pack(">BBHI", CMD_STOP, accept, 0, n) + bytes(24))

    def _n_message(self, cmd: int, sids: list[bytes]) -> tuple[int, list[bytes]]:
        body = struct.pack(">B11xI", cmd, len(sids)) + b"".join(sids) + bytes(16)
        self.send_sealed(body)
        r = self.recv_msg(len(body))
        assert r[0] == cmd + 1, f"N-ack command {r[0]}"
        n, = struct.unpack_from(">I", r, 12)
        return r[1], [r[16 + 16 * i:32 + 16 * i] for i in range(n)]

    def start_n(self, sids: list[bytes]):
        return self._n_message(CMD_START_N, sids)

    def stop_n(self, sids: list[bytes]):
        return self._n_message(CMD_STOP_N, sids)

    def test_keys(self, sid: bytes) -> tr.TestKeys | None:
        """The session's test keys (§7.1), None for open test packets."""
        if mode_test_sec(self.mode) == tr.OPEN:
            return None
        return tr.derive_test_keys(sid, *self.session_keys)
