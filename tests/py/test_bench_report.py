"""bench/bench_report.py on made-up per-run results: the medians, the ratios
of medians and of back-to-back pairs, the cycle figures from telemetry and
testpmd, the control-hostile stage's percentiles, failures, bound and
targets, and the exit status when a reply failed its check or an attack did
not happen. The benchmark itself is not run here (it measures; tests do
not)."""

import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parents[2] / "bench" / "bench_report.py"
RUNS = 3
TSC_MHZ = 2000.0
# Mpps per run for each case: chosen so that medians and paired ratios differ
MPPS = {"macswap": [5.0, 4.0, 6.0], "csum": [4.0, 3.0, 5.0], "open": [4.5, 2.0, 4.0],
        "auth": [3.0, 2.5, 2.0], "enc": [2.0, 1.5, 1.0]}
CRYPTO = {"auth": [5.0, 4.0, 6.0], "enc": [4.0, 3.0, 5.0]}
TESTPMD_CYC = {"macswap": [200.0, 250.0, None], "csum": [400.0, None, 300.0]}
# reflector worker: (busy cycles, busy packets) at the two captures, 1 s apart
TEL = {"open": [(0, 0, 1_500_000_000, 3_000_000), (100, 1, 2_000_000_100, 2_000_001),
                (0, 0, 1_800_000_000, 4_000_000)],
       "auth": [(0, 0, 2_000_000_000, 2_000_000)] * RUNS,
       "enc": [(0, 0, 2_000_000_000, 1_000_000)] * RUNS}


# replay cases: testpmd's cycles per packet and the reflector's (cycles,
# packets) deltas per run; reflected 0 in REPLAY_DEAD makes a failed run
REPLAY_TP = [150.0, 140.0, 160.0]
REPLAY = {"open": [(300, 1), (320, 1), (280, 1)], "auth": [(600, 1), (660, 1), (640, 1)],
          "enc": [(900, 1), (880, 1), (920, 1)]}


def write(d: Path, name: str, obj):
    (d / name).write_text(json.dumps(obj) if not isinstance(obj, str) else obj)


def loadgen(mpps: float, bad: int = 0) -> dict:
    return {"rx_pps": mpps * 1e6, "tx_pps": mpps * 1e6, "tx_short_ratio": 0.5, "frame_len": 154,
            "verified_ok": 1000, "verified_bad": bad, "rx_other": 0,
            "residence_ns_p50": 1000, "residence_ns_p99": 2000, "residence_ns_max": 3000}


def replay_fixtures(d: Path, dead: str | None = None):
    for r in range(1, RUNS + 1):
        i = r - 1
        write(d, f"replay_macswap-{r}.cycles.json", {"cycles_per_packet": REPLAY_TP[i]})
        for m, runs in REPLAY.items():
            cyc, pkts = runs[i]
            for k in (0, 1):
                st = {"reflected": 0 if (m == dead and k == 1) else 1000 * (k + 1), "auth_failures": 0}
                w = {"/twamp/workers": {"0": {"busy_cycles": cyc * 10_000 * (k + 1),
                                               "busy_packets": pkts * 10_000 * (k + 1)}},
                     "/twamp/stats": st}
                write(d, f"replay_{m}-{r}.tel.{k}", json.dumps({"t_ms": k * 1000}) + "\n" + json.dumps(w) + "\n")


# stage runs: per run, cycles per packet of each stage (7 stages, worker.h)
# over 1000 packets; the memif auth run 2 is left out (no capture)
STAGE_NAMES = ("rx", "take", "auth", "build", "stamp", "tx", "general")
STAGE_CYC = {"open": [[70, 100, 3, 50, 30, 40, 0], [80, 110, 3, 52, 32, 44, 1], [60, 90, 3, 48, 28, 36, 0]],
             "auth": [[75, 105, 240, 66, 45, 90, 0], [85, 115, 250, 70, 47, 150, 2],
                      [80, 110, 230, 68, 43, 110, 0]]}


