"""Independent Python reference for TWAMP-Test packets and their crypto.

Written from docs/protocol.md (§3, §5-§7, §9) with hashlib, hmac and
python3-cryptography only; it shares no code with the C implementation, so the
two can check each other.  All integers are big-endian on the wire; NTP
timestamps are Python ints (seconds << 32 | fraction).

Security of the TEST plane is one of ``OPEN`` (unauthenticated and mixed
mode), ``AUTH`` or ``ENC``.  Packets handled here are *plaintext* unless the
name says ``wire``; ``protect``/``unprotect`` convert between the two.

Main entry points:

  sender_layout(sec, symmetrical) / reflector_layout(sec)   field offsets
  build_sender(...) / parse_sender(...) / parse_reflector(...)
  protect(plain, layout, keys) / unprotect(wire, layout, keys)
  expected_reply(request_plain, ...)      exact reply plaintext for a rule
  check_reply(request_plain, reply_wire, keys, ...)   verify a real reply
  token_key / encrypt_token / decrypt_token / derive_test_keys   (§5.1, §7.1)
  ntp_* and errest_* helpers                                       (§3)

Sender packets (§6.1)                    Reflector packets (§6.2)
  open      14+P  Seq|TS|EE|pad            open      41+P  Seq|TS|EE|MBZ|RxTS|SSeq|STS|SEE|MBZ|TTL|pad
  open sym  41+P  Seq|TS|EE|MBZ27|pad      auth/enc 112+P  as above spread out, HMAC at 96
  auth/enc  48+P  Seq|MBZ|TS|EE|MBZ|HMAC@32|pad
  auth/enc sym 112+P  ...|MBZ70|HMAC@96|pad   (inferred layout, docs/protocol.md §6.1)
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from fractions import Fraction

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

OPEN, AUTH, ENC = "open", "auth", "enc"
SECS = (OPEN, AUTH, ENC)

HMAC_LEN = 16
AES_KEY_LEN = 16
HMAC_KEY_LEN = 32
BLOCK = 16

# ---------------------------------------------------------------------------
# Layouts


@dataclass(frozen=True)
class Layout:
    """Where each field of one packet format sits (None = absent)."""
    name: str
    reflector: bool
    base_len: int          # minimum length = where the padding starts
    ts_off: int
    errest_off: int
    enc_len: int = 0       # octets [0, enc_len) AES-CBC encrypted, IV 0
    mac_len: int = 0       # HMAC covers plaintext octets [0, mac_len)
    hmac_off: int | None = None
    rx_ts_off: int | None = None
    snd_seq_off: int | None = None
    snd_ts_off: int | None = None
    snd_errest_off: int | None = None
    ttl_off: int | None = None

    def fields(self):
        """(name, offset, length) of every non-MBZ field of the header."""
        out = [("seq", 0, 4), ("ts", self.ts_off, 8), ("errest", self.errest_off, 2)]
        if self.reflector:
            out += [("rx_ts", self.rx_ts_off, 8), ("sender_seq", self.snd_seq_off, 4),
                    ("sender_ts", self.snd_ts_off, 8),
                    ("sender_errest", self.snd_errest_off, 2), ("sender_ttl", self.ttl_off, 1)]
        if self.hmac_off is not None:
            out.append(("hmac", self.hmac_off, HMAC_LEN))
        return out

    def field_at(self, off):
        """Name of the header field holding octet `off` ('MBZ' or 'padding')."""
        if off >= self.base_len:
            return "padding"
        for name, start, length in self.fields():
            if start <= off < start + length:
                return name
        return "MBZ"


_SENDER = {
    (OPEN, False): Layout("sender open", False, 14, 4, 12),
    (OPEN, True): Layout("sender open symmetrical", False, 41, 4, 12),
    (AUTH, False): Layout("sender auth", False, 48, 16, 24, 16, 16, 32),
    (ENC, False): Layout("sender enc", False, 48, 16, 24, 32, 32, 32),
    (AUTH, True): Layout("sender auth symmetrical", False, 112, 16, 24, 16, 16, 96),
    (ENC, True): Layout("sender enc symmetrical", False, 112, 16, 24, 96, 96, 96),
}

_REFLECTOR = {
    OPEN: Layout("reflector open", True, 41, 4, 12, rx_ts_off=16, snd_seq_off=24,
                 snd_ts_off=28, snd_errest_off=36, ttl_off=40),
    AUTH: Layout("reflector auth", True, 112, 16, 24, 16, 16, 96, rx_ts_off=32,
                 snd_seq_off=48, snd_ts_off=64, snd_errest_off=72, ttl_off=80),
    ENC: Layout("reflector enc", True, 112, 16, 24, 96, 96, 96, rx_ts_off=32,
                snd_seq_off=48, snd_ts_off=64, snd_errest_off=72, ttl_off=80),
}


def sender_layout(sec: str, symmetrical: bool = False) -> Layout:
    return _SENDER[(sec, bool(symmetrical))]


def reflector_layout(sec: str) -> Layout:
    return _REFLECTOR[sec]


# ---------------------------------------------------------------------------
# NTP timestamps and Error Estimate (docs/protocol.md §3.1-§3.2)

NTP_UNIX_OFFSET = 2208988800


def ntp_from_unix_ns(ns: int) -> int:
    """Unix time in ns -> 64-bit NTP timestamp (fraction rounded down)."""
    sec, rem = divmod(ns, 1_000_000_000)
    frac = (rem << 32) // 1_000_000_000
    return (((sec + NTP_UNIX_OFFSET) & 0xFFFFFFFF) << 32) | frac


def ntp_to_unix_ns(ntp: int) -> int:
    """64-bit NTP timestamp -> Unix ns (fraction rounded to nearest ns)."""
    sec = (ntp >> 32) - NTP_UNIX_OFFSET
    frac = ntp & 0xFFFFFFFF
    return sec * 1_000_000_000 + ((frac * 1_000_000_000 + (1 << 31)) >> 32)


def ntp_from_unix(t: float) -> int:
    return ntp_from_unix_ns(int(round(t * 1e9)))


def ntp_to_unix(ntp: int) -> float:
    return ntp_to_unix_ns(ntp) / 1e9


def ntp_now() -> int:
    return ntp_from_unix_ns(time.time_ns())


def ntp_diff_ns(a: int, b: int) -> int:
    """a - b in ns, for timestamps less than 68 years apart (wraps mod 2^64)."""
    d = (a - b) & 0xFFFFFFFFFFFFFFFF
    if d >= 1 << 63:
        d -= 1 << 64
    return (d * 1_000_000_000) >> 32 if d >= 0 else -((-d * 1_000_000_000) >> 32)


ERREST_S = 0x8000
ERREST_Z = 0x4000
ERREST_UNKNOWN = 0x3FFF      # what PS sends with no valid estimate


@dataclass(frozen=True)
class ErrorEstimate:
    synced: bool
    ptp: bool                # Z bit
    scale: int               # 0..63
    multiplier: int          # 1..255 (0 is invalid)

    @property
    def seconds(self) -> float:
        return self.multiplier * 2.0 ** (self.scale - 32)


def errest_pack(synced: bool, ptp: bool, scale: int, multiplier: int) -> int:
    if not 0 <= scale <= 63 or not 0 <= multiplier <= 255:
        raise ValueError("scale 0..63, multiplier 0..255")
    return (ERREST_S if synced else 0) | (ERREST_Z if ptp else 0) | scale << 8 | multiplier


def errest_decode(v: int) -> ErrorEstimate | None:
    """None for an invalid value (Multiplier 0)."""
    if not 0 <= v <= 0xFFFF:
        raise ValueError("16-bit value")
    if v & 0xFF == 0:
        return None
    return ErrorEstimate(bool(v & ERREST_S), bool(v & ERREST_Z), (v >> 8) & 0x3F, v & 0xFF)


def errest_from_seconds(synced: bool, err_s) -> int:
    """Smallest representable estimate >= err_s, clamped to the largest.
    Among equal values the smallest Scale wins.  err_s <= 0 gives 1*2^-32."""
    err = Fraction(err_s)
    if err <= 0:
        return errest_pack(synced, False, 0, 1)
    best = None
    for scale in range(64):
        unit = Fraction(2) ** (scale - 32)
        mult = -(-err // unit)             # ceiling
        if mult < 1:
            mult = 1
        if mult <= 255:
            value = mult * unit
            if best is None or value < best[0]:
                best = (value, scale, int(mult))
    if best is None:
        return errest_pack(synced, False, 63, 255)
    return errest_pack(synced, False, best[1], best[2])


# ---------------------------------------------------------------------------
# Crypto primitives (§5.1, §7.1, §7.2)


def aes_ecb_encrypt(key: bytes, data: bytes) -> bytes:
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(data) + e.finalize()


def aes_ecb_decrypt(key: bytes, data: bytes) -> bytes:
    d = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    return d.update(data) + d.finalize()


def aes_cbc_encrypt(key: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


def aes_cbc_decrypt(key: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    d = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return d.update(data) + d.finalize()


def hmac16(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA1 truncated to 16 octets (control and test packets)."""
    return hmac.new(key, data, hashlib.sha1).digest()[:HMAC_LEN]


