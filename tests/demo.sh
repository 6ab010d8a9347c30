#!/usr/bin/env bash
# ./run demo: a reflector and a client on one machine, no NIC, no hugepages.
#
#   namespace twr-demo-c                 namespace twr-demo-r
#   twamp-client ── veth 10.99.0.1 ═══ veth (af_packet) ── twamp-reflector (DPDK)
#                                                               │ exception path
#                                                               └─ TAP tw0 10.99.0.2 (kernel: ARP, ICMP)
#
# The reflector runs a TWAMP Light reflector in authenticated mode with a
# key generated for this run; the client measures it and prints its table.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
BUILD=${TWR_BUILD:-$TOP/build}
COUNT=${DEMO_COUNT:-1000}
NS_C=twr-demo-c NS_R=twr-demo-r
TMP=$(mktemp -d /tmp/twr-demo.XXXXXX)
REFL_PID=""

cleanup() {
	if [ -n "$REFL_PID" ] && kill -0 "$REFL_PID" 2>/dev/null; then
		kill -TERM "$REFL_PID"
		for _ in $(seq 50); do kill -0 "$REFL_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$REFL_PID" 2>/dev/null || true
	fi
	ip netns del "$NS_C" 2>/dev/null || true
	ip netns del "$NS_R" 2>/dev/null || true
	rm -rf "$TMP" /var/run/dpdk/twr-demo
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

# a key for this run only: test AES key (16) ‖ test HMAC key (32)
umask 077
read -r KEY_HEX KEY_B64 < <(/usr/bin/python3 -c \
	'import base64, os; k = os.urandom(48); print(k.hex(), base64.b64encode(k).decode())')
printf '%s\n' "$KEY_HEX" >"$TMP/light.key"
cat >"$TMP/reflector.json" <<EOF
{
  "twamp-reflector:twamp-reflector": {
    "key-chain": { "key": [ { "key-id": "demo", "secret-key": "$KEY_B64" } ] },
    "session-reflector": { "light": { "reflector": [
      { "name": "demo-auth", "udp-port": 862, "mode": "authenticated", "key-id": "demo" }
    ] } },
    "dataplane": {
      "session-socket": "$TMP/session.sock",
      "mbufs": 4095,
      "port": [ { "name": "net_af_packet0", "exception-interface": "tw0",
                  "address": [ "10.99.0.2/24" ] } ]
    }
  }
}
EOF

echo "==> reflector: twamp-reflector on af_packet (DPDK --no-huge), authenticated TWAMP Light on UDP 862"
ip netns exec "$NS_R" "$BUILD/dataplane/twamp-reflector" --no-huge -m 512 --no-pci -l 0,1 \
	--file-prefix twr-demo --log-level lib.eal:error \
	--vdev net_af_packet0,iface=twr-demo1 -- -c "$TMP/reflector.json" >"$TMP/reflector.log" 2>&1 &
REFL_PID=$!
for _ in $(seq 100); do
	grep -q 'running' "$TMP/reflector.log" && break
	kill -0 "$REFL_PID" 2>/dev/null || { cat "$TMP/reflector.log" >&2; exit 1; }
	sleep 0.1
done
grep -q 'running' "$TMP/reflector.log" || { cat "$TMP/reflector.log" >&2; exit 1; }
for _ in $(seq 20); do ip netns exec "$NS_C" ping -c1 -W1 10.99.0.2 >/dev/null 2>&1 && break; done

echo "==> client: twamp-client light -m auth -c $COUNT -i 0.001 10.99.0.2"
echo
ip netns exec "$NS_C" "$BUILD/client/twamp-client" light -m auth -k "$TMP/light.key" \
	-c "$COUNT" -i 0.001 -s 112 10.99.0.2

echo
echo "==> reflector counters (dpdk-telemetry.py -f twr-demo, /twamp/stats)"
echo /twamp/stats | dpdk-telemetry.py -f twr-demo 2>/dev/null | grep -o '{"/twamp/stats.*' |
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)["/twamp/stats"]
print("  " + ", ".join(f"{k} {d[k]}" for k in ("rx_packets","reflected","auth_failures","malformed","exception_to_kernel","exception_from_kernel","tx_drops")))'
