#!/usr/bin/python3
"""Recompute every known-answer value of docs/protocol.md §11.

    /usr/bin/python3 docs/kat.py                       print "name hex" lines
    /usr/bin/python3 docs/kat.py --check docs/protocol.md
                                                       compare with the document

Written from docs/protocol.md alone, with hashlib, hmac and the
`cryptography` package (python3-cryptography); it shares no code with the C
sources or with tests/py/twamp_ref.py, so that the three can check each
other. The capture values (§11.6) are re-derived from the perfSONAR exchange
copied into tests/data/twping_mode_A.*: every HMAC found on the wire is
recomputed and must match before any value is reported.

In the document each value sits in a table row whose first cell is the
value's name in backquotes and whose last cell is its hex in backquotes
(spaces inside the hex are ignored). --check exits 1 and names every value
that is missing from the document, unknown here, or different.
"""

import datetime
import hashlib
import hmac
import re
import sys
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TOP = Path(__file__).resolve().parents[1]
DATA = TOP / "tests" / "data"

# §11.3: the perfSONAR unit-test inputs and our choice of session keys
PASS = b"this is the passphrase"
SALT = b"some funny saltT"
COUNT = 1024
CHALLENGE = b"just a challenge"
SID = b"this is the SID!"
AES_SESSION = bytes(range(0x00, 0x10))
HMAC_SESSION = bytes(range(0x10, 0x30))

# §11.4: the fields of the known-answer test packets
SEQ, TS, ERREST = 1, 0xE800000080000000, 0x8001
RX_TS, REFL_TS, REFL_SEQ, TTL = 0xE800000140000000, 0xE800000150000000, 7, 255

# §11.6: the capture's passphrase (KeyID "testuser")
CAPTURE_PASS = b"interop-passphrase"


# ---- primitives (§5, §7) ---------------------------------------------------

def aes_ecb(key: bytes, data: bytes) -> bytes:
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(data) + e.finalize()


def aes_ecb_dec(key: bytes, data: bytes) -> bytes:
    d = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    return d.update(data) + d.finalize()


