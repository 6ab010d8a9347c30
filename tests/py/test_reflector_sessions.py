"""System tests of the session API: sessions installed, started, stopped,
removed and counted through the Unix socket, as the control server will, and
the reflector's answers checked octet by octet."""

import os
import secrets
import stat
import time

import pytest

import twamp_ref as tr
from harness import netns
from harness import session_api as sa
from harness.pkt import exchange, udp_socket
from harness.reflector import running_reflector

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

PORT = 20862


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    with running_reflector(tmp_path_factory.mktemp("sessions"), 2,
                           dataplane={"max-sessions": 6}) as (net, r):
        yield net, r


@pytest.fixture
def api(env):
    net, r = env
    with r.api() as a:
        a.flush()
        yield a
        a.flush()


def new_keys():
    sid = secrets.token_bytes(16)
    return sid, tr.derive_test_keys(sid, secrets.token_bytes(16), secrets.token_bytes(32))


def add_session(api, net, sec, sport, keys=None, sid=None, v6=False, **kw):
    sid = sid or secrets.token_bytes(16)
    refl = net.b_end.ip6 if v6 else net.b_end.ip4
    snd = net.a_end.ip6 if v6 else net.a_end.ip4
    secn = {tr.OPEN: 0, tr.AUTH: 1, tr.ENC: 2}[sec]
    api.add(sid, ipver=6 if v6 else 4, sec=secn, reflector=(refl, PORT), sender=(snd, sport),
            aes=keys.aes if keys else bytes(16), hmac=keys.hmac if keys else bytes(32), **kw)
    return sid


def sender_socket(net, sport, v6=False):
    import socket
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    return udp_socket(net.a, fam, bind=("::" if v6 else "0.0.0.0", sport))


def ping_pong(net, s, sec, keys, seqs, v6=False, padding=b"", reflect_len=0, symmetrical=False):
    dst = (net.b_end.ip6 if v6 else net.b_end.ip4, PORT)
    out = []
    for seq in seqs:
        plain = tr.build_sender(seq, tr.ntp_now(), 0x8001, padding, sec, symmetrical)
        wire = tr.protect(plain, tr.sender_layout(sec, symmetrical), keys)
        reply = exchange(s, wire, dst, timeout=1.0)
        out.append(None if reply is None else
                   tr.check_reply(plain, reply, keys, sec, symmetrical, ttl=255, stateful=True,
                                  reflect_len=reflect_len))
    return out


def settled_counters(api, sid, reflected, timeout=2.0):
    """COUNTERS once the worker has counted `reflected` replies: it counts a
    reply after its TX burst returns, which may be after the reply arrived."""
    deadline = time.monotonic() + timeout
    while True:
        c = api.counters(sid)
        if c.reflected >= reflected or time.monotonic() > deadline:
            return c
        time.sleep(0.01)


def test_socket_is_private(env):
    """Root's, mode 0660, the configured group; its directory made 0750."""
    net, r = env
    st = os.stat(r.sock)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660
    assert (st.st_uid, st.st_gid) == (0, r.api_group.gid)
    d = os.stat(r.api_dir)
    assert (stat.S_IMODE(d.st_mode), d.st_uid, d.st_gid) == (0o750, 0, r.api_group.gid)


def test_info(api):
    info = api.info()
    assert info == {"max_sessions": 6, "sessions": 0, "workers": 1}


