/* NTP timestamp conversions (ntp_time.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "ntp_time.h"

#define NS 1000000000ull
#define NTP(sec, frac) ((uint64_t)(sec) << 32 | (uint32_t)(frac))

static void test_epochs(void **state)
{
	(void)state;
	/* 1970-01-01 is NTP second 2208988800 = 0x83aa7e80 */
	assert_true(ntp_from_unix_ns(0) == NTP(0x83aa7e80u, 0));
	assert_true(ntp_to_unix_ns(NTP(0x83aa7e80u, 0)) == 0);
	/* 2024-01-01T00:00:00Z = Unix 1704067200 = NTP 0xe93c7f00 */
	assert_true(ntp_from_unix_ns(1704067200ull * NS) == NTP(0xe93c7f00u, 0));
	/* era 1: NTP second 0 is 2036-02-07T06:28:16Z = Unix 2085978496 */
	assert_true(ntp_to_unix_ns(NTP(0, 0)) == 2085978496ull * NS);
	assert_true(ntp_from_unix_ns(2085978496ull * NS) == NTP(0, 0));
	assert_true(ntp_from_unix_ns(2085978497ull * NS) == NTP(1, 0));
	assert_true(ntp_to_unix_ns(NTP(1, 0)) == 2085978497ull * NS);
	/* the last second before the wrap */
	assert_true(ntp_to_unix_ns(NTP(0xffffffffu, 0)) == 2085978495ull * NS);
}

static void test_fractions(void **state)
{
	(void)state;
	assert_true(ntp_from_unix_ns(NS / 2) == NTP(0x83aa7e80u, 0x80000000u));
	assert_true(ntp_from_unix_ns(NS / 4) == NTP(0x83aa7e80u, 0x40000000u));
	/* 1 ns = 4.29 units of 2^-32 s, rounded to 4 */
	assert_true(ntp_from_unix_ns(1) == NTP(0x83aa7e80u, 4));
	/* 123456789 ns = 530242871.22 units */
	assert_true(ntp_from_unix_ns(123456789) == NTP(0x83aa7e80u, 530242871u));
	assert_true(ntp_to_unix_ns(NTP(0x83aa7e80u, 0x80000000u)) == NS / 2);
	assert_true(ntp_to_unix_ns(NTP(0x83aa7e80u, 530242871u)) == 123456789);
	/* 0xffffffff units = 999999999.77 ns rounds up into the next second */
	assert_true(ntp_to_unix_ns(NTP(0x83aa7e80u, 0xffffffffu)) == NS);
}

