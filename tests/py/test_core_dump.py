"""Secrets out of core dumps (issue 17 item 6): twamp-controld and
twamp-reflector (--no-huge: DPDK's memory is then ordinary anonymous memory,
which a dump holds) are made to dump core with SIGABRT while they hold keys,
and the core file is searched for every 12-octet piece of each secret and
every 16-character piece of its base64 text. Control values that live in
ordinary memory (the command line; the KeyID of the open control
connection) must be found, so the search is shown to see the process's
memory. With security-baseline/memory-security/non-dumpable no core is
written at all.

The core pattern is the kernel's, for the whole machine: the fixture points
it at a temporary folder and puts the old one back whatever happens.
twamp-controld runs as the suite's test user (server/user): after its
privilege drop it sets itself dumpable again unless non-dumpable is set (a
change of uid leaves a process non-dumpable). The daemon's core size limit is raised in its own shell
(ulimit -c unlimited, then exec), nothing else's.
"""

from __future__ import annotations

import base64
import mmap
import os
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from harness import netns
from harness import session_api as sa
from harness.controld import Controld
from harness.reflector import ProcGroup, Reflector
from harness.twamp_ctl import AUTH, TwampControl

pytestmark = pytest.mark.system

CORE_PATTERN = Path("/proc/sys/kernel/core_pattern")
SUID_DUMPABLE = Path("/proc/sys/fs/suid_dumpable")
WRAP = ["sh", "-c", 'ulimit -c unlimited && exec "$@"', "sh"]


@pytest.fixture
def cores():
    """A folder the kernel writes core.<pid> into, for this test only. The
    kernel writes a core as the process's user: twamp-controld runs as the
    suite's test user, so the folder is writable by all (sticky, in /tmp:
    pytest's folders are root's alone)."""
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    try:
        old = CORE_PATTERN.read_text()
    except OSError as e:
        pytest.skip(f"cannot read {CORE_PATTERN}: {e}")
    d = Path(tempfile.mkdtemp(prefix="twr-t-cores-", dir="/tmp"))
    os.chmod(d, 0o1777)
    try:
        try:
            CORE_PATTERN.write_text(f"{d}/core.%p\n")
        except OSError as e:
            pytest.skip(f"cannot set {CORE_PATTERN} (a container?): {e}")
        yield d
    finally:
        CORE_PATTERN.write_text(old)
        shutil.rmtree(d, ignore_errors=True)


def abort_and_collect(proc, cores: Path, timeout: float = 60.0) -> Path | None:
    """SIGABRT to the daemon (by its PID); its core file once it has exited
    (the kernel writes the core before the exit status is reported)."""
    pid = proc.pid
    os.kill(pid, signal.SIGABRT)
    rc = proc.wait(timeout=timeout)
    assert rc == -signal.SIGABRT, f"exit status {rc}\n{proc.tails(20)}"
    core = cores / f"core.{pid}"
    if not core.exists() and list(cores.iterdir()):
        raise AssertionError(f"core.{pid} not written, but {sorted(os.listdir(cores))}")
    return core if core.exists() else None


def pieces(data: bytes, n: int) -> list[bytes]:
    return [data[i:i + n] for i in range(0, len(data) - n + 1)]


