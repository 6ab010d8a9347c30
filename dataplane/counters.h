/* Counters. Global ones live in one slot per worker (no sharing on the fast
 * path) and are summed on read; per-session ones likewise (sessions.h). */
#ifndef TWR_DP_COUNTERS_H
#define TWR_DP_COUNTERS_H

#include <stdint.h>

#include <rte_common.h>

/* X(name, help): one list so the struct, telemetry and the log agree. */
#define DP_GLOBAL_COUNTERS(X)                                                        \
	X(rx_packets, "frames received on data ports")                                 \
	X(fast_lane, "of those, test packets the plain copy took (pipeline.c)")        \
	X(reflected, "test packets reflected")                                         \
	X(auth_failures, "test packets failing HMAC verification (dropped)")           \
	X(malformed, "malformed frames or test packets too short for their mode")     \
	X(no_session, "packets to a session test port from an unknown 5-tuple")       \
	X(unknown_sender, "TWAMP Light packets from a sender not allowed")             \
	X(not_started, "packets for a session installed but not started")            \
	X(bad_checksum, "test packets with a bad UDP checksum (dropped)")             \
	X(ip_options, "IPv4 options / IPv6 extension headers (to exception path)")    \
	X(fragments, "IP fragments (to exception path)")                               \
	X(not_for_us, "unicast frames for another MAC address (dropped)")              \
	X(exception_to_kernel, "frames passed to the TAP exception port")              \
	X(exception_from_kernel, "frames from the TAP exception port sent out")        \
	X(exception_drops, "exception frames dropped (no TAP or TAP full)")            \
	X(light_state_full, "stateful Light packets dropped: per-sender table full")   \
	X(light_state_evicted, "stateful Light senders forgotten, least recent first, for new ones") \
	X(oversized, "test packets too large to reflect (dropped)")                    \
	X(tx_drops, "replies dropped because the TX queue stayed full")

struct dp_gcounters {
#define DP_CTR_FIELD(n, h) uint64_t n;
	DP_GLOBAL_COUNTERS(DP_CTR_FIELD)
#undef DP_CTR_FIELD
} __rte_cache_aligned;

/* Per-session counters, one slot per worker. */
struct dp_scounters {
	uint64_t rx;
	uint64_t reflected;
	uint64_t auth_fail;
	uint64_t malformed;
	uint64_t tx_drop;
	uint64_t last_rx_tsc;
	uint32_t seq;       /* the reflector's own sequence number for this session */
	uint32_t pad;
} __rte_cache_aligned;

#endif
