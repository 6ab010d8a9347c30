"""twamp_ref against the known-answer values of docs/protocol.md (§11.3, §11.4) and
against the twping/twampd and twampy captures copied into tests/py/data/.

Every key in the captures is re-derived here from the passphrase; the values
that vectors/README.md lists for twping_mode_A are the expected results.
"""

import pytest

import capture_data as cd
import twamp_ref as t

H = bytes.fromhex

# --- docs/protocol.md §11.3 / §11.4 inputs and known answers --------------

KAT_PASS = b"this is the passphrase"
KAT_SALT = b"some funny saltT"
KAT_COUNT = 1024
KAT_CHALLENGE = b"just a challenge"
KAT_SID = b"this is the SID!"
KAT_AES = bytes(range(0x00, 0x10))
KAT_HMAC = bytes(range(0x10, 0x30))
KAT_TS = 0xE800000080000000
KAT_EE = 0x8001


def test_kat_pbkdf2_rfc3962():
    assert t.token_key(b"password", b"ATHENA.MIT.EDUraeburn", 1) == H("cdedb5281bb2f801565a1122b2563515")


def test_kat_token_key_and_token():
    k = t.token_key(KAT_PASS, KAT_SALT, KAT_COUNT)
    assert k == H("ad30bef5c168ca886c9df26838a331b5")
    token = t.encrypt_token(k, KAT_CHALLENGE, KAT_AES, KAT_HMAC)
    assert token == H("b020efef4c59c57eaa2548694e8fd55b1b5948d6a71fe71b260edc55aec4fb18"
                      "7138db3a6ff128e07f37eea83f006a29ff7eefda07726fcb1e9617ba18a1a6b8")
    assert t.decrypt_token(k, token) == t.Token(KAT_CHALLENGE, KAT_AES, KAT_HMAC)


def test_kat_test_keys():
    keys = t.derive_test_keys(KAT_SID, KAT_AES, KAT_HMAC)
    assert keys.aes == H("bc11e3b5541462d6b16bd93b6ca04bae")
    assert keys.hmac == H("cb182ea6f510d6b2fa328627db38849fa6f8799bdc247a0b51147705979acd76")


def test_kat_start_sessions_hmac():
    assert t.hmac16(KAT_HMAC, b"\x02" + bytes(15)) == H("6493444798ad093b8b60650d555bfdbf")


@pytest.mark.parametrize("sec,wire", [
    (t.AUTH, "585885d9d6aae2cad674f209f469b2e2e80000008000000080010000000000005eb4c3e5ee9e073cc9c0e7de7c14345e"),
    (t.ENC, "585885d9d6aae2cad674f209f469b2e207c1d189c97b05e365fab0e9b83fa3b6a9cb77ec86036139ce9b30650d1a5363"),
])
def test_kat_sender_packet(sec, wire):
    keys = t.derive_test_keys(KAT_SID, KAT_AES, KAT_HMAC)
    lay = t.sender_layout(sec)
    plain = t.build_sender(1, KAT_TS, KAT_EE, b"", sec)
    assert t.protect(plain, lay, keys) == H(wire)
    back = t.unprotect(H(wire), lay, keys)
    assert t.parse_sender(back, sec) == t.SenderPacket(1, KAT_TS, KAT_EE, b"")


# --- vectors/README.md, twping_mode_A ---------------------------------------

README_A = dict(
    challenge="eb16a111843d048fefc815cdfb08a9f5", salt="f3bbcb20fb30c70840504f31a2a4beb5",
    k="0d2ebf7cb7995295cbe9e1ffe1215dc6", aes="071985f55e236fb013705125bd7b80af",
    hmac="d6b233b46e33fea6e823239976a32612e2aa878a47b45543abc356209dd27a37",
    client_iv="d811ca0602e9d89f74867a9937c5017c", server_iv="998e6b00a5e34556fc311e5976e85949",
    sid="7f000001eead0687c7e93187783c403c", test_aes="a915839ec5900fb1e3ae4d38cd8d5562",
    test_hmac="d852b657eb60bc2f2348b38de95117fc31466138ff5005493139aff61a4b1074")


