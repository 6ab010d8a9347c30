"""Unprivileged users and groups for the daemons under test, made with
useradd -r / groupadd -r under unique names (twr-t-<hex>-<role>) and
removed afterwards.

    with SystemUser("ctl", groups=[g.name]) as u:   # u.name, u.uid, u.gid
        ...
    suite_users()          # the run-wide pair every harness daemon uses:
                           # .api (the session socket's group) and .controld
                           # (a user in it, and in nogroup for the key agent's
                           # sockets); made on first use, removed at exit

twamp-controld refuses to run as root without server/user, so every test
that starts it exercises the privilege drop with these.
"""

from __future__ import annotations

import atexit
import grp
import pwd
import secrets
import subprocess
import threading

NOLOGIN = "/usr/sbin/nologin"


def _run(*argv):
    # useradd and groupadd wait for the lock on /etc/passwd themselves
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.returncode}: {r.stderr.strip()}")


def unique_name(role: str) -> str:
    return f"twr-t-{secrets.token_hex(3)}-{role}"


class SystemGroup:
    def __init__(self, role: str):
        self.name = unique_name(role)
        _run("groupadd", "-r", self.name)
        self.gid = grp.getgrnam(self.name).gr_gid

    def remove(self):
        subprocess.run(["groupdel", self.name], capture_output=True, timeout=60)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


class SystemUser:
    """A system user with a group of its own name (useradd -U) and the
    given supplementary groups; no home, no login shell."""

    def __init__(self, role: str, groups=()):
        self.name = unique_name(role)
        argv = ["useradd", "-r", "-U", "-M", "-d", "/nonexistent", "-s", NOLOGIN]
        if groups:
            argv += ["-G", ",".join(groups)]
        _run(*argv, self.name)
        pw = pwd.getpwnam(self.name)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid

    def remove(self):
        # userdel removes the user's own group with it (USERGROUPS_ENAB)
        subprocess.run(["userdel", self.name], capture_output=True, timeout=60)
        subprocess.run(["groupdel", self.name], capture_output=True, timeout=60)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


class SuiteUsers:
    def __init__(self):
        self.api = SystemGroup("api")
        try:
            self.controld = SystemUser("ctl", groups=[self.api.name, "nogroup"])
        except Exception:
            self.api.remove()
            raise

    def remove(self):
        self.controld.remove()
        self.api.remove()


_suite: SuiteUsers | None = None
_lock = threading.Lock()


def suite_users() -> SuiteUsers:
    global _suite
    with _lock:
        if _suite is None:
            _suite = SuiteUsers()
            atexit.register(_suite.remove)
        return _suite