def token_key(passphrase: bytes, salt: bytes, count: int) -> bytes:
    """K = PBKDF2-HMAC-SHA1(shared secret, Salt, Count, 16)."""
    return hashlib.pbkdf2_hmac("sha1", passphrase, salt, count, 16)


def encrypt_token(k: bytes, challenge: bytes, aes_key: bytes, hmac_key: bytes) -> bytes:
    if (len(challenge), len(aes_key), len(hmac_key)) != (16, 16, 32):
        raise ValueError("challenge 16, AES key 16, HMAC key 32 octets")
    return aes_cbc_encrypt(k, challenge + aes_key + hmac_key)


@dataclass(frozen=True)
class Token:
    challenge: bytes
    aes_key: bytes
    hmac_key: bytes


def decrypt_token(k: bytes, token: bytes) -> Token:
    if len(token) != 64:
        raise ValueError("token is 64 octets")
    p = aes_cbc_decrypt(k, token)
    return Token(p[0:16], p[16:32], p[32:64])


@dataclass(frozen=True)
class TestKeys:
    aes: bytes       # 16
    hmac: bytes      # 32


TestKeys.__test__ = False    # not a pytest test class


def derive_test_keys(sid: bytes, aes_session_key: bytes, hmac_session_key: bytes) -> TestKeys:
    """§7.1: AES-ECB_SID(AES Session-key), AES-CBC_SID,IV0(HMAC Session-key)."""
    if (len(sid), len(aes_session_key), len(hmac_session_key)) != (16, 16, 32):
        raise ValueError("SID 16, AES key 16, HMAC key 32 octets")
    return TestKeys(aes_ecb_encrypt(sid, aes_session_key), aes_cbc_encrypt(sid, hmac_session_key))