def assert_absent(core: Path, secrets_: dict[str, bytes], controls: dict[str, bytes]):
    """Every control value in the core; no piece of any secret."""
    with open(core, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        for name, value in controls.items():
            assert m.find(value) >= 0, f"control value {name} {value!r} not in the core"
        for name, value in secrets_.items():
            b64 = base64.b64encode(value)
            for kind, parts in (("octets", pieces(value, 12)), ("base64", pieces(b64, 16))):
                for p in parts:
                    at = m.find(p)
                    assert at < 0, f"{name}: {len(p)} {kind} of it at offset {at} of the core"


class CoreControld(Controld):
    def argv(self, cfg):
        return [*WRAP, *super().argv(cfg)]


class CoreReflector(Reflector):
    def argv(self, cfg):
        return [*WRAP, *super().argv(cfg)]


def start_controld(tmp, net, procs, name, **kw):
    keyid = "core-" + secrets.token_hex(8)
    secret = secrets.token_bytes(32)
    d = CoreControld(tmp, tmp / "no-dataplane.sock", keys={keyid: secret}, name=name, **kw)
    d.start(procs, net.b)
    return d, keyid, secret


def test_controld_core_holds_no_secret(tmp_path, cores):
    mark = "twr-core-" + secrets.token_hex(6)
    procs = ProcGroup(tmp_path)
    with netns.NetnsPair(subnet=37) as net:
        try:
            d, keyid, secret = start_controld(tmp_path, net, procs, mark)
            # an authenticated connection, held open: the secret went
            # through PBKDF2, and the connection keeps its KeyID
            c = TwampControl.connect(net.a, net.b_end.ip4, 862)
            c.greeting()
            assert c.setup(AUTH, keyid.encode(), secret) == 0
            d.wait_log(rf'authentication ok: peer=\S+ key-id="{keyid}"')
            core = abort_and_collect(d.proc, cores)
            c.close()
        finally:
            procs.stop_all()
    assert core is not None, "no core written (core_pattern, ulimit?)"
    assert_absent(core, {"key-chain secret": secret},
                  {"the command line": mark.encode(), "the connection's KeyID": keyid.encode()})


def test_controld_non_dumpable_writes_no_core(tmp_path, cores):
    if SUID_DUMPABLE.read_text().strip() == "2":
        pytest.skip("fs.suid_dumpable is 2: the kernel dumps non-dumpable processes too")
    procs = ProcGroup(tmp_path)
    with netns.NetnsPair(subnet=38) as net:
        try:
            d, _, _ = start_controld(tmp_path, net, procs, "controld-nodump",
                                     security={"memory-security": {"non-dumpable": True}})
            core = abort_and_collect(d.proc, cores)
        finally:
            procs.stop_all()
    assert core is None and not list(cores.iterdir()), "a non-dumpable controld dumped core"


def test_reflector_core_holds_no_key(tmp_path, cores):
    """A TWAMP Light key from the configuration and a session's keys from
    the session API, both expanded for ipsec-mb, then the dump."""
    light_key = secrets.token_bytes(48)
    aes, hmac = secrets.token_bytes(16), secrets.token_bytes(32)
    procs = ProcGroup(tmp_path)
    with netns.NetnsPair(subnet=39) as net:
        r = CoreReflector(net, tmp_path, keys={"core-light": light_key},
                          light=[{"name": "auth", "udp-port": 862, "mode": "authenticated",
                                  "key-id": "core-light"}])
        try:
            r.start(procs)
            with r.api() as api:
                api.add(secrets.token_bytes(16), ipver=4, sec=1, reflector=(net.b_end.ip4, 20862),
                        sender=(net.a_end.ip4, 40000), aes=aes, hmac=hmac,
                        flags=sa.SF_START_NOW)
            time.sleep(0.2)
            core = abort_and_collect(r.proc, cores, timeout=120.0)
        finally:
            procs.stop_all()
            shutil.rmtree(f"/var/run/dpdk/{r.prefix}", ignore_errors=True)
    assert core is not None, "no core written (core_pattern, ulimit?)"
    assert_absent(core, {"Light key": light_key, "session AES key": aes,
                         "session HMAC key": hmac},
                  {"the command line (file prefix)": r.prefix.encode()})


def test_reflector_non_dumpable(tmp_path, cores):
    """non-dumpable on the reflector: DPDK telemetry and the session API
    work as before; SIGABRT writes no core."""
    if SUID_DUMPABLE.read_text().strip() == "2":
        pytest.skip("fs.suid_dumpable is 2: the kernel dumps non-dumpable processes too")
    procs = ProcGroup(tmp_path)
    with netns.NetnsPair(subnet=40) as net:
        r = CoreReflector(net, tmp_path,
                          extra={"security-baseline": {"memory-security": {"non-dumpable": True}}})
        try:
            r.start(procs)
            assert "rx_packets" in r.stats()                 # telemetry socket
            with r.api() as api:
                assert api.info()["sessions"] == 0            # session API
            core = abort_and_collect(r.proc, cores, timeout=120.0)
        finally:
            procs.stop_all()
            shutil.rmtree(f"/var/run/dpdk/{r.prefix}", ignore_errors=True)
    assert core is None and not list(cores.iterdir()), "a non-dumpable reflector dumped core"
