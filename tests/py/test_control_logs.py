"""System tests of twamp-controld's logs (control/README.md, Logs; The local
log and its hash chain), with the server in namespace b on the veth and no
dataplane (sessions are not needed here):

* a log flood: many connections refused by the control ACL from several
  source addresses.  What the server writes to stderr stays bounded (the
  bytes are measured against what one line per event would have been and
  against the budget), every refused connection is in the counters, and the
  log accounts for each event: a line of its own, counted in a
  "peer=S: N more '...'" summary, or counted in a "log budget" line.  A
  good client is served all along.
* the anchored local log: --verify-log accepts the log the server wrote and
  refuses it truncated at a record boundary, emptied, with a middle record
  removed, or with its anchor altered or gone; the server refuses to start
  on any of those and says to rotate the log; rotated, it starts a fresh
  chain.  A log-key that is also a key-chain secret (a login) is refused.
"""

import base64
import re
import shutil
import socket
import subprocess
import time

import pytest

from harness import netns
from harness.controld import Controld
from harness.pkt import in_netns
from harness.reflector import ProcGroup, binary
from harness.twamp_ctl import AUTH, TwampControl

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

SUBNET = 17
GOOD = f"10.99.{SUBNET}.1"
FLOODERS = [f"10.99.{SUBNET}.{h}" for h in range(10, 22)]
FLOODER_RE = "(?:" + "|".join(a.replace(".", r"\.") for a in FLOODERS) + ")"
KEYS = {"user1": b"correct horse battery staple"}
LOG_KEY = bytes(range(0x40, 0x60))
RATE = {"aggregate-interval": 10, "lines-per-source": 2, "lines-per-second": 20, "burst": 20}
REFUSED_LINE = ("twamp-controld: warning: connection refused: peer=10.99.17.10:40000: "
                "source not in control-acl\n")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    with netns.NetnsPair(subnet=SUBNET) as n:
        for a in FLOODERS:
            n.a.ip("addr", "add", f"{a}/24", "dev", n.a_end.ifname)
        yield n


@pytest.fixture
def procs(tmp_path):
    g = ProcGroup(tmp_path)
    try:
        yield g
    finally:
        g.stop_all()


def connect(net, src, port=862):
    return TwampControl.connect(net.a, net.b_end.ip4, port, src=src, timeout=5.0)


def flood(net, n, port):
    """n connections round robin over FLOODERS, each held until the server
    closes it (so that each is one refusal); in namespace a."""
    def body():
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.settimeout(5.0)
                s.bind((FLOODERS[i % len(FLOODERS)], 0))
                s.connect((net.b_end.ip4, port))
                assert s.recv(1) == b"", "a refused connection got data"
            except ConnectionResetError:
                pass
            finally:
                s.close()
    in_netns(net.a, body)


def refused_total(st):
    return sum(v for k, v in st.items() if k.startswith("refused-"))


def log_stats(d):
    s = d.state()["security-baseline"]["log-security"]["statistics"]
    return {k: int(v) for k, v in s.items()}


def accounted(new):
    """What the log says of the flood's events: (lines of their own, counted
    in summaries, counted in budget lines)."""
    verbatim = len(re.findall(rf"connection refused: peer={FLOODER_RE}:\d+: ", new))
    summed = sum(int(m) for m in re.findall(
        rf"peer={FLOODER_RE}: (\d+) more 'connection refused: [^']*' in the last 10 s", new))
    suppressed = sum(int(m) for m in re.findall(r"log budget: (\d+) lines suppressed", new))
    return verbatim, summed, suppressed


def test_log_flood_bounded(net, procs, tmp_path):
    d = Controld(tmp_path, tmp_path / "none.sock", keys=KEYS, name="controld-flood",
                 server={"server-tcp-port": 8627, "max-connections": 64},
                 security={"control-acl": {"permit-prefix": [f"{GOOD}/32"]},
                           "log-security": {"rate-limit": RATE}})
    d.start(procs, net.b)
    st0, log0 = d.stats(), len(d.log())
    n = 40 * len(FLOODERS)
    t0 = time.monotonic()
    flood(net, n, 8627)
    flood_s = time.monotonic() - t0
    # the exact accounting below needs the flood inside one window
    assert flood_s < RATE["aggregate-interval"] - 1, f"the flood took {flood_s:.1f} s"
    # the good client is served right after the flood; its lines are
    # written once the budget has refilled (during the flood they would be
    # counted in the budget line like any other: that is the budget)
    time.sleep(RATE["burst"] / RATE["lines-per-second"] + 0.5)
    c = connect(net, GOOD, 8627)
    try:
        c.greeting()
        assert c.setup(AUTH, b"user1", KEYS["user1"]) == 0
    finally:
        c.close()
    st = d.wait_stat("refused-acl", st0["refused-acl"] + n)
    # every event counted
    assert refused_total(st) - refused_total(st0) == n, st
    # the windows close (10 s) with their summaries; a budget line follows
    deadline = time.monotonic() + 2 * RATE["aggregate-interval"] + 5
    while sum(accounted(d.log()[log0:])) != n:
        assert time.monotonic() < deadline, (accounted(d.log()[log0:]), d.proc.tails(30))
        time.sleep(0.2)
    new = d.log()[log0:]
    verbatim, summed, suppressed = accounted(new)
    written = len(new.encode())
    # bounded: the budget over the flood, one summary per source and window
    # and a few lines besides (the good client's, a budget line), lines of
    # at most 200 octets; against one line per event
    windows = int(flood_s / RATE["aggregate-interval"]) + 1
    bound = (RATE["burst"] + RATE["lines-per-second"] * flood_s +
             len(FLOODERS) * windows + 10) * 200
    unlimited = n * len(REFUSED_LINE)
    print(f"log flood: {n} refusals from {len(FLOODERS)} sources in {flood_s:.2f} s: "
          f"{written} octets on stderr (one line per event: {unlimited}; bound {bound:.0f}); "
          f"{verbatim} lines, {summed} in summaries, {suppressed} over the budget")
    assert written <= bound, new[-4000:]
    assert written * 5 < unlimited
    assert suppressed > 0   # the first lines of 12 sources are more than the burst
    ls = log_stats(d)
    assert ls["events-aggregated"] == summed and ls["lines-suppressed"] == suppressed, ls
    # per source: at most lines-per-source lines in the window
    for src in FLOODERS:
        mine = len(re.findall(rf"connection refused: peer={re.escape(src)}:\d+: ", new))
        assert mine <= RATE["lines-per-source"] * windows
    # the good client's lines are all there
    assert re.search(rf"connection accepted: peer={GOOD}:\d+", new)
    assert re.search(rf"authentication ok: peer={GOOD}:\d+", new)
    d.stop()
    # start and stop are never suppressed
    assert "signal 15: shutting down" in d.log()