@pytest.mark.parametrize("sec", [tr.OPEN, tr.AUTH, tr.ENC])
@pytest.mark.parametrize("v6", [False, True])
def test_session_lifecycle(env, api, sec, v6):
    net, r = env
    sid, keys = new_keys()
    keys = None if sec == tr.OPEN else keys
    add_session(api, net, sec, 40001, keys=keys, sid=sid, v6=v6)
    s = sender_socket(net, 40001, v6)
    try:
        # installed, not started: dropped and counted
        before = r.stats()["not_started"]
        assert ping_pong(net, s, sec, keys, [0], v6) == [None]
        assert r.stats()["not_started"] == before + 1
        api.start(sid)
        # the reflector numbers its own packets from 0, whatever the sender's
        checks = ping_pong(net, s, sec, keys, range(7, 17), v6)
        assert [c.seq for c in checks] == list(range(10))
        c = settled_counters(api, sid, 10)
        assert (c.rx, c.reflected, c.auth_fail, c.state) == (11, 10, 0, 1)
        assert abs(c.last_rx_unix_ns - time.time_ns()) < 10 * 10**9
        api.remove(sid)
        with pytest.raises(sa.ApiError) as e:
            api.counters(sid)
        assert e.value.status == sa.ENOENT
        assert ping_pong(net, s, sec, keys, [0], v6) == [None]
    finally:
        s.close()


# padding that makes a request as long as its reply: the plain copy's shape
FULL = {tr.OPEN: bytes(27), tr.AUTH: bytes(64), tr.ENC: bytes(64)}


@pytest.mark.parametrize("sec", [tr.OPEN, tr.AUTH, tr.ENC])
@pytest.mark.parametrize("shape", ["v4", "v6", "short"])
def test_session_fast_lane(env, api, sec, shape):
    """IPv4 and IPv6 requests as long as their replies take the plain copy
    (pipeline.c) in every mode; requests one octet shorter the general copy.
    Either way the replies (checked octet by octet), the session's own
    sequence numbers and its counters are the same, a wrong HMAC included."""
    net, r = env
    v6 = shape == "v6"
    padding = FULL[sec][:-1] if shape == "short" else FULL[sec]
    sid, keys = new_keys()
    keys = None if sec == tr.OPEN else keys
    add_session(api, net, sec, 40011, keys=keys, sid=sid, v6=v6, flags=sa.SF_START_NOW)
    s = sender_socket(net, 40011, v6)
    try:
        before = r.stats()["fast_lane"]
        checks = ping_pong(net, s, sec, keys, range(100, 108), v6, padding=padding)
        assert [c.seq for c in checks] == list(range(8))
        lane = r.stats()["fast_lane"] - before
        assert lane == (0 if shape == "short" else 8)
        want_fail = 0
        if keys is not None:
            wrong = tr.TestKeys(keys.aes, bytes(32))
            plain = tr.build_sender(9, tr.ntp_now(), 0x8001, padding, sec)
            dst = (net.b_end.ip6 if v6 else net.b_end.ip4, PORT)
            assert exchange(s, tr.protect(plain, tr.sender_layout(sec), wrong), dst, timeout=0.5) is None
            want_fail = 1
        c = settled_counters(api, sid, 8)
        assert (c.rx, c.reflected, c.auth_fail, c.tx_drop) == (8 + want_fail, 8, want_fail, 0)
    finally:
        s.close()


def test_stop_keeps_reflecting_for_timeout(env, api):
    net, r = env
    sid = add_session(api, net, tr.OPEN, 40002, timeout_ms=700, flags=sa.SF_START_NOW)
    s = sender_socket(net, 40002)
    try:
        assert ping_pong(net, s, tr.OPEN, None, [0])[0] is not None
        api.stop(sid)
        assert ping_pong(net, s, tr.OPEN, None, [1])[0] is not None
        assert api.counters(sid).state == 2           # stopping
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                api.counters(sid)
            except sa.ApiError as e:
                assert e.status == sa.ENOENT
                break
            time.sleep(0.1)
        else:
            pytest.fail("stopped session still installed after its timeout")
        assert ping_pong(net, s, tr.OPEN, None, [2]) == [None]
    finally:
        s.close()


def test_refwait_removes_silent_session(env, api):
    net, r = env
    sid = add_session(api, net, tr.OPEN, 40003, refwait_s=1, flags=sa.SF_START_NOW)
    time.sleep(0.5)
    api.counters(sid)       # still there
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            api.counters(sid)
        except sa.ApiError as e:
            assert e.status == sa.ENOENT
            return
        time.sleep(0.1)
    pytest.fail("silent session not removed after REFWAIT")


