#!/usr/bin/env bash
# bench/run_bench.sh: the reflector's packet rate as ratios against references
# measured in the same run (design.md "Performance"). Called by ./run bench
# after ./run build.
#
#   twamp-loadgen (CPU 0) ──memif──▶ dpdk-testpmd macswap        (I/O ceiling)
#   twamp-loadgen (CPU 0) ──memif──▶ dpdk-testpmd csum           (I/O + software checksums)
#   twamp-loadgen (CPU 0) ──memif──▶ twamp-reflector open/auth/enc (CPU 1)
#   twamp-crypto-bound (CPU 1)                                    (crypto ceiling)
#   pcap replay ──▶ dpdk-testpmd macswap / twamp-reflector (CPU 1)  (cost per packet)
#   pcap replay ──▶ the base commit's twamp-reflector (CPU 1)       (no regression)
#
# Each process runs its worker on its own CPU and its main lcore on the other
# one (the main lcores sleep). All ports are memif (--no-huge, --no-pci).
# BENCH_LINK=zero-copy (default): the peer (testpmd, reflector) is the memif
# client in zero-copy mode, receiving into and sending from its own mbufs,
# which the generator (the memif server) copies into and out of, as a NIC's
# DMA would; the peer then pays for its I/O what it would on a NIC, a
# container under a vswitch's memif server (VPP), or a zero-copy port.
# BENCH_LINK=copy: the peer is the memif server and both sides copy.
# Every case runs BENCH_RUNS times (default 5) for BENCH_SECONDS (default 5)
# after a BENCH_WARMUP (default 1) second warmup, interleaved run by run;
# medians go to $TOP/build/bench.json (per-run figures alongside) and a table
# to stdout. UDP payload: BENCH_SIZE (default 112, the authenticated minimum)
# for every case, so all cases move the same frames.
#
# The replay cases take the link away: DPDK's pcap driver hands one process
# the same 256 requests over and over from memory (bench/replay_pcap.py), so
# the cycles per packet of testpmd and of the reflector show their own work
# without the host's cross-core traffic, which moves the memif figures by
# tens of percent from run to run. BENCH_BASE_REFLECTOR (set by ./run bench:
# the reflector of the commit in bench/base-commit, built beside the tree's)
# replays the same requests interleaved with the tree's reflector, so that
# a change is measured against the code before it in the same run.
#
# TWAMP-Control under attack (stage control-hostile, bench/README.md): a
# good client's set-up latency on loopback, idle and while
# twamp-control-attack floods, holds silent connections or hogs the server
# in open mode; set-ups per second with all auth workers against the PBKDF2
# bound of their CPUs.
#
# Stages: run_bench.sh [all | control-hostile] (or BENCH_ONLY=...): all (the
# default) runs everything and writes $TOP/build/bench.json;
# control-hostile runs that stage alone (two to three minutes) and
# writes $TOP/build/bench-control-hostile.json, leaving bench.json alone.
#
# Needs root (the reflector refuses a key-holding config not owned by root)
# and at least two CPUs.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BENCH_BUILD:-$TOP/build}
# the build tree's binaries read the YANG modules from here (no compiled-in
# path); the base commit's reflector gets the same modules
export TWR_YANG_DIR=${TWR_YANG_DIR:-$TOP/yang}
PY=${PY:-/usr/bin/python3}
RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECONDS:-5}
WARMUP=${BENCH_WARMUP:-1}
SIZE=${BENCH_SIZE:-112}
LINK=${BENCH_LINK:-zero-copy}
GEN_CPU=${BENCH_CPU_GEN:-0}
PEER_CPU=${BENCH_CPU_PEER:-1}

TESTPMD=/usr/bin/dpdk-testpmd
TELEMETRY=$BUILD/bench/twamp-telemetry-query
LOADGEN=$BUILD/client/loadgen/twamp-loadgen
REFLECTOR=$BUILD/dataplane/twamp-reflector
CRYPTO=$BUILD/bench/twamp-crypto-bound
CONTROLD=$BUILD/control/twamp-controld
CTLRATE=$BUILD/bench/twamp-control-rate
CTLATTACK=$BUILD/bench/twamp-control-attack
CTL_PORT=18620         # twamp-controld on loopback, for the control case
STAGE=${1:-${BENCH_ONLY:-all}}
# the control-hostile stage (bench/README.md, "TWAMP-Control under attack")
HOSTILE_PORT=${BENCH_CTL_HOSTILE_PORT:-18621}
HOSTILE_RUNS=${BENCH_HOSTILE_RUNS:-2}
HOSTILE_SAMPLES=${BENCH_HOSTILE_SAMPLES:-50}     # good set-ups per case and run
HOSTILE_INTERVAL_MS=${BENCH_HOSTILE_INTERVAL_MS:-100}
HOSTILE_TIMEOUT_MS=5000  # a good set-up slower than this counts as failed
HOSTILE_RAMP=2           # seconds between starting an attack and measuring
HOSTILE_HOLD_WAIT=15     # at most this much more for the open-hog to hold all
AUTH_WORKERS=${BENCH_AUTH_WORKERS:-$(nproc)}     # all CPUs: the pool's default
AUTH_WORKERS_LEAF=${BENCH_AUTH_WORKERS_LEAF:-auth-workers}
# the base commit's reflector for the replay comparison ("" = none)
BASE_REFLECTOR=${BENCH_BASE_REFLECTOR:-}
BASE_COMMIT=${BENCH_BASE_COMMIT:-}

