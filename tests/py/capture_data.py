"""The reference captures, as copied into tests/py/data/ by data/extract.py.

load(name) returns the raw JSON; twping_session(name) re-derives everything
a twping/twampd capture carries (greeting, token, control stream, SID, test
keys, request/reply pairs) with twamp_ref, so the tests can assert on it.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass, field

import twamp_ref as t

DATA = pathlib.Path(__file__).parent / "data"

# vectors/README.md: KeyID `testuser`, passphrase `interop-passphrase`.
PASSPHRASE = b"interop-passphrase"

# TWAMP-Control message sizes (docs/protocol.md §4)
GREETING, SETUP_RESPONSE, SERVER_START = 64, 164, 48
REQUEST_TW_SESSION, ACCEPT_SESSION, START_SESSIONS, START_ACK, STOP_SESSIONS = 112, 48, 32, 32, 32

MODE_SEC = {1: t.OPEN, 2: t.AUTH, 4: t.ENC, 8: t.OPEN}


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def u32(b: bytes) -> int:
    return int.from_bytes(b[:4], "big")


@dataclass
class Pair:
    """One sender packet and the reflector packet that answered it."""
    request: dict           # extract.py record (role, ttl, payload, ...)
    reply: dict

    @property
    def request_wire(self) -> bytes:
        return bytes.fromhex(self.request["payload"])

    @property
    def reply_wire(self) -> bytes:
        return bytes.fromhex(self.reply["payload"])


@dataclass
class TwpingSession:
    name: str
    modes: int
    challenge: bytes
    salt: bytes
    count: int
    mode: int
    keyid: bytes
    token: bytes
    client_iv: bytes
    server_iv: bytes
    server_accept: int
    sec: str
    k: bytes | None = None
    tok: t.Token | None = None
    # plaintext control messages (decrypted in secured modes)
    server_start_tail: bytes = b""   # Server-Start octets 32..47
    request: bytes = b""
    accept: bytes = b""
    start: bytes = b""
    start_ack: bytes = b""
    stop: bytes = b""
    sid: bytes = b""
    keys: t.TestKeys | None = None
    pairs: list = field(default_factory=list)


def pair_by_seq(test, sec, keys):
    """Pair each reflector datagram with the sender datagram whose Sequence
    Number it carries as Sender Sequence Number (the captures interleave
    them).  Returns the pairs in sender order; raises on an unmatched or
    doubly answered request.  Short open replies (twampy sends 38 octets)
    are zero-extended just for reading the Sender Sequence Number."""
    slay, rlay = t.sender_layout(sec), t.reflector_layout(sec)
    requests = {}
    for rec in test:
        if rec["role"] == "sender":
            plain = t.unprotect(bytes.fromhex(rec["payload"]), slay, keys)
            requests[u32(plain)] = rec
    pairs = {}
    for rec in test:
        if rec["role"] != "reflector":
            continue
        wire = bytes.fromhex(rec["payload"])
        if sec == t.OPEN:
            wire = wire + bytes(max(0, rlay.base_len - len(wire)))
        sseq = t.parse_reflector(t.unprotect(wire, rlay, keys), sec).sender_seq
        if sseq in pairs:
            raise ValueError(f"sender seq {sseq} answered twice")
        pairs[sseq] = Pair(requests.pop(sseq), rec)
    if requests:
        raise ValueError(f"unanswered requests {sorted(requests)}")
    return [pairs[k] for k in sorted(pairs)]


def twping_session(name: str, passphrase: bytes = PASSPHRASE) -> TwpingSession:
    d = load(name)
    c2s = bytes.fromhex(d["control"]["client_to_server"])
    s2c = bytes.fromhex(d["control"]["server_to_client"])
    g, sur, ss = s2c[:GREETING], c2s[:SETUP_RESPONSE], s2c[GREETING:GREETING + SERVER_START]
    s = TwpingSession(
        name=name, modes=u32(g[12:]), challenge=g[16:32], salt=g[32:48], count=u32(g[48:]),
        mode=u32(sur), keyid=sur[4:84].rstrip(b"\0"), token=sur[84:148], client_iv=sur[148:164],
        server_accept=ss[15], server_iv=ss[16:32], sec=MODE_SEC.get(u32(sur), t.OPEN))
    if s.server_accept != 0:
        return s
    srv = s2c[GREETING + SERVER_START:]
    cli = c2s[SETUP_RESPONSE:]
    s.server_start_tail = ss[32:48]
    if s.mode in (2, 4, 8):
        s.k = t.token_key(passphrase, s.salt, s.count)
        s.tok = t.decrypt_token(s.k, s.token)
        sd = t.CbcStream(s.tok.aes_key, s.server_iv)
        cd = t.CbcStream(s.tok.aes_key, s.client_iv)
        s.server_start_tail = sd.decrypt(s.server_start_tail)
        srv, cli = sd.decrypt(srv), cd.decrypt(cli)
    s.accept, s.start_ack = srv[:ACCEPT_SESSION], srv[ACCEPT_SESSION:ACCEPT_SESSION + START_ACK]
    s.request = cli[:REQUEST_TW_SESSION]
    rest = cli[REQUEST_TW_SESSION:]
    s.start, s.stop = rest[:START_SESSIONS], rest[START_SESSIONS:START_SESSIONS + STOP_SESSIONS]
    s.sid = s.accept[4:20]
    if s.mode in (2, 4):
        s.keys = t.derive_test_keys(s.sid, s.tok.aes_key, s.tok.hmac_key)
    s.pairs = pair_by_seq(d["test"], s.sec, s.keys)
    return s