/* ns -> NTP -> ns is exact (2^-32 s < 1 ns); a fixed pseudo-random walk */
static void test_roundtrip_ns(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	static const uint64_t edge[] = {
		0, 1, 2, NS - 1, NS, NS + 1, 1704067200ull * NS + 999999999ull,
		2085978495ull * NS + 999999999ull, 2085978496ull * NS, 4294967295ull * NS + 999999999ull,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		assert_true(ntp_to_unix_ns(ntp_from_unix_ns(edge[i])) == edge[i]);
	for (int i = 0; i < 100000; i++) {
		uint64_t ns;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ns = x % (4294967296ull * NS); /* Unix 1970 .. 2106 */
		assert_true(ntp_to_unix_ns(ntp_from_unix_ns(ns)) == ns);
	}
}

static void test_timespec(void **state)
{
	struct timespec ts = { .tv_sec = 1704067200, .tv_nsec = 250000000 }, back;

	(void)state;
	assert_true(ntp_from_timespec(&ts) == NTP(0xe93c7f00u, 0x40000000u));
	ntp_to_timespec(NTP(0xe93c7f00u, 0x40000000u), &back);
	assert_int_equal(back.tv_sec, ts.tv_sec);
	assert_int_equal(back.tv_nsec, ts.tv_nsec);
	/* the fraction carry gives a normalised timespec */
	ntp_to_timespec(NTP(0xe93c7f00u, 0xffffffffu), &back);
	assert_int_equal(back.tv_sec, 1704067201);
	assert_int_equal(back.tv_nsec, 0);
	/* out-of-range nanoseconds are clamped, not carried into garbage */
	ts.tv_nsec = 1500000000;
	assert_int_equal((uint32_t)(ntp_from_timespec(&ts) >> 32), 0xe93c7f00u);
	ts.tv_nsec = -5;
	assert_true(ntp_from_timespec(&ts) == NTP(0xe93c7f00u, 0));
}

static void test_diff(void **state)
{
	uint64_t a = NTP(0xe93c7f00u, 0x80000000u);

	(void)state;
	assert_true(ntp_diff_ns(a, a) == 0);
	assert_true(ntp_diff_ns(a, NTP(0xe93c7f00u, 0)) == 500000000);
	assert_true(ntp_diff_ns(NTP(0xe93c7f00u, 0), a) == -500000000);
	/* borrow across the fraction */
	assert_true(ntp_diff_ns(NTP(0xe93c7f01u, 0x40000000u), a) == 750000000);
	assert_true(ntp_diff_ns(a, NTP(0xe93c7f01u, 0x40000000u)) == -750000000);
	/* across the 2036 era wrap */
	assert_true(ntp_diff_ns(NTP(1, 0), NTP(0xffffffffu, 0)) == 2 * (int64_t)NS);
	assert_true(ntp_diff_ns(NTP(0xffffffffu, 0), NTP(1, 0)) == -2 * (int64_t)NS);
	/* large spans (decades) */
	assert_true(ntp_diff_ns(NTP(0xe93c7f00u, 0), NTP(0x83aa7e80u, 0)) ==
		    1704067200ll * (int64_t)NS);
	/* one unit of 2^-32 s rounds to 0 ns; 5 units to 1 ns */
	assert_true(ntp_diff_ns(a + 1, a) == 0);
	assert_true(ntp_diff_ns(a + 5, a) == 1);
	assert_true(ntp_diff_ns(a, a + 5) == -1);
}

static void test_duration(void **state)
{
	(void)state;
	assert_true(ntp_from_duration_ns(0) == 0);
	assert_true(ntp_from_duration_ns(2 * NS) == NTP(2, 0));
	assert_true(ntp_from_duration_ns(1500000000ull) == NTP(1, 0x80000000u));
	assert_true(ntp_duration_to_ns(NTP(2, 0)) == 2 * NS);
	assert_true(ntp_duration_to_ns(NTP(1, 0x80000000u)) == 1500000000ull);
	assert_true(ntp_duration_to_ns(NTP(900, 0)) == 900 * NS); /* REFWAIT */
	/* the largest representable duration, and saturation beyond it */
	assert_true(ntp_from_duration_ns(4294967295ull * NS) == NTP(0xffffffffu, 0));
	assert_true(ntp_from_duration_ns(4294967296ull * NS) == UINT64_MAX);
	assert_true(ntp_from_duration_ns(UINT64_MAX) == UINT64_MAX);
	assert_true(ntp_duration_to_ns(UINT64_MAX) == 4294967296ull * NS);
}

static void test_wire(void **state)
{
	uint8_t p[10] = { 0 };

	(void)state;
	ntp_put(p + 1, 0x0102030405060708ull);
	assert_int_equal(p[0], 0);
	assert_int_equal(p[1], 0x01);
	assert_int_equal(p[4], 0x04);
	assert_int_equal(p[5], 0x05);
	assert_int_equal(p[8], 0x08);
	assert_int_equal(p[9], 0);
	assert_true(ntp_get(p + 1) == 0x0102030405060708ull);
	/* a timestamp from twping_mode_O.pcap: eead0682.7d1f70de */
	{
		static const uint8_t cap[8] = { 0xee, 0xad, 0x06, 0x82, 0x7d, 0x1f, 0x70, 0xde };

		assert_true(ntp_get(cap) == NTP(0xeead0682u, 0x7d1f70deu));
	}
}

/* ntp_now reads CLOCK_REALTIME: it lies between two direct readings */
static void test_now(void **state)
{
	struct timespec a, b;
	uint64_t n;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &a);
	n = ntp_now();
	clock_gettime(CLOCK_REALTIME, &b);
	assert_true(ntp_diff_ns(n, ntp_from_timespec(&a)) >= 0);
	assert_true(ntp_diff_ns(ntp_from_timespec(&b), n) >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epochs),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_roundtrip_ns),
		cmocka_unit_test(test_timespec),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
