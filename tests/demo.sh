#!/usr/bin/env bash
# ./run demo: a reflector, its control server and a client on one machine, no NIC,
# no hugepages.
#
#   namespace twr-demo-c                 namespace twr-demo-r
#   twamp-client ── veth 10.99.0.1 ═══ veth (af_packet) ── twamp-reflector (DPDK)
#                                                               │ exception path
#                                                               └─ TAP tw0 10.99.0.2 (kernel: ARP, ICMP, TCP)
#                                                                     └─ twamp-controld, TCP 862
#                                                                        (installs sessions over the
#                                                                         reflector's session API)
#
# Both daemons read one configuration file (root-owned, 0600) with keys made
# for this run. The client measures twice and prints its tables:
#   1. TWAMP Light in authenticated mode (UDP 862, the test keys provisioned
#      on both ends: KeyID demo-light);
#   2. full TWAMP in authenticated mode: TWAMP-Control with twamp-controld
#      (KeyID demo, a passphrase), one test session reflected by the dataplane;
#      then the control server's log lines for that connection.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
BUILD=${TWR_BUILD:-$TOP/build}
# the build tree's binaries read the YANG modules from here (no compiled-in path)
export TWR_YANG_DIR=${TWR_YANG_DIR:-$TOP/yang}
COUNT=${DEMO_COUNT:-1000}
NS_C=twr-demo-c NS_R=twr-demo-r
TMP=$(mktemp -d /tmp/twr-demo.XXXXXX)
REFL_PID="" CTLD_PID="" CTL_USER=""

# SIGTERM, up to 5 s, then SIGKILL: one process, by its PID
stop_pid() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1"
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
}

# wait up to 10 s for a line matching regex $2 in log $1 while PID $3 runs
wait_log() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "$2" "$1" || { cat "$1" >&2; return 1; }
}

cleanup() {
	stop_pid "$CTLD_PID"        # first: it removes its sessions from the reflector
	stop_pid "$REFL_PID"
	ip netns del "$NS_C" 2>/dev/null || true
	ip netns del "$NS_R" 2>/dev/null || true
	rm -rf "$TMP" /var/run/dpdk/twr-demo
	[ -z "$CTL_USER" ] || userdel "$CTL_USER" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces, DPDK)" >&2; exit 2; }
for ns in "$NS_C" "$NS_R"; do ip netns del "$ns" 2>/dev/null || true; done

echo "==> network: $NS_C (client, 10.99.0.1) <-veth-> $NS_R (reflector, 10.99.0.2 on TAP tw0)"
ip netns add "$NS_C"
ip netns add "$NS_R"
ip link add twr-demo0 type veth peer name twr-demo1
ip link set twr-demo0 netns "$NS_C"
ip link set twr-demo1 netns "$NS_R"
ip -n "$NS_C" link set lo up
ip -n "$NS_R" link set lo up
ip -n "$NS_C" addr add 10.99.0.1/24 dev twr-demo0
ip -n "$NS_C" link set twr-demo0 up
ip netns exec "$NS_C" ethtool -K twr-demo0 tx off >/dev/null   # finished UDP checksums on the wire
# the reflector's interface belongs to DPDK: keep the kernel off it
ip netns exec "$NS_R" "$TOP/dpdk-configs/af-packet-isolate.sh" twr-demo1

