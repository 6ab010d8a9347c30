"""twamp-keyagent against hostile local callers.

A real charon pair with the ippm plugin and one established IKEv2 SA; the
agent beside charon a runs as nobody. Malformed, oversized, truncated,
wrong-version and silent requests, a caller the policy does not know, and
peers outside a caller's prefixes must each get the right status and an
audit line, while the agent keeps serving; the audit log must never hold a
key, in any spelling.
"""

import base64
import subprocess
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from harness import charon, keyagent
from harness.charon import CharonPair, Conn
from harness.keyagent import (LOOKUP_PEER, LOOKUP_SPI, PING, KeyAgent, decode_reply,
                              exchange, lookup_peer, lookup_spi, query, request)
from harness.netns import NetnsPair
from harness.reflector import ProcGroup

SUBNET = 8
NOBODY, NOGROUP, STRANGER = 65534, 65534, 12345
MAX_CLIENTS = 4

pytestmark = [
    pytest.mark.system,
    pytest.mark.sanitize,
    pytest.mark.skipif(keyagent.plugin_unavailable() is not None,
                       reason=keyagent.plugin_unavailable() or ""),
]

KEYS = []   # every key handed out in this module, to look for in the audit log


class Env:
    pass


@pytest.fixture(scope="module")
def env():
    missing = charon.unavailable()
    if missing:
        pytest.fail(missing)
    base = Path(tempfile.mkdtemp(prefix="twr-ka-hostile-"))
    base.chmod(0o755)
    procs = ProcGroup(base / "logs")
    try:
        with NetnsPair(subnet=SUBNET) as net:
            e = Env()
            e.pair = CharonPair(net, base, keyagent.plugin_module(),
                                [Conn("p256", 1, "aes256-sha256-prfsha256-x25519")])
            e.pair.start(procs)
            e.sa = e.pair.initiate("p256")
            e.spis = bytes.fromhex(e.sa["initiator-spi"]), bytes.fromhex(e.sa["responder-spi"])
            e.peer = e.pair.a.addr(e.pair.conns["p256"], peer=True)
            e.agent = KeyAgent(base / "agent", e.pair.a.ippm_sock, [
                {"name": "server", "uid": 0, "lookup": ["spi", "peer"],
                 "peer-prefix": [f"10.99.{SUBNET}.0/24"]},
                {"name": "narrow", "uid": NOBODY, "lookup": ["spi", "peer"],
                 "peer-prefix": ["192.0.2.0/24"]},
            ], **{"request-timeout": 500, "max-clients": MAX_CLIENTS}).start(procs)
            yield e
            assert e.agent.proc.stop() == 0, e.agent.proc.tails()
            assert "Sanitizer" not in e.agent.proc.stderr()
    finally:
        procs.stop_all()
        shutil.rmtree(base, ignore_errors=True)


def audited(env, before, *needles):
    """The one audit line written since `before` lines; it holds every needle."""
    lines = env.agent.wait_audit(before + 1)
    assert len(lines) == before + 1, lines[before:]
    for n in needles:
        assert n in lines[-1], lines[-1]
    return lines[-1]


def refused(env, data, status, reason, shutdown=False):
    before = len(env.agent.audit_lines())
    rep = decode_reply(exchange(env.agent.socket, data, shutdown=shutdown))
    assert (rep["status"], rep["type"], rep["key"]) == (status, 0, b"")
    assert rep["raw"][8:] == bytes(640)
    audited(env, before, "uid=0 ", f"status={status}", f'reason="{reason}"')


def good_request(env):
    return request(LOOKUP_SPI, *env.spis)


def as_user(env, uid, gid, data):
    """Send `data` to the agent from a process with that uid and gid."""
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_UNIX);s.settimeout(5);s.connect(sys.argv[1])\n"
            "s.sendall(bytes.fromhex(sys.argv[2]));b=b''\n"
            "while True:\n c=s.recv(4096)\n if not c: break\n b+=c\n"
            "print(b.hex())\n")
    r = subprocess.run(["/usr/bin/python3", "-c", code, str(env.agent.socket), data.hex()],
                       capture_output=True, text=True, timeout=15, user=uid, group=gid,
                       extra_groups=[])
    assert r.returncode == 0, r.stderr
    return decode_reply(bytes.fromhex(r.stdout.strip()))