@pytest.fixture(scope="module")
def mode_a():
    return cd.twping_session("twping_mode_A")


def test_readme_greeting_and_ivs(mode_a):
    assert mode_a.challenge == H(README_A["challenge"])
    assert mode_a.salt == H(README_A["salt"])
    assert mode_a.count == 2048
    assert mode_a.keyid == b"testuser"
    assert mode_a.client_iv == H(README_A["client_iv"])
    assert mode_a.server_iv == H(README_A["server_iv"])


def test_readme_token_key(mode_a):
    assert t.token_key(cd.PASSPHRASE, mode_a.salt, mode_a.count) == H(README_A["k"])


def test_readme_token_decrypts(mode_a):
    tok = t.decrypt_token(H(README_A["k"]), mode_a.token)
    assert tok.challenge == mode_a.challenge
    assert tok.aes_key == H(README_A["aes"])
    assert tok.hmac_key == H(README_A["hmac"])


def test_readme_sid_and_test_keys(mode_a):
    assert mode_a.sid == H(README_A["sid"])
    keys = t.derive_test_keys(mode_a.sid, H(README_A["aes"]), H(README_A["hmac"]))
    assert keys.aes == H(README_A["test_aes"])
    assert keys.hmac == H(README_A["test_hmac"])


# --- control plane of every secured capture ---------------------------------

SECURED = ["twping_mode_A", "twping_mode_E", "twping_mode_M"]


@pytest.mark.parametrize("name", SECURED)
def test_control_stream_hmacs(name):
    s = cd.twping_session(name)
    assert s.tok.challenge == s.challenge
    hk = s.tok.hmac_key
    # first server message after Server-Start folds in Server-Start 32..47
    assert t.hmac16(hk, s.server_start_tail + s.accept[:32]) == s.accept[32:48]
    assert t.hmac16(hk, s.accept[:32]) != s.accept[32:48]
    assert t.hmac16(hk, s.request[:96]) == s.request[96:112]
    assert t.hmac16(hk, s.start[:16]) == s.start[16:32]
    assert t.hmac16(hk, s.start_ack[:16]) == s.start_ack[16:32]
    assert t.hmac16(hk, s.stop[:16]) == s.stop[16:32]
    assert (s.request[0], s.start[0], s.stop[0], s.accept[0], s.start_ack[0]) == (5, 2, 3, 0, 0)


def test_wrong_passphrase_capture():
    s = cd.twping_session("twping_mode_A_wrong_passphrase")
    assert s.mode == 2 and s.server_accept == 1
    # the client used another passphrase: ours does not recover the challenge
    tok = t.decrypt_token(t.token_key(cd.PASSPHRASE, s.salt, s.count), s.token)
    assert tok.challenge != s.challenge
    assert cd.load("twping_mode_A_wrong_passphrase")["test"] == []


# --- test packets of the authenticated and encrypted captures ---------------

@pytest.mark.parametrize("name", ["twping_mode_A", "twping_mode_E"])
def test_captured_test_packets_verify(name):
    s = cd.twping_session(name)
    slay, rlay = t.sender_layout(s.sec), t.reflector_layout(s.sec)
    assert len(s.pairs) == 20
    for n, p in enumerate(s.pairs):
        req = t.unprotect(p.request_wire, slay, s.keys)
        rep = t.unprotect(p.reply_wire, rlay, s.keys)
        assert t.parse_sender(req, s.sec).seq == n
        assert t.mbz_ok(req, slay)
        assert t.parse_reflector(rep, s.sec).sender_seq == n
        if s.sec == t.AUTH:
            # only block 0 (Seq + MBZ) is protected: same ciphertext, same HMAC
            assert p.request_wire[:16] == p.reply_wire[:16]
            assert p.request_wire[32:48] == p.reply_wire[96:112]


def _flip(b: bytes, off: int) -> bytes:
    buf = bytearray(b)
    buf[off] ^= 0x01
    return bytes(buf)


