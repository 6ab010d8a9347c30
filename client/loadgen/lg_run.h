/* The generator's worker: one lcore sends the pool's packets as fast as the
 * port takes them and receives, counts and checks the replies.
 *
 *   loop until warmup + duration:
 *     tx burst of 32 templates, by reference (lg_pool.h)
 *     rx bursts (up to LG_RX_ROUNDS):
 *       every reply:   quick header check (the same work whatever answers, so that a
 *                      generator-bound run costs a reflector and testpmd alike)
 *       every Nth:     full check (parse, checksum, tw_unprotect, echoed sender fields)
 *                      and, from a reflector, residence T3 - T2
 *   statistics are zeroed when the warmup ends: every figure covers the measured window */
#ifndef TWR_LG_RUN_H
#define TWR_LG_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "lg_hist.h"
#include "lg_opts.h"
#include "lg_pool.h"

#define LG_BURST 32
#define LG_RX_ROUNDS 4
#define LG_DRAIN_MS 100

struct lg_stats {
	uint64_t tx;               /* frames the port accepted */
	uint64_t tx_calls;         /* tx bursts tried */
	uint64_t tx_short;         /* tx bursts the port did not take whole (back-pressure) */
	uint64_t rx;               /* frames received */
	uint64_t replies;          /* frames that passed the quick reply check */
	uint64_t rx_other;         /* frames that did not */
	uint64_t verified_ok, verified_bad;
	uint64_t residence_negative; /* T3 < T2: counted, not in the histogram */
	struct lg_hist residence;  /* ns */
};

struct lg_run {
	const struct lg_opts *o;
	const struct lg_pool *pool;
	const struct tw_layout *refl;
	uint16_t reply_len;        /* expected reply UDP payload */
	uint32_t next;             /* next pool entry to send */
	uint32_t verify_ctr;
	uint64_t hz;
	uint64_t window_cycles;    /* length of the measured window */
	bool measured;             /* the window was reached */
	volatile bool quit;        /* set by the main lcore (signal, overrun) */
	volatile bool done;        /* set by the worker when it returns */
	struct lg_stats st;
};

void lg_run_init(struct lg_run *r, const struct lg_opts *o, const struct lg_pool *pool);
/* rte_eal_remote_launch entry; arg is struct lg_run *. */
int lg_worker(void *arg);

/* lg_rx.c: one received frame. */
void lg_rx_frame(struct lg_run *r, const uint8_t *f, uint16_t len);

#endif
