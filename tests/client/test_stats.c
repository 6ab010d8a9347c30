/* Statistics: loss, duplicates and reordering on crafted reply sequences;
 * median and percentiles on known data; IPDV; one-way delays only with
 * synchronised clocks; TTL ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "stats.h"

static struct stats_reply reply(uint32_t seq, int64_t rtt)
{
	struct stats_reply r = {
		.seq = seq, .rtt_ns = rtt, .fwd_ns = rtt / 2, .bwd_ns = rtt / 2 - 10,
		.resid_ns = 1000 + seq, .synced = false, .sender_ttl = 250, .reply_ttl = 60,
	};

	return r;
}

static void test_loss_dup_reorder(void **state)
{
	/* sent 0..9; replies arrive 0 1 3 2 2 5 4 9 (8, 7, 6 lost) */
	static const uint32_t order[] = { 0, 1, 3, 2, 2, 5, 4, 9 };
	static const enum stats_verdict expect[] = {
		STATS_FIRST, STATS_FIRST, STATS_FIRST, STATS_REORDERED, STATS_DUPLICATE,
		STATS_FIRST, STATS_REORDERED, STATS_FIRST,
	};
	struct stats st;
	struct stats_summary s;

	(void)state;
	assert_int_equal(stats_init(&st, 10), 0);
	stats_set_sent(&st, 10);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct stats_reply r = reply(order[i], 100);

		assert_int_equal(stats_add_reply(&st, &r), expect[i]);
	}
	stats_auth_failure(&st);
	stats_invalid(&st);
	stats_invalid(&st);
	assert_true(stats_has_reply(&st, 9));
	assert_false(stats_has_reply(&st, 8));
	assert_false(stats_has_reply(&st, 10));
	assert_int_equal(stats_summarize(&st, &s), 0);
	assert_int_equal(s.sent, 10);
	assert_int_equal(s.received, 7);
	assert_int_equal(s.lost, 3);
	assert_true(s.loss_pct > 29.999 && s.loss_pct < 30.001);
	assert_int_equal(s.duplicates, 1);
	assert_int_equal(s.reordered, 2);
	assert_int_equal(s.auth_failures, 1);
	assert_int_equal(s.invalid, 2);
	assert_int_equal(s.rtt.n, 7);  /* the duplicate is not a sample */
	assert_int_equal(s.resid.n, 7);
	assert_int_equal(s.resid.min, 1000);
	assert_int_equal(s.resid.max, 1009);
	stats_free(&st);
}

static void test_out_of_range(void **state)
{
	struct stats st;
	struct stats_reply r = reply(5, 1);

	(void)state;
	assert_int_equal(stats_init(&st, 5), 0);
	assert_int_equal(stats_add_reply(&st, &r), STATS_OUT_OF_RANGE);
	assert_int_equal(st.received, 0);
	stats_free(&st);
	assert_int_equal(stats_init(&st, 0), -1);
}

static void test_nothing_sent(void **state)
{
	struct stats st;
	struct stats_summary s;

	(void)state;
	assert_int_equal(stats_init(&st, 3), 0);
	assert_int_equal(stats_summarize(&st, &s), 0);
	assert_int_equal(s.sent, 0);
	assert_int_equal(s.lost, 0);
	assert_true(s.loss_pct == 0.0);
	assert_int_equal(s.rtt.n, 0);
	assert_int_equal(s.ipdv.n, 0);
	assert_false(s.synced);
	assert_false(s.sender_ttl.valid);
	stats_free(&st);
}

static void test_median(void **state)
{
	static const int64_t one[] = { 7 };
	static const int64_t even4[] = { 10, 20, 30, 40 };
	static const int64_t odd3[] = { 1, 5, 100 };
	static const int64_t trunc[] = { 1, 2, 3, 4 };
	static const int64_t neg[] = { -3, -2 };
	static const int64_t big[] = { INT64_MAX - 2, INT64_MAX };

	(void)state;
	assert_int_equal(stats_median(one, 1), 7);
	assert_int_equal(stats_median(even4, 4), 25);
	assert_int_equal(stats_median(odd3, 3), 5);
	assert_int_equal(stats_median(trunc, 4), 2);  /* 2.5, truncated toward zero */
	assert_int_equal(stats_median(neg, 2), -2);   /* -2.5 */
	assert_int_equal(stats_median(big, 2), INT64_MAX - 1); /* no overflow */
}

static void test_percentile(void **state)
{
	int64_t v[200];

	(void)state;
	for (int i = 0; i < 200; i++)
		v[i] = i + 1;
	/* nearest rank: ceil(0.99 n) */
	assert_int_equal(stats_percentile(v, 1, 99), 1);
	assert_int_equal(stats_percentile(v, 10, 99), 10);
	assert_int_equal(stats_percentile(v, 100, 99), 99);
	assert_int_equal(stats_percentile(v, 101, 99), 100);
	assert_int_equal(stats_percentile(v, 200, 99), 198);
	assert_int_equal(stats_percentile(v, 200, 50), 100);
	assert_int_equal(stats_percentile(v, 200, 100), 200);
	assert_int_equal(stats_percentile(v, 200, 0), 1);
}

