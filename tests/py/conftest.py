"""Fixtures for the Python tests.

Tests that need network namespaces carry ``@pytest.mark.system``; they are
skipped with the reason when the run is not root or ``ip netns`` does not
work.  Fixtures:

  ns_pair   a harness.netns.NetnsPair (namespaces .a and .b joined by a veth,
            .a_end/.b_end with ifname, mac, ip4 10.99.1.x, ip6 fd00:99:1::x),
            deleted after the test whatever happens.  Using it implies the
            system marker.
  procs     procs(argv, ns=..., name=...) starts a harness.proc.Proc with its
            logs in the test's tmp_path; all are stopped after the test,
            before the namespaces are deleted.
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# The daemons read only the installed YANG modules or TWR_YANG_DIR: every
# process a test starts inherits the source tree's.
os.environ.setdefault("TWR_YANG_DIR", str(Path(__file__).resolve().parents[2] / "yang"))

from harness import netns  # noqa: E402
from harness.proc import Proc  # noqa: E402


def pytest_collection_modifyitems(config, items):
    reason = None
    checked = False
    for item in items:
        if "ns_pair" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.system)
        if item.get_closest_marker("system") is None:
            continue
        if not checked:
            reason, checked = netns.unavailable(), True
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def ns_pair():
    with netns.NetnsPair(subnet=1) as net:
        yield net


@pytest.fixture
def procs(tmp_path):
    started = []

    def start(argv, ns=None, name=None, env=None):
        p = Proc(argv, ns=ns, logdir=tmp_path, name=name, env=env).start()
        started.append(p)
        return p

    yield start
    for p in reversed(started):
        p.stop()
