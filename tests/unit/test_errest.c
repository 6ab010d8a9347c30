/* Error Estimate (error_estimate.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "error_estimate.h"

static void test_decode(void **state)
{
	struct errest e;

	(void)state;
	/* EM reflector: synchronised, Scale 0, Multiplier 1 = 2^-32 s */
	assert_true(errest_decode(0x8001, &e));
	assert_true(e.synced);
	assert_false(e.ptp);
	assert_int_equal(e.scale, 0);
	assert_int_equal(e.multiplier, 1);
	assert_true(errest_seconds(0x8001) == ldexp(1.0, -32));
	/* PS/TP "unknown": unsynchronised, Scale 63, Multiplier 255 */
	assert_true(errest_decode(ERREST_UNKNOWN, &e));
	assert_false(e.synced);
	assert_int_equal(e.scale, 63);
	assert_int_equal(e.multiplier, 255);
	assert_true(errest_seconds(ERREST_UNKNOWN) == 255.0 * ldexp(1.0, 31));
	/* Z bit (RFC 8186 PTP format) */
	assert_true(errest_decode(0x4101, &e));
	assert_true(e.ptp);
	assert_false(e.synced);
	assert_int_equal(e.scale, 1);
	/* 1 s = 1 * 2^(32-32) */
	assert_true(errest_seconds(0x2001) == 1.0);
}

static void test_multiplier_zero_invalid(void **state)
{
	struct errest e;

	(void)state;
	assert_false(errest_decode(0x0000, &e));
	assert_false(errest_decode(0x8000, &e));
	assert_false(errest_decode(0x3f00, &e));
	assert_true(isnan(errest_seconds(0x0000)));
	assert_true(isnan(errest_seconds(0xbf00)));
}

/* Reference: the smallest representable estimate >= x, by brute force. */
static double smallest_at_least(double x)
{
	double best = INFINITY;

	for (int s = 0; s < 64; s++)
		for (int m = 1; m < 256; m++) {
			double v = ldexp(m, s - 32);

			if (v >= x && v < best)
				best = v;
		}
	return best;
}

static void test_encode_smallest(void **state)
{
	const double xs[] = {
		1e-12, 0x1p-32, 0x1p-32 * 1.0001, 1e-9, 2.3e-10, 1e-6, 1.234e-5,
		1e-3, 0.0015, 0.01, 0.1, 0.5, 1.0, 1.5, 10.0, 3600.0, 1e6, 1e9, 255.0 * 0x1p31,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		uint16_t v = errest_encode(false, xs[i]);

		assert_true(errest_seconds(v) == smallest_at_least(xs[i]));
		assert_int_equal(v & ERREST_S, 0);
		assert_int_equal(v & ERREST_Z, 0);
		v = errest_encode(true, xs[i]);
		assert_true(errest_seconds(v) == smallest_at_least(xs[i]));
		assert_int_equal(v & ERREST_S, ERREST_S);
	}
	/* every representable value encodes to itself */
	for (uint32_t raw = 0; raw < 0x4000; raw++) {
		double sec = errest_seconds((uint16_t)raw);

		if (!isnan(sec))
			assert_true(errest_seconds(errest_encode(false, sec)) == sec);
	}
}

static void test_encode_edges(void **state)
{
	(void)state;
	/* zero and negative: the smallest non-zero estimate */
	assert_int_equal(errest_encode(false, 0.0), 0x0001);
	assert_int_equal(errest_encode(true, -1.0), 0x8001);
	assert_int_equal(errest_encode(false, -INFINITY), 0x0001);
	/* too large: clamped to the largest */
	assert_int_equal(errest_encode(false, 255.0 * ldexp(1.0, 31) * 1.01), 0x3fff);
	assert_int_equal(errest_encode(false, 1e300), 0x3fff);
	assert_int_equal(errest_encode(true, INFINITY), 0xbfff);
	/* unknown */
	assert_int_equal(errest_encode(false, NAN), 0x3fff);
	/* the result is always valid */
	assert_int_not_equal(errest_encode(false, 1e-30) & ERREST_MULT_MASK, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_multiplier_zero_invalid),
		cmocka_unit_test(test_encode_smallest),
		cmocka_unit_test(test_encode_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