def stage_fixtures(d: Path, bad_run: int | None = None, dead_replay: bool = False):
    for r in range(1, RUNS + 1):
        for m, runs in STAGE_CYC.items():
            cyc = runs[r - 1]
            for name in (f"{m}-stages-{r}.tel", f"replay_{m}-stages-{r}.tel"):
                if name == "auth-stages-2.tel":
                    continue
                replay = name.startswith("replay")
                for k in (0, 1):
                    w = {f"stage_{s}_cycles": (c + (0 if replay else 100)) * 1000 * k
                         for s, c in zip(STAGE_NAMES, cyc)}
                    w.update(busy_cycles=(sum(cyc) + 7 * (0 if replay else 100) + 5) * 1000 * k,
                             busy_packets=1000 * k)
                    st = {"reflected": 0 if (dead_replay and replay and k == 1) else 1000 * k}
                    write(d, f"{name}.{k}", json.dumps({"t_ms": k * 1000}) + "\n"
                          + json.dumps({"/twamp/workers": {"0": w}, "/twamp/stats": st}) + "\n")
            write(d, f"{m}-stages-{r}.json", loadgen(3.0, bad=1 if r == bad_run else 0))


def fixtures(d: Path, bad_case: str | None = None):
    for r in range(1, RUNS + 1):
        i = r - 1
        for case, xs in MPPS.items():
            write(d, f"{case}-{r}.json", loadgen(xs[i], bad=1 if case == bad_case else 0))
        for case, xs in TESTPMD_CYC.items():   # None: testpmd printed nothing
            write(d, f"{case}-{r}.cycles.json",
                  "" if xs[i] is None else json.dumps({"cycles_per_packet": xs[i]}))
        for m, xs in CRYPTO.items():
            write(d, f"crypto_{m}-{r}.json", {"mpps": xs[i], "cycles_per_packet": TSC_MHZ / xs[i],
                                               "tsc_mhz": TSC_MHZ, "ipsec_mb_arch": "SSE"})
        for m, runs in TEL.items():
            c0, p0, c1, p1 = runs[i]
            for k, (t, c, p) in enumerate(((0, c0, p0), (1000, c1, p1))):
                w = {"/twamp/workers": {"0": {"busy_cycles": c, "busy_packets": p}},
                     "/twamp/stats": {"auth_failures": 0}}
                write(d, f"{m}-{r}.tel.{k}", json.dumps({"t_ms": t}) + "\n" + json.dumps(w) + "\n")
        for m, v in (("sessions", 8000.0), ("api", 24000.0)):
            write(d, f"control_{m}-{r}.json", {"per_s": v + r})


# control-hostile: two runs of 50 good set-ups per case. idle, pooled and
# sorted: 1..50, 101..130, 1000..1019 ms: median (50 + 101) / 2 (not the
# mean), p99 by nearest rank the 99th smallest, 1018 (not the max 1019, not
# 1018.01 interpolated, not the median of the runs' p99s 534.5)
HRUNS = 2
IDLE = [list(range(1, 51)), list(range(101, 131)) + list(range(1000, 1020))]
# flood: run 1 47 ok, run 2 46 ok; pooled p99 = the 93rd smallest of 93
FLOOD = [[200.0 + i for i in range(47)], [300.0 + i for i in range(46)]]
FLOOD_FAILED = [(3, "set-up: connection closed by the server"), (4, "set-up: connection closed by the server")]
# slowloris: every set-up of run 1 failed; open_hog: every one of both
RATE = {"setups": [30.0, 50.0], "pbkdf2": [64.0, 100.0]}   # bounds 32, 50: ratios 0.9375, 1.0


def latency(samples, failed=0, reason="set-up: connection closed by the server"):
    xs = [float(x) for x in samples]
    random.Random(len(xs)).shuffle(xs)   # the report must sort
    return {"measure": "latency", "n": len(xs) + failed, "ok": len(xs), "failed": failed,
            "interval_ms": 100, "timeout_ms": 5000, "samples_ms": xs,
            "failures": [{"reason": reason, "n": failed}] if failed else []}


def attacker(mode, **kw):
    a = {"mode": mode, "conns": 20, "sources": 0, "seconds": 10.0, "connects": 100, "connect_errors": 0,
         "greetings": 90, "refused_before_greeting": 10, "setups_sent": 90, "closed_after_setup": 0,
         "accept_ok": 0, "accept_other": 90, "held_closed": 0, "held_at_end": 0, "held_max": 0}
    a.update(kw)
    return a


def state(**counters):
    return {"twamp-reflector:twamp-reflector": {"server": {"statistics": {
        k.replace("_", "-"): str(v) for k, v in counters.items()}}}}


