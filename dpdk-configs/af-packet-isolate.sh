#!/bin/sh
# Keep the kernel off an interface that twamp-reflector drives through
# af_packet, as if the interface were a NIC bound to DPDK. af_packet only
# copies frames; the kernel still sees them and, with the reflector's
# addresses on the TAP exception interface, would answer too (weak host
# model): duplicate ARP and ICMP replies, ICMP port unreachable for test
# packets. Run it in the reflector's network namespace, before starting it:
#
#   af-packet-isolate.sh IFACE
#
#  - no address of its own, no IPv6 on it;
#  - strict reverse-path filtering: the route back to a sender is via the
#    TAP, so IPv4 arriving on IFACE is dropped by the kernel;
#  - no ARP replies from it (arp_ignore 8);
#  - up.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 IFACE" >&2; exit 2; }
ifc=$1
[ -d "/sys/class/net/$ifc" ] || { echo "$0: no interface $ifc" >&2; exit 1; }
ip addr flush dev "$ifc"
sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" "net.ipv4.conf.$ifc.rp_filter=1" \
	"net.ipv4.conf.all.rp_filter=1" "net.ipv4.conf.$ifc.arp_ignore=8"
ip link set "$ifc" up
