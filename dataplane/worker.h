/* A worker lcore: polls one RX queue of one data port and reflects.
 *
 *   rx burst ─▶ fast lane (lane.c): the common shape (IPv4, open / auth) ─▶ verify, build, stamp ─▶ tx burst
 *      │
 *      └─ the rest ─▶ classify ─┬─▶ test packets ─▶ verify ─▶ build reply ─▶ sign ─▶ stamp ─▶ tx burst
 *                               ├─▶ exception ─▶ TAP queue (kernel)
 *                               └─▶ drop (counted)
 *   TAP queue ─▶ data port (every TAP_POLL_US)
 */
#ifndef TWR_DP_WORKER_H
#define TWR_DP_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "counters.h"
#include "crypto_mb.h"
#include "dp_config.h"
#include "light.h"
#include "net_parse.h"
#include "sessions.h"

#define DP_MAX_BURST MB_MAX_BURST
#define TAP_POLL_US 100
#define TX_RETRIES 8

/* Where a worker's busy cycles go, when dataplane/stage-cycles is on: the
 * receive call, the fast lane's passes, and the general path (classify,
 * reflect, exception) as one. One TSC read per stage per burst. */
#define DP_STAGES(X) X(rx) X(take) X(auth) X(build) X(stamp) X(tx) X(general)
enum dp_stage {
#define DP_STAGE_ENUM(n) DP_ST_##n,
	DP_STAGES(DP_STAGE_ENUM)
#undef DP_STAGE_ENUM
	DP_ST_COUNT
};

/* A data port as the workers see it. */
struct dp_port {
	uint16_t port_id;
	uint16_t tap_id;             /* UINT16_MAX: no exception port */
	struct rte_ether_addr mac;
	const struct dp_port_cfg *cfg;
};

struct dp_worker {
	unsigned idx;                /* counters slot and RCU thread id */
	unsigned lcore;
	uint16_t queue;              /* RX/TX queue on the data port and on the TAP */
	uint16_t burst;
	const struct dp_port *port;
	IMB_MGR *mb;
	struct dp_gcounters *gc;
	struct dp_scounters *sc;     /* this worker's per-session slots */
	struct light_worker_state light;
	uint16_t errest;             /* our Error Estimate, wire value */
	uint64_t tap_poll_tsc;
	uint64_t next_tap_poll;
	uint64_t next_sweep;
	/* figures for the benchmark: cycles spent on bursts that held packets */
	uint64_t busy_cycles;
	uint64_t busy_packets;
	uint64_t busy_bursts;
	bool stages_on;              /* dataplane/stage-cycles */
	uint64_t stage_cycles[DP_ST_COUNT];
} __rte_cache_aligned;

/* Add the cycles since *t to stage s and move *t on; nothing when off. */
static inline void stage_mark(struct dp_worker *w, enum dp_stage s, uint64_t *t)
{
	uint64_t now;

	if (!w->stages_on)
		return;
	now = rte_rdtsc();
	w->stage_cycles[s] += now - *t;
	*t = now;
}

/* One test packet on its way through the burst. */
struct tp {
	struct rte_mbuf *m;
	uint8_t *frame;
	uint8_t *payload;
	struct np_info info;
	const struct tw_layout *snd_l;
	const struct tw_layout *refl_l;
	const struct mb_keys *keys;
	struct dp_scounters *sc;     /* NULL for Light */
	const struct dp_light *light;
	uint8_t sec;
	int8_t dscp;
	uint16_t reflect_len;
	uint16_t reply_len;          /* UDP payload */
	uint16_t frame_len;
	/* the UDP checksum carried from the request (np_udp_csum_verify_carry):
	 * the reply changes payload octets [0, csum_pre) only; csum_pre 0: the
	 * reply's length differs, so its checksum is computed in full */
	uint16_t csum_pre;
	uint64_t csum_carry;
	/* authenticated mode: block 0 of the request as received (ciphertext and
	 * tag) and decrypted, to reuse when the reply's block 0 is the same */
	uint8_t blk0_ct[16];
	uint8_t blk0_tag[16];
	uint8_t blk0_pt[16];
};

extern volatile bool dp_quit;

int worker_main(void *arg);

/* classify.c: sort a burst into test packets, exception frames and drops.
 * Returns the number of test packets in tps; exception frames in exc. */
unsigned classify_burst(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n, struct tp *tps,
			struct rte_mbuf **exc, unsigned *nexc, uint64_t now);

/* classify.c: the installed session a packet belongs to, or NULL */
struct dp_session *session_lookup(const struct np_info *in);

/* lane.c: reflect the common-shape TWAMP Light requests of a burst; the
 * others go to rest for classify_burst. Returns how many are in rest.
 * *t: the stage clock (stage_mark). */
unsigned lane_burst(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n, struct rte_mbuf **rest,
		    uint64_t now, uint64_t *t);

/* reflect.c: verify, build, sign, stamp and send the test packets. */
/* Both paths: the burst's transmit timestamp in wire form, and its RFC 1624
 * checksum delta against the zero the replies hold until then; */
uint64_t tx_stamp(uint64_t *delta);
/* send replies out[0, n) (sc[i]: out[i]'s session counters, or NULL) and
 * count them; what the TX queue does not take is freed and counted. */
void tx_replies(struct dp_worker *w, struct rte_mbuf **out, struct dp_scounters **sc, unsigned n);
void reflect_burst(struct dp_worker *w, struct tp *tps, unsigned n, uint64_t rx_tsc);

/* exception.c */
void exception_to_kernel(struct dp_worker *w, struct rte_mbuf **exc, unsigned n);
void exception_from_kernel(struct dp_worker *w);

/* local addresses of the port */
bool dp_port_is_local(const struct dp_port *p, uint8_t ipver, const uint8_t *addr);

#endif
