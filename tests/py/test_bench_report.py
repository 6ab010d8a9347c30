"""bench/bench_report.py on made-up per-run results: the medians, the ratios
of medians and of back-to-back pairs, the cycle figures from telemetry and
testpmd, and the exit status when a reply failed its check. The benchmark
itself is not run here (it measures; tests do not)."""

import json
import os
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
        for m, v in (("setups", 30.0), ("sessions", 8000.0), ("api", 24000.0), ("pbkdf2", 60.0)):
            write(d, f"control_{m}-{r}.json", {"per_s": v + r})


def run_report(tmp_path, bad_case=None, replay=False, replay_dead=None, stages=None):
    res = tmp_path / "res"
    res.mkdir()
    fixtures(res, bad_case)
    if replay:
        replay_fixtures(res, replay_dead)
    if stages is not None:
        stage_fixtures(res, **stages)
    out = tmp_path / "bench.json"
    env = {**os.environ, "BENCH_RES": str(res), "BENCH_OUT": str(out), "BENCH_RUNS": str(RUNS),
           "BENCH_SECONDS": "5", "BENCH_WARMUP": "1", "BENCH_SIZE": "112", "BENCH_LINK": "zero-copy",
           "BENCH_NPROC": "2", "BENCH_MODEL": "test", "BENCH_DATE": "2026-01-01T00:00:00Z"}
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