def test_served_before(env):
    rep = lookup_spi(env.agent.socket, *env.spis)
    assert rep["status"] == "OK" and len(rep["key"]) == 32
    KEYS.append(rep["key"])


@pytest.mark.parametrize("mutate,reason", [
    (lambda q: b"XXXX" + q[4:], "bad magic"),
    (lambda q: b"IPPM" + q[4:], "bad magic"),          # the plugin's leg
    (lambda q: q[:5] + b"\x09" + q[6:], "unknown request type"),
    (lambda q: q[:47] + b"\x01", "MBZ field not zero"),
    (lambda q: q[:6] + b"\x00\x01" + q[8:], "MBZ field not zero"),
    (lambda q: q[:8] + bytes(8) + q[16:], "SPI lookup with a zero SPI"),
    (lambda q: q[:5] + bytes([PING]) + q[6:], "ping with SPIs or a peer"),
    (lambda q: q[:5] + bytes([LOOKUP_PEER]) + q[6:], "peer lookup with SPIs"),
])
def test_malformed(env, mutate, reason):
    refused(env, mutate(good_request(env)), "MALFORMED", reason)


def test_wrong_version(env):
    q = good_request(env)
    refused(env, q[:4] + b"\x02" + q[5:], "VERSION", "unsupported version")


def test_oversized(env):
    refused(env, good_request(env) + b"\x00" * 100, "MALFORMED", "oversized request")
    refused(env, bytes(range(256)) * 64, "MALFORMED", "oversized request")


def test_truncated(env):
    refused(env, good_request(env)[:20], "MALFORMED", "truncated request", shutdown=True)
    refused(env, good_request(env)[:20], "MALFORMED", "truncated request (timeout)")
    refused(env, b"", "MALFORMED", "no request (timeout)")


def test_caller_not_in_policy(env):
    before = len(env.agent.audit_lines())
    rep = as_user(env, STRANGER, NOGROUP, good_request(env))
    assert (rep["status"], rep["key"]) == ("NOT_PERMITTED", b"")
    audited(env, before, f"uid={STRANGER} gid={NOGROUP} request=spi", "status=NOT_PERMITTED",
            'reason="caller not in policy"')


def test_peer_outside_the_callers_prefixes(env):
    before = len(env.agent.audit_lines())
    rep = as_user(env, NOBODY, NOGROUP, request(LOOKUP_PEER, peer=env.peer))
    assert (rep["status"], rep["key"]) == ("NOT_PERMITTED", b"")
    audited(env, before, f"uid={NOBODY}", f"peer={env.peer}", "status=NOT_PERMITTED",
            'reason="peer outside the caller\'s policy"')
    rep = lookup_peer(env.agent.socket, f"10.99.{SUBNET + 1}.2")
    assert rep["status"] == "NOT_PERMITTED"
    audited(env, before + 1, "uid=0 ", "status=NOT_PERMITTED")


def test_sa_of_a_peer_outside_the_callers_prefixes(env):
    """An SPI lookup learns the peer from charon: the key is withheld."""
    before = len(env.agent.audit_lines())
    rep = as_user(env, NOBODY, NOGROUP, good_request(env))
    assert (rep["status"], rep["key"]) == ("NOT_PERMITTED", b"")
    assert rep["raw"][8:] == bytes(640)
    audited(env, before, f"uid={NOBODY}", "status=NOT_PERMITTED", f"remote={env.peer}",
            'reason="IKE peer outside the caller\'s policy"')


def test_idle_connections_do_not_starve_others(env):
    """More silent callers than max-clients: they time out, others get served."""
    idle = []
    try:
        for _ in range(MAX_CLIENTS + 2):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(env.agent.socket))
            idle.append(s)
        q = query(env.agent.socket, "-t", "5000", "spi", env.sa["initiator-spi"],
                  env.sa["responder-spi"])
        assert q["status"] == "OK"
    finally:
        for s in idle:
            s.close()