@pytest.mark.parametrize("name", ["twping_mode_A", "twping_mode_E"])
def test_tampered_test_packets(name):
    s = cd.twping_session(name)
    p = s.pairs[3]
    for wire, lay in ((p.request_wire, t.sender_layout(s.sec)),
                      (p.reply_wire, t.reflector_layout(s.sec))):
        # every octet under the MAC or the HMAC itself: rejected
        for off in list(range(lay.mac_len)) + list(range(lay.hmac_off, lay.hmac_off + 16)):
            with pytest.raises(t.AuthError):
                t.unprotect(_flip(wire, off), lay, s.keys)
        # octets outside the MAC (timestamps in mode A, padding): accepted
        for off in range(lay.mac_len, len(wire)):
            if lay.hmac_off <= off < lay.hmac_off + 16:
                continue
            t.unprotect(_flip(wire, off), lay, s.keys)
    wrong = t.TestKeys(s.keys.aes, bytes(32))
    with pytest.raises(t.AuthError):
        t.unprotect(p.request_wire, t.sender_layout(s.sec), wrong)


# --- replies against the reply rule -----------------------------------------

# twampd keeps its own per-session Sequence Number (full TWAMP), so the
# reflector Seq is checked separately (0, 1, 2, ... with no loss).
# In these captures every reply is exactly the reflector's base length
# (twping pads its packets to 41 / 112 octets: padding 27 in O/M, 64 in A/E),
# so no reply carries padding and twampd's padding content cannot differ from
# our rule here: the whole reply is determined and compared octet by octet.

@pytest.mark.parametrize("name", ["twping_mode_O", "twping_mode_A", "twping_mode_E", "twping_mode_M"])
def test_captured_replies_match_rule(name):
    s = cd.twping_session(name)
    assert len(s.pairs) == 20
    assert int.from_bytes(s.request[64:68], "big") == len(s.pairs[0].request_wire) - t.sender_layout(s.sec).base_len
    for n, p in enumerate(s.pairs):
        req = t.unprotect(p.request_wire, t.sender_layout(s.sec), s.keys)
        assert len(p.reply_wire) == len(p.request_wire) == t.reflector_layout(s.sec).base_len
        got = t.check_reply(req, p.reply_wire, s.keys, s.sec, ttl=p.request["ttl"], stateful=True)
        assert got.seq == n
        assert got.rx_ts <= got.ts
        assert t.parse_sender(req, s.sec).ts <= got.rx_ts   # same host, same clock
        assert t.errest_decode(got.errest) is not None


def test_twampy_light_replies():
    """Nokia twampy's responder answers with its 24-octet header followed by
    the first 14 octets of the sender packet: 38 octets, below the 41-octet
    minimum and without the Sender TTL octet.  What it does send is compared
    with the rule (stateless: its Seq is the sender's)."""
    pairs = cd.pair_by_seq(cd.load("twampy_light_sender_to_responder")["test"], t.OPEN, None)
    assert len(pairs) == 5
    for n, p in enumerate(pairs):
        req, rep = p.request_wire, p.reply_wire
        snd = t.parse_sender(req)
        assert snd.seq == n and snd.errest == t.ERREST_UNKNOWN
        assert len(req) == 41 and snd.padding == bytes(27)
        assert len(rep) == 38                      # deviation: rule says 41
        ts, ee, rx = int.from_bytes(rep[4:12], "big"), int.from_bytes(rep[12:14], "big"), \
            int.from_bytes(rep[16:24], "big")
        want = t.expected_reply(req, t.OPEN, False, snd.seq, ee, rx, ts, p.request["ttl"])
        assert rep == want[:38]
        assert rx <= ts


# --- the rule itself on synthetic packets -----------------------------------

PAD = bytes(range(1, 121))


