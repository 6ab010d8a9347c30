"""twamp-client twamp (TWAMP Control-Client and Session-Sender) as a program.

The control server here is a small fake written from docs/protocol.md §4-§7 with
twamp_ref (token_key, decrypt_token, CbcStream, hmac16): it shares no code
with the client. It runs in a thread of this process and serves one
connection:

* on 127.0.0.1 (no root needed) for the control exchange alone: refusals,
  tampering, timeouts, the secret file and the passphrase prompt;
* inside the sender-side namespace pair of a real twamp-reflector for
  end-to-end runs: it installs each accepted session in the reflector through
  the session API (harness.session_api) and starts and stops it there, as
  the real control server will, and the client must measure every session
  with no loss in open, auth, enc and mixed modes.
"""

from __future__ import annotations

import ipaddress
import json
import os
import pty
import secrets
import select
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

import twamp_ref as tr
from harness import netns
from harness.pkt import in_netns
from harness.reflector import binary, running_reflector

PASS = b"fake server's passphrase"
KEYID = "pyuser"
RUN_TIMEOUT = 60
MODE_BITS = {"open": 1, "auth": 2, "enc": 4, "mixed": 8}
ISC, REFLECT, SYMM = 0x10, 0x20, 0x40


def client_argv(*args):
    return [str(binary("twamp-client")), "twamp", *args]


def run_client(*args, ns=None, stdin=subprocess.DEVNULL):
    argv = client_argv(*args)
    if ns is not None:
        argv = ["ip", "netns", "exec", ns.name, *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=stdin)


def secret_file(tmp_path, data=PASS + b"\n", mode=0o600, name="secret"):
    path = tmp_path / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, data)
    os.close(fd)
    os.chmod(path, mode)
    return path


# ---------------------------------------------------------------------------
# The fake server


class Direction:
    """One direction of the control stream: CBC chain and running HMAC over
    plaintext (docs/protocol.md §5.2-§5.3); nothing at all in open mode."""

    def __init__(self, secured, aes=None, hmac_key=None, iv=None):
        self.secured, self.hmac_key = secured, hmac_key
        self.cbc = tr.CbcStream(aes, iv) if secured else None
        self.acc = b""

    def add(self, plain):
        self.acc += plain

    def seal(self, plain):
        """plaintext with a 16-octet HMAC field last -> wire"""
        if not self.secured:
            return plain[:-16] + bytes(16)
        mac = tr.hmac16(self.hmac_key, self.acc + plain[:-16])
        self.acc = b""
        return self.cbc.encrypt(plain[:-16] + mac)

    def decrypt(self, wire):
        return self.cbc.decrypt(wire) if self.secured else wire

    def verify(self, plain):
        if not self.secured:
            return
        mac = tr.hmac16(self.hmac_key, self.acc + plain[:-16])
        self.acc = b""
        assert mac == plain[-16:], "client HMAC does not verify"