def hostile_fixtures(d: Path, good=False, idle_failed=0, dead_attack=None):
    """good: every case like idle's run 1, no failure, ratio above 0.9."""
    for h in range(1, HRUNS + 1):
        i = h - 1
        if good:
            cases = {c: latency(IDLE[0]) for c in ("flood", "slowloris", "open_hog")}
        else:
            cases = {"flood": latency(FLOOD[i], *FLOOD_FAILED[i]),
                     "slowloris": latency([] if h == 1 else [400.0, 2500.0], 50 if h == 1 else 48),
                     "open_hog": latency([], 50, "set-up: connection closed by the server")}
        cases["idle"] = latency(IDLE[i], idle_failed if h == 2 else 0)
        for c, v in cases.items():
            write(d, f"hostile_latency_{c}-{h}.json", v)
        write(d, f"hostile_attack_flood-{h}.json", attacker("flood", setups_sent=0 if dead_attack else 90))
        write(d, f"hostile_attack_slowloris-{h}.json", attacker("slowloris", setups_sent=0, held_max=16))
        write(d, f"hostile_attack_open_hog-{h}.json", attacker("open-hog", accept_ok=64, held_max=64))
        write(d, f"hostile_state_flood-{h}.json", state(authentication_failed=100 * h, refused_pending_authentication=7))
        if not good or h == 1:   # a state that could not be read is left out
            write(d, f"hostile_state_idle-{h}.json", state(authentication_ok=50))
        write(d, f"control_setups-{h}.json", {"per_s": 45.0 if good else RATE["setups"][i]})
        write(d, f"control_pbkdf2-{h}.json", {"per_s": RATE["pbkdf2"][i] if not good else 98.0})


def run_report(tmp_path, bad_case=None, replay=False, replay_dead=None, stages=None, stage="all",
               hostile=None):
    res = tmp_path / "res"
    res.mkdir()
    if stage == "all":
        fixtures(res, bad_case)
    hostile_fixtures(res, **(hostile or {}))
    if replay:
        replay_fixtures(res, replay_dead)
    if stages is not None:
        stage_fixtures(res, **stages)
    out = tmp_path / "bench.json"
    env = {**os.environ, "BENCH_RES": str(res), "BENCH_OUT": str(out), "BENCH_RUNS": str(RUNS),
           "BENCH_SECONDS": "5", "BENCH_WARMUP": "1", "BENCH_SIZE": "112", "BENCH_LINK": "zero-copy",
           "BENCH_NPROC": "2", "BENCH_MODEL": "test", "BENCH_DATE": "2026-01-01T00:00:00Z",
           "BENCH_STAGE": stage, "BENCH_HOSTILE_RUNS": str(HRUNS), "BENCH_AUTH_WORKERS": "2",
           "BENCH_AUTH_WORKERS_LEAF": ""}
    p = subprocess.run([sys.executable, str(REPORT)], env=env, capture_output=True, text=True,
                       timeout=60)
    return p, (json.loads(out.read_text()) if out.exists() else None)


def med(xs):
    return statistics.median([x for x in xs if x is not None])


def test_medians_and_ratios(tmp_path):
    p, r = run_report(tmp_path)
    assert p.returncode == 0, p.stderr
    assert r["testpmd_macswap_mpps"] == pytest.approx(5.0)
    assert r["reflect_open_mpps"] == pytest.approx(4.0)
    assert r["testpmd_csum_mpps"] == pytest.approx(4.0)
    # ratio of the medians, and the median of the back-to-back ratios
    assert r["ratio_open_vs_macswap"] == pytest.approx(4.0 / 5.0)
    assert r["ratio_open_vs_macswap_paired"] == pytest.approx(med([4.5 / 5.0, 2.0 / 4.0, 4.0 / 6.0]))
    assert r["ratio_auth_vs_crypto_bound"] == pytest.approx(2.5 / 5.0)
    assert r["ratio_auth_vs_crypto_bound_paired"] == pytest.approx(med([3 / 5, 2.5 / 4, 2 / 6]))
    assert r["ratio_open_vs_csum"] == pytest.approx(4.0 / 4.0)
    assert r["setup"]["link"].startswith("memif, one core per side; the peer is the zero-copy client")


def test_cycle_figures(tmp_path):
    p, r = run_report(tmp_path)
    assert p.returncode == 0, p.stderr
    # open: (cycles, packets) deltas per run: 500, 1000, 450 cycles per packet
    assert r["cycles_per_packet_open"] == pytest.approx(500.0)
    assert r["runs"]["cycles_per_packet_open"] == pytest.approx([500.0, 1000.0, 450.0])
    # busy: busy cycles over 1 s at the crypto tool's TSC rate
    assert r["runs"]["reflector_busy_open"] == pytest.approx([0.75, 1.0, 0.9])
    # testpmd's printed figure; a run where it printed nothing is left out
    assert r["testpmd_cycles_per_packet"] == pytest.approx(225.0)
    assert r["testpmd_csum_cycles_per_packet"] == pytest.approx(350.0)
    assert r["runs"]["cycles_ratio_open_vs_macswap"][2] is None
    assert r["cycles_ratio_open_vs_macswap"] == pytest.approx(med([200 / 500, 250 / 1000]))