class CbcStream:
    """One direction of the TWAMP-Control AES-CBC stream (§5.2): the chain
    carries over from message to message."""

    def __init__(self, key: bytes, iv: bytes):
        self.key, self.iv = key, iv

    def decrypt(self, data: bytes) -> bytes:
        out = aes_cbc_decrypt(self.key, data, self.iv)
        self.iv = data[-BLOCK:]
        return out

    def encrypt(self, data: bytes) -> bytes:
        out = aes_cbc_encrypt(self.key, data, self.iv)
        self.iv = out[-BLOCK:]
        return out


class AuthError(Exception):
    """A test packet's HMAC does not verify."""


def protect(plain: bytes, layout: Layout, keys: TestKeys | None) -> bytes:
    """Plaintext packet -> wire: HMAC of plaintext [0, mac_len) into the HMAC
    field, then AES-CBC (IV 0) of [0, enc_len).  Padding is untouched."""
    if layout.mac_len == 0:
        return bytes(plain)
    if len(plain) < layout.base_len:
        raise ValueError("packet shorter than its format")
    buf = bytearray(plain)
    buf[layout.hmac_off:layout.hmac_off + HMAC_LEN] = hmac16(keys.hmac, bytes(buf[:layout.mac_len]))
    buf[:layout.enc_len] = aes_cbc_encrypt(keys.aes, bytes(buf[:layout.enc_len]))
    return bytes(buf)


def unprotect(wire: bytes, layout: Layout, keys: TestKeys | None) -> bytes:
    """Wire -> plaintext; raises AuthError on an HMAC mismatch.  The returned
    plaintext keeps the HMAC field as received."""
    if layout.mac_len == 0:
        return bytes(wire)
    if len(wire) < layout.base_len:
        raise ValueError("packet shorter than its format")
    buf = bytearray(wire)
    buf[:layout.enc_len] = aes_cbc_decrypt(keys.aes, bytes(buf[:layout.enc_len]))
    want = hmac16(keys.hmac, bytes(buf[:layout.mac_len]))
    if not hmac.compare_digest(want, bytes(buf[layout.hmac_off:layout.hmac_off + HMAC_LEN])):
        raise AuthError(f"{layout.name}: HMAC mismatch")
    return bytes(buf)


def zero_hmac(plain: bytes, layout: Layout) -> bytes:
    if layout.hmac_off is None:
        return bytes(plain)
    buf = bytearray(plain)
    buf[layout.hmac_off:layout.hmac_off + HMAC_LEN] = bytes(HMAC_LEN)
    return bytes(buf)


