"""The project's Dockerfile, built and run for real with rootful Podman.

    podman build --pull=never --network host -t localhost/twamp-reflector:test-XXXXXX .

How, on a Debian machine with no Docker engine and no registry:
  - a private containers.conf (tests/container/containers.conf.in, given as
    CONTAINERS_CONF; nothing under /etc changes): runc, and ulimits that root
    can set here (`ulimit -Hn`);
  - the base image that the Dockerfile's FROM names: when it is absent,
    tests/container/make-base-image.sh makes it with mmdebstrap from the
    machine's Debian mirror. It is kept (and so is podman's layer cache):
    the next run builds in seconds;
  - runs with `--network none` only: podman's default bridge network would
    add cni-podman0, iptables chains and IP forwarding on the host.

Then, in the image: the usage by default; every binary and DPDK driver
plugin resolves its libraries, and no compiler or -dev package is there;
`--check` accepts valid configurations and refuses an invalid one with
libyang's path, and a key file that others can read; and a real run: the
reflector in a container with a memif port whose socket is in a shared
folder, the project's DPDK load generator on the host sending TWAMP Light
to it, every checked reply verified.

Containers are removed by name and the test image by its tag, temporary
folders deleted, whatever happens. The tag is unique to the run, so that
two runs at once do not remove each other's image.
"""

from __future__ import annotations

import base64
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from harness.reflector import build_dir

pytestmark = pytest.mark.system

TOP = Path(__file__).resolve().parents[2]
HELPERS = TOP / "tests" / "container"
BUILD_TIMEOUT = 900          # seconds: a cold build installs the -dev packages
BASE_TIMEOUT = 600           # seconds: mmdebstrap of the base image
RUN_TIMEOUT = 120            # seconds: one short `podman run`
READY_TIMEOUT = 60           # seconds for the reflector to say it runs

# The memif link: MACs and addresses that exist only on it
LG_MAC, RF_MAC = "02:00:00:99:66:01", "02:00:00:99:66:02"
LG_IP, RF_IP = "10.99.102.1", "10.99.102.2"
YANG_MODULE = "twamp-reflector:twamp-reflector"     # the JSON top-level member


_capman = None                # pytest's capture manager, set by the podman fixture


def progress(msg: str):
    """Progress of the long steps, shown as they happen, past pytest's
    capture (./run test keeps it in its log)."""
    if _capman is None:
        print(f"[container] {msg}", flush=True)
        return
    with _capman.global_and_fixture_disabled():
        print(f"\n[container] {msg}", end="", flush=True)


def unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root (rootful Podman)"
    for tool in ("podman", "runc"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (./run deps installs podman, runc and mmdebstrap)"
    return None


class Podman:
    """podman with the private containers.conf; remembers the containers it
    names so that they can all be removed."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        conf = workdir / "containers.conf"
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        template = (HELPERS / "containers.conf.in").read_text()
        conf.write_text(template.replace("@NOFILE@", str(nofile)))
        self.env = dict(os.environ, CONTAINERS_CONF=str(conf))
        self.names: list[str] = []

    def __call__(self, *args, timeout=RUN_TIMEOUT, check=True) -> subprocess.CompletedProcess:
        r = subprocess.run(["podman", *map(str, args)], env=self.env, capture_output=True,
                           text=True, timeout=timeout, check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"podman {' '.join(map(str, args))}: exit {r.returncode}\n"
                                 f"{r.stdout[-3000:]}{r.stderr[-3000:]}")
        return r

    def new_name(self) -> str:
        name = "twr-test-" + secrets.token_hex(4)
        self.names.append(name)
        return name

    def remove_containers(self):
        for name in self.names:
            self("rm", "-f", "--time", "5", name, timeout=60, check=False)
        self.names.clear()


# ---- base image and build --------------------------------------------------

def base_images() -> list[str]:
    """The images the Dockerfile's stages start FROM (not its own stages)."""
    text = (TOP / "Dockerfile").read_text()
    stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, re.M | re.I))
    return sorted({m for m in re.findall(r"^FROM\s+(\S+)", text, re.M | re.I)} - stages)


