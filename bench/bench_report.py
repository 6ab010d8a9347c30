"""Gather the per-run results of bench/run_bench.sh into bench.json and a table.

Inputs (directory BENCH_RES), for run r = 1..BENCH_RUNS:
  macswap-r.json, csum-r.json, open-r.json, auth-r.json, enc-r.json
                                                          twamp-loadgen results
  macswap-r.cycles.json, csum-r.cycles.json               testpmd's cycles per packet
                                                          (may be missing or empty)
  open-r.tel.0/.1, auth-r.tel.*, enc-r.tel.*              reflector telemetry, after the
                                                          warmup and near the end
  crypto_auth-r.json, crypto_enc-r.json                   twamp-crypto-bound results
  control_{sessions,api}-r.json                           twamp-control-rate results
  replay_macswap-r.cycles.json, replay_{open,auth,enc}-r.tel.0/.1
                                                          the replay cases (optional)
  replay_{open,auth,enc}-base-r.tel.0/.1                  the same replays through the
                                                          base commit's reflector (optional)
The control-hostile stage, for run h = 1..BENCH_HOSTILE_RUNS (alone when
BENCH_STAGE is control-hostile, after the others when it is all):
  hostile_latency_{idle,flood,slowloris,open_hog}-h.json  the good client's set-ups
                                                          (twamp-control-rate --measure latency)
  hostile_attack_{flood,slowloris,open_hog}-h.json        twamp-control-attack's counts
  hostile_state_{idle,...,open_hog,rate}-h.json           the server's state at the end (optional)
  control_setups-h.json, control_pbkdf2-h.json            set-ups/s with all auth workers, and
                                                          PBKDF2/s of BENCH_AUTH_WORKERS threads
Output: BENCH_OUT (JSON) and a table on stdout. Exit status 1 if any reply
failed verification or a case received nothing, or if a hostile case did
not run as meant (a good set-up failed with no attacker, an attacker that
never got to attack). Targets missed are reported, not failed on.

bench_report.py --summary FILE: one line on a latency result (run_bench.sh).
"""
import json
import math
import os
import statistics
import sys

RES = os.environ.get("BENCH_RES", ".")
OUT = os.environ.get("BENCH_OUT", "")
RUNS = int(os.environ.get("BENCH_RUNS", "1"))
STAGE = os.environ.get("BENCH_STAGE", "all")
HOSTILE_RUNS = int(os.environ.get("BENCH_HOSTILE_RUNS", "1"))
CASES = ("macswap", "csum", "open", "auth", "enc")


LINKS = {
    "zero-copy": "memif, one core per side; the peer is the zero-copy client, the generator the server",
    "copy": "memif, one core per side; the peer is the server, both sides copy",
}


def load(name):
    with open(os.path.join(RES, name), encoding="utf-8") as f:
        return json.load(f)


def load_optional(name):
    """A small JSON result that may be missing or empty: {} then."""
    try:
        with open(os.path.join(RES, name), encoding="utf-8") as f:
            text = f.read().strip()
        return json.loads(text) if text else {}
    except (OSError, ValueError):
        return {}