GEN_MAC=02:00:00:99:64:01
PEER_MAC=02:00:00:99:64:02
GEN_IP=10.99.100.1
PEER_IP=10.99.100.2

READY_WAIT=20          # seconds for a server to come up
STOP_WAIT=5            # seconds between SIGTERM and SIGKILL

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'run_bench: %s\n' "$*" >&2; exit 1; }

# ---- arguments and environment -------------------------------------------

uint_in() { # NAME VALUE MIN MAX
	if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < $3 || $2 > $4)); then
		die "$1=$2: must be an integer in $3..$4"
	fi
}
uint_in BENCH_RUNS "$RUNS" 1 50
uint_in BENCH_SECONDS "$SECS" 1 600
uint_in BENCH_WARMUP "$WARMUP" 0 60
uint_in BENCH_SIZE "$SIZE" 112 1458
uint_in BENCH_CPU_GEN "$GEN_CPU" 0 1023
uint_in BENCH_CPU_PEER "$PEER_CPU" 0 1023
uint_in BENCH_CTL_HOSTILE_PORT "$HOSTILE_PORT" 1024 65535
uint_in BENCH_HOSTILE_RUNS "$HOSTILE_RUNS" 1 50
uint_in BENCH_HOSTILE_SAMPLES "$HOSTILE_SAMPLES" 10 1000
uint_in BENCH_HOSTILE_INTERVAL_MS "$HOSTILE_INTERVAL_MS" 0 10000
uint_in BENCH_AUTH_WORKERS "$AUTH_WORKERS" 1 32
[[ $AUTH_WORKERS_LEAF =~ ^[a-z][a-z0-9-]*$ ]] || die "BENCH_AUTH_WORKERS_LEAF=$AUTH_WORKERS_LEAF: not a leaf name"
case $LINK in zero-copy | copy) ;; *) die "BENCH_LINK=$LINK: must be zero-copy or copy" ;; esac
case $STAGE in all | control-hostile) ;; *) die "stage $STAGE: must be all or control-hostile" ;; esac
((GEN_CPU != PEER_CPU)) || die "the generator and the peer need different CPUs"

[ "$(id -u)" -eq 0 ] || die "needs root: the reflector only accepts a key-holding config owned by root"
NEED=("$CONTROLD" "$CTLRATE" "$CTLATTACK")
[ "$STAGE" = control-hostile ] || NEED+=("$TESTPMD" "$LOADGEN" "$REFLECTOR" "$CRYPTO" "$TELEMETRY" ${BASE_REFLECTOR:+"$BASE_REFLECTOR"})
for b in "${NEED[@]}"; do
	[ -x "$b" ] || die "$b missing: run ./run build first"
done
for c in "$GEN_CPU" "$PEER_CPU"; do
	taskset -c "$c" true 2>/dev/null || die "CPU $c is not available to this process"
done

# ---- processes, temporary files, cleanup ----------------------------------

TMP=$(mktemp -d /tmp/twr-bench.XXXXXX)
chmod 711 "$TMP" # twamp-controld, once unprivileged, reaches $TMP/api/ctl-session.sock
PIDS=()
PREFIXES=()
TAG=twrb$$
# EAL's runtime directory for root (telemetry socket, run files)
DPDK_RUN=${RUNTIME_DIRECTORY:-/var/run}/dpdk

