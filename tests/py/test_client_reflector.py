"""System tests: twamp-client (kernel sockets) against twamp-reflector
(DPDK) across two namespaces, every mode, IPv4 and IPv6, results as JSON."""

import json
import os
import secrets
import subprocess

import pytest

from harness import netns
from harness.reflector import binary, running_reflector

pytestmark = [pytest.mark.system, pytest.mark.sanitize]

KEY = secrets.token_bytes(48)
LIGHT = [
    {"name": "open", "udp-port": 862},
    {"name": "auth", "udp-port": 863, "mode": "authenticated", "key-id": "k"},
    {"name": "enc", "udp-port": 864, "mode": "encrypted", "key-id": "k"},
    {"name": "sym", "udp-port": 865, "mode": "authenticated", "key-id": "k", "symmetrical-size": True},
]
PORT = {"open": 862, "auth": 863, "enc": 864}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("client")
    keyfile = tmp / "light.key"
    fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, KEY.hex().encode() + b"\n")
    os.close(fd)
    with running_reflector(tmp, 4, light=LIGHT, keys={"k": KEY}) as (net, r):
        yield net, r, keyfile


def client(net, *args, timeout=60):
    argv = ["ip", "netns", "exec", net.a.name, str(binary("twamp-client")), "light", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("v6", [False, True])
@pytest.mark.parametrize("mode", ["open", "auth", "enc"])
def test_client_measures_every_mode(env, mode, v6):
    net, r, keyfile = env
    host = net.b_end.ip6 if v6 else net.b_end.ip4
    args = ["-m", mode, "-p", str(PORT[mode]), "-c", "300", "-i", "0.001", "-s", "200", "--json", host]
    if mode != "open":
        args[:0] = ["-k", str(keyfile)]
    res = client(net, *args)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["sent"], out["received"], out["lost"]) == (300, 300, 0)
    assert (out["duplicates"], out["auth_failures"], out["invalid"]) == (0, 0, 0)
    assert out["packet_size"] == 200
    rtt, res_ns = out["rtt_ns"], out["residence_ns"]
    assert rtt["count"] == 300 and 0 < rtt["min"] <= rtt["median"] <= rtt["p99"] <= rtt["max"]
    assert rtt["max"] < 1_000_000_000
    assert 0 <= res_ns["min"] <= res_ns["max"] < 100_000_000
    assert out["sender_ttl"] == {"min": 255, "max": 255}
    assert out["forward_ns"] is None and not out["clocks_synchronised"]


def test_client_symmetrical(env):
    net, r, keyfile = env
    res = client(net, "-m", "auth", "-k", str(keyfile), "--symmetrical", "-p", "865", "-c", "50",
                 "-i", "0.001", "--json", net.b_end.ip4)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["received"] == 50 and out["symmetrical"] and out["packet_size"] == 112


def test_client_table_for_people(env):
    net, r, keyfile = env
    res = client(net, "-c", "20", "-i", "0.001", net.b_end.ip4)
    assert res.returncode == 0, res.stderr
    for word in ("round trip", "lost", "median", "p99"):
        assert word in res.stdout.lower()


def test_wrong_key_means_no_reply(env):
    net, r, keyfile = env
    wrong = keyfile.with_name("wrong.key")
    fd = os.open(wrong, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, secrets.token_bytes(48).hex().encode())
    os.close(fd)
    before = r.stats()["auth_failures"]
    res = client(net, "-m", "auth", "-k", str(wrong), "-p", "863", "-c", "10", "-i", "0.001",
                 "-t", "0.5", "--json", net.b_end.ip4)
    assert res.returncode == 1
    out = json.loads(res.stdout)
    assert (out["sent"], out["received"], out["lost"]) == (10, 0, 10)
    assert r.wait_stat("auth_failures", before + 10)["auth_failures"] == before + 10