def test_a_failed_check_fails_the_report(tmp_path):
    p, r = run_report(tmp_path, bad_case="csum")
    assert p.returncode == 1
    assert "verification failed for: csum" in p.stderr
    assert r["verification"]["csum"]["bad"] == RUNS


def test_replay_figures(tmp_path):
    p, r = run_report(tmp_path, replay=True)
    assert p.returncode == 0, p.stderr
    rp = r["replay"]
    assert rp["testpmd_macswap_cycles_per_packet"] == pytest.approx(150.0)
    assert rp["cycles_per_packet_auth"] == pytest.approx(640.0)
    assert rp["cycles_ratio_open_vs_macswap"] == pytest.approx(med([150 / 300, 140 / 320, 160 / 280]))
    # crypto bound cycles (TSC_MHZ / Mpps) over the reflector's, run by run
    assert rp["cycles_ratio_auth_vs_crypto_bound"] == pytest.approx(med([400 / 600, 500 / 660, 2000 / 6 / 640]))
    assert "replay (one process, no link)" in p.stdout


def test_replay_absent_or_dead(tmp_path):
    p, r = run_report(tmp_path)
    assert p.returncode == 0 and r["replay"]["cycles_per_packet_auth"] is None
    (tmp_path / "dead").mkdir()
    p, r = run_report(tmp_path / "dead", replay=True, replay_dead="enc")
    assert p.returncode == 1
    assert "replay enc run 1" in p.stderr


def test_stage_figures(tmp_path):
    p, r = run_report(tmp_path, stages={})
    assert p.returncode == 0, p.stderr
    st = r["stages"]
    assert set(st) == {"memif", "replay"} and set(st["memif"]) == {"open", "auth"}
    # the replay's figures as written; memif's are 100 more per stage
    assert st["replay"]["auth"]["tx"] == pytest.approx(110.0)        # median of 90, 150, 110
    assert st["replay"]["open"]["general"] == pytest.approx(0.0)
    assert st["replay"]["auth"]["busy"] == pytest.approx(med([621, 719, 641]) + 5)  # the stages plus 5
    # memif auth run 2 has no capture: the median of runs 1 and 3
    assert st["memif"]["auth"]["runs"] == 2
    assert st["memif"]["auth"]["auth"] == pytest.approx(100 + (240 + 230) / 2)
    assert st["memif"]["open"]["runs"] == 3
    assert "cycles per packet by stage" in p.stdout


def test_stage_runs_absent_or_failed(tmp_path):
    p, r = run_report(tmp_path)
    assert p.returncode == 0 and r["stages"] == {}
    assert "by stage" not in p.stdout
    (tmp_path / "bad").mkdir()
    p, r = run_report(tmp_path / "bad", stages={"bad_run": 3})
    assert p.returncode == 1 and "open-stages run 3" in p.stderr and "auth-stages run 3" in p.stderr
    (tmp_path / "dead").mkdir()
    p, r = run_report(tmp_path / "dead", stages={"dead_replay": True})
    assert p.returncode == 1 and "replay auth-stages run 1" in p.stderr


def test_hostile_alone(tmp_path):
    """The stage alone: no dataplane results needed, and every key of it."""
    p, r = run_report(tmp_path, stage="control-hostile")
    assert p.returncode == 0, p.stderr
    assert "testpmd_macswap_mpps" not in r and r["stage"] == "control-hostile"
    assert r["control_setup_ms_p50_idle"] == pytest.approx(75.5)
    assert r["control_setup_ms_p99_idle"] == pytest.approx(1018.0)
    # flood: 93 samples, nearest rank ceil(0.99 * 93) = 93: the largest
    assert r["control_setup_ms_p99_flood"] == pytest.approx(345.0)
    assert r["control_good_setups_failed_flood"] == 7
    # slowloris: run 1 all failed, run 2 two samples: p99 of those
    assert r["control_setup_ms_p99_slowloris"] == pytest.approx(2500.0)
    assert r["control_good_setups_failed_slowloris"] == 98
    # open-hog: nothing completed: no p99 at all
    assert r["control_setup_ms_p99_open_hog"] is None
    assert r["control_good_setups_failed_open_hog"] == 100
    assert r["control_good_setups_failed_idle"] == 0
    x = r["control_hostile"]
    assert x["cases"]["idle"]["max_ms"] == pytest.approx(1019.0)
    assert [c["p99_ms"] for c in x["cases"]["idle"]["runs"]] == pytest.approx([50.0, 1019.0])
    assert x["cases"]["idle"]["runs"][1]["p50_ms"] == pytest.approx(median_of(IDLE[1]))
    assert x["cases"]["flood"]["failures"] == {"set-up: connection closed by the server": 7}
    assert x["cases"]["flood"]["setups"] == 100
    # attacker counts summed over the runs, server counters too (a state
    # missing from a run adds nothing)
    assert x["cases"]["flood"]["attacker"]["total"]["setups_sent"] == 180
    assert x["cases"]["flood"]["server_counters"] == {"authentication-failed": 300,
                                                      "refused-pending-authentication": 14}
    assert x["cases"]["idle"]["server_counters"] == {"authentication-ok": 100}


