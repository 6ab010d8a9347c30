#!/usr/bin/python3
"""twamp-client as a program: exit status 0 / 1 / 2, one error line on
stderr for every bad input, JSON and table output, key files. Loopback only;
the reflector is the test-only C program client_test_reflector."""
import json
import os
import socket
import subprocess
import sys
import tempfile

KEY = "000102030405060708090a0b0c0d0e0f" + "".join(f"{i:02x}" for i in range(0x10, 0x30))
RUN_TIMEOUT = 60


def client(*args):
    return subprocess.run([CLIENT, *args], capture_output=True, text=True, timeout=RUN_TIMEOUT)


def expect_usage_error(args, mentions):
    r = client(*args)
    lines = r.stderr.splitlines()
    assert r.returncode == 2, f"{args}: exit {r.returncode}"
    assert len(lines) == 1 and lines[0].startswith("twamp-client: "), f"{args}: stderr {r.stderr!r}"
    assert mentions in lines[0], f"{args}: {lines[0]!r} lacks {mentions!r}"
    assert r.stdout == "", f"{args}: stdout {r.stdout!r}"


class Reflector:
    def __init__(self, family, mode):
        args = [REFLECTOR, family, mode] + ([KEY] if mode != "open" else [])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = self.proc.stdout.readline().strip()
        assert self.port.isdigit(), "reflector did not start"

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def key_file(tmp, mode):
    path = os.path.join(tmp, f"key-{mode:o}")
    with open(path, "w") as f:
        f.write(KEY[:48] + "\n" + KEY[48:] + "\n")
    os.chmod(path, mode)
    return path


def check_replies(tmp):
    for family, host in (("4", "127.0.0.1"), ("6", "::1")):
        for mode in ("open", "auth", "enc"):
            refl = Reflector(family, mode)
            try:
                extra = ["-m", mode, "-k", key_file(tmp, 0o600)] if mode != "open" else []
                r = client("light", "-c", "5", "-i", "0.001", "--json", "-p", refl.port, *extra, host)
                assert r.returncode == 0, f"{mode}/{host}: exit {r.returncode}: {r.stderr}"
                doc = json.loads(r.stdout)
                assert doc["sent"] == 5 and doc["received"] == 5, doc
                assert doc["mode"] == mode and doc["host"] == host, doc
                assert doc["sender_ttl"] == {"min": 255, "max": 255}, doc
                assert doc["rtt_ns"]["min"] > 0, doc
                r = client("light", "-c", "3", "-i", "0", "-p", refl.port, *extra, host)
                assert r.returncode == 0 and "received 3" in r.stdout, r.stdout
                assert "n/a (clocks not synchronised)" in r.stdout, r.stdout
            finally:
                refl.stop()


def check_no_reply():
    # a bound socket that never answers: packets are absorbed, no ICMP
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
        r = client("light", "-c", "2", "-i", "0", "-t", "0.2", "--json", "-p", port, "127.0.0.1")
        assert r.returncode == 1, f"exit {r.returncode}: {r.stderr}"
        doc = json.loads(r.stdout)
        assert doc["sent"] == 2 and doc["received"] == 0 and doc["rtt_ns"] is None, doc


def check_usage(tmp):
    expect_usage_error([], "missing command")
    for args, mentions in (
        (["light"], "missing HOST"),
        (["light", "-c", "0", "127.0.0.1"], "--count"),
        (["light", "-i", "fast", "127.0.0.1"], "--interval"),
        (["light", "-s", "13", "127.0.0.1"], "minimum of 14"),
        (["light", "--dscp", "64", "127.0.0.1"], "--dscp"),
        (["light", "-m", "auth", "127.0.0.1"], "--key-file"),
        (["light", "example.org"], "not an IPv4 or IPv6 address"),
        (["light", "--bogus", "127.0.0.1"], "unknown option"),
        (["frobnicate"], "unknown command"),
        (["light", "-m", "enc", "-k", key_file(tmp, 0o644), "127.0.0.1"], "mode 0644"),
        (["light", "-m", "enc", "-k", os.path.join(tmp, "missing"), "127.0.0.1"], "cannot open"),
    ):
        expect_usage_error(args, mentions)
    r = client("light", "--help")
    assert r.returncode == 0 and "usage: twamp-client light" in r.stdout
    r = client("--version")
    assert r.returncode == 0 and r.stdout.startswith("twamp-client ")


def main():
    with tempfile.TemporaryDirectory(prefix="twc-cli-") as tmp:
        check_usage(tmp)
        check_no_reply()
        check_replies(tmp)
    print("twamp-client command line checks passed")


if __name__ == "__main__":
    CLIENT, REFLECTOR = sys.argv[1], sys.argv[2]
    main()
