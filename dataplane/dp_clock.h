/* Timestamps on the fast path: TSC converted to NTP format with a
 * calibration (TSC, CLOCK_REALTIME pair and rate) that the main lcore
 * refreshes every second under a seqlock. Workers read the TSC once per
 * burst and never make a system call. */
#ifndef TWR_DP_CLOCK_H
#define TWR_DP_CLOCK_H

#include <stdint.h>

#include <rte_cycles.h>
#include <rte_seqlock.h>

struct dp_clock {
	rte_seqlock_t lock;
	uint64_t base_tsc;
	uint64_t base_ntp;        /* NTP time at base_tsc */
	uint64_t ntp_per_tsc_q32; /* NTP units (2^-32 s) per TSC tick, Q32 */
	uint64_t hz;
};

extern struct dp_clock dp_clock;

/* Measure the TSC rate against CLOCK_MONOTONIC_RAW and set the base. */
int dp_clock_init(void);
/* Re-anchor to CLOCK_REALTIME (main lcore, about once a second). */
void dp_clock_update(void);

static inline uint64_t dp_clock_ntp(uint64_t tsc)
{
	uint64_t base_tsc, base_ntp, mult;
	uint32_t sn;

	do {
		sn = rte_seqlock_read_begin(&dp_clock.lock);
		base_tsc = dp_clock.base_tsc;
		base_ntp = dp_clock.base_ntp;
		mult = dp_clock.ntp_per_tsc_q32;
	} while (rte_seqlock_read_retry(&dp_clock.lock, sn));
	/* a TSC read on another core may be a few ticks behind the base */
	if (tsc < base_tsc)
		return base_ntp - (uint64_t)(((unsigned __int128)(base_tsc - tsc) * mult) >> 32);
	return base_ntp + (uint64_t)(((unsigned __int128)(tsc - base_tsc) * mult) >> 32);
}

static inline uint64_t dp_clock_now(void)
{
	return dp_clock_ntp(rte_rdtsc());
}

#endif