def median_of(xs):
    return statistics.median(xs)


def test_hostile_rate_and_bound(tmp_path):
    p, r = run_report(tmp_path, stage="control-hostile")
    assert p.returncode == 0, p.stderr
    # the bound is half the PBKDF2 rate of the worker threads (the client's
    # PBKDF2 runs on the same CPUs): 32 and 50, median 41
    assert r["control_setups_per_s"] == pytest.approx(40.0)
    assert r["pbkdf2_bound_setups_per_s"] == pytest.approx(41.0)
    # the median of the runs' ratios (30/32, 50/50), not 40/41
    assert r["control_setups_ratio_vs_pbkdf2_bound"] == pytest.approx((30 / 32 + 1.0) / 2)
    x = r["control_hostile"]
    assert x["pbkdf2_threads"] == 2 and x["client_threads"] == 4 and x["auth_workers_leaf"] is None


def test_hostile_targets(tmp_path):
    p, r = run_report(tmp_path, stage="control-hostile")
    t = r["control_hostile"]["targets"]
    assert not t["met"] and not t["no_good_setup_fails"] and not t["p99_met"]
    assert t["failed"] == {"flood": 7, "slowloris": 98, "open_hog": 100}
    assert t["p99_over"] == {"idle": pytest.approx(1018.0), "slowloris": pytest.approx(2500.0), "open_hog": None}
    assert t["ratio_met"]          # 0.97 >= 0.9
    assert "NOT MET" in p.stdout
    (tmp_path / "good").mkdir()
    p, r = run_report(tmp_path / "good", stage="control-hostile", hostile={"good": True})
    assert p.returncode == 0, p.stderr
    t = r["control_hostile"]["targets"]
    assert not t["p99_met"] and t["p99_over"] == {"idle": pytest.approx(1018.0)}
    assert t["no_good_setup_fails"] and not t["met"]
    # 45 set-ups/s against 98 / 2 = 49: 0.918
    assert t["ratio_met"] and r["control_setups_ratio_vs_pbkdf2_bound"] == pytest.approx(45 / 49)


def test_hostile_in_the_full_report(tmp_path):
    p, r = run_report(tmp_path)
    assert p.returncode == 0, p.stderr
    assert r["testpmd_macswap_mpps"] == pytest.approx(5.0)
    assert r["control_setup_ms_p99_idle"] == pytest.approx(1018.0)
    assert r["control_setups_per_s"] == pytest.approx(40.0)
    assert "TWAMP-Control under attack" in p.stdout


def test_hostile_run_that_did_not_measure(tmp_path):
    p, r = run_report(tmp_path, stage="control-hostile", hostile={"idle_failed": 2})
    assert p.returncode == 1
    assert "idle: 2 good set-ups failed with no attacker" in p.stderr
    (tmp_path / "dead").mkdir()
    p, r = run_report(tmp_path / "dead", stage="control-hostile", hostile={"dead_attack": True})
    assert p.returncode == 1
    assert "flood run 1: the attacker sent no token" in p.stderr


def test_latency_summary(tmp_path):
    f = tmp_path / "lat.json"
    f.write_text(json.dumps(latency(FLOOD[1], 4, "set-up: timed out")))
    p = subprocess.run([sys.executable, str(REPORT), "--summary", str(f)], capture_output=True, text=True,
                       timeout=60, env={k: v for k, v in os.environ.items() if not k.startswith("BENCH_")})
    assert p.returncode == 0, p.stderr
    assert "46 ok, 4 failed; p50 322.5 ms, p99 345.0 ms" in p.stdout and "4 x set-up: timed out" in p.stdout
