"""System test: one port with two RX queues (af_packet fanout) polled by two
worker lcores. Flows spread over both workers; every reply is checked, and
global, per-worker and per-session counters add up."""

import secrets

import pytest

import twamp_ref as tr
from harness import netns
from harness import session_api as sa
from harness.pkt import exchange, udp_socket
from harness.reflector import running_reflector

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

KEY = secrets.token_bytes(48)
KEYS = tr.TestKeys(KEY[:16], KEY[16:])
LIGHT = [{"name": "auth", "udp-port": 862, "mode": "authenticated", "key-id": "k"},
         {"name": "stateful", "udp-port": 863, "state": "stateful"}]
FLOWS, PER_FLOW = 48, 4


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    with running_reflector(tmp_path_factory.mktemp("mq"), 5, light=LIGHT, keys={"k": KEY},
                           queues=2) as (net, r):
        yield net, r


def test_two_workers_share_the_flows(env):
    net, r = env
    before = r.stats()["reflected"]
    for f in range(FLOWS):
        s = udp_socket(net.a)
        try:
            for seq in range(PER_FLOW):
                plain = tr.build_sender(seq, tr.ntp_now(), 0x8001, bytes(20), tr.AUTH)
                wire = tr.protect(plain, tr.sender_layout(tr.AUTH), KEYS)
                reply = exchange(s, wire, (net.b_end.ip4, 862), timeout=2.0)
                assert reply is not None, f"flow {f} seq {seq}"
                tr.check_reply(plain, reply, KEYS, tr.AUTH, ttl=255)
        finally:
            s.close()
    workers = r.telemetry("/twamp/workers")
    assert set(workers) == {"0", "1"}
    assert all(w["busy_packets"] > 0 for w in workers.values()), workers
    # dataplane/stage-cycles is off by default: no stage figures
    assert not any(k.startswith("stage_") for w in workers.values() for k in w), workers
    # a worker counts a reply once its TX burst returns, maybe after it arrived
    assert r.wait_stat("reflected", before + FLOWS * PER_FLOW)["reflected"] - before == FLOWS * PER_FLOW


def test_stateful_counters_per_sender_on_either_worker(env):
    net, r = env
    # a source port of its own per flow: the reflector keeps a sender's
    # counter for REFWAIT, and an ephemeral port may repeat an earlier flow's
    for f in range(8):
        s = udp_socket(net.a, bind=("0.0.0.0", 47100 + f))
        try:
            seqs = []
            for seq in range(50, 55):
                plain = tr.build_sender(seq, tr.ntp_now(), 0x8001, b"", tr.OPEN)
                reply = exchange(s, plain, (net.b_end.ip4, 863), timeout=2.0)
                assert reply is not None
                seqs.append(tr.check_reply(plain, reply, None, tr.OPEN, ttl=255, stateful=True).seq)
            assert seqs == list(range(5)), f"flow {f}: {seqs}"
        finally:
            s.close()


def test_sessions_on_both_workers(env):
    net, r = env
    with r.api() as api:
        assert api.info()["workers"] == 2
        sids = []
        for i in range(12):
            sid = secrets.token_bytes(16)
            keys = tr.derive_test_keys(sid, secrets.token_bytes(16), secrets.token_bytes(32))
            api.add(sid, ipver=4, sec=1, reflector=(net.b_end.ip4, 30000),
                    sender=(net.a_end.ip4, 42000 + i), aes=keys.aes, hmac=keys.hmac,
                    flags=sa.SF_START_NOW)
            sids.append((sid, keys, 42000 + i))
        for sid, keys, port in sids:
            s = udp_socket(net.a, bind=("0.0.0.0", port))
            try:
                for seq in range(3):
                    plain = tr.build_sender(seq + 10, tr.ntp_now(), 0x8001, b"", tr.AUTH)
                    wire = tr.protect(plain, tr.sender_layout(tr.AUTH), keys)
                    reply = exchange(s, wire, (net.b_end.ip4, 30000), timeout=2.0)
                    assert reply is not None
                    assert tr.check_reply(plain, reply, keys, tr.AUTH, ttl=255,
                                          stateful=True).seq == seq
            finally:
                s.close()
        for sid, _, _ in sids:
            c = api.counters(sid)
            assert (c.rx, c.auth_fail) == (3, 0)
        api.flush()