def test_runs_unprivileged(env):
    status = Path(f"/proc/{env.agent.proc.pid}/status").read_text()
    ids = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert ids["Uid"].split() == [str(NOBODY)] * 4
    assert ids["Gid"].split() == [str(NOGROUP)] * 4
    assert ids["Groups"].split() in ([], [str(NOGROUP)])
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):     # none left
        assert int(ids[cap], 16) == 0, f"{cap}{ids[cap]}"
    assert ids["NoNewPrivs"].strip() == "1"
    st = env.agent.socket.stat()
    assert (oct(st.st_mode & 0o7777), st.st_uid, st.st_gid) == ("0o660", 0, NOGROUP)


def test_refuses_to_start_unsafely(env):
    """As root without a user to run as, or with a policy others may change."""
    base = Path(tempfile.mkdtemp(prefix="twr-ka-start-"))
    try:
        for name, fix in (("rootuser", lambda a: None), ("loose", lambda a: a.config.chmod(0o666))):
            agent = KeyAgent(base / name, env.pair.a.ippm_sock, [
                {"name": "s", "uid": 0, "lookup": ["spi"], "peer-prefix": ["10.0.0.0/8"]}],
                user="nobody" if name == "loose" else None)
            fix(agent)
            r = subprocess.run([str(keyagent.agent_binary()), "-c", str(agent.config)],
                               capture_output=True, text=True, timeout=15)
            assert r.returncode == 1
            want = ("started as root and no user is configured: refusing to run as root"
                    if name == "rootuser" else "refused")
            assert want in r.stderr, r.stderr
            assert not agent.socket.exists()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_still_serving_and_the_audit_log_holds_no_key(env):
    assert env.agent.proc.alive()
    rep = lookup_spi(env.agent.socket, *env.spis)
    assert rep["status"] == "OK"
    KEYS.append(rep["key"])
    rep = lookup_peer(env.agent.socket, env.peer)
    assert rep["status"] == "OK"
    KEYS.append(rep["key"])
    log = env.agent.audit_bytes()
    assert log.count(b"\n") >= 20
    for key in set(KEYS):
        for spelling in (key, key.hex().encode(), key.hex().upper().encode(),
                         base64.b64encode(key), key[:8], key[-8:]):
            assert spelling not in log
    for line in log.decode().splitlines():
        assert " status=" in line and " pid=" in line and " uid=" in line


def test_audit_flood_bounded(env):
    """Last (it leaves a window of uid 0 open): a caller asking for SAs that
    do not exist, as fast as it can. The audit log gets lines-per-caller (5)
    lines and one summary that counts the rest; a key handed out in the
    middle is written all the same."""
    import os
    import re
    import time
    before = env.agent.audit_lines()
    n = 300
    for i in range(n):
        rep = lookup_spi(env.agent.socket, os.urandom(8), os.urandom(8))
        assert rep["status"] == "NO_SA"
        if i == n // 2:
            ok = lookup_spi(env.agent.socket, *env.spis)
            assert ok["status"] == "OK"
            KEYS.append(ok["key"])
    new = env.agent.audit_lines()[len(before):]
    nosa = [x for x in new if " uid=0 " in x and "request=spi" in x and "status=NO_SA" in x]
    assert len(nosa) <= 5, new
    assert len([x for x in new if "status=OK" in x]) == 1, new
    deadline = time.monotonic() + 15.0
    while True:
        text = "\n".join(env.agent.audit_lines()[len(before):])
        m = re.search(r"Z uid=0: (\d+) more 'request=spi status=NO_SA reason=[^']*' "
                      r"in the last 10 s", text)
        if m or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert m, text[-2000:]
    assert int(m.group(1)) + len(nosa) == n
    for key in set(KEYS):
        assert key.hex().encode() not in env.agent.audit_bytes()
