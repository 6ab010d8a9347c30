/* The security baseline's admission logic (control/ctl_guard.h) with an
 * injected clock: ACL, limits, ip-block by source prefix, the bounded
 * tracker, the order in which connections give way, and the failed-login
 * alarm. */
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
	/* at a limit the new connection gets in by making another give way */
	n = (struct ctl_conn_counts){ .total = 10 };
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_EVICT_IDLE);
	n = (struct ctl_conn_counts){ .total = 9, .from_client = 2, .pending = 2 };
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_EVICT_PENDING);
	n = (struct ctl_conn_counts){ .total = 10, .from_client = 2, .pending = 2 };
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_EVICT_PENDING);
	/* ... unless its own source is at its limit: checked first */
	n = (struct ctl_conn_counts){ .total = 9, .from_client = 3 };
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_PER_CLIENT);
	n = (struct ctl_conn_counts){ .total = 10, .from_client = 3, .pending = 2 };
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_PER_CLIENT);
	n = (struct ctl_conn_counts){ .total = 9, .from_client = 2, .pending = 1 };
	assert_int_equal(ctl_guard_admit(&g, &in, 0, &n), CTL_ADMIT_OK);
	assert_string_equal(ctl_admit_str(CTL_ADMIT_PENDING), "max-pending-authentication reached");
	assert_string_equal(ctl_admit_str(CTL_ADMIT_EVICT_IDLE), "max-connections reached");
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

static void count_blocked(void *arg, const struct ctl_ip *ip, unsigned plen, uint32_t left)
{
	uint32_t *out = arg;

	(void)ip;
	out[0]++;
	out[1] = left;
	out[2] = plen;
}

