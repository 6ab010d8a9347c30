"""The systemd units (systemd/), as meson installs them: `meson install
--tags runtime,systemd` into a temporary root, the host's own units copied
beside them (for the targets they depend on), then `systemd-analyze verify
--root` and `systemd-analyze security --offline`. No running systemd is
needed. The verifier is shown to catch a broken unit too (a missing
binary), so that a pass means something.
"""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness.reflector import build_dir

UNITS = ("twamp-controld.service", "twamp-keyagent.service", "twamp-reflector.service")
# systemd-analyze security's exposure (0 best, 10 worst) the units must stay within
EXPOSURE = {"twamp-controld.service": 3.0, "twamp-keyagent.service": 2.0,
            "twamp-reflector.service": 6.0}
HOST_UNITS = Path("/lib/systemd/system")


@pytest.fixture(scope="module")
def root():
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze not installed (Debian package systemd, in ./run's APT_PKGS)")
    d = Path(tempfile.mkdtemp(prefix="twr-t-units-"))
    try:
        r = subprocess.run(["meson", "install", "-C", str(build_dir()), "--destdir", str(d),
                            "--no-rebuild", "--quiet", "--tags", "runtime,systemd"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        ours = {p.name: p for p in d.rglob("twamp-*.service")}
        shutil.copytree(HOST_UNITS.resolve(), d / "lib" / "systemd" / "system",
                        dirs_exist_ok=True, ignore_dangling_symlinks=True,
                        ignore=shutil.ignore_patterns("twamp-*"))
        yield d, ours
    finally:
        shutil.rmtree(d, ignore_errors=True)


def installed(root) -> dict:
    return root[1]


def verify(root, *units):
    return subprocess.run(["systemd-analyze", "verify", f"--root={root[0]}", "--man=no",
                           *map(str, units)], capture_output=True, text=True, timeout=120)


def test_meson_installs_the_units_where_systemd_looks(root):
    units = installed(root)
    assert set(units) == set(UNITS), units
    for p in units.values():
        rel = "/" + str(p.parent.relative_to(root[0]))
        assert rel in ("/lib/systemd/system", "/usr/lib/systemd/system",
                       "/usr/local/lib/systemd/system"), rel
    assert list(root[0].rglob("sysusers.d/twamp-reflector.conf")), "no sysusers.d entry"


def test_systemd_analyze_verify_accepts_them(root):
    units = installed(root)
    r = verify(root, *units.values())
    assert r.returncode == 0, r.stdout + r.stderr
    # not a warning either (unknown keys, bad values, unsafe settings)
    assert "twamp-" not in r.stdout + r.stderr, r.stdout + r.stderr


def test_verify_catches_a_broken_unit(root):
    good = installed(root)["twamp-controld.service"]
    bad = good.with_name("twamp-broken.service")
    text = good.read_text()
    bad.write_text(re.sub(r"ExecStart=\S+", "ExecStart=/usr/sbin/twamp-no-such-binary", text))
    try:
        r = verify(root, bad)
        assert r.returncode != 0
        assert "twamp-no-such-binary" in r.stdout + r.stderr
    finally:
        bad.unlink()


def test_hardening(root):
    units = installed(root)
    for name, p in units.items():
        text = p.read_text()
        for want in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                     "PrivateTmp=yes", "CapabilityBoundingSet=", "RestrictAddressFamilies=",
                     "RuntimeDirectory="):
            assert want in text, f"{name}: no {want}"
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={root[0]}",
                            "--no-pager", str(p)], capture_output=True, text=True, timeout=120)
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
        assert m, r.stdout + r.stderr
        assert float(m.group(1)) <= EXPOSURE[name], f"{name}: exposure {m.group(1)}"
    # the two that drop privileges themselves may never regain more than these
    assert re.search(r"^CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_SETPCAP$",
                     units["twamp-keyagent.service"].read_text(), re.M)
    assert "SystemCallFilter=@system-service" in units["twamp-controld.service"].read_text()


def test_sysusers_entry_makes_the_users(root):
    """The users the units' configurations name: systemd-sysusers --dry-run
    on the installed entry, in the temporary root (nothing is written)."""
    conf = next(root[0].rglob("sysusers.d/twamp-reflector.conf"))
    (root[0] / "etc").mkdir(exist_ok=True)
    r = subprocess.run(["systemd-sysusers", "--dry-run", f"--root={root[0]}", str(conf)],
                       capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    for want in ("Creating group 'twamp'", "Creating user 'twamp-controld'",
                 "Creating user 'twamp-keyagent'"):
        assert want in out, out
    assert not (root[0] / "etc" / "passwd").exists()