# keys for this run only (umask 077: every file here is 0600, owned by root)
#   demo-light  TWAMP Light test keys: AES key (16) ‖ HMAC key (32); light.key holds them in hex
#   demo        the TWAMP-Control shared secret, a passphrase; demo.secret holds it
umask 077
# the control server gives up root for a user of its own, the session
# socket's group: it must reach $TMP/api/session.sock
CTL_USER=twr-demo-$$
useradd -r -U -M -d /nonexistent -s /usr/sbin/nologin "$CTL_USER"
chmod 711 "$TMP"
read -r KEY_HEX KEY_B64 PASS PASS_B64 < <(/usr/bin/python3 -c '
import base64, os, secrets
k, p = os.urandom(48), secrets.token_urlsafe(18)
print(k.hex(), base64.b64encode(k).decode(), p, base64.b64encode(p.encode()).decode())')
printf '%s\n' "$KEY_HEX" >"$TMP/light.key"
printf '%s\n' "$PASS" >"$TMP/demo.secret"
cat >"$TMP/twamp-reflector.json" <<EOF
{
  "twamp-reflector:twamp-reflector": {
    "key-chain": { "key": [
      { "key-id": "demo-light", "secret-key": "$KEY_B64" },
      { "key-id": "demo", "secret-key": "$PASS_B64" }
    ] },
    "session-reflector": { "light": { "reflector": [
      { "name": "demo-auth", "udp-port": 862, "mode": "authenticated", "key-id": "demo-light" }
    ] } },
    "server": { "listen-address": [ "10.99.0.2" ], "user": "$CTL_USER" },
    "dataplane": {
      "session-socket": "$TMP/api/session.sock",
      "session-socket-group": "$CTL_USER",
      "mbufs": 4095,
      "port": [ { "name": "net_af_packet0", "exception-interface": "tw0",
                  "address": [ "10.99.0.2/24" ] } ]
    }
  }
}
EOF
CONFIG=$TMP/twamp-reflector.json

echo "==> reflector: twamp-reflector on af_packet (DPDK --no-huge), authenticated TWAMP Light on UDP 862"
ip netns exec "$NS_R" "$BUILD/dataplane/twamp-reflector" --no-huge -m 512 --no-pci -l 0,1 \
	--file-prefix twr-demo --log-level lib.eal:error \
	--vdev net_af_packet0,iface=twr-demo1 -- -c "$CONFIG" >"$TMP/reflector.log" 2>&1 &
REFL_PID=$!
wait_log "$TMP/reflector.log" 'running' "$REFL_PID"
for _ in $(seq 20); do ip netns exec "$NS_C" ping -c1 -W1 10.99.0.2 >/dev/null 2>&1 && break; done

echo "==> control server: twamp-controld on 10.99.0.2 TCP 862 (through tw0), same configuration file"
ip netns exec "$NS_R" "$BUILD/control/twamp-controld" -c "$CONFIG" \
	--session-socket "$TMP/api/session.sock" --state-socket "$TMP/controld/state.sock" \
	>/dev/null 2>"$TMP/controld.log" &
CTLD_PID=$!
wait_log "$TMP/controld.log" 'twamp-controld .* running' "$CTLD_PID"

echo
echo "==> 1. TWAMP Light: twamp-client light -m auth -k light.key -c $COUNT -i 0.001 -s 112 10.99.0.2"
echo
ip netns exec "$NS_C" "$BUILD/client/twamp-client" light -m auth -k "$TMP/light.key" \
	-c "$COUNT" -i 0.001 -s 112 10.99.0.2

echo
echo "==> 2. TWAMP: twamp-client twamp -m auth --key-id demo --secret-file demo.secret" \
	"-c $COUNT -i 0.001 -s 112 10.99.0.2"
echo
ip netns exec "$NS_C" "$BUILD/client/twamp-client" twamp -m auth --key-id demo \
	--secret-file "$TMP/demo.secret" -c "$COUNT" -i 0.001 -s 112 10.99.0.2

echo
echo "==> control server log for that connection"
wait_log "$TMP/controld.log" 'connection closed: peer=10\.99\.0\.1' "$CTLD_PID"
grep 'peer=10\.99\.0\.1' "$TMP/controld.log" | sed 's/^twamp-controld: /  /'

echo
echo "==> reflector counters (dpdk-telemetry.py -f twr-demo, /twamp/stats)"
echo /twamp/stats | dpdk-telemetry.py -f twr-demo 2>/dev/null | grep -o '{"/twamp/stats.*' |
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)["/twamp/stats"]
print("  " + ", ".join(f"{k} {d[k]}" for k in ("rx_packets","reflected","auth_failures","malformed","exception_to_kernel","exception_from_kernel","tx_drops")))'
