/* NTP 64-bit timestamps: conversions and wire access (see ntp_time.h).
 *
 * Fractions are converted with round-to-nearest, so nanoseconds -> NTP ->
 * nanoseconds is exact (2^-32 s is finer than 1 ns).
 *
 * Eras: the 32-bit seconds field wraps in 2036. Converting to Unix time
 * takes (NTP seconds - 2208988800) modulo 2^32, which maps every timestamp
 * into 1970-01-01 .. 2106-02-07: era 0 before 2036, era 1 after it.
 */
#include <stdbool.h>

#include "byteorder.h"
#include "ntp_time.h"

#define NS_PER_S 1000000000ULL
#define FRAC_HALF 0x80000000ULL

static inline uint32_t frac_from_ns(uint64_t ns) /* ns < 1e9 */
{
	return (uint32_t)(((ns << 32) + NS_PER_S / 2) / NS_PER_S);
}

/* may return 1e9 for fractions just below 1 s: callers carry */
static inline uint64_t ns_from_frac(uint32_t frac)
{
	return ((uint64_t)frac * NS_PER_S + FRAC_HALF) >> 32;
}

uint64_t ntp_from_unix_ns(uint64_t unix_ns)
{
	uint64_t sec = unix_ns / NS_PER_S;
	uint32_t ntp_sec = (uint32_t)(sec + NTP_UNIX_OFFSET);

	return (uint64_t)ntp_sec << 32 | frac_from_ns(unix_ns % NS_PER_S);
}

uint64_t ntp_to_unix_ns(uint64_t ntp)
{
	uint32_t unix_sec = (uint32_t)((ntp >> 32) - NTP_UNIX_OFFSET);

	return (uint64_t)unix_sec * NS_PER_S + ns_from_frac((uint32_t)ntp);
}

uint64_t ntp_from_timespec(const struct timespec *ts)
{
	uint32_t ntp_sec = (uint32_t)((uint64_t)ts->tv_sec + NTP_UNIX_OFFSET);
	uint64_t nsec = ts->tv_nsec < 0 ? 0 : (uint64_t)ts->tv_nsec;

	if (nsec >= NS_PER_S)
		nsec = NS_PER_S - 1;
	return (uint64_t)ntp_sec << 32 | frac_from_ns(nsec);
}

void ntp_to_timespec(uint64_t ntp, struct timespec *ts)
{
	uint64_t ns = ntp_to_unix_ns(ntp);

	ts->tv_sec = (time_t)(ns / NS_PER_S);
	ts->tv_nsec = (long)(ns % NS_PER_S);
}

/* a - b as a signed 32.32 fixed-point value, converted to nanoseconds */
int64_t ntp_diff_ns(uint64_t a, uint64_t b)
{
	uint64_t d = a - b;
	bool neg = d >> 63;
	uint64_t mag = neg ? ~d + 1 : d;
	uint64_t ns = (mag >> 32) * NS_PER_S + ns_from_frac((uint32_t)mag);

	return neg ? -(int64_t)ns : (int64_t)ns;
}

/* Durations larger than 2^32 s saturate. */
uint64_t ntp_from_duration_ns(uint64_t ns)
{
	uint64_t sec = ns / NS_PER_S;
	uint64_t frac = frac_from_ns(ns % NS_PER_S);

	if (sec > UINT32_MAX)
		return UINT64_MAX;
	return sec << 32 | frac;
}

uint64_t ntp_duration_to_ns(uint64_t ntp)
{
	return (ntp >> 32) * NS_PER_S + ns_from_frac((uint32_t)ntp);
}

uint64_t ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ntp_from_timespec(&ts);
}

void ntp_put(uint8_t *p, uint64_t ntp)
{
	be64_put(p, ntp);
}

uint64_t ntp_get(const uint8_t *p)
{
	return be64_get(p);
}