def run_logged(argv, env, log: Path, timeout: float, what: str) -> float:
    """Run a long command with its output in `log`, in its own process
    group (killed whole after `timeout` s); show its STEP lines as they
    come. Returns the seconds it took; fails with the log's tail."""
    t0, seen = time.monotonic(), 0
    with open(log, "w") as out:
        p = subprocess.Popen([str(a) for a in argv], cwd=TOP, env=env, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while p.poll() is None and time.monotonic() - t0 < timeout:
            time.sleep(1)
            seen = show_steps(log, seen, t0)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        rc = p.wait(timeout=30)
    show_steps(log, seen, t0)
    took = time.monotonic() - t0
    tail = log.read_text(errors="replace")[-4000:]
    assert rc == 0, f"{what}: exit {rc} after {took:.0f} s (timeout {timeout} s)\n{tail}"
    return took


def show_steps(log: Path, seen: int, t0: float) -> int:
    lines = log.read_text(errors="replace").splitlines()
    for line in lines[seen:]:
        if "STEP " in line:
            progress(f"{time.monotonic() - t0:4.0f} s  {line[:110]}")
    return len(lines)


def ensure_base(podman: Podman, name: str):
    if podman("image", "exists", name, check=False).returncode == 0:
        return
    if shutil.which("mmdebstrap") is None:
        pytest.skip(f"{name} is absent and mmdebstrap is not installed (./run deps)")
    progress(f"base image {name}: mmdebstrap from the apt mirror (about a minute)")
    took = run_logged([HELPERS / "make-base-image.sh", name], podman.env,
                      podman.workdir / "base.log", BASE_TIMEOUT, "make-base-image.sh")
    progress(f"base image {name}: made in {took:.0f} s")


def build_image(podman: Podman, tag: str):
    log = podman.workdir / "build.log"
    progress(f"building {tag} (a cold build takes minutes)")
    took = run_logged(["podman", "build", "--pull=never", "--network", "host", "-t", tag, TOP],
                      podman.env, log, BUILD_TIMEOUT, "podman build")
    size = podman("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip()
    progress(f"built in {took:.0f} s, image {int(size) / 1e6:.0f} MB")


@pytest.fixture(scope="module")
def podman(request):
    global _capman
    _capman = request.config.pluginmanager.getplugin("capturemanager")
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    workdir = Path(tempfile.mkdtemp(prefix="twr-ct-"))
    try:
        p = Podman(workdir)
        try:
            yield p
        finally:
            p.remove_containers()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def image(podman):
    for name in base_images():
        ensure_base(podman, name)
    tag = "localhost/twamp-reflector:test-" + secrets.token_hex(3)
    try:
        build_image(podman, tag)
        yield tag
    finally:
        podman.remove_containers()
        # the tag goes; its layers stay as the build cache, like the base
        podman("rmi", "--no-prune", "-f", tag, timeout=120, check=False)


@pytest.fixture
def workdir(podman):
    d = Path(tempfile.mkdtemp(prefix="twr-ct-", dir=podman.workdir))
    yield d
    podman.remove_containers()
    shutil.rmtree(d, ignore_errors=True)


# ---- configurations and EAL arguments --------------------------------------

def light_config(mode="unauthenticated", key: bytes | None = None, udp_port=862) -> dict:
    refl = {"name": "a", "udp-port": udp_port, "mode": mode}
    top = {
        "session-reflector": {"light": {"reflector": [refl]}},
        "dataplane": {"worker-lcore": [1],
                      "port": [{"name": "net_memif0", "rx-queues": 1,
                                "address": [f"{RF_IP}/24"]}]},
    }
    if key is not None:
        refl["key-id"] = "k"
        top["key-chain"] = {"key": [{"key-id": "k",
                                     "secret-key": base64.b64encode(key).decode()}]}
    return {YANG_MODULE: top}


def write_config(folder: Path, name: str, cfg: dict, mode=0o600) -> Path:
    """A root-owned file (mode 0600 unless told), as a key file must be."""
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(cfg, f, indent=1)
    os.chmod(path, mode)
    return path


def eal(lcores: str, prefix: str) -> list[str]:
    return ["--lcores", lcores, "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
            "--file-prefix", prefix]


def two_cpus() -> tuple[int, int]:
    """The generator's and the reflector's worker CPUs: two different ones
    when there are, else both on the one available."""
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[0], cpus[1] if len(cpus) > 1 else cpus[0]


def check_config(podman, image, cfgdir: Path, name: str) -> subprocess.CompletedProcess:
    """`twamp-reflector ... -- -c /cfg/NAME --check` in a container."""
    cpu = two_cpus()[0]
    return podman("run", "--rm", "--network", "none", "--name", podman.new_name(),
                  "-v", f"{cfgdir}:/cfg:ro", image,
                  *eal(f"0@{cpu}", "twr-ct-" + secrets.token_hex(4)),
                  "--", "-c", f"/cfg/{name}", "--check", check=False)


# ---- the image ------------------------------------------------------------

def test_default_command_prints_usage(podman, image):
    r = podman("run", "--rm", "--network", "none", "--name", podman.new_name(), image,
               check=False)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "usage: /usr/bin/twamp-reflector [EAL options] -- -c CONFIG" in r.stderr
    assert "--check" in r.stderr


SHOW_LIBS = r"""
set -e
pmds=$(echo /usr/lib/*/dpdk/pmds-*)
ls "$pmds"
echo ===
ldd /usr/bin/twamp-reflector /usr/bin/twamp-client /usr/sbin/twamp-controld "$pmds"/*.so.*.*
echo ===
dpkg-query -W -f '${Package}\n'
"""

# DPDK drivers are plugins, each from its own package: the image must hold
# the ones the Dockerfile promises.
PLUGINS = ["bus_vdev", "bus_pci", "mempool_ring", "net_memif", "net_af_packet", "net_af_xdp",
           "net_tap", "net_i40e", "net_iavf", "net_ice", "net_ixgbe", "net_mlx5", "net_virtio"]
BUILD_ONLY = ["gcc", "cpp", "make", "meson", "ninja-build", "pkg-config", "libdpdk-dev",
              "dpdk-dev", "libssl-dev", "libyang2-dev", "libipsec-mb-dev"]


def test_control_server_runs(podman, image):
    r = podman("run", "--rm", "--network", "none", "--name", podman.new_name(),
               "--entrypoint", "/usr/sbin/twamp-controld", image, "--help", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "usage: twamp-controld" in r.stdout + r.stderr


def test_libraries_resolve_and_no_build_tools(podman, image):
    r = podman("run", "--rm", "--network", "none", "--name", podman.new_name(),
               "--entrypoint", "/bin/sh", image, "-c", SHOW_LIBS)
    plugins, ldd, packages = r.stdout.split("===\n")
    for p in PLUGINS:
        assert f"librte_{p}.so.23" in plugins.split(), f"no DPDK plugin {p}\n{plugins}"
    assert "not found" not in ldd, ldd
    assert "libIPSec_MB.so.1" in ldd and "libyang.so.2" in ldd
    installed = set(packages.split())
    assert not installed & set(BUILD_ONLY), installed & set(BUILD_ONLY)


def test_check_accepts_valid_configs(podman, image, workdir):
    cfg = workdir / "cfg"
    write_config(cfg, "open.json", light_config())
    write_config(cfg, "auth.json", light_config("authenticated", secrets.token_bytes(48)))
    for name in ("open.json", "auth.json"):
        r = check_config(podman, image, cfg, name)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"configuration /cfg/{name} is valid" in r.stderr


def test_check_refuses_invalid_config_with_yang_path(podman, image, workdir):
    cfg = workdir / "cfg"
    write_config(cfg, "bad.json", light_config(udp_port=70000))
    r = check_config(podman, image, cfg, "bad.json")
    assert r.returncode != 0
    path = f"/{YANG_MODULE}/session-reflector/light/reflector[name='a']/udp-port"
    assert f"error: /cfg/bad.json: {path}: " in r.stderr, r.stderr
    assert "is valid" not in r.stderr


def test_check_refuses_key_file_others_can_read(podman, image, workdir):
    """The volume shows the host file's owner and mode as they are."""
    cfg = workdir / "cfg"
    write_config(cfg, "open-key.json", light_config("authenticated", secrets.token_bytes(48)),
                 mode=0o644)
    r = check_config(podman, image, cfg, "open-key.json")
    assert r.returncode != 0
    assert "holds keys but is owned by uid 0 with mode 0644; refused" in r.stderr, r.stderr


# ---- a real run over memif ------------------------------------------------

def wait_running(podman, name: str):
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        logs = podman("logs", name, check=False)
        text = logs.stdout + logs.stderr
        if re.search(r"twamp-reflector \S+ running:", text):
            return
        state = podman("inspect", "--format", "{{.State.Running}}", name, check=False)
        if state.stdout.strip() != "true" or time.monotonic() > deadline:
            raise AssertionError(f"reflector container not running\n{text[-3000:]}")
        time.sleep(0.2)


def run_loadgen(sock: Path, out: Path, lcores: str) -> subprocess.CompletedProcess:
    """The project's DPDK load generator on the host: memif client, open
    mode, 1 s warmup and 2 s measured."""
    loadgen = build_dir() / "client" / "loadgen" / "twamp-loadgen"
    if not os.access(loadgen, os.X_OK):
        pytest.skip(f"{loadgen} is not built (./run build)")
    prefix = "twr-ct-lg-" + secrets.token_hex(4)
    argv = [loadgen, *eal(lcores, prefix),
            "--vdev", f"net_memif0,role=client,socket={sock},socket-abstract=no,mac={LG_MAC}",
            "--", "--mode", "open", "--peer", "twamp", "--src-ip", LG_IP, "--dst-ip", RF_IP,
            "--dst-mac", RF_MAC, "--dst-port", "862", "--duration", "2", "--warmup", "1",
            "--link-wait", "15", "--json", out]
    try:
        return subprocess.run(list(map(str, argv)), capture_output=True, text=True,
                              timeout=90, check=False)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


def test_memif_reflection_from_container(podman, image, workdir):
    cfg, memif = workdir / "cfg", workdir / "memif"
    memif.mkdir(mode=0o700)
    write_config(cfg, "open.json", light_config())
    gen_cpu, dut_cpu = two_cpus()
    name = podman.new_name()
    vdev = f"net_memif0,role=server,socket=/run/memif/twr.sock,socket-abstract=no,mac={RF_MAC}"
    podman("run", "-d", "--name", name, "--network", "none",
           "-v", f"{cfg}:/cfg:ro", "-v", f"{memif}:/run/memif", image,
           *eal(f"0@{gen_cpu},1@{dut_cpu}", "twr-ct-rf"), "--vdev", vdev,
           "--", "-c", "/cfg/open.json")
    wait_running(podman, name)
    res = workdir / "loadgen.json"
    lg = run_loadgen(memif / "twr.sock", res, f"0@{dut_cpu},1@{gen_cpu}")
    logs = podman("logs", name, check=False)
    podman("stop", "--time", "10", name, timeout=60, check=False)
    detail = f"\nloadgen:\n{lg.stderr[-2000:]}\nreflector:\n{(logs.stdout + logs.stderr)[-2000:]}"
    assert lg.returncode == 0, detail
    r = json.loads(res.read_text())
    assert r["rx_pps"] > 0, r
    assert r["verified_ok"] > 0, r
    assert r["verified_bad"] == 0, r
