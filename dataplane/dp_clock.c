#include <time.h>

#include "dp_clock.h"
#include "ntp_time.h"

struct dp_clock dp_clock = { .lock = RTE_SEQLOCK_INITIALIZER };

static uint64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* TSC rate over ~100 ms of CLOCK_MONOTONIC_RAW: more precise than the
 * EAL's estimate, which may come from /proc or a short sleep. */
static uint64_t measure_hz(void)
{
	uint64_t t0 = ts_ns(CLOCK_MONOTONIC_RAW), c0 = rte_rdtsc_precise();
	struct timespec d = { 0, 100 * 1000 * 1000 };
	uint64_t t1, c1;

	nanosleep(&d, NULL);
	t1 = ts_ns(CLOCK_MONOTONIC_RAW);
	c1 = rte_rdtsc_precise();
	if (t1 <= t0 || c1 <= c0)
		return rte_get_tsc_hz();
	return (uint64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0));
}

/* One (TSC, REALTIME) pair, taking the closest of a few tries so that a
 * preemption between the two reads does not skew it. */
static void sample(uint64_t *tsc, uint64_t *ntp)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		uint64_t a = rte_rdtsc_precise();
		uint64_t rt = ts_ns(CLOCK_REALTIME);
		uint64_t b = rte_rdtsc_precise();

		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ntp = ntp_from_unix_ns(rt);
		}
	}
}

void dp_clock_update(void)
{
	uint64_t tsc = 0, ntp = 0;

	sample(&tsc, &ntp);
	rte_seqlock_write_lock(&dp_clock.lock);
	dp_clock.base_tsc = tsc;
	dp_clock.base_ntp = ntp;
	rte_seqlock_write_unlock(&dp_clock.lock);
}

int dp_clock_init(void)
{
	uint64_t hz = measure_hz();

	if (hz == 0)
		return -1;
	rte_seqlock_write_lock(&dp_clock.lock);
	dp_clock.hz = hz;
	/* 2^64 / hz: NTP units per tick in Q32 */
	dp_clock.ntp_per_tsc_q32 = (uint64_t)(((unsigned __int128)1 << 64) / hz);
	rte_seqlock_write_unlock(&dp_clock.lock);
	dp_clock_update();
	return 0;
}
