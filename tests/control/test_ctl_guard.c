/* The security baseline's admission logic (control/ctl_guard.h) with an
 * injected clock: ACL, limits, ip-block and the failed-login alarm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_guard.h"
#include "tctl.h"

#define S 1000u /* ms */

static struct ctl_config *cfg_new(void)
{
	struct ctl_config *c = calloc(1, sizeof(*c));

	c->server.max_connections = 10;
	c->server.max_conn_per_client = 3;
	c->server.max_pending_auth = 2;
	c->security.block_failed_times = 3;
	c->security.block_failed_period_s = 60;
	c->security.block_reactive_s = 300;
	c->security.alarm_upper = 5;
	c->security.alarm_lower = 2;
	c->security.alarm_period_s = 100;
	return c;
}

static void acl_and_limits(void **state)
{
	struct ctl_config *cfg = cfg_new();
	struct ctl_guard g;
	struct ctl_ip in = tip4(10, 99, 1, 1), out = tip4(192, 0, 2, 1), v6 = tip6("fd00:99::5");
	struct ctl_conn_counts n = { 0, 0, 0 };

	(void)state;
	assert_int_equal(ctl_guard_init(&g, cfg), 0);
	assert_int_equal(ctl_guard_admit(&g, &out, 0, &n), CTL_ADMIT_OK); /* no ACL: any */
	cfg->security.nacl = 2;
	cfg->security.acl[0] = (struct cfg_prefix){ .ipver = 4, .len = 16, .addr = { 10, 99 } };
	cfg->security.acl[1] = (struct cfg_prefix){ .ipver = 6, .len = 64, .addr = { 0xfd, 0, 0, 0x99 } };
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_OK);
	assert_int_equal(ctl_guard_admit(&g, &v6, 0, &n), CTL_ADMIT_OK);
	assert_int_equal(ctl_guard_admit(&g, &out, 0, &n), CTL_ADMIT_ACL);
	n = (struct ctl_conn_counts){ .total = 10 };
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_MAX_CONN);
	n = (struct ctl_conn_counts){ .total = 9, .from_client = 3 };
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_PER_CLIENT);
	n = (struct ctl_conn_counts){ .total = 9, .from_client = 2, .pending = 2 };
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_PENDING);
	n.pending = 1;
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_OK);
	assert_string_equal(ctl_admit_str(CTL_ADMIT_PENDING), "max-pending-authentication reached");
	ctl_guard_fini(&g);
	free(cfg);
}

static int nunblocked;

static void on_unblock(void *arg, const struct ctl_ip *ip)
{
	(void)arg;
	(void)ip;
	nunblocked++;
}

static void count_blocked(void *arg, const struct ctl_ip *ip, uint32_t left)
{
	uint32_t *out = arg;

	(void)ip;
	out[0]++;
	out[1] = left;
}

static void block_after_failures(void **state)
{
	struct ctl_config *cfg = cfg_new();
	struct ctl_guard g;
	struct ctl_ip a = tip4(10, 99, 1, 1), b = tip4(10, 99, 1, 9);
	struct ctl_conn_counts n = { 0, 0, 0 };
	uint32_t seen[2] = { 0, 0 };
	uint64_t t0 = 1000 * S;

	(void)state;
	cfg->security.alarm_upper = 0; /* alarm off here */
	ctl_guard_init(&g, cfg);
	/* 3 failures spread over more than the period: no block */
	assert_int_equal(ctl_guard_fail(&g, &a, t0), 0);
	assert_int_equal(ctl_guard_fail(&g, &a, t0 + 30 * S), 0);
	assert_int_equal(ctl_guard_fail(&g, &a, t0 + 61 * S), 0);
	assert_false(ctl_guard_blocked(&g, &a, t0 + 61 * S));
	/* the third within 60 s of the second: blocked */
	assert_int_equal(ctl_guard_fail(&g, &a, t0 + 62 * S), CTL_GUARD_NOW_BLOCKED);
	assert_true(ctl_guard_blocked(&g, &a, t0 + 62 * S));
	assert_false(ctl_guard_blocked(&g, &b, t0 + 62 * S));
	assert_int_equal(ctl_guard_admit(&g, &a, t0 + 63 * S, &n), CTL_ADMIT_BLOCKED);
	assert_int_equal(ctl_guard_admit(&g, &b, t0 + 63 * S, &n), CTL_ADMIT_OK);
	ctl_guard_foreach_blocked(&g, t0 + 100 * S, count_blocked, seen);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 262);
	/* until reactive-time is over */
	assert_true(ctl_guard_blocked(&g, &a, t0 + 361 * S));
	assert_false(ctl_guard_tick(&g, t0 + 361 * S, on_unblock, NULL));
	assert_int_equal(nunblocked, 0);
	assert_false(ctl_guard_blocked(&g, &a, t0 + 362 * S));
	ctl_guard_tick(&g, t0 + 362 * S, on_unblock, NULL);
	assert_int_equal(nunblocked, 1);
	assert_int_equal(g.naddrs, 0);
	/* a fresh start: the old failures are gone */
	assert_int_equal(ctl_guard_fail(&g, &a, t0 + 363 * S), 0);
	ctl_guard_fini(&g);
	free(cfg);
}