# stop_pid PID: SIGTERM, wait up to STOP_WAIT, then SIGKILL; always reaped
stop_pid() {
	local pid=$1 i
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < STOP_WAIT * 10; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

forget_pid() {
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	for p in "${PREFIXES[@]}"; do rm -rf "${DPDK_RUN:?}/$p"; done
	rm -rf "$TMP"
	[ -z "${CTL_USER:-}" ] || userdel "$CTL_USER" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh EAL file prefix for every process; its runtime dir is removed at exit.
new_prefix() {
	PREFIX="$TAG-$1"
	PREFIXES+=("$PREFIX")
}

eal_common() { # PREFIX LCORES
	echo --lcores "$2" --no-huge -m 512 --no-pci --file-prefix "$1"
}

memif_vdev() { # ROLE SOCKET MAC
	echo "net_memif0,role=$1,socket=$2,socket-abstract=no,mac=$3"
}

# wait_ready PID LOG PATTERN: the process is up once PATTERN is in its log
wait_ready() {
	local pid=$1 logf=$2 pat=$3 i
	for ((i = 0; i < READY_WAIT * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { tail -20 "$logf" >&2; die "$logf: exited before it was ready"; }
		grep -q -- "$pat" "$logf" 2>/dev/null && return 0
		sleep 0.1
	done
	tail -20 "$logf" >&2
	die "$logf: not ready after $READY_WAIT s"
}

# ---- keys and configurations -----------------------------------------------

# a fresh 48-octet TWAMP Light key: hex for the generator, base64 for the config
(umask 077 && head -c 48 /dev/urandom >"$TMP/key.bin" &&
	od -An -v -tx1 "$TMP/key.bin" | tr -d ' \n' >"$TMP/key.hex")
KEY_B64=$(base64 -w0 "$TMP/key.bin")
rm -f "$TMP/key.bin"

write_config() { # MODE(unauthenticated|authenticated|encrypted) FILE [PORT [STAGES(true|false)]]
	install -m 600 -o root -g root /dev/null "$2"
	cat >>"$2" <<EOF
{
  "twamp-reflector:twamp-reflector": {
    "key-chain": { "key": [ { "key-id": "bench", "secret-key": "$KEY_B64" } ] },
    "session-reflector": { "light": { "reflector": [
      { "name": "bench", "udp-port": 862, "mode": "$1", "key-id": "bench" } ] } },
    "dataplane": {
      "session-socket": "$TMP/session.sock",
      "worker-lcore": [1],
      "stage-cycles": ${4:-false},
      "port": [ { "name": "${3:-net_memif0}", "rx-queues": 1, "address": [ "$PEER_IP/24" ] } ]
    }
  }
}
EOF
}
REPLAY_MAC=02:70:63:61:70:00
if [ "$STAGE" = all ]; then
	write_config unauthenticated "$TMP/open.json"
	write_config authenticated "$TMP/auth.json"
	write_config encrypted "$TMP/enc.json"
	write_config unauthenticated "$TMP/replay-open.json" net_pcap0
	write_config authenticated "$TMP/replay-auth.json" net_pcap0
	write_config encrypted "$TMP/replay-enc.json" net_pcap0
	# the stage runs: the same with dataplane/stage-cycles on
	write_config unauthenticated "$TMP/open-stages.json" net_memif0 true
	write_config authenticated "$TMP/auth-stages.json" net_memif0 true
	write_config unauthenticated "$TMP/replay-open-stages.json" net_pcap0 true
	write_config authenticated "$TMP/replay-auth-stages.json" net_pcap0 true

	# The replayed requests. DPDK's pcap driver gives its first port the
	# address 02:70:63:61:70:00 ("\x02pcap", then the port's index).
	for m in open auth enc; do
		"$PY" "$TOP/bench/replay_pcap.py" "$m" "$TMP/key.hex" "$SIZE" "$REPLAY_MAC" "$TMP/replay-$m.pcap" ||
			die "bench/replay_pcap.py $m failed"
	done
fi

# TWAMP-Control: the server with its default PBKDF2 Count (2^15) and limits,
# on loopback, installing sessions in a reflector whose data port (memif,
# nobody connected) stays idle
(umask 077 && head -c 24 /dev/urandom | base64 -w0 >"$TMP/ctl.secret")
CTL_SECRET_B64=$(base64 -w0 <"$TMP/ctl.secret")
# twamp-controld runs as a user of its own, whose group the session socket has
CTL_USER=twrb-$$-ctl
useradd -r -U -M -d /nonexistent -s /usr/sbin/nologin "$CTL_USER" || die "useradd $CTL_USER failed"
install -m 600 -o root -g root /dev/null "$TMP/control.json"
cat >>"$TMP/control.json" <<EOF
{
  "twamp-reflector:twamp-reflector": {
    "key-chain": { "key": [ { "key-id": "bench", "secret-key": "$CTL_SECRET_B64" } ] },
    "server": { "listen-address": [ "127.0.0.1" ], "server-tcp-port": $CTL_PORT,
                "user": "$CTL_USER" },
    "dataplane": {
      "session-socket": "$TMP/api/ctl-session.sock",
      "session-socket-group": "$CTL_USER",
      "worker-lcore": [1],
      "port": [ { "name": "net_memif0", "rx-queues": 1, "address": [ "127.0.0.1/8" ] } ]
    }
  }
}
EOF

mkdir -p "$TMP/res"

# ---- one case ----------------------------------------------------------------

# The memif ends (see BENCH_LINK): the peer's EAL option and port, the
# generator's role. A memif client needs its server's socket to exist, so
# with zero-copy the generator starts first.
peer_eal_extra() { if [ "$LINK" = zero-copy ]; then echo --single-file-segments; fi; }
peer_vdev() { # SOCKET
	if [ "$LINK" = zero-copy ]; then
		echo "$(memif_vdev client "$1" "$PEER_MAC"),zero-copy=yes"
	else
		memif_vdev server "$1" "$PEER_MAC"
	fi
}
gen_role() { if [ "$LINK" = zero-copy ]; then echo server; else echo client; fi; }

wait_socket() { # PATH
	local i
	for ((i = 0; i < READY_WAIT * 10; i++)); do
		[ -S "$1" ] && return 0
		kill -0 "$LG_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -20 "$TMP/lg-$CASE_NAME.log" >&2
	die "$1: the generator's memif socket did not appear"
}

# start_loadgen CASE RUN MODE PEER SOCKET: the generator in the background
# (bounded by timeout; PID in LG_PID), results in $TMP/res/CASE-RUN.json.
# It lingers idle after its results until the peer disconnects, so the peer
# is stopped first (lg_port_wait_down: neither side polls when the link
# goes); stop_peer_then_loadgen ends the pair.
start_loadgen() {
	local case=$1 run=$2 mode=$3 peer=$4 sock=$5
	CASE_NAME="$case-$run"
	new_prefix "lg-$case-$run"
	# shellcheck disable=SC2046
	timeout --kill-after=$STOP_WAIT $((WARMUP + SECS + 90)) \
		"$LOADGEN" $(eal_common "$PREFIX" "0@$PEER_CPU,1@$GEN_CPU") --no-telemetry \
		--vdev "$(memif_vdev "$(gen_role)" "$sock" "$GEN_MAC")" -- \
		--mode "$mode" --key-file "$TMP/key.hex" --size "$SIZE" --peer "$peer" \
		--src-ip "$GEN_IP" --dst-ip "$PEER_IP" --dst-mac "$PEER_MAC" --dst-port 862 \
		--duration "$SECS" --warmup "$WARMUP" --link-wait 15 --linger 20 \
		--json "$TMP/res/$case-$run.json" >"$TMP/lg-$case-$run.log" 2>&1 &
	LG_PID=$!
	PIDS+=("$LG_PID")
	if [ "$LINK" = zero-copy ]; then wait_socket "$sock"; fi
}

# The generator first if it is the memif server, the peer otherwise.
start_loadgen_before_peer() { if [ "$LINK" = zero-copy ]; then start_loadgen "$@"; fi; }
start_loadgen_after_peer() { if [ "$LINK" = copy ]; then start_loadgen "$@"; fi; }

# stop_peer_then_loadgen CASE RUN PEER_PID PEER_LOG: once the generator has
# its results (or has exited), stop the peer, then collect the generator
stop_peer_then_loadgen() {
	local i
	for ((i = 0; i < (WARMUP + SECS + 60) * 10; i++)); do
		grep -q 'twamp-loadgen: done;' "$TMP/lg-$1-$2.log" 2>/dev/null && break
		kill -0 "$LG_PID" 2>/dev/null || break
		sleep 0.1
	done
	stop_pid "$3"
	forget_pid "$3"
	finish_loadgen "$1" "$2" "$4"
}

# finish_loadgen CASE RUN PEER_LOG: on failure both logs' tails, as the
# temporary directory goes at exit
finish_loadgen() {
	local rc=0
	wait "$LG_PID" || rc=$?
	forget_pid "$LG_PID"
	grep 'twamp-loadgen:' "$TMP/lg-$1-$2.log" >&2 || true
	if [ $rc -ne 0 ] || [ ! -s "$TMP/res/$1-$2.json" ]; then
		tail -20 "$TMP/lg-$1-$2.log" >&2
		echo "--- the peer's log ($3):" >&2
		tail -20 "$3" >&2
		die "$1 run $2: the load generator failed (exit $rc)"
	fi
}

# case_testpmd FWD RUN: dpdk-testpmd as the peer, forward mode FWD:
#   macswap  swaps the MAC addresses: the I/O ceiling
#   csum     also recomputes the IPv4 and UDP checksums in software (memif
#            has no offload), so it reads the whole frame as a reflector
#            that checks the UDP checksum must; --eth-peer makes its MAC
#            rewrite a swap, so the generator's echo check holds
case_testpmd() {
	local fwd=$1 run=$2 sock="$TMP/tp-$1-$2.sock" logf="$TMP/tp-$1-$2.log" pid
	start_loadgen_before_peer "$fwd" "$run" open echo "$sock"
	new_prefix "tp-$fwd-$run"
	# testpmd's stdout goes to a file: line-buffer it so readiness shows
	# shellcheck disable=SC2046
	stdbuf -oL "$TESTPMD" $(eal_common "$PREFIX" "0@$GEN_CPU,1@$PEER_CPU") $(peer_eal_extra) \
		--vdev "$(peer_vdev "$sock")" -- \
		--forward-mode="$fwd" --eth-peer="0,$GEN_MAC" --auto-start --nb-cores=1 \
		--disable-link-check --total-num-mbufs=16384 --stats-period=3600 \
		--record-core-cycles >"$logf" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_ready "$pid" "$logf" "forwarding - ports="
	start_loadgen_after_peer "$fwd" "$run" open echo "$sock"
	stop_peer_then_loadgen "$fwd" "$run" "$pid" "$logf"   # testpmd's exit status is not a result
	# its busy cycles per forwarded packet over the whole run, printed when
	# it stops: "CPU cycles/packet=278.29 (total cycles=... / total macswap packets=...)"
	sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/{"cycles_per_packet": \1}/p' "$logf" |
		tail -1 >"$TMP/res/$fwd-$run.cycles.json"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

sleep_until() { # MS since the epoch
	local left=$(($1 - $(now_ms)))
	((left <= 0)) || sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
}

# telemetry PREFIX OUT: when (ms), then the reflector's worker and global
# counters, one JSON object per line
telemetry() {
	echo "{\"t_ms\": $(now_ms)}" >"$2"
	timeout 10 "$TELEMETRY" "$DPDK_RUN/$1/dpdk_telemetry.v2" /twamp/workers /twamp/stats \
		>>"$2" 2>&1 || true
}

# case_reflector MODE(open|auth|enc) RUN [TAG]: TAG -stages runs the
# configuration with dataplane/stage-cycles on, under the case name MODE-stages
case_reflector() {
	local mode=$1 run=$2 case=$1${3:-}
	local sock="$TMP/rf-$case-$2.sock" logf="$TMP/rf-$case-$2.log" pid
	local tel="$TMP/res/$case-$run.tel"
	new_prefix "rf-$case-$run"
	local rprefix=$PREFIX
	start_loadgen_before_peer "$case" "$run" "$mode" twamp "$sock"
	# shellcheck disable=SC2046
	"$REFLECTOR" $(eal_common "$rprefix" "0@$GEN_CPU,1@$PEER_CPU") $(peer_eal_extra) \
		--vdev "$(peer_vdev "$sock")" -- -c "$TMP/$case.json" >"$logf" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_ready "$pid" "$logf" "running:"
	local t0
	start_loadgen_after_peer "$case" "$run" "$mode" twamp "$sock"
	wait_ready "$LG_PID" "$TMP/lg-$case-$run.log" "sending"
	t0=$(now_ms)
	# the worker's cycles per packet over (most of) the measured window:
	# counters read once the warmup is over and again just before the end
	sleep_until $((t0 + WARMUP * 1000 + 300))
	telemetry "$rprefix" "$tel.0"
	sleep_until $((t0 + (WARMUP + SECS) * 1000 - 400))
	telemetry "$rprefix" "$tel.1"
	stop_peer_then_loadgen "$case" "$run" "$pid" "$logf"
	grep -E 'stopping:|error|refus' "$logf" >&2 || true
}

case_crypto() { # MODE(auth|enc) RUN
	timeout --kill-after=$STOP_WAIT $((SECS + 30)) taskset -c "$PEER_CPU" \
		"$CRYPTO" --mode "$1" --seconds "$SECS" --size "$SIZE" \
		--json "$TMP/res/crypto_$1-$2.json" 2>>"$TMP/crypto.log" ||
		{ cat "$TMP/crypto.log" >&2; die "twamp-crypto-bound --mode $1 failed"; }
	tail -1 "$TMP/crypto.log" >&2
}

# case_control RUN: sessions per second (client and server on the
# generator's CPU, like the control processes of a deployment that gives the
# data cores to the workers), with its reference, the session API alone
# (install and remove). Set-ups per second and their PBKDF2 bound are
# measured by the control-hostile stage, with all auth workers.
case_control() {
	local run=$1 logf="$TMP/ctl-rf-$1.log" clog="$TMP/ctl-$1.log" rpid cpid
	new_prefix "ctl-$run"
	# shellcheck disable=SC2046
	"$REFLECTOR" $(eal_common "$PREFIX" "0@$GEN_CPU,1@$PEER_CPU") \
		--vdev "$(memif_vdev server "$TMP/ctl-memif-$run.sock" "$PEER_MAC")" -- \
		-c "$TMP/control.json" >"$logf" 2>&1 &
	rpid=$!
	PIDS+=("$rpid")
	wait_ready "$rpid" "$logf" "running:"
	taskset -c "$GEN_CPU" "$CONTROLD" -c "$TMP/control.json" --session-socket "$TMP/api/ctl-session.sock" \
		--state-socket "$TMP/ctl-state.sock" >"$clog" 2>&1 &
	cpid=$!
	PIDS+=("$cpid")
	wait_ready "$cpid" "$clog" "running:"
	timeout $((SECS + 30)) taskset -c "$GEN_CPU" "$CTLRATE" --measure sessions --host 127.0.0.1 \
		--port "$CTL_PORT" --key-id bench --secret-file "$TMP/ctl.secret" --seconds "$SECS" \
		>"$TMP/res/control_sessions-$run.json" || { tail -20 "$clog" >&2; die "control sessions failed"; }
	cat "$TMP/res/control_sessions-$run.json" >&2
	stop_pid "$cpid"
	forget_pid "$cpid"
	timeout $((SECS + 30)) taskset -c "$GEN_CPU" "$CTLRATE" --measure api \
		--api-socket "$TMP/api/ctl-session.sock" --seconds "$SECS" >"$TMP/res/control_api-$run.json" ||
		die "session API reference failed"
	stop_pid "$rpid"
	forget_pid "$rpid"
	cat "$TMP/res/control_api-$run.json" >&2
}

# ---- TWAMP-Control under attack (stage control-hostile) ---------------------
#
# twamp-controld alone on 127.0.0.1:HOSTILE_PORT, a fresh one for every case,
# with the configuration an operator gets by default (max-connections 64,
# max-connections-per-client 8, max-pending-authentication 64,
# authentication-timeout 30 s, ip-block 5 failures in 60 s, every mode
# offered, PBKDF2 count 15, the auth workers' default, an empty ACL = any
# source) plus the bench KeyID. No reflector: set-ups need none (the
# server runs without its session API, and nobody asks for a session).
# Nothing is pinned: the server, the attacker and the good client share
# every CPU. The good client connects from 127.0.0.1, the attackers from
# other addresses of 127/8.

# hostile_config FILE [SERVER_LEAVES]: the configuration, with extra leaves
# for the server container (', "leaf": value ...')
hostile_config() {
	install -m 600 -o root -g root /dev/null "$1"
	cat >>"$1" <<EOF
{
  "twamp-reflector:twamp-reflector": {
    "key-chain": { "key": [ { "key-id": "bench", "secret-key": "$CTL_SECRET_B64" } ] },
    "server": { "listen-address": [ "127.0.0.1" ], "server-tcp-port": $HOSTILE_PORT,
                "user": "$CTL_USER"${2:-} }
  }
}
EOF
}

# The set-up rate's server: all auth workers, if this tree's server has the
# leaf (today's has one thread and no such leaf: the defaults then)
WORKERS_LEAF=""
if grep -Eq "^[[:space:]]*leaf $AUTH_WORKERS_LEAF \{" "$TOP/yang/twamp-reflector.yang"; then
	WORKERS_LEAF=$AUTH_WORKERS_LEAF
fi
hostile_workers_leaf() { [ -z "$WORKERS_LEAF" ] || echo ", \"$WORKERS_LEAF\": $AUTH_WORKERS"; }

# hostile_server NAME CONFIG: the server in the background (HS_PID)
hostile_server() {
	local logf="$TMP/hs-$1.log"
	"$CONTROLD" -c "$2" --session-socket "$TMP/hs-none.sock" --state-socket "$TMP/hs-$1.state" \
		>"$logf" 2>&1 &
	HS_PID=$!
	PIDS+=("$HS_PID")
	wait_ready "$HS_PID" "$logf" "running:"
}

# hostile_server_stop NAME: its operational state (counters) into
# res/hostile_state_NAME.json, then stop it
hostile_server_stop() {
	timeout 10 "$PY" - "$TMP/hs-$1.state" >"$TMP/res/hostile_state_$1.json" 2>/dev/null <<'EOF' || true
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
sys.stdout.write(s.makefile().read())
EOF
	kill -0 "$HS_PID" 2>/dev/null || { tail -20 "$TMP/hs-$1.log" >&2; die "twamp-controld ($1) died"; }
	stop_pid "$HS_PID"
	forget_pid "$HS_PID"
	echo "    server log: $(wc -l <"$TMP/hs-$1.log") lines, $(wc -c <"$TMP/hs-$1.log") octets" >&2
}

# good_client NAME: the paced, timed set-ups into res/hostile_latency_NAME.json
good_client() {
	timeout $((HOSTILE_SAMPLES * (HOSTILE_TIMEOUT_MS + HOSTILE_INTERVAL_MS) / 1000 + 30)) \
		"$CTLRATE" --measure latency --host 127.0.0.1 --port "$HOSTILE_PORT" --key-id bench \
		--secret-file "$TMP/ctl.secret" --samples "$HOSTILE_SAMPLES" \
		--interval-ms "$HOSTILE_INTERVAL_MS" --timeout-ms "$HOSTILE_TIMEOUT_MS" \
		>"$TMP/res/hostile_latency_$1.json" || die "the good client ($1) failed"
	"$PY" "$TOP/bench/bench_report.py" --summary "$TMP/res/hostile_latency_$1.json" >&2
}

# log_wait FILE PATTERN SECONDS: 0 once PATTERN is in FILE, 1 after SECONDS
log_wait() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# hostile_case CASE RUN [ATTACKER ARGS...]: a fresh server, the attacker
# (none for idle) given HOSTILE_RAMP seconds (open-hog: until it holds all
# its connections, at most HOSTILE_HOLD_WAIT s), the good client, then the
# attacker's counts (res/hostile_attack_CASE-RUN.json) and the server's
hostile_case() {
	local name="$1-$2" kind=$1 apid=""
	shift 2
	hostile_config "$TMP/hostile.json"
	hostile_server "$name" "$TMP/hostile.json"
	if [ $# -gt 0 ]; then
		"$CTLATTACK" --host 127.0.0.1 --port "$HOSTILE_PORT" --key-id bench \
			--seconds $((HOSTILE_SAMPLES * (HOSTILE_TIMEOUT_MS + HOSTILE_INTERVAL_MS) / 1000 + 60)) "$@" \
			>"$TMP/res/hostile_attack_$name.json" 2>"$TMP/at-$name.log" &
		apid=$!
		PIDS+=("$apid")
		wait_ready "$apid" "$TMP/at-$name.log" "running:"
		sleep "$HOSTILE_RAMP"
		if [ "$kind" = open_hog ] && ! log_wait "$TMP/at-$name.log" "holding all" "$HOSTILE_HOLD_WAIT"; then
			echo "    the open-hog does not hold all its connections after $HOSTILE_HOLD_WAIT s: measuring all the same" >&2
		fi
	fi
	good_client "$name"
	if [ -n "$apid" ]; then
		kill -0 "$apid" 2>/dev/null || { cat "$TMP/at-$name.log" >&2; die "the attacker ($name) died"; }
		stop_pid "$apid"
		forget_pid "$apid"
		echo "    attacker: $(cat "$TMP/res/hostile_attack_$name.json")" >&2
	fi
	hostile_server_stop "$name"
}

# hostile_rate RUN: set-ups per second against a server with all auth
# workers, from 2 x AUTH_WORKERS client threads (each from its own address,
# 127.0.2.1 on), then the PBKDF2 bound: AUTH_WORKERS threads of PBKDF2 alone
hostile_rate() {
	local run=$1
	hostile_config "$TMP/hostile-rate.json" "$(hostile_workers_leaf)"
	hostile_server "rate-$run" "$TMP/hostile-rate.json"
	timeout $((SECS + 30)) "$CTLRATE" --measure setups --host 127.0.0.1 --port "$HOSTILE_PORT" \
		--key-id bench --secret-file "$TMP/ctl.secret" --seconds "$SECS" \
		--threads $((2 * AUTH_WORKERS)) --src-first 127.0.2.1 >"$TMP/res/control_setups-$run.json" ||
		{ tail -20 "$TMP/hs-rate-$run.log" >&2; die "control set-ups failed"; }
	hostile_server_stop "rate-$run"
	timeout $((SECS + 30)) "$CTLRATE" --measure pbkdf2 --count-exp 15 --threads "$AUTH_WORKERS" \
		--seconds "$SECS" >"$TMP/res/control_pbkdf2-$run.json" || die "PBKDF2 reference failed"
	cat "$TMP/res/control_setups-$run.json" "$TMP/res/control_pbkdf2-$run.json" >&2
}

# the stage: every case in every run, the idle one first
control_hostile() {
	local r n=$HOSTILE_RUNS
	for ((r = 1; r <= n; r++)); do
		log "control-hostile run $r/$n: idle"
		hostile_case idle "$r"
		log "control-hostile run $r/$n: flood (20 connections, wrong tokens, rotating sources)"
		hostile_case flood "$r" --mode flood --conns 20 --retry-ms 100 --src-first 127.1.0.1
		log "control-hostile run $r/$n: slowloris (300 silent connections, rotating sources)"
		hostile_case slowloris "$r" --mode slowloris --conns 300 --retry-ms 1000 --src-first 127.64.0.1
		log "control-hostile run $r/$n: open-hog (64 open-mode connections from 8 addresses)"
		hostile_case open_hog "$r" --mode open-hog --conns 64 --sources 8 --retry-ms 1000 \
			--src-first 127.128.0.1
		log "control-hostile run $r/$n: set-ups per second ($AUTH_WORKERS auth workers) and the PBKDF2 bound"
		hostile_rate "$r"
	done
}

# ---- replay: one process, no link -------------------------------------------

replay_vdev() { echo "net_pcap0,rx_pcap=$TMP/replay-$1.pcap,infinite_rx=1"; }

# case_replay_testpmd RUN: testpmd macswap on the authenticated requests
case_replay_testpmd() {
	local run=$1 logf="$TMP/rp-tp-$1.log" pid
	new_prefix "rp-tp-$run"
	# shellcheck disable=SC2046
	stdbuf -oL "$TESTPMD" $(eal_common "$PREFIX" "0@$GEN_CPU,1@$PEER_CPU") \
		--vdev "$(replay_vdev auth)" -- \
		--forward-mode=macswap --auto-start --nb-cores=1 --disable-link-check \
		--total-num-mbufs=16384 --stats-period=3600 --record-core-cycles >"$logf" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_ready "$pid" "$logf" "forwarding - ports="
	sleep "$((WARMUP + SECS))"
	stop_pid "$pid"
	forget_pid "$pid"
	sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/{"cycles_per_packet": \1}/p' "$logf" |
		tail -1 >"$TMP/res/replay_macswap-$run.cycles.json"
}

# replay_run BIN MODE CONFIG NAME: one reflector binary on MODE's replay
# with CONFIG; its telemetry in $TMP/res/NAME.tel.0/.1
replay_run() {
	local bin=$1 mode=$2 config=$3 name=$4
	local logf="$TMP/$name.log" pid tel="$TMP/res/$name.tel"
	new_prefix "$name"
	# shellcheck disable=SC2046
	"$bin" $(eal_common "$PREFIX" "0@$GEN_CPU,1@$PEER_CPU") \
		--vdev "$(replay_vdev "$mode")" -- -c "$config" >"$logf" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_ready "$pid" "$logf" "running:"
	sleep "$WARMUP"
	telemetry "$PREFIX" "$tel.0"
	sleep "$SECS"
	telemetry "$PREFIX" "$tel.1"
	stop_pid "$pid"
	forget_pid "$pid"
	grep -E 'stopping:|error|refus' "$logf" >&2 || true
}

# case_replay MODE(open|auth|enc) RUN [TAG]: the reflector on the same
# replay (TAG as case_reflector's)
case_replay() {
	replay_run "$REFLECTOR" "$1" "$TMP/replay-$1${3:-}.json" "replay_$1${3:-}-$2"
}

# case_replay_base MODE RUN: the base commit's reflector (BENCH_BASE_REFLECTOR,
# built by ./run bench from bench/base-commit) on the same replay and config
case_replay_base() {
	replay_run "$BASE_REFLECTOR" "$1" "$TMP/replay-$1.json" "replay_$1-base-$2"
}

# the replays of one run, the tree's reflector and the base's interleaved,
# which goes first alternating from run to run
replays() { # RUN
	local m
	for m in open auth enc; do
		if [ -z "$BASE_REFLECTOR" ]; then
			case_replay "$m" "$1"
		elif (($1 % 2)); then
			case_replay "$m" "$1"
			case_replay_base "$m" "$1"
		else
			case_replay_base "$m" "$1"
			case_replay "$m" "$1"
		fi
	done
}

# ---- the runs ----------------------------------------------------------------

if [ "$STAGE" = all ]; then
	log "bench: $RUNS run(s) of ${SECS} s (+${WARMUP} s warmup), UDP payload $SIZE, memif $LINK, CPUs $GEN_CPU (generator) / $PEER_CPU (peer)"
	for ((r = 1; r <= RUNS; r++)); do
		for f in macswap csum; do
			log "run $r/$RUNS: testpmd $f"
			case_testpmd "$f" "$r"
		done
		for m in open auth enc; do
			log "run $r/$RUNS: twamp-reflector $m"
			case_reflector "$m" "$r"
		done
		log "run $r/$RUNS: crypto bound"
		case_crypto auth "$r"
		case_crypto enc "$r"
		log "run $r/$RUNS: TWAMP-Control (authenticated, Count 2^15)"
		case_control "$r"
		log "run $r/$RUNS: replay (testpmd macswap, twamp-reflector open/auth/enc${BASE_REFLECTOR:+, and the base commit})"
		case_replay_testpmd "$r"
		replays "$r"
		log "run $r/$RUNS: stages (twamp-reflector open/auth with dataplane/stage-cycles, memif and replay)"
		for m in open auth; do
			case_reflector "$m" "$r" -stages
			case_replay "$m" "$r" -stages
		done
	done
fi
log "control-hostile: $HOSTILE_RUNS run(s), $HOSTILE_SAMPLES good set-ups per case every $HOSTILE_INTERVAL_MS ms, on 127.0.0.1:$HOSTILE_PORT"
control_hostile

# ---- results -----------------------------------------------------------------

BENCH_MODEL=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
BENCH_NPROC=$(nproc)
BENCH_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
BENCH_KERNEL=$(uname -r)
BENCH_DPDK=$(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)
if [ "$STAGE" = all ]; then BENCH_OUT=$BUILD/bench.json; else BENCH_OUT=$BUILD/bench-$STAGE.json; fi
export BENCH_OUT BENCH_RES="$TMP/res" BENCH_RUNS="$RUNS" BENCH_SECONDS="$SECS" BENCH_STAGE="$STAGE"
export BENCH_HOSTILE_RUNS="$HOSTILE_RUNS" BENCH_AUTH_WORKERS="$AUTH_WORKERS" BENCH_AUTH_WORKERS_LEAF="$WORKERS_LEAF"
export BENCH_BASE_COMMIT="$BASE_COMMIT"
export BENCH_WARMUP="$WARMUP" BENCH_SIZE="$SIZE" BENCH_LINK="$LINK" BENCH_MODEL BENCH_NPROC BENCH_DATE BENCH_KERNEL BENCH_DPDK
"$PY" "$TOP/bench/bench_report.py"