def aes_cbc(key: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


def aes_cbc_dec(key: bytes, data: bytes, iv: bytes) -> bytes:
    d = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return d.update(data) + d.finalize()


def hmac16(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA1, first 16 of its 20 octets (§5.3, §7.2)."""
    return hmac.new(key, data, hashlib.sha1).digest()[:16]


def token_key(secret: bytes, salt: bytes, count: int) -> bytes:
    """§5.1: K = PBKDF2-HMAC-SHA1(secret, Salt, Count, 16)."""
    return hashlib.pbkdf2_hmac("sha1", secret, salt, count, 16)


def test_keys(sid: bytes, aes_session: bytes, hmac_session: bytes) -> tuple:
    """§7.1: the SID is the AES key, the session keys are the plaintext."""
    return aes_ecb(sid, aes_session), aes_cbc(sid, hmac_session)


# ---- test packets (§6, §7.2) -----------------------------------------------

def sender_plain(hmac_off: int) -> bytes:
    """Authenticated/encrypted sender header (§6.1), HMAC field zero."""
    p = bytearray(hmac_off + 16)
    p[0:4] = SEQ.to_bytes(4, "big")
    p[16:24] = TS.to_bytes(8, "big")
    p[24:26] = ERREST.to_bytes(2, "big")
    return bytes(p)


def reflector_plain() -> bytes:
    """Authenticated/encrypted reflector header (§6.2), HMAC field zero."""
    p = bytearray(112)
    p[0:4] = REFL_SEQ.to_bytes(4, "big")
    p[16:24] = REFL_TS.to_bytes(8, "big")
    p[24:26] = ERREST.to_bytes(2, "big")
    p[32:40] = RX_TS.to_bytes(8, "big")
    p[48:52] = SEQ.to_bytes(4, "big")
    p[64:72] = TS.to_bytes(8, "big")
    p[72:74] = ERREST.to_bytes(2, "big")
    p[80] = TTL
    return bytes(p)


def protect(plain: bytes, covered: int, hmac_off: int, keys: tuple) -> bytes:
    """§7.2: HMAC of plaintext [0, covered) into hmac_off, then AES-CBC with
    IV 0 of [0, covered); the rest goes as it is."""
    aes, mac = keys
    p = bytearray(plain)
    p[hmac_off:hmac_off + 16] = hmac16(mac, bytes(p[:covered]))
    p[:covered] = aes_cbc(aes, bytes(p[:covered]))
    return bytes(p)


def packet_kats() -> dict:
    keys = test_keys(SID, AES_SESSION, HMAC_SESSION)
    return {
        "test-aes-key": keys[0],
        "test-hmac-key": keys[1],
        "auth-sender-48": protect(sender_plain(32), 16, 32, keys),
        "enc-sender-48": protect(sender_plain(32), 32, 32, keys),
        "auth-reflector-112": protect(reflector_plain(), 16, 96, keys),
        "enc-reflector-112": protect(reflector_plain(), 96, 96, keys),
    }


# ---- the groups of §11 -----------------------------------------------------

def primitive_kats() -> dict:
    """§11.2: the published vectors the primitives are checked on."""
    big = b"Test Using Larger Than Block-Size Key - Hash Key First"
    epoch = datetime.datetime(1970, 1, 1) - datetime.datetime(1900, 1, 1)
    return {
        "rfc2202-case1": hmac16(b"\x0b" * 20, b"Hi There"),
        "rfc2202-case2": hmac16(b"Jefe", b"what do ya want for nothing?"),
        "rfc2202-case3": hmac16(b"\xaa" * 20, b"\xdd" * 50),
        "rfc2202-case6": hmac16(b"\xaa" * 80, big),
        "rfc3962-pbkdf2-c1": token_key(b"password", b"ATHENA.MIT.EDUraeburn", 1),
        "ntp-unix-offset": int(epoch.total_seconds()).to_bytes(4, "big"),
    }


def control_kats() -> dict:
    """§11.3: token key, Token, and a first Start-Sessions HMAC."""
    k = token_key(PASS, SALT, COUNT)
    return {
        "token-key": k,
        "token": aes_cbc(k, CHALLENGE + AES_SESSION + HMAC_SESSION),
        "start-sessions-hmac": hmac16(HMAC_SESSION, b"\x02" + bytes(15)),
    }


def ikev2_kats() -> dict:
    """§11.5: prf(SK_d, "IPPM") with SK_d = 00 01 02 ... of the PRF's key
    length, and the token key PBKDF2 makes of it with §11.3's Salt."""
    out = {}
    for name, algo, n in (("sha1", "sha1", 20), ("sha256", "sha256", 32),
                          ("sha384", "sha384", 48), ("sha512", "sha512", 64)):
        secret = hmac.new(bytes(range(n)), b"IPPM", algo).digest()
        out[f"ippm-hmac-{name}"] = secret
        out[f"ippm-hmac-{name}-token-key"] = token_key(secret, SALT, COUNT)
    return out


# ---- §11.6: the perfSONAR exchange of tests/data/twping_mode_A.* -----------

def hex_lines(name: str) -> list:
    """(frame, direction, octets) of a tests/data hex file."""
    rows = []
    for line in (DATA / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            frame, direction, data = line.split()
            rows.append((int(frame), direction, bytes.fromhex(data)))
    return rows


def expect_mac(what: str, got: bytes, wire: bytes):
    if got != wire:
        raise ValueError(f"capture: {what} HMAC {got.hex()} is not the one sent, {wire.hex()}")


def capture_kats() -> dict:
    ctl = [d for _, _, d in hex_lines("twping_mode_A.control.hex")]
    greeting, setup, start, request, accept = ctl[0:5]
    salt, count = greeting[32:48], int.from_bytes(greeting[48:52], "big")
    k = token_key(CAPTURE_PASS, salt, count)
    plain = aes_cbc_dec(k, setup[84:148], bytes(16))
    if plain[:16] != greeting[16:32]:
        raise ValueError("capture: the Token does not carry the Challenge")
    aes, mac = plain[16:32], plain[32:64]
    c2s = aes_cbc_dec(aes, request, setup[148:164])
    expect_mac("Request-TW-Session", hmac16(mac, c2s[:96]), c2s[96:112])
    s2c = aes_cbc_dec(aes, start[32:48] + accept, start[16:32])
    expect_mac("Accept-Session", hmac16(mac, s2c[:48]), s2c[48:64])
    sid = s2c[16 + 4:16 + 20]
    keys = test_keys(sid, aes, mac)
    first = hex_lines("twping_mode_A.test.hex")[0][2]
    expect_mac("first sender packet", hmac16(keys[1], aes_ecb_dec(keys[0], first[:16])),
               first[32:48])
    return {
        "capture-token-key": k,
        "capture-aes-session-key": aes,
        "capture-hmac-session-key": mac,
        "capture-request-hmac": c2s[96:112],
        "capture-accept-session-hmac": s2c[48:64],
        "capture-sid": sid,
        "capture-test-aes-key": keys[0],
        "capture-test-hmac-key": keys[1],
    }


def compute() -> dict:
    """Every value of §11, by name, in the document's order."""
    out = {}
    for group in (primitive_kats, control_kats, packet_kats, ikev2_kats, capture_kats):
        out.update(group())
    return out


# ---- the document ----------------------------------------------------------

ROW = re.compile(r"^\|\s*`([a-z0-9-]+)`\s*\|.*\|\s*`([0-9a-f ]+)`\s*\|\s*$")


def documented(text: str) -> dict:
    """name -> octets of every value row of the document."""
    out = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            if m.group(1) in out:
                raise ValueError(f"value {m.group(1)} appears twice")
            out[m.group(1)] = bytes.fromhex(m.group(2).replace(" ", ""))
    return out


def differences(text: str, values: dict) -> list:
    """One line per value that the document and the computation disagree on."""
    doc = documented(text)
    out = [f"{n}: not in the document" for n in values if n not in doc]
    out += [f"{n}: in the document, not computed" for n in doc if n not in values]
    out += [f"{n}: document {doc[n].hex()}, computed {v.hex()}"
            for n, v in values.items() if n in doc and doc[n] != v]
    return out


def main(argv: list) -> int:
    values = compute()
    if len(argv) == 3 and argv[1] == "--check":
        diffs = differences(Path(argv[2]).read_text(), values)
        for d in diffs:
            print(d, file=sys.stderr)
        print(f"{len(values)} values, {len(diffs)} differences")
        return 1 if diffs else 0
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    for name, v in values.items():
        print(name, v.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
