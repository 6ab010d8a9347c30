"""System test: the reflector on memif against the project's DPDK load
generator, the two ways a container meets its peer (dpdk-configs/README.md):

  zero-copy  the reflector is the memif client with zero-copy=yes (its own
             mbufs are the shared buffers; --single-file-segments), the
             generator the server, as under a vswitch such as VPP
  copy       the reflector is the memif server, the generator the client

The generator fully checks every reply (--verify-every 1: headers, UDP
checksum, HMAC and decryption, the echoed sender fields). It lingers idle
after its results until the reflector has disconnected (--linger), so the
reflector is stopped first and neither side is polling when the link goes;
both must then exit 0, the reflector with its "stopping:" line."""

import json
import os
import secrets
import shutil

import pytest

from harness.proc import Proc
from harness.reflector import binary, build_dir

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

RF_MAC, LG_MAC = "02:00:00:99:78:02", "02:00:00:99:78:01"
RF_IP, LG_IP = "10.99.120.2", "10.99.120.1"
MODES = {"open": "unauthenticated", "auth": "authenticated", "enc": "encrypted"}
WAIT = 60.0


@pytest.fixture
def need_root():
    if os.geteuid() != 0:
        pytest.skip("needs root: the reflector accepts a key-holding config only from root")


def cpus() -> tuple[int, int]:
    c = sorted(os.sched_getaffinity(0))
    return c[0], c[-1]


def eal(lcores: str, prefix: str) -> list[str]:
    return ["--lcores", lcores, "--no-huge", "-m", "256", "--no-pci", "--file-prefix", prefix,
            "--log-level", "lib.eal:error"]


def private_file(path, text: str):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def reflector_config(path, sock_dir, mode: str, key: bytes):
    import base64
    cfg = {"twamp-reflector:twamp-reflector": {
        "key-chain": {"key": [{"key-id": "k", "secret-key": base64.b64encode(key).decode()}]},
        "session-reflector": {"light": {"reflector": [
            {"name": "memif", "udp-port": 862, "mode": MODES[mode], "key-id": "k"}]}},
        "dataplane": {"session-socket": str(sock_dir / "session.sock"), "mbufs": 4095,
                      "port": [{"name": "net_memif0", "rx-queues": 1,
                                "address": [f"{RF_IP}/24"]}]}}}
    private_file(path, json.dumps(cfg))


def run_pair(tmp_path, mode: str, link: str) -> dict:
    loadgen = build_dir() / "client" / "loadgen" / "twamp-loadgen"
    assert os.access(loadgen, os.X_OK), f"{loadgen} is not built"
    key = secrets.token_bytes(48)
    private_file(tmp_path / "key.hex", key.hex())
    reflector_config(tmp_path / "reflector.json", tmp_path, mode, key)
    sock = tmp_path / "memif.sock"
    gen_cpu, rf_cpu = cpus()
    rf_pfx, lg_pfx = "twr-t-mf-" + secrets.token_hex(4), "twr-t-lg-" + secrets.token_hex(4)
    memif = f"net_memif0,socket={sock},socket-abstract=no"
    if link == "zero-copy":
        rf_vdev, lg_role, rf_extra = f"{memif},role=client,mac={RF_MAC},zero-copy=yes", "server", \
            ["--single-file-segments"]
    else:
        rf_vdev, lg_role, rf_extra = f"{memif},role=server,mac={RF_MAC}", "client", []
    rf_argv = [binary("twamp-reflector"), *eal(f"0@{gen_cpu},1@{rf_cpu}", rf_pfx), *rf_extra,
               "--vdev", rf_vdev, "--", "-c", tmp_path / "reflector.json"]
    lg_argv = [loadgen, *eal(f"0@{rf_cpu},1@{gen_cpu}", lg_pfx), "--no-telemetry",
               "--vdev", f"{memif},role={lg_role},mac={LG_MAC}", "--",
               "--mode", mode, "--key-file", tmp_path / "key.hex", "--peer", "twamp",
               "--src-ip", LG_IP, "--dst-ip", RF_IP, "--dst-mac", RF_MAC, "--dst-port", "862",
               "--duration", "1", "--warmup", "1", "--verify-every", "1", "--link-wait", "20",
               "--linger", "20", "--json", tmp_path / "lg.json"]
    rf = Proc(rf_argv, logdir=tmp_path, name="reflector")
    lg = Proc(lg_argv, logdir=tmp_path, name="loadgen")
    try:
        # a memif client needs its server's socket
        first, second = (lg, rf) if link == "zero-copy" else (rf, lg)
        first.start()
        if first is lg:
            lg.wait_for_file(sock, timeout=WAIT)
        else:
            rf.wait_for_log(r"twamp-reflector \S+ running", timeout=WAIT)
        second.start()
        lg.wait_for_log(r"twamp-loadgen: done; idle until the peer disconnects", timeout=WAIT)
        rf_rc = rf.stop()
        lg_rc = lg.wait(timeout=WAIT)
    finally:
        rf.stop()
        lg.stop()
        for p in (rf_pfx, lg_pfx):
            shutil.rmtree(f"/var/run/dpdk/{p}", ignore_errors=True)
    rf_err, lg_err = rf.stderr(), lg.stderr()
    for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        assert bad not in rf_err + lg_err, f"{bad}\n{rf.tails(40)}\n{lg.tails(40)}"
    assert rf_rc == 0, f"reflector exited with {rf_rc}\n{rf.tails(20)}"
    assert "stopping: rx" in rf_err, rf.tails(20)
    assert lg_rc == 0, f"loadgen exited with {lg_rc}\n{lg.tails(20)}"
    assert "did not disconnect" not in lg_err, lg.tails(20)
    return json.loads((tmp_path / "lg.json").read_text())


@pytest.mark.parametrize("mode", ["open", "auth", "enc"])
def test_zero_copy_client(need_root, tmp_path, mode):
    r = run_pair(tmp_path, mode, "zero-copy")
    assert r["replies"] > 0 and r["verified_ok"] == r["replies"], r
    assert r["verified_bad"] == 0 and r["rx_other"] == 0, r


def test_copy_server(need_root, tmp_path):
    r = run_pair(tmp_path, "auth", "copy")
    assert r["replies"] > 0 and r["verified_ok"] == r["replies"], r
    assert r["verified_bad"] == 0 and r["rx_other"] == 0, r