def test_unknown_sender_on_session_port(env, api):
    net, r = env
    add_session(api, net, tr.OPEN, 40004, flags=sa.SF_START_NOW)
    s = sender_socket(net, 40005)              # not the session's sender port
    before = r.stats()["no_session"]
    try:
        assert ping_pong(net, s, tr.OPEN, None, [0]) == [None]
    finally:
        s.close()
    assert r.wait_stat("no_session", before + 1)["no_session"] == before + 1


def test_auth_failure_counted_per_session(env, api):
    net, r = env
    sid, keys = new_keys()
    add_session(api, net, tr.AUTH, 40006, keys=keys, sid=sid, flags=sa.SF_START_NOW)
    s = sender_socket(net, 40006)
    try:
        wrong = tr.TestKeys(keys.aes, bytes(32))
        plain = tr.build_sender(0, tr.ntp_now(), 0x8001, b"", tr.AUTH)
        assert exchange(s, tr.protect(plain, tr.sender_layout(tr.AUTH), wrong),
                        (net.b_end.ip4, PORT), timeout=0.5) is None
    finally:
        s.close()
    c = api.counters(sid)
    assert (c.rx, c.auth_fail, c.reflected) == (1, 1, 0)


def test_reflect_octets_and_dscp(env, api):
    import socket
    net, r = env
    add_session(api, net, tr.OPEN, 40007, reflect_len=4, dscp=10,
                flags=sa.SF_START_NOW | sa.SF_REFLECT_OCTETS | sa.SF_DSCP_SET)
    s = sender_socket(net, 40007)
    try:
        checks = ping_pong(net, s, tr.OPEN, None, [0, 1], padding=b"\xaa\xbb\xcc\xdd" + bytes(60),
                           reflect_len=4)
        assert all(c is not None for c in checks)
        assert checks[0].plain[41:45] == b"\xaa\xbb\xcc\xdd"
        # the reply carries the session's DSCP, whatever the request had
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x28)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
        s.sendto(tr.build_sender(2, tr.ntp_now(), 0x8001, bytes(64), tr.OPEN), (net.b_end.ip4, PORT))
        s.settimeout(2.0)
        _, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(4))
        tos = [c[2][0] for c in anc if c[1] == socket.IP_TOS]
        assert tos == [10 << 2]
    finally:
        s.close()


def test_symmetrical_session(env, api):
    net, r = env
    sid, keys = new_keys()
    add_session(api, net, tr.ENC, 40008, keys=keys, sid=sid, flags=sa.SF_START_NOW | sa.SF_SYMMETRICAL)
    s = sender_socket(net, 40008)
    try:
        checks = ping_pong(net, s, tr.ENC, keys, range(3), symmetrical=True)
        assert all(c is not None for c in checks)
    finally:
        s.close()


def test_duplicates_refused(env, api):
    net, r = env
    sid = add_session(api, net, tr.OPEN, 40009)
    with pytest.raises(sa.ApiError) as e:
        add_session(api, net, tr.OPEN, 40010, sid=sid)            # same SID
    assert e.value.status == sa.EEXIST
    with pytest.raises(sa.ApiError) as e:
        add_session(api, net, tr.OPEN, 40009)                     # same 5-tuple
    assert e.value.status == sa.EEXIST


def test_table_full(env, api):
    net, r = env
    for i in range(6):
        add_session(api, net, tr.OPEN, 41000 + i)
    with pytest.raises(sa.ApiError) as e:
        add_session(api, net, tr.OPEN, 41010)
    assert e.value.status == sa.ENOSPC
    assert api.info()["sessions"] == 6
    api.flush()
    assert api.info()["sessions"] == 0
    add_session(api, net, tr.OPEN, 41011)       # slots come back after the grace period