@pytest.mark.parametrize("sec,sym,pad,reflect,want_len,kept,refl", [
    # kept: (first, end) of request octets kept in place; refl: (dst, src, n)
    (t.OPEN, False, 40, 0, 54, (41, 54), None),
    (t.OPEN, False, 40, 4, 54, (45, 54), (41, 14, 4)),
    (t.OPEN, False, 10, 4, 41, None, None),            # no room for reflected octets
    (t.OPEN, False, 30, 8, 44, None, (41, 14, 3)),      # bounded by the reply padding
    (t.OPEN, True, 20, 6, 61, (47, 61), (41, 41, 6)),
    (t.OPEN, True, 3, 6, 44, None, (41, 41, 3)),        # bounded by the sender padding
    (t.AUTH, False, 80, 0, 128, (112, 128), None),
    (t.AUTH, False, 80, 8, 128, (120, 128), (112, 48, 8)),
    (t.ENC, False, 0, 8, 112, None, None),
    (t.ENC, True, 16, 2, 128, (114, 128), (112, 112, 2)),
])
def test_expected_reply_rule(sec, sym, pad, reflect, want_len, kept, refl):
    req = t.build_sender(7, 0x1111111122222222, 0x8001, PAD[:pad], sec, sym)
    rep = t.expected_reply(req, sec, sym, 9, 0x0001, 0x3333333344444444,
                           0x5555555566666666, 254, reflect)
    lay = t.reflector_layout(sec)
    assert len(rep) == want_len
    f = t.parse_reflector(rep, sec)
    assert (f.seq, f.ts, f.errest, f.rx_ts) == (9, 0x5555555566666666, 1, 0x3333333344444444)
    assert (f.sender_seq, f.sender_ts, f.sender_errest, f.sender_ttl) == (7, 0x1111111122222222, 0x8001, 254)
    assert f.mbz_ok
    if kept:
        assert rep[kept[0]:kept[1]] == req[kept[0]:kept[1]]
    if refl:
        dst, src, n = refl
        assert rep[dst:dst + n] == req[src:src + n]
    covered = set()
    if kept:
        covered |= set(range(*kept))
    if refl:
        covered |= set(range(refl[0], refl[0] + refl[2]))
    assert covered == set(range(lay.base_len, want_len))


def test_expected_reply_short_request():
    with pytest.raises(ValueError):
        t.expected_reply(bytes(13), t.OPEN, False, 0, 1, 0, 0, 255)
    with pytest.raises(ValueError):
        t.expected_reply(bytes(111), t.AUTH, True, 0, 1, 0, 0, 255)


@pytest.mark.parametrize("sec,sym", [(s, y) for s in t.SECS for y in (False, True)])
def test_check_reply_accepts_rule_and_rejects_changes(sec, sym):
    keys = t.derive_test_keys(KAT_SID, KAT_AES, KAT_HMAC)
    req = t.build_sender(5, 0xAAAA0000BBBB0000, 0x8001, PAD[:70], sec, sym)
    plain = t.expected_reply(req, sec, sym, 5, 0x0102, 0x10, 0x20, 64, 4)
    lay = t.reflector_layout(sec)
    wire = t.protect(plain, lay, keys)
    got = t.check_reply(req, wire, keys, sec, sym, ttl=64, reflect_len=4)
    assert (got.seq, got.ts, got.errest, got.rx_ts, got.sender_ttl) == (5, 0x20, 0x0102, 0x10, 64)
    with pytest.raises(t.ReplyMismatch):
        t.check_reply(req, wire, keys, sec, sym, ttl=63, reflect_len=4)
    if t.sender_layout(sec, sym).base_len != lay.base_len:
        # (symmetrical: the sender's padding already sits where it is reflected)
        with pytest.raises(t.ReplyMismatch):
            t.check_reply(req, wire, keys, sec, sym, ttl=64, reflect_len=0)
    with pytest.raises(t.ReplyMismatch):
        t.check_reply(req, wire + b"\0", keys, sec, sym, ttl=64, reflect_len=4)
    # a stateless reflector must copy the sender's Seq
    other = t.protect(t.expected_reply(req, sec, sym, 6, 0x0102, 0x10, 0x20, 64, 4), lay, keys)
    with pytest.raises(t.ReplyMismatch):
        t.check_reply(req, other, keys, sec, sym, ttl=64, reflect_len=4)
    assert t.check_reply(req, other, keys, sec, sym, ttl=64, stateful=True, reflect_len=4).seq == 6
    # every non-chosen octet matters: corrupt each header field and MBZ octet
    chosen = {"seq", "ts", "errest", "rx_ts", "hmac"}
    for off in range(len(plain)):
        if lay.field_at(off) in chosen:
            continue
        bad = t.protect(_flip(plain, off), lay, keys)
        with pytest.raises(t.ReplyMismatch):
            t.check_reply(req, bad, keys, sec, sym, reflect_len=4, ttl=64)
    if sec != t.OPEN:
        with pytest.raises(t.AuthError):
            t.check_reply(req, _flip(wire, lay.hmac_off), keys, sec, sym, ttl=64, reflect_len=4)