static void alarm_raise_and_clear(void **state)
{
	struct ctl_config *cfg = cfg_new();
	struct ctl_guard g;
	uint64_t t0 = 5000 * S;

	(void)state;
	cfg->security.block_failed_times = 255; /* no blocking here */
	ctl_guard_init(&g, cfg);
	for (int i = 0; i < 4; i++) {
		struct ctl_ip ip = tip4(10, 0, 0, (uint8_t)(i + 1));

		assert_int_equal(ctl_guard_fail(&g, &ip, t0 + (uint64_t)i * S), 0);
	}
	assert_false(g.alarm_raised);
	struct ctl_ip ip = tip4(10, 0, 0, 9);

	assert_int_equal(ctl_guard_fail(&g, &ip, t0 + 10 * S), CTL_GUARD_ALARM_RAISED);
	assert_true(g.alarm_raised);
	assert_int_equal(ctl_guard_alarm_count(&g, t0 + 10 * S), 5);
	assert_int_equal(ctl_guard_fail(&g, &ip, t0 + 11 * S), 0); /* raised once */
	/* failures at 0, 1, 2, 3, 10, 11 s; the window is [now - 100 s, now]:
	 * at 102 s it holds 2, 3, 10, 11; at 103 s 3, 10, 11; at 104 s 10, 11
	 * (2 = lower-limit: cleared) */
	assert_false(ctl_guard_tick(&g, t0 + 102 * S, NULL, NULL));
	assert_int_equal(ctl_guard_alarm_count(&g, t0 + 102 * S), 4);
	assert_false(ctl_guard_tick(&g, t0 + 103 * S, NULL, NULL));
	assert_true(g.alarm_raised);
	assert_true(ctl_guard_tick(&g, t0 + 104 * S, NULL, NULL));
	assert_false(g.alarm_raised);
	assert_int_equal(ctl_guard_alarm_count(&g, t0 + 104 * S), 2);
	assert_false(ctl_guard_tick(&g, t0 + 105 * S, NULL, NULL));
	ctl_guard_fini(&g);
	free(cfg);
}

/* The table of tracked addresses is bounded; blocked ones stay. */
static void tracking_bounded(void **state)
{
	struct ctl_config *cfg = cfg_new();
	struct ctl_guard g;
	struct ctl_ip a = tip4(10, 99, 1, 1);

	(void)state;
	cfg->security.alarm_upper = 0;
	ctl_guard_init(&g, cfg);
	for (int i = 0; i < 3; i++)
		ctl_guard_fail(&g, &a, 1000 + (uint64_t)i);
	assert_true(ctl_guard_blocked(&g, &a, 2000));
	for (uint32_t i = 0; i < CTL_GUARD_TRACK + 10; i++) {
		struct ctl_ip ip = { .ver = 6 };

		memcpy(ip.a, &i, sizeof(i));
		ctl_guard_fail(&g, &ip, 2000 + i);
	}
	assert_int_equal(g.naddrs, CTL_GUARD_TRACK);
	assert_true(ctl_guard_blocked(&g, &a, 10000));
	ctl_guard_fini(&g);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acl_and_limits),
		cmocka_unit_test(block_after_failures),
		cmocka_unit_test(alarm_raise_and_clear),
		cmocka_unit_test(tracking_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