class FakeServer(threading.Thread):
    """Serves one TWAMP-Control connection on `listener`. Knobs change what
    it answers; what the client sent is recorded. Any failure of its own is
    kept in .error for the test to raise."""

    def __init__(self, listener, modes=0x7F, count=1024, secret=PASS, server_start_accept=0,
                 session_accept=0, start_accept=0, greet=True, tamper_accept=False,
                 close_after_start=False, api=None, net=None):
        super().__init__(daemon=True)
        self.listener, self.modes, self.count, self.secret = listener, modes, count, secret
        self.server_start_accept, self.session_accept = server_start_accept, session_accept
        self.start_accept, self.greet, self.tamper_accept = start_accept, greet, tamper_accept
        self.close_after_start, self.api, self.net = close_after_start, api, net
        self.mode = None
        self.keyid = None
        self.requests, self.sessions = [], []       # dicts, (sid, port, keys)
        self.started = self.stopped = None          # how: "all" or "n"
        self.stop_fields = None
        self.counters = {}
        self.closed_by_client = False
        self.error = None
        self.done = threading.Event()

    # -- plumbing --------------------------------------------------------
    def recv(self, n):
        buf = b""
        while len(buf) < n:
            part = self.conn.recv(n - len(buf))
            if not part:
                raise EOFError(f"client closed after {len(buf)} of {n} octets")
            buf += part
        return buf

    def run(self):
        try:
            self.conn, _ = self.listener.accept()
            self.conn.settimeout(30)
            self.serve()
        except Exception as e:          # handed to the test
            self.error = e
        finally:
            try:
                self.conn.close()
            except Exception:
                pass
            self.done.set()

    def check(self):
        assert self.done.wait(30), "fake server still running"
        if self.error:
            raise self.error

    # -- protocol --------------------------------------------------------
    def serve(self):
        if not self.greet:
            self.recv(1)                # say nothing; the client must time out
            return
        self.challenge, self.salt = secrets.token_bytes(16), secrets.token_bytes(16)
        self.conn.sendall(bytes(12) + struct.pack(">I", self.modes) + self.challenge + self.salt
                          + struct.pack(">I", self.count) + bytes(12))
        if self.modes == 0:
            return
        setup = self.recv(164)
        self.mode = struct.unpack(">I", setup[:4])[0]
        self.keyid = setup[4:84].rstrip(b"\0").decode()
        if self.mode == 0:              # the client declines
            assert setup == bytes(164)
            return
        if not self.server_start(setup):
            return
        while self.command():
            pass

    def server_start(self, setup):
        secured = bool(self.mode & 0xE)
        accept = self.server_start_accept
        aes = hkey = None
        if secured:
            tok = tr.decrypt_token(tr.token_key(self.secret, self.salt, self.count), setup[84:148])
            aes, hkey = tok.aes_key, tok.hmac_key
            if tok.challenge != self.challenge:
                accept = accept or 1
        self.aes, self.hkey = aes, hkey
        server_iv = secrets.token_bytes(16)
        if accept:                      # PS: zeros in clear, then close
            self.conn.sendall(bytes(15) + bytes([accept]) + server_iv + bytes(16))
            return False
        self.c2s = Direction(secured, aes, hkey, setup[148:164])
        self.s2c = Direction(secured, aes, hkey, server_iv)
        start_block = struct.pack(">Q", tr.ntp_now()) + bytes(8)
        self.s2c.add(start_block)       # folded into the first server HMAC
        wire = self.s2c.cbc.encrypt(start_block) if secured else start_block
        self.conn.sendall(bytes(15) + b"\0" + server_iv + wire)
        return True

    def command(self):
        try:
            head = self.recv(16)
        except EOFError:
            self.closed_by_client = True
            return False
        first = self.c2s.decrypt(head)
        cmd = first[0]
        if cmd == 5:
            self.request(first + self.c2s.decrypt(self.recv(96)))
        elif cmd in (2, 3):
            plain = first + self.c2s.decrypt(self.recv(16))
            self.c2s.verify(plain)
            if cmd == 2:
                self.on_start("all", plain)
            else:
                self.on_stop("all", plain)
        elif cmd in (7, 9):
            n = struct.unpack(">I", first[12:16])[0]
            plain = first + self.c2s.decrypt(self.recv(16 * n + 16))
            self.c2s.verify(plain)
            sids = {plain[16 + 16 * i:32 + 16 * i] for i in range(n)}
            assert sids == {sid for sid, _, _ in self.sessions}, "N-message SIDs"
            (self.on_start if cmd == 7 else self.on_stop)("n", plain)
        else:
            raise AssertionError(f"unexpected command {cmd}")
        return not (self.close_after_start and self.started)

    def request(self, plain):
        self.c2s.verify(plain)
        f = {"ipvn": plain[1] & 0xF, "conf": plain[2:12], "sender_port": plain[12] << 8 | plain[13],
             "receiver_port": plain[14] << 8 | plain[15], "sender": plain[16:32],
             "receiver": plain[32:48], "sid": plain[48:64],
             "padding": struct.unpack(">I", plain[64:68])[0],
             "start": struct.unpack(">Q", plain[68:76])[0],
             "timeout": struct.unpack(">Q", plain[76:84])[0],
             "type_p": struct.unpack(">I", plain[84:88])[0],
             "octets": plain[88:90], "pad_reflect": plain[90] << 8 | plain[91]}
        self.requests.append(f)
        i = len(self.requests) - 1
        port = f["receiver_port"] or 20000 + i
        sid = bytes(f["receiver"][:4]) + struct.pack(">Q", tr.ntp_now()) + secrets.token_bytes(4)
        if not self.session_accept:
            self.install(f, sid, port)
        body = (bytes([self.session_accept, 0]) + struct.pack(">H", port) + sid + f["octets"]
                + b"\x5a\xc3" + bytes(8) + bytes(16))
        wire = bytearray(self.s2c.seal(body))
        if self.tamper_accept:
            wire[40] ^= 0x20
        self.conn.sendall(bytes(wire))

    def install(self, f, sid, port):
        sec = {1: tr.OPEN, 2: tr.AUTH, 4: tr.ENC, 8: tr.OPEN}[self.mode & 0xF]
        keys = tr.derive_test_keys(sid, self.aes, self.hkey) if sec != tr.OPEN else None
        self.sessions.append((sid, port, keys))
        if self.api is None:
            return
        v6 = f["ipvn"] == 6
        size = 16 if v6 else 4
        flags = (1 if self.mode & SYMM else 0) | (2 if self.mode & REFLECT else 0)
        self.api.add(sid, ipver=f["ipvn"], sec={tr.OPEN: 0, tr.AUTH: 1, tr.ENC: 2}[sec],
                     reflector=(str(ipaddress.ip_address(bytes(f["receiver"][:size]))), port),
                     sender=(str(ipaddress.ip_address(bytes(f["sender"][:size]))), f["sender_port"]),
                     aes=keys.aes if keys else bytes(16), hmac=keys.hmac if keys else bytes(32),
                     flags=flags, reflect_len=f["pad_reflect"],
                     timeout_ms=max(1, tr.ntp_diff_ns(f["timeout"], 0) // 1_000_000))

    def on_start(self, how, plain):
        self.started = how
        if self.api is not None and not self.start_accept:
            for sid, _, _ in self.sessions:
                self.api.start(sid)
        if how == "all":
            self.conn.sendall(self.s2c.seal(bytes([self.start_accept]) + bytes(31)))
        else:
            self.conn.sendall(self.s2c.seal(bytes([8, self.start_accept]) + plain[2:-16] + bytes(16)))

    def on_stop(self, how, plain):
        self.stopped = how
        self.stop_fields = {"accept": plain[1], "n": struct.unpack(">I", plain[4:8])[0]}
        if self.api is not None:
            for sid, _, _ in self.sessions:
                self.counters[sid] = self.api.counters(sid)
                self.api.stop(sid)
        if how == "n":
            self.conn.sendall(self.s2c.seal(bytes([10, 0]) + plain[2:-16] + bytes(16)))


def listen(ns=None, addr="127.0.0.1", port=0):
    def make():
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(1)
        s.settimeout(30)
        return s
    return in_netns(ns, make) if ns is not None else make()


@pytest.fixture
def server():
    """server(addr="127.0.0.1", **knobs) -> (FakeServer started on addr,
    "HOST:PORT" for the client)"""
    made = []

    def start(addr="127.0.0.1", **kw):
        lst = listen(addr=addr)
        srv = FakeServer(lst, **kw)
        made.append((srv, lst))
        srv.start()
        port = lst.getsockname()[1]
        return srv, f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"
    yield start
    for srv, lst in made:
        lst.close()
        srv.done.wait(30)


def one_error_line(r):
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("twamp-client: "), r.stderr
    return lines[0]


# ---------------------------------------------------------------------------
# Control exchange on loopback (no reflector, no root)


def test_control_flow_without_reflector(server):
    """Greeting to Stop-Sessions; nothing answers the test packets: exit 1."""
    srv, hp = server()
    r = run_client("-c", "3", "-i", "0.001", "-t", "0.2", "-n", "2", "--json", "--dscp", "10",
                   "-s", "60", hp)
    srv.check()
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["command"] == "twamp" and out["control"]["result"] == "ok"
    assert out["control"]["stopped"] and out["control"]["mode_value"] == 1
    assert out["control"]["modes_offered"] == ["open", "auth", "enc", "mixed",
                                               "individual-session-control", "reflect-octets",
                                               "symmetrical-size"]
    assert isinstance(out["control"]["server_start_time_ns"], int)
    assert out["server"]["address"] == "127.0.0.1" and out["control"]["key_id"] is None
    assert [s["received"] for s in out["sessions"]] == [0, 0]
    assert [s["sent"] for s in out["sessions"]] == [3, 3]
    assert srv.mode == 1 and srv.started == "all" and srv.stopped == "all"
    assert srv.stop_fields == {"accept": 0, "n": 2}
    assert srv.closed_by_client
    for i, f in enumerate(srv.requests):
        assert f["ipvn"] == 4 and f["conf"] == bytes(10)
        assert f["sender"][:4] == f["receiver"][:4] == bytes([127, 0, 0, 1])
        assert f["sid"] == bytes(16) and f["start"] == 0
        assert f["padding"] == 60 - 14 and f["type_p"] == 10 << 24
        assert f["timeout"] == tr.ntp_from_unix_ns(200_000_000) - tr.ntp_from_unix_ns(0)
        assert f["receiver_port"] == 0
        assert f["sender_port"] == out["sessions"][i]["sender_port"]
        assert out["sessions"][i]["reflector_port"] == 20000 + i
        assert out["sessions"][i]["sid"] == srv.sessions[i][0].hex()


@pytest.mark.parametrize("addr,name", [("127.0.0.1", None), ("::1", None),
                                       ("127.0.0.1", "localhost")])
def test_modes_zero(server, addr, name):
    """Also over IPv6, and by name (localhost may resolve to ::1 first: the
    client must go on to the next address)."""
    srv, hp = server(addr=addr, modes=0)
    if name:
        hp = name + hp[hp.rindex(":"):]
    r = run_client("--json", hp)
    srv.check()
    assert r.returncode == 3
    assert "server refuses" in one_error_line(r)
    out = json.loads(r.stdout)
    assert out["control"]["result"] == "refused" and out["sessions"] == []


def test_mode_not_offered(server, tmp_path):
    srv, hp = server(modes=0x5)
    r = run_client("-m", "auth", "--key-id", KEYID, "--secret-file", str(secret_file(tmp_path)), hp)
    srv.check()
    assert r.returncode == 3 and r.stdout == ""
    assert "does not offer auth mode (it offers: open, enc)" in one_error_line(r)
    assert srv.mode == 0                # declined with Mode 0


def test_feature_not_offered(server):
    srv, hp = server(modes=0x0F)
    r = run_client("--individual", hp)
    srv.check()
    assert r.returncode == 3
    assert "does not offer individual-session-control" in one_error_line(r)
    assert srv.mode == 0


def test_count_above_limit(server, tmp_path):
    srv, hp = server(count=1 << 21)
    r = run_client("-m", "enc", "--key-id", KEYID, "--secret-file", str(secret_file(tmp_path)),
                   "--json", hp)
    srv.check()
    assert r.returncode == 3
    assert "PBKDF2 Count of 2097152" in one_error_line(r)
    assert json.loads(r.stdout)["control"]["result"] == "unsupported"
    assert srv.mode == 0


def test_wrong_passphrase(server, tmp_path):
    srv, hp = server(secret=b"another passphrase")
    r = run_client("-m", "auth", "--key-id", KEYID, "--secret-file", str(secret_file(tmp_path)),
                   "--json", hp)
    srv.check()
    assert r.returncode == 3
    assert "authentication failed (Accept 1)" in one_error_line(r)
    ctl = json.loads(r.stdout)["control"]
    assert (ctl["result"], ctl["accept"]) == ("refused", 1)
    assert srv.keyid == KEYID and srv.mode == 2


@pytest.mark.parametrize("mode", ["auth", "enc", "mixed"])
def test_session_refused(server, tmp_path, mode):
    srv, hp = server(session_accept=5)
    r = run_client("-m", mode, "--key-id", KEYID, "--secret-file", str(secret_file(tmp_path)), hp)
    srv.check()
    assert r.returncode == 3
    assert "session 1 refused (Accept 5: temporary resource limitation)" in one_error_line(r)
    assert srv.mode == MODE_BITS[mode]


def test_start_refused(server):
    srv, hp = server(start_accept=2)
    r = run_client(hp)
    srv.check()
    assert r.returncode == 3
    assert "refused to start the sessions (Accept 2" in one_error_line(r)


def test_tampered_server_hmac(server, tmp_path):
    srv, hp = server(tamper_accept=True)
    r = run_client("-m", "enc", "--key-id", KEYID, "--secret-file", str(secret_file(tmp_path)), hp)
    srv.check()
    assert r.returncode == 3
    assert "HMAC does not verify" in one_error_line(r)


def test_server_silent(server):
    srv, hp = server(greet=False)
    r = run_client("--control-timeout", "0.3", hp)
    assert r.returncode == 3
    assert "no answer from the server within the control timeout" in one_error_line(r)
    srv.listener.close()


def test_server_closes_during_test(server):
    srv, hp = server(close_after_start=True)
    r = run_client("-c", "1000", "-i", "0.01", "--json", hp)
    srv.check()
    assert r.returncode == 3
    assert "closed the control connection during the test" in one_error_line(r)
    out = json.loads(r.stdout)
    assert out["control"]["result"] == "connection" and not out["control"]["stopped"]
    assert out["sessions"][0]["sent"] < 1000
    assert "closed the control connection" in out["sessions"][0]["error"]


def test_connection_refused():
    lst = listen()
    port = lst.getsockname()[1]
    lst.close()
    r = run_client(f"127.0.0.1:{port}")
    assert r.returncode == 3
    assert "cannot connect to 127.0.0.1 TCP port" in one_error_line(r)


# ---------------------------------------------------------------------------
# The shared secret


def test_secret_file_rules(server, tmp_path):
    base = ["-m", "auth", "--key-id", KEYID, "127.0.0.1:9"]
    loose = secret_file(tmp_path, mode=0o640, name="loose")
    r = run_client("--secret-file", str(loose), *base)
    assert r.returncode == 2 and "mode 0640" in one_error_line(r)
    link = tmp_path / "link"
    link.symlink_to(secret_file(tmp_path, name="target"))
    r = run_client("--secret-file", str(link), *base)
    assert r.returncode == 2 and "symbolic link" in one_error_line(r)
    empty = secret_file(tmp_path, data=b"\n", name="empty")
    r = run_client("--secret-file", str(empty), *base)
    assert r.returncode == 2 and "empty" in one_error_line(r)
    r = run_client("--secret-file", str(tmp_path), *base)
    assert r.returncode == 2 and "not a regular file" in one_error_line(r)
    if os.geteuid() == 0:
        other = secret_file(tmp_path, name="other")
        os.chown(other, 4242, -1)
        r = run_client("--secret-file", str(other), *base)
        assert r.returncode == 2 and "owned by uid 4242" in one_error_line(r)
    r = run_client(*base)           # no file and stdin is not a terminal
    assert r.returncode == 2 and "--secret-file" in one_error_line(r)


def test_secret_file_newline_stripped(server, tmp_path):
    """The passphrase without its newline is what the server must get
    (else the Token would not decrypt to the challenge)."""
    srv, hp = server()
    path = secret_file(tmp_path, data=PASS + b"\r\n")
    r = run_client("-m", "mixed", "--key-id", KEYID, "--secret-file", str(path),
                   "-c", "1", "-t", "0.1", hp)
    srv.check()
    assert r.returncode == 1, r.stderr     # control fine, nothing reflects
    assert srv.stopped == "all"


def read_until(fd, want: bytes, timeout=10.0):
    got, deadline = b"", time.monotonic() + timeout
    while want not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                got += os.read(fd, 4096)
            except OSError:
                break
    return got


def reap(pid, timeout=30.0):
    """Exit status of our child, killed (by its PID) if it outlives timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def test_passphrase_prompt(server):
    """No --secret-file on a terminal: asked on /dev/tty with echo off."""
    srv, hp = server()
    pid, fd = pty.fork()
    if pid == 0:
        argv = client_argv("-m", "auth", "--key-id", KEYID, "-c", "1", "-t", "0.1", "--json", hp)
        os.execv(argv[0], argv)
    try:
        seen = read_until(fd, b"Passphrase for KeyID 'pyuser': ")
        assert b"Passphrase for KeyID 'pyuser': " in seen
        os.write(fd, PASS + b"\n")
        rest = read_until(fd, b'"stopped": true', timeout=30)
        assert PASS not in rest                 # not echoed
    finally:
        status = reap(pid)
        os.close(fd)
    srv.check()
    assert os.WEXITSTATUS(status) == 1         # control fine, nothing reflects
    assert srv.mode == 2 and srv.stopped == "all"


# ---------------------------------------------------------------------------
# Usage errors


@pytest.mark.parametrize("args,mentions", [
    (["-m", "auth", "h"], "--key-id"),
    (["-m", "sideways", "h"], "--mode"),
    (["--key-id", "k", "h"], "only used with"),
    (["-n", "17", "h"], "--sessions"),
    (["-s", "13", "h"], "below the minimum of 14"),
    (["--reflect-octets", "5", "h"], "exceeds the 0 octets of padding"),
    (["[fd00::1", ], "expected [IPv6-address]"),
    (["h:0"], "invalid TCP port"),
    (["--control-timeout", "0", "h"], "--control-timeout"),
    ([], "missing HOST"),
])
def test_usage_errors(args, mentions):
    r = run_client(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert mentions in one_error_line(r)


# ---------------------------------------------------------------------------
# End to end: the real reflector, sessions installed through its session API


@pytest.fixture(scope="module")
def refl_env(tmp_path_factory):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("twamp-client")
    with running_reflector(tmp, 9) as (net, r):
        yield net, r, tmp


def serve_reflected(refl_env, v6=False, **kw):
    """Fake server in the reflector's namespace on its address, port 862."""
    net, r, tmp = refl_env
    addr = net.b_end.ip6 if v6 else net.b_end.ip4
    lst = listen(net.b, addr, 862)
    api = r.api()
    api.flush()
    srv = FakeServer(lst, api=api, net=net, **kw)
    srv.start()
    return srv, lst, api, (f"[{addr}]" if v6 else addr)


def end_to_end(refl_env, args, v6=False, **kw):
    net, r, tmp = refl_env
    srv, lst, api, host = serve_reflected(refl_env, v6=v6, **kw)
    try:
        res = run_client(*args, "--json", host, ns=net.a)
        srv.check()
    finally:
        lst.close()
        srv.done.wait(30)
        api.flush()
        api.close()
    return res, srv


def check_clean(out, count, n):
    assert out["control"]["result"] == "ok" and out["control"]["stopped"]
    assert len(out["sessions"]) == n
    for s in out["sessions"]:
        assert (s["sent"], s["received"], s["lost"]) == (count, count, 0), s
        assert (s["duplicates"], s["auth_failures"], s["invalid"]) == (0, 0, 0), s
        assert s["error"] is None
        assert s["sender_ttl"] == {"min": 255, "max": 255}
        assert s["rtt_ns"]["count"] == count


@pytest.mark.system
@pytest.mark.sanitize
@pytest.mark.parametrize("mode", ["open", "auth", "enc", "mixed"])
def test_end_to_end_modes(refl_env, tmp_path, mode):
    net = refl_env[0]
    extra = [] if mode == "open" else ["--key-id", KEYID, "--secret-file", str(secret_file(tmp_path))]
    res, srv = end_to_end(refl_env, ["-m", mode, *extra, "-n", "2", "-c", "200", "-i", "0.001",
                                     "-s", "150"])
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    check_clean(out, 200, 2)
    assert srv.mode == MODE_BITS[mode]
    assert {s["mode"] for s in out["sessions"]} == {"open" if mode in ("open", "mixed") else mode}
    for f in srv.requests:
        assert f["sender"][:4] == bytes(map(int, net.a_end.ip4.split(".")))
        assert f["receiver"][:4] == bytes(map(int, net.b_end.ip4.split(".")))
    for sid, _, _ in srv.sessions:
        assert srv.counters[sid].reflected == 200
        assert srv.counters[sid].auth_fail == 0


@pytest.mark.system
@pytest.mark.sanitize
def test_end_to_end_ipv6_enc(refl_env, tmp_path):
    res, srv = end_to_end(refl_env, ["-m", "enc", "--key-id", KEYID, "--secret-file",
                                     str(secret_file(tmp_path)), "-c", "100", "-i", "0.001"],
                          v6=True)
    assert res.returncode == 0, res.stderr
    check_clean(json.loads(res.stdout), 100, 1)
    assert srv.requests[0]["ipvn"] == 6


@pytest.mark.system
@pytest.mark.sanitize
def test_end_to_end_individual_symmetrical_reflect(refl_env, tmp_path):
    """RFC 5938 Start-N / Stop-N, RFC 6038 symmetrical packets and reflect
    octets, three sessions in authenticated mode."""
    res, srv = end_to_end(refl_env, ["-m", "auth", "--key-id", KEYID, "--secret-file",
                                     str(secret_file(tmp_path)), "-n", "3", "-c", "100",
                                     "-i", "0.001", "--individual", "--symmetrical",
                                     "--reflect-octets", "8", "-s", "160"])
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    check_clean(out, 100, 3)
    assert srv.mode == 2 | ISC | REFLECT | SYMM
    assert (srv.started, srv.stopped) == ("n", "n")
    assert all(s["server_octets"] == 0x5ac3 and s["symmetrical"] for s in out["sessions"])
    assert all(f["pad_reflect"] == 8 and f["padding"] == 160 - 112 for f in srv.requests)
