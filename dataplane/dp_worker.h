/* A worker's state: its port and queue, crypto manager, counters, Light
 * sender table and stage clock; what the pipeline's stages may touch. The
 * loop that owns it is worker.c. */
#ifndef TWR_DP_DP_WORKER_H
#define TWR_DP_DP_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "counters.h"
#include "crypto_mb.h"
#include "dp_config.h"
#include "light.h"
#include "port.h"
#include "sessions.h"

#define DP_MAX_BURST MB_MAX_BURST
#define TX_RETRIES 8

/* Where a worker's busy cycles go, when dataplane/stage-cycles is on: the
 * receive call, the passes of the plain instantiation of the pipeline
 * (take, auth: verify, build: build and sign, stamp, tx), and its general
 * instantiation as one. One TSC read per stage per burst. */
#define DP_STAGES(X) X(rx) X(take) X(auth) X(build) X(stamp) X(tx) X(general)
enum dp_stage {
#define DP_STAGE_ENUM(n) DP_ST_##n,
	DP_STAGES(DP_STAGE_ENUM)
#undef DP_STAGE_ENUM
	DP_ST_COUNT
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

#endif
