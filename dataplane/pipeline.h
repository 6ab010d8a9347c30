/* The reflect pipeline: a received burst from RX to TX (pipeline.c). */
#ifndef TWR_DP_PIPELINE_H
#define TWR_DP_PIPELINE_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dp_worker.h"

/* Reflect, pass to the kernel or drop (counted) each of pkts[0, n), which
 * the worker received at TSC now: the plain instantiation first, the
 * general one for what the plain one deferred. */
void pipeline_burst(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n, uint64_t now);

/* The general instantiation alone over pkts[0, n): the reference the plain
 * one is held to (tests/dataplane/test_pipeline.c). Same verdicts, replies
 * and counters as pipeline_burst, but for the fast_lane counter. */
void pipeline_burst_general(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n, uint64_t now);

#endif