static void test_dist(void **state)
{
	int64_t v[] = { 50, -10, 30, 20, 10, 40 };
	int64_t big[] = { INT64_MAX - 1, INT64_MAX - 3 };
	struct dist d;

	(void)state;
	stats_dist(v, 6, &d);
	assert_int_equal(d.n, 6);
	assert_int_equal(d.min, -10);
	assert_int_equal(d.max, 50);
	assert_int_equal(d.median, 25);
	assert_int_equal(d.p99, 50);
	assert_int_equal(d.mean, 23);  /* 140 / 6 = 23.33 */
	assert_int_equal(v[0], -10);   /* sorted in place */
	stats_dist(big, 2, &d);
	assert_int_equal(d.mean, INT64_MAX - 2);  /* the sum does not overflow */
	stats_dist(v, 0, &d);
	assert_int_equal(d.n, 0);
}

static void test_ipdv(void **state)
{
	/* seq: 0 1 2 3 4 5 ; rtt 100 150 (lost) 120 90 190 */
	static const int64_t rtt[] = { 100, 150, 0, 120, 90, 190 };
	struct stats st;
	struct stats_summary s;

	(void)state;
	assert_int_equal(stats_init(&st, 6), 0);
	stats_set_sent(&st, 6);
	/* arrival order does not matter: IPDV follows sequence numbers */
	for (int i = 5; i >= 0; i--) {
		struct stats_reply r = reply((uint32_t)i, rtt[i]);

		if (i != 2)
			stats_add_reply(&st, &r);
	}
	assert_int_equal(stats_summarize(&st, &s), 0);
	/* pairs (0,1) +50, (3,4) -30, (4,5) +100 */
	assert_int_equal(s.ipdv.n, 3);
	assert_int_equal(s.ipdv.min, -30);
	assert_int_equal(s.ipdv.max, 100);
	assert_int_equal(s.ipdv.mean_abs, 60);
	assert_int_equal(s.ipdv.p99_abs, 100);
	assert_int_equal(s.ipdv.max_abs, 100);
	assert_int_equal(s.reordered, 4);
	assert_int_equal(s.rtt.min, 90);
	assert_int_equal(s.rtt.max, 190);
	assert_int_equal(s.rtt.median, 120);
	stats_free(&st);
}

static void test_ipdv_saturates(void **state)
{
	struct stats st;
	struct stats_summary s;
	struct stats_reply a = reply(0, INT64_MIN + 1), b = reply(1, INT64_MAX);

	(void)state;
	assert_int_equal(stats_init(&st, 2), 0);
	stats_set_sent(&st, 2);
	stats_add_reply(&st, &a);
	stats_add_reply(&st, &b);
	assert_int_equal(stats_summarize(&st, &s), 0);
	assert_int_equal(s.ipdv.n, 1);
	assert_int_equal(s.ipdv.max, INT64_MAX);
	assert_int_equal(s.ipdv.max_abs, INT64_MAX);
	stats_free(&st);
}

static void test_synced_one_way(void **state)
{
	struct stats st;
	struct stats_summary s;
	struct stats_reply r;

	(void)state;
	assert_int_equal(stats_init(&st, 4), 0);
	stats_set_sent(&st, 4);
	for (uint32_t i = 0; i < 3; i++) {
		r = reply(i, 1000 * (i + 1));
		r.synced = true;
		stats_add_reply(&st, &r);
	}
	assert_int_equal(stats_summarize(&st, &s), 0);
	assert_true(s.synced);
	assert_int_equal(s.fwd.n, 3);
	assert_int_equal(s.fwd.min, 500);
	assert_int_equal(s.fwd.max, 1500);
	assert_int_equal(s.bwd.median, 990);
	/* one reply without synchronised clocks hides the one-way delays */
	r = reply(3, 4000);
	stats_add_reply(&st, &r);
	assert_int_equal(stats_summarize(&st, &s), 0);
	assert_false(s.synced);
	assert_int_equal(s.fwd.n, 0);
	assert_int_equal(s.bwd.n, 0);
	assert_int_equal(s.rtt.n, 4);
	stats_free(&st);
}

static void test_ttl(void **state)
{
	struct stats st;
	struct stats_summary s;
	struct stats_reply r;

	(void)state;
	assert_int_equal(stats_init(&st, 3), 0);
	r = reply(0, 1);
	r.sender_ttl = 255;
	r.reply_ttl = -1;
	stats_add_reply(&st, &r);
	r = reply(1, 1);
	r.sender_ttl = 253;
	r.reply_ttl = 61;
	stats_add_reply(&st, &r);
	assert_int_equal(stats_summarize(&st, &s), 0);
	assert_true(s.sender_ttl.valid);
	assert_int_equal(s.sender_ttl.min, 253);
	assert_int_equal(s.sender_ttl.max, 255);
	assert_true(s.reply_ttl.valid);
	assert_int_equal(s.reply_ttl.min, 61);
	assert_int_equal(s.reply_ttl.max, 61);
	stats_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loss_dup_reorder),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_nothing_sent),
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_dist),
		cmocka_unit_test(test_ipdv),
		cmocka_unit_test(test_ipdv_saturates),
		cmocka_unit_test(test_synced_one_way),
		cmocka_unit_test(test_ttl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