# ---------------------------------------------------------------------------
# Building and parsing packets (§6.1, §6.2)


@dataclass(frozen=True)
class SenderPacket:
    seq: int
    ts: int
    errest: int
    padding: bytes


@dataclass(frozen=True)
class ReflectorPacket:
    seq: int
    ts: int
    errest: int
    rx_ts: int
    sender_seq: int
    sender_ts: int
    sender_errest: int
    sender_ttl: int
    padding: bytes
    mbz_ok: bool            # every MBZ octet of the header is zero


def _u(b: bytes, off: int, n: int) -> int:
    return int.from_bytes(b[off:off + n], "big")


def _put(buf: bytearray, off: int, n: int, v: int):
    buf[off:off + n] = v.to_bytes(n, "big")


def mbz_ok(plain: bytes, layout: Layout) -> bool:
    return all(plain[i] == 0 for i in range(layout.base_len) if layout.field_at(i) == "MBZ")


def build_sender(seq: int, ts: int, errest: int, padding: bytes = b"",
                 sec: str = OPEN, symmetrical: bool = False) -> bytes:
    """Sender plaintext with every MBZ octet and the HMAC field zero."""
    lay = sender_layout(sec, symmetrical)
    buf = bytearray(lay.base_len)
    _put(buf, 0, 4, seq)
    _put(buf, lay.ts_off, 8, ts)
    _put(buf, lay.errest_off, 2, errest)
    return bytes(buf) + bytes(padding)


def parse_sender(plain: bytes, sec: str = OPEN, symmetrical: bool = False) -> SenderPacket:
    lay = sender_layout(sec, symmetrical)
    if len(plain) < lay.base_len:
        raise ValueError(f"{lay.name}: {len(plain)} < {lay.base_len} octets")
    return SenderPacket(_u(plain, 0, 4), _u(plain, lay.ts_off, 8),
                        _u(plain, lay.errest_off, 2), bytes(plain[lay.base_len:]))


def build_reflector(f: ReflectorPacket | dict, sec: str = OPEN) -> bytes:
    """Reflector plaintext from fields (padding appended, HMAC field zero)."""
    g = f if isinstance(f, dict) else f.__dict__
    lay = reflector_layout(sec)
    buf = bytearray(lay.base_len)
    _put(buf, 0, 4, g["seq"])
    _put(buf, lay.ts_off, 8, g["ts"])
    _put(buf, lay.errest_off, 2, g["errest"])
    _put(buf, lay.rx_ts_off, 8, g["rx_ts"])
    _put(buf, lay.snd_seq_off, 4, g["sender_seq"])
    _put(buf, lay.snd_ts_off, 8, g["sender_ts"])
    _put(buf, lay.snd_errest_off, 2, g["sender_errest"])
    _put(buf, lay.ttl_off, 1, g["sender_ttl"])
    return bytes(buf) + bytes(g.get("padding", b""))


def parse_reflector(plain: bytes, sec: str = OPEN) -> ReflectorPacket:
    lay = reflector_layout(sec)
    if len(plain) < lay.base_len:
        raise ValueError(f"{lay.name}: {len(plain)} < {lay.base_len} octets")
    return ReflectorPacket(
        seq=_u(plain, 0, 4), ts=_u(plain, lay.ts_off, 8), errest=_u(plain, lay.errest_off, 2),
        rx_ts=_u(plain, lay.rx_ts_off, 8), sender_seq=_u(plain, lay.snd_seq_off, 4),
        sender_ts=_u(plain, lay.snd_ts_off, 8), sender_errest=_u(plain, lay.snd_errest_off, 2),
        sender_ttl=plain[lay.ttl_off], padding=bytes(plain[lay.base_len:]),
        mbz_ok=mbz_ok(plain, lay))


# ---------------------------------------------------------------------------
# The reply rule and its checker


def reply_len(req_len: int, sec: str) -> int:
    """PS behaviour (§6.3): as long as the request, at least the base."""
    return max(req_len, reflector_layout(sec).base_len)


def reflect_count(req_len: int, sec: str, symmetrical: bool, reflect_len: int) -> int:
    """How many padding octets are reflected: bounded by the sender's padding
    and by the reply's padding."""
    snd = sender_layout(sec, symmetrical)
    refl = reflector_layout(sec)
    return max(0, min(reflect_len, req_len - snd.base_len, reply_len(req_len, sec) - refl.base_len))