static void block_after_failures(void **state)
{
	struct ctl_config *cfg = cfg_new();
	struct ctl_guard g;
	struct ctl_ip a = tip4(10, 99, 1, 1), b = tip4(10, 99, 1, 9);
	struct ctl_conn_counts n = { 0, 0, 0 };
	uint32_t seen[3] = { 0, 0, 0 };
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
	assert_int_equal(seen[2], 32); /* 0 in the configuration: the whole address */
	/* until reactive-time is over */
	assert_true(ctl_guard_blocked(&g, &a, t0 + 361 * S));
	assert_false(ctl_guard_tick(&g, t0 + 361 * S, on_unblock, NULL));
	assert_int_equal(nunblocked, 0);
	assert_false(ctl_guard_blocked(&g, &a, t0 + 362 * S));
	ctl_guard_tick(&g, t0 + 362 * S, on_unblock, NULL);
	assert_int_equal(nunblocked, 1);
	assert_int_equal(g.nsrc, 0);
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

static struct ctl_ip nth6(uint32_t i)
{
	struct ctl_ip ip = { .ver = 6, .a = { 0x20, 0x01, 0x0d, 0xb8 } };

	memcpy(ip.a + 4, &i, sizeof(i)); /* one /64 each */
	return ip;
}

/* A full table of unblocked sources: a new one takes the place of the
 * one whose last failure is oldest, and blocked ones stay. */
static void tracker_full_of_unblocked(void **state)
{
	struct ctl_config *cfg = cfg_new();
	struct ctl_guard g;
	struct ctl_ip a = tip4(10, 99, 1, 1), first = nth6(0), second = nth6(1);
	unsigned f;

	(void)state;
	cfg->security.alarm_upper = 0;
	ctl_guard_init(&g, cfg);
	for (int i = 0; i < 3; i++)
		ctl_guard_fail(&g, &a, 1000 + (uint64_t)i);
	assert_true(ctl_guard_blocked(&g, &a, 2000));
	for (uint32_t i = 0; i < CTL_GUARD_TRACK - 1; i++)
		assert_int_equal(ctl_guard_fail(&g, (struct ctl_ip[]){ nth6(i) }, 2000 + i), 0);
	assert_int_equal(g.nsrc, CTL_GUARD_TRACK);
	/* the first unblocked one fails again: it is now the most recent */
	assert_int_equal(ctl_guard_fail(&g, &first, 9000), 0);
	/* a new source: the second (oldest last failure) makes room */
	struct ctl_ip fresh = nth6(100000);

	f = ctl_guard_fail(&g, &fresh, 9001);
	assert_int_equal(f, CTL_GUARD_EVICTED);
	assert_int_equal(g.nsrc, CTL_GUARD_TRACK);
	assert_true(ctl_guard_blocked(&g, &a, 9001));
	/* first kept its two failures: one more blocks it; second starts afresh */
	assert_int_equal(ctl_guard_fail(&g, &first, 9002), CTL_GUARD_NOW_BLOCKED);
	assert_int_equal(ctl_guard_fail(&g, &second, 9003), CTL_GUARD_EVICTED);
	assert_int_equal(ctl_guard_fail(&g, &second, 9004), 0);
	assert_false(ctl_guard_blocked(&g, &second, 9004));
	assert_int_equal(ctl_guard_fail(&g, &second, 9005), CTL_GUARD_NOW_BLOCKED);
	ctl_guard_fini(&g);
	free(cfg);
}

/* n new sources from `from` fail until blocked, at t, t + step, ... */
static void count_flags(struct ctl_guard *g, uint32_t from, uint32_t n, uint64_t t, uint64_t step,
			unsigned *all, unsigned *evicted_blocked)
{
	for (uint32_t i = from; i < from + n; i++) {
		struct ctl_ip ip = nth6(i);
		unsigned f = 0;

		for (int k = 0; k < 3; k++)
			f |= ctl_guard_fail(g, &ip, t + (i - from) * step);
		*all += (f & CTL_GUARD_ALL_BLOCKED) != 0;
		*evicted_blocked += (f & CTL_GUARD_EVICTED_BLOCKED) != 0;
		assert_true(f & CTL_GUARD_NOW_BLOCKED);
	}
}

/* A table full of blocked sources still tracks and blocks new ones: the
 * blocked source closest to its unblocking is unblocked early, told once. */
static void tracker_full_of_blocked(void **state)
{
	struct ctl_config *cfg = cfg_new();
	struct ctl_guard g;
	unsigned all = 0, evb = 0;
	uint32_t seen[3] = { 0, 0, 0 };

	(void)state;
	cfg->security.alarm_upper = 0;
	ctl_guard_init(&g, cfg);
	count_flags(&g, 0, CTL_GUARD_TRACK, 10000, 1, &all, &evb); /* source i blocked at 10000+i */
	assert_int_equal(all + evb, 0);
	assert_int_equal(g.nsrc, CTL_GUARD_TRACK);
	/* 10 more: each unblocks the oldest block (sources 0..9), told once */
	count_flags(&g, CTL_GUARD_TRACK, 10, 10000 + CTL_GUARD_TRACK, 1, &all, &evb);
	assert_int_equal(evb, 10);
	assert_int_equal(all, 1);
	for (uint32_t i = 0; i < 10; i++)
		assert_false(ctl_guard_blocked(&g, (struct ctl_ip[]){ nth6(i) }, 20000));
	assert_true(ctl_guard_blocked(&g, (struct ctl_ip[]){ nth6(10) }, 20000));
	for (uint32_t i = CTL_GUARD_TRACK; i < CTL_GUARD_TRACK + 10; i++)
		assert_true(ctl_guard_blocked(&g, (struct ctl_ip[]){ nth6(i) }, 20000));
	ctl_guard_foreach_blocked(&g, 20000, count_blocked, seen);
	assert_int_equal(seen[0], CTL_GUARD_TRACK);
	assert_int_equal(seen[2], 128); /* 0 in the configuration: the whole address */
	/* the blocks of sources 10..20 end: room for 11; the 12th new source
	 * unblocks source 21 early, told again */
	ctl_guard_tick(&g, 10000 + 300 * S + 20, NULL, NULL);
	assert_int_equal(g.nsrc, CTL_GUARD_TRACK - 21 + 10);
	all = evb = 0;
	count_flags(&g, 2 * CTL_GUARD_TRACK, 12, 10000 + 300 * S + 20, 0, &all, &evb);
	assert_int_equal(evb, 1);
	assert_int_equal(all, 1);
	assert_false(ctl_guard_blocked(&g, (struct ctl_ip[]){ nth6(21) }, 10000 + 300 * S + 20));
	assert_true(ctl_guard_blocked(&g, (struct ctl_ip[]){ nth6(22) }, 10000 + 300 * S + 20));
	/* a block that is over makes room silently */
	all = evb = 0;
	count_flags(&g, 3 * CTL_GUARD_TRACK, 1, 10000 + 300 * S + 23, 0, &all, &evb);
	assert_int_equal(evb + all, 0);
	ctl_guard_fini(&g);
	free(cfg);
}

/* Sources are prefixes: an IPv6 /64 (the default in the YANG) and an IPv4
 * /24 here count, block and limit as one. */
static void prefix_aggregation(void **state)
{
	struct ctl_config *cfg = cfg_new();
	struct ctl_guard g;
	struct ctl_ip v6a = tip6("fd00:99::1"), v6b = tip6("fd00:99::ffff:2"),
		      v6c = tip6("fd00:99::5:0:3"), other6 = tip6("fd00:99:0:1::1");
	struct ctl_ip v4a = tip4(10, 99, 7, 1), v4b = tip4(10, 99, 7, 200), other4 = tip4(10, 99, 8, 1);
	struct ctl_conn_counts n = { 0, 0, 0 };
	struct ctl_ip src;
	char buf[CTL_ADDR_STR];

	(void)state;
	cfg->security.alarm_upper = 0;
	cfg->security.source_v4_len = 24;
	cfg->security.source_v6_len = 64;
	ctl_guard_init(&g, cfg);
	src = ctl_guard_source(&g, &v6b);
	assert_string_equal(ctl_guard_source_str(&g, &src, buf, sizeof(buf)), "fd00:99::/64");
	src = ctl_guard_source(&g, &v4b);
	assert_string_equal(ctl_guard_source_str(&g, &src, buf, sizeof(buf)), "10.99.7.0/24");
	/* three addresses of one /64, one failure each: blocked together */
	assert_int_equal(ctl_guard_fail(&g, &v6a, 1000), 0);
	assert_int_equal(ctl_guard_fail(&g, &v6b, 1001), 0);
	assert_int_equal(ctl_guard_fail(&g, &v6c, 1002), CTL_GUARD_NOW_BLOCKED);
	assert_true(ctl_guard_blocked(&g, (struct ctl_ip[]){ tip6("fd00:99::abcd") }, 1003));
	assert_false(ctl_guard_blocked(&g, &other6, 1003));
	assert_int_equal(ctl_guard_admit(&g, &v6a, 1003, &n), CTL_ADMIT_BLOCKED);
	assert_int_equal(ctl_guard_admit(&g, &other6, 1003, &n), CTL_ADMIT_OK);
	/* IPv4 /24 */
	ctl_guard_fail(&g, &v4a, 2000);
	ctl_guard_fail(&g, &v4b, 2001);
	assert_int_equal(ctl_guard_fail(&g, &v4a, 2002), CTL_GUARD_NOW_BLOCKED);
	assert_true(ctl_guard_blocked(&g, (struct ctl_ip[]){ tip4(10, 99, 7, 99) }, 2003));
	assert_false(ctl_guard_blocked(&g, &other4, 2003));
	assert_int_equal(g.nsrc, 2);
	/* /32 and /128: every address on its own */
	cfg->security.source_v4_len = 32;
	cfg->security.source_v6_len = 128;
	src = ctl_guard_source(&g, &v6b);
	assert_true(ctl_ip_equal(&src, &v6b));
	assert_string_equal(ctl_guard_source_str(&g, &src, buf, sizeof(buf)), "fd00:99::ffff:2");
	ctl_guard_fini(&g);
	free(cfg);
}

/* ACL refusals are counted per source within failed-period, never block. */
static void acl_refusals_counted(void **state)
{
	struct ctl_config *cfg = cfg_new();
	struct ctl_guard g;
	struct ctl_ip out = tip4(192, 0, 2, 1), out2 = tip4(192, 0, 2, 2);
	struct ctl_conn_counts n = { 0, 0, 0 };

	(void)state;
	cfg->security.nacl = 1;
	cfg->security.acl[0] = (struct cfg_prefix){ .ipver = 4, .len = 16, .addr = { 10, 99 } };
	ctl_guard_init(&g, cfg);
	for (uint32_t i = 1; i <= 10; i++) {
		assert_int_equal(ctl_guard_admit(&g, &out, i * S, &n), CTL_ADMIT_ACL);
		assert_int_equal(ctl_guard_acl_refused(&g, &out, i * S), i);
	}
	assert_int_equal(ctl_guard_acl_refused(&g, &out2, 11 * S), 1);
	assert_false(ctl_guard_blocked(&g, &out, 11 * S));
	assert_int_equal(g.nsrc, 0);
	assert_int_equal(ctl_guard_alarm_count(&g, 11 * S), 0);
	/* a new window after failed-period (60 s) without refusals counted */
	assert_int_equal(ctl_guard_acl_refused(&g, &out, 80 * S), 1);
	/* the table is bounded: the least recent source is forgotten */
	for (uint32_t i = 0; i < CTL_GUARD_ACL_TRACK; i++) {
		struct ctl_ip ip = tip4(198, 51, (uint8_t)(i >> 8), (uint8_t)i);

		assert_int_equal(ctl_guard_acl_refused(&g, &ip, 90 * S + i), 1);
	}
	assert_int_equal(g.nacl, CTL_GUARD_ACL_TRACK);
	assert_int_equal(ctl_guard_acl_refused(&g, &out, 95 * S), 1); /* had been forgotten */
	ctl_guard_fini(&g);
	free(cfg);
}

/* A block that has ended before the housekeeping tick saw it: the next
 * failure starts afresh and says so. */
static void block_over_before_tick(void **state)
{
	struct ctl_config *cfg = cfg_new();
	struct ctl_guard g;
	struct ctl_ip a = tip4(10, 99, 1, 1);

	(void)state;
	cfg->security.alarm_upper = 0;
	ctl_guard_init(&g, cfg);
	for (int i = 0; i < 3; i++)
		ctl_guard_fail(&g, &a, 1000);
	assert_true(ctl_guard_blocked(&g, &a, 1000 + 300 * S - 1));
	assert_int_equal(ctl_guard_fail(&g, &a, 1000 + 300 * S - 1), 0); /* blocked: not counted */
	assert_int_equal(ctl_guard_fail(&g, &a, 1000 + 300 * S), CTL_GUARD_UNBLOCKED);
	assert_false(ctl_guard_blocked(&g, &a, 1000 + 300 * S));
	ctl_guard_fail(&g, &a, 1000 + 300 * S + 1);
	assert_int_equal(ctl_guard_fail(&g, &a, 1000 + 300 * S + 2), CTL_GUARD_NOW_BLOCKED);
	ctl_guard_fini(&g);
	free(cfg);
}

/* Which connection gives way, over a mix of every kind. */
static void eviction_order(void **state)
{
	const struct ctl_guard_cand running = { .secured = true, .running = true, .since = 1 },
		auth_old = { .secured = true, .since = 10 }, auth_new = { .secured = true, .since = 50 },
		open_old = { .since = 20 }, open_new = { .since = 60 },
		heard = { .pending = true, .heard = true, .since = 5 },
		silent_old = { .pending = true, .since = 30 }, silent_new = { .pending = true, .since = 70 },
		closing = { .closing = true, .secured = true, .since = 90 },
		working = { .pending = true, .heard = true, .working = true, .since = 2 };
	const struct ctl_guard_cand *all[] = { &running, &auth_new, &open_new, &auth_old, &heard,
					       &silent_new, &open_old, &silent_old, &closing,
					       &working };
	/* max-connections: closing, then by idleness (authenticated last) */
	const struct ctl_guard_cand *idle_order[] = { &closing, &heard, &open_old, &silent_old,
						      &open_new, &silent_new, &auth_old, &auth_new };
	const struct ctl_guard_cand *pending_order[] = { &silent_old, &silent_new, &heard };
	bool taken[10] = { false };
	size_t n = sizeof(all) / sizeof(all[0]);

	(void)state;
	assert_false(ctl_guard_evictable(&running, CTL_ADMIT_EVICT_IDLE));
	assert_false(ctl_guard_evictable(&auth_old, CTL_ADMIT_EVICT_PENDING));
	assert_false(ctl_guard_evictable(&closing, CTL_ADMIT_EVICT_PENDING)); /* set up, closing */
	assert_true(ctl_guard_evictable(&heard, CTL_ADMIT_EVICT_PENDING));
	assert_false(ctl_guard_evictable(&heard, CTL_ADMIT_OK));
	/* a connection whose authentication job is out never gives way */
	assert_false(ctl_guard_evictable(&working, CTL_ADMIT_EVICT_PENDING));
	assert_false(ctl_guard_evictable(&working, CTL_ADMIT_EVICT_IDLE));
	/* pick the victim repeatedly, as ctl_peer_make_room does */
	for (size_t k = 0; k < sizeof(idle_order) / sizeof(idle_order[0]); k++) {
		size_t v = SIZE_MAX;

		for (size_t i = 0; i < n; i++)
			if (!taken[i] && ctl_guard_evictable(all[i], CTL_ADMIT_EVICT_IDLE) &&
			    (v == SIZE_MAX || ctl_guard_before(all[i], all[v], CTL_ADMIT_EVICT_IDLE)))
				v = i;
		assert_true(v != SIZE_MAX);
		assert_ptr_equal(all[v], idle_order[k]);
		taken[v] = true;
	}
	for (size_t i = 0; i < n; i++)
		if (!taken[i])
			assert_true(all[i] == &running || all[i] == &working); /* never evicted */
	memset(taken, 0, sizeof(taken));
	for (size_t k = 0; k < 3; k++) {
		size_t v = SIZE_MAX;

		for (size_t i = 0; i < n; i++)
			if (!taken[i] && ctl_guard_evictable(all[i], CTL_ADMIT_EVICT_PENDING) &&
			    (v == SIZE_MAX || ctl_guard_before(all[i], all[v], CTL_ADMIT_EVICT_PENDING)))
				v = i;
		assert_ptr_equal(all[v], pending_order[k]);
		taken[v] = true;
	}
}

/* Within one kind, the larger crowd (a /24 or /48 full of evictable
 * connections) gives way before a lone, older client; the crowd prefix is
 * /24 for IPv4 and /48 for IPv6. */
static void eviction_by_crowd(void **state)
{
	const struct ctl_guard_cand lone = { .pending = true, .since = 10, .crowd = 1 },
		crowd_new = { .pending = true, .since = 90, .crowd = 40 },
		heard_crowd = { .pending = true, .heard = true, .since = 5, .crowd = 40 },
		open_lone = { .since = 1, .crowd = 1 }, open_crowd = { .since = 80, .crowd = 8 },
		auth_crowd = { .secured = true, .since = 1, .crowd = 50 };
	struct ctl_ip a = { .ver = 4, .a = { 10, 99, 7, 200 } }, b = { .ver = 4, .a = { 10, 99, 7, 3 } },
		      c = { .ver = 4, .a = { 10, 99, 8, 3 } };
	struct ctl_ip x = { .ver = 6, .a = { 0xfd, 0, 0, 0x99, 0, 1, 0xff } },
		      y = { .ver = 6, .a = { 0xfd, 0, 0, 0x99, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 } },
		      z = { .ver = 6, .a = { 0xfd, 0, 0, 0x99, 0, 2 } };
	struct ctl_ip na = ctl_guard_crowd(&a), nb = ctl_guard_crowd(&b), nc = ctl_guard_crowd(&c);
	struct ctl_ip nx = ctl_guard_crowd(&x), ny = ctl_guard_crowd(&y), nz = ctl_guard_crowd(&z);

	(void)state;
	assert_true(ctl_guard_before(&crowd_new, &lone, CTL_ADMIT_EVICT_PENDING));
	assert_false(ctl_guard_before(&lone, &crowd_new, CTL_ADMIT_EVICT_PENDING));
	/* silent before heard, whatever the crowd */
	assert_true(ctl_guard_before(&lone, &heard_crowd, CTL_ADMIT_EVICT_PENDING));
	/* max-connections: the crowd of open ones before an idler lone one */
	assert_true(ctl_guard_before(&open_crowd, &open_lone, CTL_ADMIT_EVICT_IDLE));
	assert_true(ctl_guard_before(&crowd_new, &lone, CTL_ADMIT_EVICT_IDLE));
	/* authenticated ones last, whatever their crowd */
	assert_true(ctl_guard_before(&lone, &auth_crowd, CTL_ADMIT_EVICT_IDLE));
	assert_true(ctl_ip_equal(&na, &nb));
	assert_false(ctl_ip_equal(&na, &nc));
	assert_true(ctl_ip_equal(&nx, &ny));
	assert_false(ctl_ip_equal(&nx, &nz));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acl_and_limits),
		cmocka_unit_test(block_after_failures),
		cmocka_unit_test(alarm_raise_and_clear),
		cmocka_unit_test(tracker_full_of_unblocked),
		cmocka_unit_test(tracker_full_of_blocked),
		cmocka_unit_test(prefix_aggregation),
		cmocka_unit_test(acl_refusals_counted),
		cmocka_unit_test(block_over_before_tick),
		cmocka_unit_test(eviction_order),
		cmocka_unit_test(eviction_by_crowd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