def telemetry(name):
    """The /twamp/workers and /twamp/stats replies in a telemetry capture."""
    out = {}
    try:
        with open(os.path.join(RES, name), encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        out.update(json.loads(line))
                    except json.JSONDecodeError:
                        pass
    except OSError:
        pass
    return out


def worker_cycles(before, after):
    """Cycles per packet of worker 0 between two captures, else the
    cumulative figure of the last one, else None."""
    w0 = before.get("/twamp/workers", {}).get("0")
    w1 = after.get("/twamp/workers", {}).get("0")
    if w0 and w1:
        dp = w1["busy_packets"] - w0["busy_packets"]
        if dp > 0:
            return (w1["busy_cycles"] - w0["busy_cycles"]) / dp
    if w1 and w1.get("busy_packets"):
        return w1["busy_cycles"] / w1["busy_packets"]
    return None


def worker_busy(before, after, tsc_hz):
    """Share of the wall time between two captures that worker 0 spent on
    bursts with packets: near 1, the reflector set the pace."""
    w0 = before.get("/twamp/workers", {}).get("0")
    w1 = after.get("/twamp/workers", {}).get("0")
    if not (w0 and w1 and tsc_hz and "t_ms" in before and "t_ms" in after):
        return None
    dt = (after["t_ms"] - before["t_ms"]) / 1000.0
    if dt <= 0:
        return None
    return (w1["busy_cycles"] - w0["busy_cycles"]) / (dt * tsc_hz)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return a / b if a is not None and b else None


def series(a, b):
    """Rate of two stages done one after the other by one core."""
    return None if not a or not b else 1.0 / (1.0 / a + 1.0 / b)


def rnd(x, n=3):
    return round(x, n) if isinstance(x, float) else x


def machine(crypto=None):
    return {"cpu_model": os.environ.get("BENCH_MODEL"), "nproc": int(os.environ["BENCH_NPROC"]),
            "kernel": os.environ.get("BENCH_KERNEL"), "dpdk": os.environ.get("BENCH_DPDK"),
            "ipsec_mb_arch": crypto["auth"][0].get("ipsec_mb_arch") if crypto else None}


def write_out(result):
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--summary":
        print(latency_summary(load_path(sys.argv[2])))
        return 0
    hostile = hostile_figures()
    if STAGE == "control-hostile":
        result = {"date": os.environ.get("BENCH_DATE"), "stage": STAGE, "machine": machine(), **hostile}
        write_out(result)
        print(f"\nTWAMP-Control under attack, {result['date']}: {result['machine']['cpu_model']}, "
              f"{result['machine']['nproc']} CPUs")
        print_hostile_table(hostile)
        print(f"results: {OUT}")
        failed = hostile_failures(hostile)
        if failed:
            print("run_bench: " + "; ".join(failed), file=sys.stderr)
        return 1 if failed else 0
    lg = {c: [load(f"{c}-{r}.json") for r in range(1, RUNS + 1)] for c in CASES}
    crypto = {m: [load(f"crypto_{m}-{r}.json") for r in range(1, RUNS + 1)] for m in ("auth", "enc")}
    tel = {m: [(telemetry(f"{m}-{r}.tel.0"), telemetry(f"{m}-{r}.tel.1"))
               for r in range(1, RUNS + 1)] for m in ("open", "auth", "enc")}

    per_run = {}
    names = {"macswap": "testpmd_macswap_mpps", "csum": "testpmd_csum_mpps", "open": "reflect_open_mpps",
             "auth": "reflect_auth_mpps", "enc": "reflect_enc_mpps"}
    for c in CASES:
        per_run[names[c]] = [x["rx_pps"] / 1e6 for x in lg[c]]
        per_run[f"offered_{c}_mpps"] = [x["tx_pps"] / 1e6 for x in lg[c]]
        per_run[f"tx_short_ratio_{c}"] = [x["tx_short_ratio"] for x in lg[c]]
    for m in ("auth", "enc"):
        per_run[f"crypto_{m}_bound_mpps"] = [x["mpps"] for x in crypto[m]]
        per_run[f"crypto_{m}_cycles_per_packet"] = [x["cycles_per_packet"] for x in crypto[m]]
    # the TSC rate, as twamp-crypto-bound measured it against the wall clock
    tsc_hz = median([x.get("tsc_mhz") for x in crypto["auth"]])
    tsc_hz = tsc_hz * 1e6 if tsc_hz else None
    for m in ("open", "auth", "enc"):
        per_run[f"cycles_per_packet_{m}"] = [worker_cycles(a, b) for a, b in tel[m]]
        per_run[f"reflector_busy_{m}"] = [worker_busy(a, b, tsc_hz) for a, b in tel[m]]
        per_run[f"residence_ns_p50_{m}"] = [x["residence_ns_p50"] for x in lg[m]]
        per_run[f"residence_ns_p99_{m}"] = [x["residence_ns_p99"] for x in lg[m]]
        per_run[f"residence_ns_max_{m}"] = [x["residence_ns_max"] for x in lg[m]]
    # testpmd's busy cycles per packet (--record-core-cycles), like the
    # reflector's: a comparison of cost per packet whoever set the pace
    per_run["testpmd_cycles_per_packet"] = [load_optional(f"macswap-{r}.cycles.json").get("cycles_per_packet")
                                            for r in range(1, RUNS + 1)]
    per_run["testpmd_csum_cycles_per_packet"] = [
        load_optional(f"csum-{r}.cycles.json").get("cycles_per_packet") for r in range(1, RUNS + 1)]
    per_run["cycles_ratio_open_vs_macswap"] = [
        ratio(a, b) for a, b in zip(per_run["testpmd_cycles_per_packet"], per_run["cycles_per_packet_open"])]
    per_run["ratio_open_vs_macswap"] = [ratio(a, b) for a, b in
                                        zip(per_run["reflect_open_mpps"], per_run["testpmd_macswap_mpps"])]
    per_run["ratio_open_vs_csum"] = [ratio(a, b) for a, b in
                                     zip(per_run["reflect_open_mpps"], per_run["testpmd_csum_mpps"])]
    per_run["ratio_auth_vs_crypto_bound"] = [ratio(a, b) for a, b in
                                             zip(per_run["reflect_auth_mpps"], per_run["crypto_auth_bound_mpps"])]
    ctl = {m: [load(f"control_{m}-{r}.json") for r in range(1, RUNS + 1)] for m in ("sessions", "api")}
    for m in ("sessions", "api"):
        per_run[f"control_{m}_per_s"] = [x["per_s"] for x in ctl[m]]
    per_run["ratio_sessions_vs_api"] = [
        ratio(a, b) for a, b in zip(per_run["control_sessions_per_s"], per_run["control_api_per_s"])]
    replay = replay_runs(crypto)
    per_run.update(replay)
    med = {k: median(v) for k, v in per_run.items()}

    verification = {c: {"ok": sum(x["verified_ok"] for x in lg[c]),
                        "bad": sum(x["verified_bad"] for x in lg[c]),
                        "rx_other": sum(x["rx_other"] for x in lg[c])} for c in CASES}
    counters = {m: tel[m][-1][1].get("/twamp/stats", {}) for m in ("open", "auth", "enc")}

    result = {
        "date": os.environ.get("BENCH_DATE"),
        "machine": machine(crypto),
        "setup": {"runs": RUNS, "seconds": int(os.environ["BENCH_SECONDS"]),
                  "warmup_s": int(os.environ["BENCH_WARMUP"]), "udp_payload": int(os.environ["BENCH_SIZE"]),
                  "frame_len": lg["auth"][0]["frame_len"], "link": LINKS[os.environ.get("BENCH_LINK", "zero-copy")]},
        "testpmd_macswap_mpps": med["testpmd_macswap_mpps"],
        "reflect_open_mpps": med["reflect_open_mpps"],
        "reflect_auth_mpps": med["reflect_auth_mpps"],
        "reflect_enc_mpps": med["reflect_enc_mpps"],
        "crypto_auth_bound_mpps": med["crypto_auth_bound_mpps"],
        "crypto_enc_bound_mpps": med["crypto_enc_bound_mpps"],
        "ratio_open_vs_macswap": ratio(med["reflect_open_mpps"], med["testpmd_macswap_mpps"]),
        "ratio_auth_vs_crypto_bound": ratio(med["reflect_auth_mpps"], med["crypto_auth_bound_mpps"]),
        "ratio_enc_vs_crypto_bound": ratio(med["reflect_enc_mpps"], med["crypto_enc_bound_mpps"]),
        # the same ratios taken run by run (each pair measured back to back,
        # so more likely in the same host mode), then the median
        "ratio_open_vs_macswap_paired": med["ratio_open_vs_macswap"],
        "ratio_auth_vs_crypto_bound_paired": med["ratio_auth_vs_crypto_bound"],
        # I/O and crypto in series: what a reflector doing the open path's I/O
        # and parsing plus the whole crypto of an authenticated reflection
        # could reach at best; the ratio shows what the fast path adds to both
        "io_and_crypto_auth_bound_mpps": series(med["reflect_open_mpps"], med["crypto_auth_bound_mpps"]),
        "ratio_auth_vs_io_and_crypto_bound": ratio(
            med["reflect_auth_mpps"], series(med["reflect_open_mpps"], med["crypto_auth_bound_mpps"])),
        "testpmd_cycles_per_packet": med["testpmd_cycles_per_packet"],
        # testpmd's cycles per packet over the open reflector's: the share of
        # the open path's cost that the I/O ceiling also pays
        "cycles_ratio_open_vs_macswap": med["cycles_ratio_open_vs_macswap"],
        # testpmd recomputing the IPv4 and UDP checksums in software: the I/O
        # plus reading the whole frame, which a checksum-checking reflector
        # cannot avoid on a port without checksum offload (memif)
        "testpmd_csum_mpps": med["testpmd_csum_mpps"],
        "testpmd_csum_cycles_per_packet": med["testpmd_csum_cycles_per_packet"],
        "ratio_open_vs_csum": ratio(med["reflect_open_mpps"], med["testpmd_csum_mpps"]),
        "ratio_open_vs_csum_paired": med["ratio_open_vs_csum"],
        "cycles_per_packet_auth": med["cycles_per_packet_auth"],
        "cycles_per_packet_open": med["cycles_per_packet_open"],
        "cycles_per_packet_enc": med["cycles_per_packet_enc"],
        "crypto_auth_cycles_per_packet": med["crypto_auth_cycles_per_packet"],
        "crypto_enc_cycles_per_packet": med["crypto_enc_cycles_per_packet"],
        "residence_ns_p50": med["residence_ns_p50_auth"],
        "residence_ns_p99": med["residence_ns_p99_auth"],
        "residence_ns": {m: {"p50": med[f"residence_ns_p50_{m}"], "p99": med[f"residence_ns_p99_{m}"],
                             "max": med[f"residence_ns_max_{m}"]} for m in ("open", "auth", "enc")},
        "sessions_per_s": med["control_sessions_per_s"],
        "control": {"mode": "authenticated", "pbkdf2_count": 2 ** 15, "sessions_per_connection": 16,
                    "api_install_remove_per_s": med["control_api_per_s"],
                    "ratio_sessions_vs_api": med["ratio_sessions_vs_api"]},
        "offered_tx_mpps": {c: med[f"offered_{c}_mpps"] for c in CASES},
        "tx_short_ratio": {c: med[f"tx_short_ratio_{c}"] for c in CASES},
        "reflector_busy": {m: med[f"reflector_busy_{m}"] for m in ("open", "auth", "enc")},
        # one process on a pcap replay, no link: cost per packet without
        # the host's cross-core traffic (crypto bound cycles over the
        # reflector's: the share of an authenticated reflection that is crypto)
        "replay": {"testpmd_macswap_cycles_per_packet": med.get("replay_testpmd_cycles_per_packet"),
                   **{f"cycles_per_packet_{m}": med.get(f"replay_cycles_per_packet_{m}")
                      for m in ("open", "auth", "enc")},
                   "cycles_ratio_open_vs_macswap": med.get("replay_cycles_ratio_open_vs_macswap"),
                   "cycles_ratio_auth_vs_crypto_bound": med.get("replay_cycles_ratio_auth_vs_crypto_bound"),
                   "cycles_ratio_enc_vs_crypto_bound": med.get("replay_cycles_ratio_enc_vs_crypto_bound"),
                   # the same replay through the base commit's reflector
                   # (bench/base-commit), interleaved run by run: this
                   # tree's cycles per packet over the base's (< 1: faster)
                   "base": {"commit": os.environ.get("BENCH_BASE_COMMIT") or None,
                            **{f"cycles_per_packet_{m}": med.get(f"replay_base_cycles_per_packet_{m}")
                               for m in ("open", "auth", "enc")},
                            **{f"cycles_ratio_{m}_vs_base": med.get(f"replay_cycles_ratio_{m}_vs_base")
                               for m in ("open", "auth", "enc")}}},
        # separate runs with dataplane/stage-cycles on: where a worker's
        # busy cycles per packet go, on memif and on the replay
        "stages": stage_figures(),
        "verification": verification,
        "reflector_counters_last_run": counters,
        "runs": per_run,
    }
    # the control-hostile stage's keys (control_setups_per_s among them)
    result.update(hostile)
    write_out(result)
    print_table(result, med)
    print_hostile_table(hostile)
    print(f"results: {OUT}")

    failed = [c for c, v in verification.items() if v["bad"] or not v["ok"]]
    failed += [f"{m} (reflector auth failures)" for m, c in counters.items() if c.get("auth_failures")]
    failed += replay_failures()
    failed += replay_failures("-base")
    failed += stage_failures()
    failed += hostile_failures(hostile)
    if failed:
        print("run_bench: verification failed for: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def replay_runs(crypto):
    """Per-run figures of the replay cases; empty lists if they did not run."""
    out = {"replay_testpmd_cycles_per_packet": [], "replay_cycles_ratio_open_vs_macswap": [],
           "replay_cycles_ratio_auth_vs_crypto_bound": [], "replay_cycles_ratio_enc_vs_crypto_bound": []}
    for m in ("open", "auth", "enc"):
        out[f"replay_cycles_per_packet_{m}"] = []
        out[f"replay_base_cycles_per_packet_{m}"] = []
        out[f"replay_cycles_ratio_{m}_vs_base"] = []
    for r in range(1, RUNS + 1):
        if not os.path.exists(os.path.join(RES, f"replay_auth-{r}.tel.1")):
            continue
        tp = load_optional(f"replay_macswap-{r}.cycles.json").get("cycles_per_packet")
        cyc = {m: worker_cycles(telemetry(f"replay_{m}-{r}.tel.0"), telemetry(f"replay_{m}-{r}.tel.1"))
               for m in ("open", "auth", "enc")}
        out["replay_testpmd_cycles_per_packet"].append(tp)
        for m in ("open", "auth", "enc"):
            out[f"replay_cycles_per_packet_{m}"].append(cyc[m])
        out["replay_cycles_ratio_open_vs_macswap"].append(ratio(tp, cyc["open"]))
        for m in ("auth", "enc"):
            out[f"replay_cycles_ratio_{m}_vs_crypto_bound"].append(
                ratio(crypto[m][r - 1]["cycles_per_packet"], cyc[m]))
        if not os.path.exists(os.path.join(RES, f"replay_auth-base-{r}.tel.1")):
            continue
        for m in ("open", "auth", "enc"):
            base = worker_cycles(telemetry(f"replay_{m}-base-{r}.tel.0"),
                                 telemetry(f"replay_{m}-base-{r}.tel.1"))
            out[f"replay_base_cycles_per_packet_{m}"].append(base)
            # this tree's cycles over the base commit's, measured back to back
            out[f"replay_cycles_ratio_{m}_vs_base"].append(ratio(cyc[m], base))
    return out


def replay_failures(tag=""):
    """Replay cases (tag: of the stage runs) whose reflector reflected
    nothing or dropped a request."""
    failed = []
    for r in range(1, RUNS + 1):
        for m in ("open", "auth", "enc"):
            name = f"replay_{m}{tag}-{r}.tel.1"
            if not os.path.exists(os.path.join(RES, name)):
                continue
            st = telemetry(name).get("/twamp/stats", {})
            if not st.get("reflected") or st.get("auth_failures") or st.get("malformed") \
                    or st.get("bad_checksum") or st.get("not_for_us"):
                failed.append(f"replay {m}{tag} run {r} (reflected {st.get('reflected')}, counters {st})")
    return failed


# dataplane/stage-cycles: the worker's busy cycles by stage (worker.h)
STAGES = ("rx", "take", "auth", "build", "stamp", "tx", "general")
STAGE_FILES = {"memif": "{m}-stages-{r}.tel", "replay": "replay_{m}-stages-{r}.tel"}


def stage_split(before, after):
    """Cycles per packet of worker 0 by stage between two captures, or None."""
    w0 = before.get("/twamp/workers", {}).get("0")
    w1 = after.get("/twamp/workers", {}).get("0")
    if not (w0 and w1) or any(f"stage_{s}_cycles" not in w for w in (w0, w1) for s in STAGES):
        return None
    dp = w1["busy_packets"] - w0["busy_packets"]
    if dp <= 0:
        return None
    out = {s: (w1[f"stage_{s}_cycles"] - w0[f"stage_{s}_cycles"]) / dp for s in STAGES}
    out["busy"] = (w1["busy_cycles"] - w0["busy_cycles"]) / dp
    return out


def stage_figures():
    """Per link and mode, the median over the stage runs of each stage's
    cycles per packet (and the busy cycles per packet of the same runs)."""
    out = {}
    for link, pattern in STAGE_FILES.items():
        for m in ("open", "auth"):
            splits = []
            for r in range(1, RUNS + 1):
                name = pattern.format(m=m, r=r)
                x = stage_split(telemetry(name + ".0"), telemetry(name + ".1"))
                if x is not None:
                    splits.append(x)
            if splits:
                out.setdefault(link, {})[m] = {k: median([x[k] for x in splits]) for k in splits[0]}
                out[link][m]["runs"] = len(splits)
    return out


def stage_failures():
    """Stage runs whose generator found a bad reply, and dead stage replays."""
    failed = []
    for r in range(1, RUNS + 1):
        for m in ("open", "auth"):
            lgr = load_optional(f"{m}-stages-{r}.json")
            if lgr and (lgr.get("verified_bad") or not lgr.get("verified_ok")):
                failed.append(f"{m}-stages run {r}")
    return failed + replay_failures("-stages")


CYCLES = {"macswap": "testpmd_cycles_per_packet", "csum": "testpmd_csum_cycles_per_packet"}


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def print_table(r, med):
    s = r["setup"]
    print(f"\nTWAMP reflector benchmark, {r['date']}: {r['machine']['cpu_model']}, "
          f"{r['machine']['nproc']} CPUs, DPDK {r['machine']['dpdk']}, ipsec-mb {r['machine']['ipsec_mb_arch']}")
    print(f"{s['runs']} run(s) x {s['seconds']} s, UDP payload {s['udp_payload']} "
          f"(frame {s['frame_len']}), medians\n")
    print(f"{'case':<28}{'Mpps':>8}{'offered':>9}{'tx full':>9}{'busy':>7}{'cyc/pkt':>9}{'p50 ns':>9}{'p99 ns':>9}")
    rows = [("testpmd macswap (I/O)", "testpmd_macswap_mpps", "macswap", "macswap"),
            ("testpmd csum (I/O+sums)", "testpmd_csum_mpps", "csum", "csum"),
            ("reflector open", "reflect_open_mpps", "open", "open"),
            ("reflector auth", "reflect_auth_mpps", "auth", "auth"),
            ("reflector enc", "reflect_enc_mpps", "enc", "enc")]
    for label, key, case, mode in rows:
        res = r["residence_ns"].get(mode, {}) if mode else {}
        print(f"{label:<28}{fmt(med[key], '.3f'):>8}{fmt(r['offered_tx_mpps'][case], '.3f'):>9}"
              f"{fmt(r['tx_short_ratio'][case], '.2f'):>9}"
              f"{fmt(r['reflector_busy'].get(mode), '.2f'):>7}"
              f"{fmt(med.get(CYCLES.get(mode, f'cycles_per_packet_{mode}')), '.0f'):>9}"
              f"{fmt(res.get('p50'), '.0f'):>9}{fmt(res.get('p99'), '.0f'):>9}")
    for m in ("auth", "enc"):
        print(f"{'crypto bound ' + m:<28}{fmt(med[f'crypto_{m}_bound_mpps'], '.3f'):>8}{'':>9}{'':>9}{'':>7}"
              f"{fmt(med[f'crypto_{m}_cycles_per_packet'], '.0f'):>9}")
    print(f"\nratio open / macswap        {fmt(r['ratio_open_vs_macswap'], '.3f')}"
          f"   (median of the per-run ratios {fmt(r['ratio_open_vs_macswap_paired'], '.3f')})")
    print(f"cycles per packet, testpmd / reflector open   {fmt(r['cycles_ratio_open_vs_macswap'], '.3f')}")
    print(f"ratio open / testpmd csum   {fmt(r['ratio_open_vs_csum'], '.3f')}"
          f"   (median of the per-run ratios {fmt(r['ratio_open_vs_csum_paired'], '.3f')})")
    print(f"ratio auth / crypto bound   {fmt(r['ratio_auth_vs_crypto_bound'], '.3f')}"
          f"   (median of the per-run ratios {fmt(r['ratio_auth_vs_crypto_bound_paired'], '.3f')})")
    print(f"ratio enc  / crypto bound   {fmt(r['ratio_enc_vs_crypto_bound'], '.3f')}")
    print(f"ratio auth / (open I/O + crypto in series, "
          f"{fmt(r['io_and_crypto_auth_bound_mpps'], '.3f')} Mpps)   "
          f"{fmt(r['ratio_auth_vs_io_and_crypto_bound'], '.3f')}")
    rp = r["replay"]
    if rp["cycles_per_packet_auth"] is not None:
        print(f"\nreplay (one process, no link), cycles per packet: testpmd macswap "
              f"{fmt(rp['testpmd_macswap_cycles_per_packet'], '.0f')}, reflector open "
              f"{fmt(rp['cycles_per_packet_open'], '.0f')} / auth {fmt(rp['cycles_per_packet_auth'], '.0f')}"
              f" / enc {fmt(rp['cycles_per_packet_enc'], '.0f')}")
        print(f"  testpmd / open {fmt(rp['cycles_ratio_open_vs_macswap'], '.3f')}   crypto bound / auth "
              f"{fmt(rp['cycles_ratio_auth_vs_crypto_bound'], '.3f')}   crypto bound / enc "
              f"{fmt(rp['cycles_ratio_enc_vs_crypto_bound'], '.3f')}")
    b = rp["base"]
    if b["cycles_per_packet_auth"] is not None:
        print(f"  base commit {(b['commit'] or '?')[:12]}, same replay interleaved: open "
              f"{fmt(b['cycles_per_packet_open'], '.0f')} / auth {fmt(b['cycles_per_packet_auth'], '.0f')}"
              f" / enc {fmt(b['cycles_per_packet_enc'], '.0f')};  this tree / base: open "
              f"{fmt(b['cycles_ratio_open_vs_base'], '.3f')}  auth {fmt(b['cycles_ratio_auth_vs_base'], '.3f')}"
              f"  enc {fmt(b['cycles_ratio_enc_vs_base'], '.3f')}")
    if r["stages"]:
        print("\ncycles per packet by stage (separate runs, dataplane/stage-cycles on):")
        print(f"{'':<14}" + "".join(f"{s:>8}" for s in STAGES) + f"{'sum':>8}{'busy':>8}")
        for link, modes in r["stages"].items():
            for m, st in modes.items():
                print(f"{link + ' ' + m:<14}" + "".join(f"{fmt(st[s], '.0f'):>8}" for s in STAGES)
                      + f"{fmt(sum(st[s] for s in STAGES), '.0f'):>8}{fmt(st['busy'], '.0f'):>8}")
    c = r["control"]
    print(f"\nTWAMP-Control, authenticated, PBKDF2 Count 2^15, client and server on one CPU:")
    print(f"  sessions/s {fmt(r['sessions_per_s'], '.0f'):>8}   session API install+remove alone "
          f"{fmt(c['api_install_remove_per_s'], '.0f')}/s   ratio {fmt(c['ratio_sessions_vs_api'], '.3f')}")
    print("offered: the generator's tx rate (what the port accepted); tx full: share of the generator's tx "
          "bursts the port did not take whole;\nbusy: share of the reflector worker's time spent on bursts "
          "with packets. Busy near 1: the reflector set the pace; well below 1: the generator (or the host) did.")

# ---- TWAMP-Control under attack (stage control-hostile) ----------------------

HOSTILE_CASES = ("idle", "flood", "slowloris", "open_hog")
ATTACKS = {"flood": "20 connections sending wrong tokens from rotating sources",
           "slowloris": "300 silent connections from rotating sources",
           "open_hog": "64 open-mode connections (8 addresses x 8) running no session"}
# server counters the table leaves out (the JSON has them all)
QUIET_COUNTERS = ("connections-accepted", "connections-closed", "state-requests")
TARGET_P99_MS = 1000.0      # every case
TARGET_RATIO = 0.9          # set-ups over the PBKDF2 bound
HOSTILE_CONFIG = ("twamp-controld alone on 127.0.0.1, a fresh one per case, with the defaults an operator "
                  "gets (max-connections 64, max-connections-per-client 8, max-pending-authentication 64, "
                  "authentication-timeout 30 s, ip-block 5 failures in 60 s, every mode offered, count 15, "
                  "the auth workers' default, empty control ACL = any source) and one KeyID; nothing pinned")


def load_path(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def percentile(xs, q):
    """Nearest rank: the smallest sample that at least a share q of the
    samples are at or below (p99 of 100 samples: the 99th smallest)."""
    if not xs:
        return None
    s = sorted(xs)
    return s[max(1, math.ceil(q * len(s))) - 1]


def latency_summary(r):
    s = r["samples_ms"]
    line = (f"    good set-ups: {r['ok']} ok, {r['failed']} failed; p50 {fmt(statistics.median(s) if s else None, '.1f')}"
            f" ms, p99 {fmt(percentile(s, 0.99), '.1f')} ms, max {fmt(max(s) if s else None, '.1f')} ms")
    return line + "".join(f"; {f['n']} x {f['reason']}" for f in r["failures"])


def server_counters(state):
    """The non-zero server/statistics counters of a state document."""
    st = state.get("twamp-reflector:twamp-reflector", {}).get("server", {}).get("statistics", {})
    return {k: int(v) for k, v in st.items() if str(v).isdigit() and int(v)}


def add_counts(total, more):
    for k, v in more.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            total[k] = total.get(k, 0) + v
    return total


def hostile_case(case):
    lat = [load(f"hostile_latency_{case}-{h}.json") for h in range(1, HOSTILE_RUNS + 1)]
    samples = [x for r in lat for x in r["samples_ms"]]
    reasons = {}
    for r in lat:
        for f in r["failures"]:
            reasons[f["reason"]] = reasons.get(f["reason"], 0) + f["n"]
    out = {"setups": sum(r["n"] for r in lat), "ok": len(samples), "failed": sum(r["failed"] for r in lat),
           "p50_ms": statistics.median(samples) if samples else None,
           "p99_ms": percentile(samples, 0.99), "max_ms": max(samples) if samples else None,
           "failures": reasons,
           "runs": [{"ok": r["ok"], "failed": r["failed"],
                     "p50_ms": statistics.median(r["samples_ms"]) if r["samples_ms"] else None,
                     "p99_ms": percentile(r["samples_ms"], 0.99)} for r in lat]}
    if case in ATTACKS:
        attack = [load_optional(f"hostile_attack_{case}-{h}.json") for h in range(1, HOSTILE_RUNS + 1)]
        out["attack"] = ATTACKS[case]
        out["attacker"] = {"runs": attack, "total": {}}
        for a in attack:
            add_counts(out["attacker"]["total"], {k: v for k, v in a.items() if k not in ("conns", "sources")})
    out["server_counters"] = {}
    for h in range(1, HOSTILE_RUNS + 1):
        add_counts(out["server_counters"], server_counters(load_optional(f"hostile_state_{case}-{h}.json")))
    return out


def hostile_figures():
    """The keys of the control-hostile stage: the good client's set-up
    latency per case (samples of all runs pooled), set-ups per second with
    all auth workers and the PBKDF2 bound of their CPUs (medians over the
    runs; the ratio is the median of the runs' ratios, each pair measured
    back to back)."""
    cases = {c: hostile_case(c) for c in HOSTILE_CASES}
    runs = range(1, HOSTILE_RUNS + 1)
    setups = [load(f"control_setups-{h}.json")["per_s"] for h in runs]
    pbkdf2 = [load(f"control_pbkdf2-{h}.json")["per_s"] for h in runs]
    # a set-up costs two PBKDF2 runs, the client's and the server's, and the
    # client runs on the same CPUs as the workers: the bound is half of what
    # BENCH_AUTH_WORKERS threads of PBKDF2 alone reach
    bound = [x / 2 for x in pbkdf2]
    ratios = [ratio(a, b) for a, b in zip(setups, bound)]
    workers = int(os.environ.get("BENCH_AUTH_WORKERS", "1"))
    leaf = os.environ.get("BENCH_AUTH_WORKERS_LEAF") or None
    out = {"control_setup_ms_p50_idle": cases["idle"]["p50_ms"],
           "control_setup_ms_p99_idle": cases["idle"]["p99_ms"],
           "control_setup_ms_p99_flood": cases["flood"]["p99_ms"],
           "control_good_setups_failed_flood": cases["flood"]["failed"],
           "control_setup_ms_p99_slowloris": cases["slowloris"]["p99_ms"],
           "control_setup_ms_p99_open_hog": cases["open_hog"]["p99_ms"],
           "control_setups_per_s": median(setups),
           "pbkdf2_bound_setups_per_s": median(bound),
           "control_setups_ratio_vs_pbkdf2_bound": median(ratios)}
    for c in HOSTILE_CASES:
        if c != "flood":
            out[f"control_good_setups_failed_{c}"] = cases[c]["failed"]
    failed = {c: v["failed"] for c, v in cases.items() if v["failed"]}
    slow = {c: v["p99_ms"] for c, v in cases.items() if v["p99_ms"] is None or v["p99_ms"] > TARGET_P99_MS}
    r = out["control_setups_ratio_vs_pbkdf2_bound"]
    targets = {"no_good_setup_fails": not failed, "failed": failed,
               "p99_ms_at_most": TARGET_P99_MS, "p99_met": not slow, "p99_over": slow,
               "ratio_at_least": TARGET_RATIO, "ratio_met": r is not None and r >= TARGET_RATIO}
    targets["met"] = targets["no_good_setup_fails"] and targets["p99_met"] and targets["ratio_met"]
    out["control_hostile"] = {
        "config": HOSTILE_CONFIG, "runs": HOSTILE_RUNS, "pbkdf2_count": 2 ** 15,
        # the rate's server: the leaf set to this many workers, or (leaf
        # None) the tree's server has no such setting and ran its default
        "auth_workers": workers, "auth_workers_leaf": leaf,
        "client_threads": 2 * workers, "pbkdf2_threads": workers,
        "cases": cases, "targets": targets,
        "per_run": {"control_setups_per_s": setups, "pbkdf2_per_s": pbkdf2,
                    "pbkdf2_bound_setups_per_s": bound, "control_setups_ratio_vs_pbkdf2_bound": ratios}}
    return out


def hostile_failures(h):
    """A stage that did not measure what it says: good set-ups failing with
    no attacker, or an attacker that never got to attack."""
    failed = []
    cases = h["control_hostile"]["cases"]
    if cases["idle"]["failed"]:
        failed.append(f"control-hostile idle: {cases['idle']['failed']} good set-ups failed with no attacker")
    checks = {"flood": ("setups_sent", "sent no token"), "slowloris": ("connects", "opened no connection"),
              "open_hog": ("accept_ok", "completed no set-up")}
    for c, (key, what) in checks.items():
        for i, a in enumerate(cases[c]["attacker"]["runs"], 1):
            if not a.get(key):
                failed.append(f"control-hostile {c} run {i}: the attacker {what}")
    return failed


def print_hostile_table(h):
    x = h["control_hostile"]
    t = x["targets"]
    print(f"\nTWAMP-Control under attack, loopback, server defaults; {x['runs']} run(s), "
          f"{x['cases']['idle']['setups'] // max(1, x['runs'])} good set-ups per case and run, PBKDF2 Count 2^15:")
    print(f"{'case':<11}{'ok':>6}{'failed':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}   attacker")
    for c in HOSTILE_CASES:
        v = x["cases"][c]
        a = v.get("attacker", {}).get("total", {})
        att = "-" if c == "idle" else (
            f"{v['attack']}: {a.get('connects', 0)} connects, {a.get('setups_sent', 0)} set-ups sent, "
            f"{a.get('refused_before_greeting', 0)} refused before the greeting"
            + (f", at most {max(r.get('held_max', 0) for r in v['attacker']['runs'])} held" if c != "flood" else ""))
        print(f"{c:<11}{v['ok']:>6}{v['failed']:>8}{fmt(v['p50_ms'], '.1f'):>9}{fmt(v['p99_ms'], '.1f'):>9}"
              f"{fmt(v['max_ms'], '.1f'):>9}   {att}")
        for reason, n in v["failures"].items():
            print(f"{'':<11}{n:>6} x {reason}")
        ctr = {k: n for k, n in v["server_counters"].items() if k not in QUIET_COUNTERS}
        if ctr:
            print(f"{'':<14}server: " + ", ".join(f"{k} {n}" for k, n in ctr.items()))
    workers = f"{x['auth_workers']} auth workers" if x["auth_workers_leaf"] else \
        f"the server's own default (no auth-workers leaf), bound of {x['auth_workers']} CPUs"
    print(f"set-ups/s {fmt(h['control_setups_per_s'], '.1f')} ({workers}, {x['client_threads']} client threads); "
          f"PBKDF2 bound {fmt(h['pbkdf2_bound_setups_per_s'], '.1f')}/s ({x['pbkdf2_threads']} threads, halved: "
          f"the client's PBKDF2 shares the CPUs); ratio {fmt(h['control_setups_ratio_vs_pbkdf2_bound'], '.3f')}")
    def met(ok):
        return "met" if ok else "NOT MET"

    print(f"targets: no good set-up fails {met(t['no_good_setup_fails'])}"
          + (f" {t['failed']}" if t["failed"] else "")
          + f"; p99 <= {t['p99_ms_at_most']:.0f} ms {met(t['p99_met'])}"
          + (f" {t['p99_over']}" if t["p99_over"] else "")
          + f"; set-ups >= {t['ratio_at_least']} x bound {met(t['ratio_met'])}")


if __name__ == "__main__":
    sys.exit(main())