def expected_reply(request_plain: bytes, sec: str, symmetrical: bool, reflector_seq: int,
                   errest: int, rx_ts: int, tx_ts: int, ttl: int, reflect_len: int = 0) -> bytes:
    """The exact reply plaintext (HMAC field zero) our reflector must send.

    Rule: reply length max(request, reflector base); the reflector header
    overwrites the front; octets of the request beyond the header stay where
    they are; octets beyond the request (when the reply is longer) are zero;
    Reflect Octets: the first `reflect_len` octets of the sender's padding
    (from the sender's padding offset) go to the reflector's padding start,
    bounded as in reflect_count().  Raises ValueError for a request shorter
    than its sender format (the reflector drops those)."""
    snd = parse_sender(request_plain, sec, symmetrical)
    slay = sender_layout(sec, symmetrical)
    rlay = reflector_layout(sec)
    n = reply_len(len(request_plain), sec)
    body = bytearray(request_plain) + bytearray(n - len(request_plain))
    k = reflect_count(len(request_plain), sec, symmetrical, reflect_len)
    body[rlay.base_len:rlay.base_len + k] = request_plain[slay.base_len:slay.base_len + k]
    hdr = build_reflector(dict(seq=reflector_seq, ts=tx_ts, errest=errest, rx_ts=rx_ts,
                               sender_seq=snd.seq, sender_ts=snd.ts,
                               sender_errest=snd.errest, sender_ttl=ttl), sec)
    body[:rlay.base_len] = hdr
    return bytes(body)


class ReplyMismatch(AssertionError):
    """A reply differs from the rule; .diffs lists (offset, field, want, got)."""

    def __init__(self, msg, diffs=()):
        super().__init__(msg)
        self.diffs = list(diffs)


@dataclass(frozen=True)
class ReplyCheck:
    """What the reflector chose, for further checks by the caller."""
    seq: int
    ts: int
    errest: int
    rx_ts: int
    sender_ttl: int
    plain: bytes


def diff_bytes(want: bytes, got: bytes, layout: Layout):
    """[(offset, field name, want octet, got octet)] for differing octets."""
    out = [(i, layout.field_at(i), want[i], got[i])
           for i in range(min(len(want), len(got))) if want[i] != got[i]]
    return out


def check_reply(request_plain: bytes, reply_wire: bytes, keys: TestKeys | None, sec: str,
                symmetrical: bool = False, *, ttl: int | None = None,
                stateful: bool = False, reflect_len: int = 0) -> ReplyCheck:
    """Verify a reflector's reply to `request_plain`.

    Checks the HMAC (AUTH/ENC), then compares the decrypted reply octet by
    octet with expected_reply(), taking from the reply only what the
    reflector chooses: its timestamps (both set, within a second of each
    other), Error Estimate, and its Sequence Number when `stateful` (a
    stateless reflector must copy the sender's).
    `ttl` None accepts any Sender TTL.  Raises AuthError or ReplyMismatch."""
    rlay = reflector_layout(sec)
    want_len = reply_len(len(request_plain), sec)
    if len(reply_wire) != want_len:
        raise ReplyMismatch(f"reply length {len(reply_wire)}, expected {want_len}")
    plain = unprotect(reply_wire, rlay, keys)
    got = parse_reflector(plain, sec)
    # the reflector's own timestamps: both set, the transmit one taken
    # after the receive one (within a second either way: the clock may be
    # stepped between them, never by much)
    if got.rx_ts == 0 or got.ts == 0 or abs(got.ts - got.rx_ts) >= 1 << 32:
        raise ReplyMismatch(f"{rlay.name}: timestamps rx {got.rx_ts:#x}, tx {got.ts:#x}")
    snd = parse_sender(request_plain, sec, symmetrical)
    seq = got.seq if stateful else snd.seq
    want = expected_reply(request_plain, sec, symmetrical, seq, got.errest, got.rx_ts,
                          got.ts, got.sender_ttl if ttl is None else ttl, reflect_len)
    diffs = diff_bytes(want, zero_hmac(plain, rlay), rlay)
    if diffs:
        shown = ", ".join(f"@{o} {f} want {w:02x} got {g:02x}" for o, f, w, g in diffs[:12])
        raise ReplyMismatch(f"{rlay.name}: {len(diffs)} octets differ: {shown}", diffs)
    return ReplyCheck(got.seq, got.ts, got.errest, got.rx_ts, got.sender_ttl, plain)