@pytest.mark.parametrize("sec", [t.AUTH, t.ENC])
def test_symmetrical_sender_protection(sec):
    keys = t.derive_test_keys(KAT_SID, KAT_AES, KAT_HMAC)
    lay = t.sender_layout(sec, True)
    plain = t.build_sender(1, KAT_TS, KAT_EE, PAD[:8], sec, True)
    wire = t.protect(plain, lay, keys)
    assert len(wire) == 120 and lay.hmac_off == 96 and wire[112:] == PAD[:8]
    covered = 96 if sec == t.ENC else 16
    assert wire[:16] == t.aes_ecb_encrypt(keys.aes, plain[:16])
    assert wire[covered:96] == plain[covered:96]
    assert wire[96:112] == t.hmac16(keys.hmac, plain[:covered])
    assert t.unprotect(wire, lay, keys)[:96] == plain[:96]
    with pytest.raises(t.AuthError):
        t.unprotect(_flip(wire, covered - 1), lay, keys)
    if sec == t.AUTH:
        t.unprotect(_flip(wire, 50), lay, keys)      # MBZ 26..95 not covered
    else:
        with pytest.raises(t.AuthError):
            t.unprotect(_flip(wire, 50), lay, keys)


# --- time and Error Estimate -------------------------------------------------

def test_ntp_conversions():
    assert t.ntp_from_unix_ns(0) == 2208988800 << 32
    assert t.ntp_from_unix_ns(1_500_000_000) == ((2208988800 + 1) << 32) | 0x80000000
    for ns in (0, 1, 999_999_999, 1_700_000_000_123_456_789):
        assert t.ntp_to_unix_ns(t.ntp_from_unix_ns(ns)) == ns
    a = t.ntp_from_unix_ns(10**18)
    assert t.ntp_diff_ns(a, t.ntp_from_unix_ns(10**18 - 1500)) in (1499, 1500, 1501)
    assert t.ntp_diff_ns(t.ntp_from_unix_ns(10**18 - 1500), a) in (-1499, -1500, -1501)
    # KAT timestamp of docs/protocol.md §11.4: 0xe8000000 s + 1/2 s
    assert t.ntp_to_unix_ns(KAT_TS) == (0xE8000000 - 2208988800) * 10**9 + 500_000_000


def test_error_estimate():
    assert t.errest_decode(0x8001) == t.ErrorEstimate(True, False, 0, 1)
    assert t.errest_decode(0x3FFF) == t.ErrorEstimate(False, False, 63, 255)
    assert t.errest_decode(0x4101) == t.ErrorEstimate(False, True, 1, 1)
    assert t.errest_decode(0x8000) is None and t.errest_decode(0x3F00) is None
    assert t.errest_decode(0x8001).seconds == 2.0 ** -32
    assert t.errest_pack(True, False, 0, 1) == 0x8001
    assert t.errest_from_seconds(True, 0) == 0x8001
    assert t.errest_from_seconds(False, 1e12) == 0x3FFF         # clamped
    assert t.errest_from_seconds(False, 255 * 2.0 ** 31) == 0x3FFF
    for err in (1e-9, 3.3e-6, 0.001, 0.25, 1.0, 7.5, 1000.0):
        v = t.errest_from_seconds(False, err)
        e = t.errest_decode(v)
        assert e.seconds >= err
        # one step smaller at the same scale would be below err
        assert e.multiplier == 1 or (e.multiplier - 1) * 2.0 ** (e.scale - 32) < err