# ---- the anchored local log ---------------------------------------------

def logd(tmp_path, name, port, log, **sec):
    security = {"log-security": {"local-log-file": str(log),
                                 "log-key": base64.b64encode(LOG_KEY).decode(),
                                 "anchor-interval": 1, **sec}}
    return Controld(tmp_path, tmp_path / "none.sock", keys=KEYS, name=name,
                    server={"server-tcp-port": port}, security=security)


def verify(d, log, *extra):
    argv = [str(binary("twamp-controld")), "--verify-log", str(log), *extra, "-c",
            str(d.write_config())]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def start_refused(d):
    """The server must refuse to start: exit status and message."""
    r = subprocess.run(d.argv(d.write_config()), capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stderr
    assert "does not verify against its anchor" in r.stderr, r.stderr
    assert "rotate the log" in r.stderr, r.stderr
    return r.stderr


def records(log):
    return log.read_text().splitlines(keepends=True)


def test_anchored_log(net, procs, tmp_path):
    log = tmp_path / "security.log"
    anchor = tmp_path / "security.log.anchor"
    d = logd(tmp_path, "controld-anchor", 8628, log)
    d.start(procs, net.b)
    for _ in range(3):
        c = connect(net, GOOD, 8628)
        c.greeting()
        assert c.setup(AUTH, b"user1", b"wrong") == 1
        c.close()
    d.wait_log(r"authentication failed: peer=")
    d.stop()
    text = log.read_text()
    lines = records(log)
    assert "authentication failed: peer=" in text and " mac=" in text
    # a sequence number in every record: 1, 2, 3, ...
    assert [int(x.split(" ", 1)[0]) for x in lines] == list(range(1, len(lines) + 1))
    # the anchor written at shutdown covers the last record
    a = anchor.read_text()
    assert re.fullmatch(rf"anchor v1 seq={len(lines):020d} head={lines[-1][-65:-1]} time=\S+ "
                        r"mac=[0-9a-f]{64}\n", a), a
    assert f"log anchor v1 seq={len(lines):020d} " in d.log()
    r = verify(d, log)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"hash chain intact, {len(lines)} records" in r.stdout

    def refused(content, anchor_text, why):
        log.write_text(content)
        if anchor_text is None:
            anchor.unlink(missing_ok=True)
        else:
            anchor.write_text(anchor_text)
        r = verify(d, log)
        assert r.returncode == 1 and why in r.stdout, r.stdout + r.stderr
        err = start_refused(d)
        assert why in err

    # truncated at a record boundary, emptied, a middle record removed
    refused("".join(lines[:-2]), a, f"truncated: the log ends at record {len(lines) - 2}")
    refused("", a, "emptied")
    refused("".join(lines[:2] + lines[3:]), a, "line 3: sequence number out of order")
    # the anchor altered (a lower sequence number), or removed
    refused(text, a.replace(f"seq={len(lines):020d} ", f"seq={len(lines) - 1:020d} "),
            "MAC does not verify")
    refused(text, None, "no anchor")
    # the syslog copy of the anchor, saved elsewhere, checks the log too
    saved = tmp_path / "saved.anchor"
    saved.write_text(a)
    log.write_text("".join(lines[:-1]))
    r = verify(d, log, "--anchor", str(saved))
    assert r.returncode == 1 and "truncated" in r.stdout, r.stdout
    # rotated (both moved aside): a fresh chain from 1
    shutil.move(log, tmp_path / "security.log.old")
    d.start(procs, net.b)
    d.stop()
    assert records(log)[0].startswith("1 ")
    assert verify(d, log).returncode == 0


def test_log_key_is_not_a_login(tmp_path):
    d = Controld(tmp_path, tmp_path / "none.sock", keys={"user1": LOG_KEY}, name="controld-lk",
                 security={"log-security": {"local-log-file": str(tmp_path / "x.log"),
                                            "log-key": base64.b64encode(LOG_KEY).decode()}})
    r = subprocess.run(d.argv(d.write_config()), capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "log-key is also the secret-key of key-chain entry 'user1'" in r.stderr
    d.security = {"log-security": {"hash-chain-key-id": "user1"}}
    d.keys = KEYS
    r = subprocess.run(d.argv(d.write_config()), capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "hash-chain-key-id is no longer used" in r.stderr
