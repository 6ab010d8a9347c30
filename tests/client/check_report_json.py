#!/usr/bin/python3
"""Parse every crafted report case with Python's json module and check the
documented keys and types (client/report.h)."""
import json
import subprocess
import sys

DIST = {"count", "min", "median", "p99", "max", "mean"}
KEYS = {
    "version": str, "mode": str, "host": str, "port": int, "symmetrical": bool,
    "packet_size": int, "sent": int, "received": int, "lost": int,
    "loss_percent": float, "duplicates": int, "reordered": int,
    "auth_failures": int, "invalid": int, "clocks_synchronised": bool,
    "rtt_ns": dict, "forward_ns": dict, "backward_ns": dict,
    "residence_ns": dict, "ipdv_ns": dict, "sender_ttl": dict,
    "reply_ttl": dict, "error": str,
}
SUBKEYS = {
    "rtt_ns": DIST, "forward_ns": DIST, "backward_ns": DIST, "residence_ns": DIST,
    "ipdv_ns": {"count", "mean_abs", "p99_abs", "max_abs", "min", "max"},
    "sender_ttl": {"min", "max"}, "reply_ttl": {"min", "max"},
}


def check(doc, case):
    assert set(doc) == set(KEYS), f"case {case}: keys {sorted(set(doc) ^ set(KEYS))}"
    for key, typ in KEYS.items():
        val = doc[key]
        if val is None and typ in (dict, str):
            continue
        assert isinstance(val, typ) and not (typ is int and isinstance(val, bool)), \
            f"case {case}: {key} = {val!r}"
        if typ is dict:
            assert set(val) == SUBKEYS[key], f"case {case}: {key} keys {sorted(val)}"
            assert all(isinstance(v, int) for v in val.values()), f"case {case}: {key}"
    assert doc["lost"] == doc["sent"] - doc["received"], f"case {case}: lost"
    if not doc["clocks_synchronised"]:
        assert doc["forward_ns"] is None and doc["backward_ns"] is None, f"case {case}"


def main():
    dump = sys.argv[1]
    count = int(subprocess.run([dump], check=True, capture_output=True, text=True).stdout)
    assert count > 0
    for case in range(count):
        out = subprocess.run([dump, str(case)], check=True, capture_output=True, text=True).stdout
        check(json.loads(out), case)
    print(f"{count} report cases parse and match the documented keys")


if __name__ == "__main__":
    main()