def test_unknown_sid(api):
    for op in (api.start, api.stop, api.remove, api.counters):
        with pytest.raises(sa.ApiError) as e:
            op(secrets.token_bytes(16))
        assert e.value.status == sa.ENOENT


def test_malformed_messages_refused(env, api):
    net, r = env
    before = r.stats()["api_invalid"]
    good = sa.session_body(secrets.token_bytes(16), 4, 0, (net.b_end.ip4, PORT), (net.a_end.ip4, 1))
    hdr = sa.HDR.pack
    bad = [
        b"",                                                         # empty
        b"\x01",                                                     # shorter than a header
        hdr(2, sa.OP_INFO, 16, 1, 0),                                # wrong version
        hdr(1, 99, 16, 1, 0),                                        # unknown op
        hdr(1, sa.OP_ADD, 16 + len(good), 1, 0) + good[:-1],         # short body
        hdr(1, sa.OP_ADD, 16 + len(good) + 1, 1, 0) + good + b"\0",  # long body
        hdr(1, sa.OP_INFO, 16, 1, 7),                                # reserved not zero
        hdr(1, sa.OP_ADD, 16 + len(good), 1, 0) + good[:16] + b"\x05" + good[17:],  # IP version 5
        hdr(1, sa.OP_ADD, 16 + len(good), 1, 0) + good[:17] + b"\x03" + good[18:],  # mode 3
        hdr(1, sa.OP_INFO, 16, 1, 0) + bytes(600),                   # oversized
    ]
    for msg in bad:
        if not msg:
            continue
        _, status, _ = api.raw(msg)
        assert status == sa.EINVAL, msg[:24].hex()
    assert r.stats()["api_invalid"] == before + len(bad) - 1
    assert api.info()["sessions"] == 0
    assert r.proc.alive()


def test_refwait_not_refreshed_by_junk(env, api):
    """Only packets that verify keep a session alive (issue 17): a session
    with REFWAIT 1 s that receives nothing but packets with its 5-tuple and
    a wrong HMAC expires on time, each of them counted as received and as
    an authentication failure; the same flow with the right key keeps a
    session past its REFWAIT."""
    net, r = env
    dst = (net.b_end.ip4, PORT)
    layout = tr.sender_layout(tr.AUTH)

    def feed(sid, keys, sport, seconds):
        """A packet every 50 ms for `seconds`; the time the session was
        gone after (None: still there), and its last counters."""
        s = sender_socket(net, sport)
        t0, seq, last = time.monotonic(), 0, None
        try:
            while time.monotonic() - t0 < seconds:
                plain = tr.build_sender(seq, tr.ntp_now(), 0x8001, b"", tr.AUTH)
                s.sendto(tr.protect(plain, layout, keys), dst)
                seq += 1
                try:
                    last = api.counters(sid)
                except sa.ApiError as e:
                    assert e.status == sa.ENOENT
                    return time.monotonic() - t0, last
                time.sleep(0.05)
        finally:
            s.close()
        return None, last

    sid, keys = new_keys()
    add_session(api, net, tr.AUTH, 40030, keys=keys, sid=sid, refwait_s=1, flags=sa.SF_START_NOW)
    gone, last = feed(sid, tr.TestKeys(keys.aes, bytes(32)), 40030, 5.0)
    assert gone is not None, "a session kept alive by packets that do not verify"
    assert 0.8 <= gone < 2.5, f"expired after {gone:.2f} s, REFWAIT is 1 s"
    assert last is not None and last.rx > 5 and last.auth_fail == last.rx and last.reflected == 0

    # the control: the same flow, verifying, outlives its REFWAIT
    sid, keys = new_keys()
    add_session(api, net, tr.AUTH, 40031, keys=keys, sid=sid, refwait_s=1, flags=sa.SF_START_NOW)
    gone, last = feed(sid, keys, 40031, 2.5)
    assert gone is None, f"a session with good packets expired after {gone:.2f} s"
    c = settled_counters(api, sid, last.rx)
    assert c.auth_fail == 0 and c.reflected > 20
