/* End to end on loopback: the Session-Sender loop (light_run, and
 * light_run_many for several sessions at once) against the in-process
 * reflector thread, over 127.0.0.1 and ::1 on ephemeral ports, in open,
 * authenticated and encrypted modes. No outside process, no other
 * network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "light_sender.h"
#include "loop_reflector.h"
#include "stats.h"

#define SEC 1000000000ull

static const struct tw_keys test_keys = {
	.aes = { 0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f },
	.hmac = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
		  0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0 },
};

static void base_cfg(struct light_cfg *cfg, enum tw_sec sec, bool symmetrical, uint32_t count)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sec = sec;
	cfg->symmetrical = symmetrical;
	cfg->keys = sec == TW_SEC_OPEN ? NULL : &test_keys;
	cfg->count = count;
	cfg->interval_ns = 0;
	/* the session ends as soon as every packet is answered; the timeout
	 * only bounds a failing run */
	cfg->timeout_ns = 10 * SEC;
	cfg->size = tw_sender_layout(sec, symmetrical)->base_len;
	cfg->dscp = -1;
}

static void base_refl(struct loop_refl *r, int family, const struct light_cfg *cfg)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->sec = cfg->sec;
	r->symmetrical = cfg->symmetrical;
	r->keys = cfg->keys;
	r->behaviour = REFL_NORMAL;
}

/* Runs one session; returns light_run's result, fills *sum. */
static int run_session(struct loop_refl *refl, struct light_cfg *cfg, struct stats_summary *sum)
{
	struct stats st;
	char err[256] = "";
	int rc;

	assert_int_equal(loop_refl_start(refl), 0);
	cfg->dst = refl->addr;
	assert_int_equal(stats_init(&st, cfg->count), 0);
	rc = light_run(cfg, &st, err, sizeof(err));
	loop_refl_stop(refl);
	if (rc)
		print_message("light_run: %s\n", err);
	assert_int_equal(stats_summarize(&st, sum), 0);
	stats_free(&st);
	return rc;
}

static void check_clean(const struct stats_summary *s, uint32_t count)
{
	assert_int_equal(s->sent, count);
	assert_int_equal(s->received, count);
	assert_int_equal(s->lost, 0);
	assert_int_equal(s->duplicates, 0);
	assert_int_equal(s->reordered, 0);
	assert_int_equal(s->auth_failures, 0);
	assert_int_equal(s->invalid, 0);
	/* we send with TTL/Hop Limit 255; loopback does not decrement */
	assert_true(s->sender_ttl.valid);
	assert_int_equal(s->sender_ttl.min, 255);
	assert_int_equal(s->sender_ttl.max, 255);
	assert_true(s->reply_ttl.valid);
	assert_int_equal(s->reply_ttl.min, 255);
	assert_int_equal(s->reply_ttl.max, 255);
	assert_int_equal(s->rtt.n, count);
	assert_true(s->rtt.min > 0);
	assert_true(s->resid.min >= 0);
	assert_int_equal(s->ipdv.n, count - 1);
}

static void one_mode(int family, enum tw_sec sec, bool symmetrical, uint16_t extra_pad)
{
	struct light_cfg cfg;
	struct loop_refl refl;
	struct stats_summary sum;

	base_cfg(&cfg, sec, symmetrical, 30);
	cfg.size += extra_pad;
	cfg.fill_random = extra_pad != 0;
	base_refl(&refl, family, &cfg);
	assert_int_equal(run_session(&refl, &cfg, &sum), 0);
	check_clean(&sum, 30);
	/* neither side claims synchronised clocks: no one-way delays */
	assert_false(sum.synced);
	assert_int_equal(sum.fwd.n, 0);
	assert_int_equal(sum.bwd.n, 0);
	assert_int_equal(atomic_load(&refl.dropped), 0);
}

static void test_all_modes(void **state)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	static const enum tw_sec secs[] = { TW_SEC_OPEN, TW_SEC_AUTH, TW_SEC_ENC };

	(void)state;
	for (size_t f = 0; f < 2; f++)
		for (size_t m = 0; m < 3; m++) {
			one_mode(fams[f], secs[m], false, 0);
			one_mode(fams[f], secs[m], true, 100);
		}
}

static void test_interval_and_synced(void **state)
{
	struct light_cfg cfg;
	struct loop_refl refl;
	struct stats_summary sum;

	(void)state;
	base_cfg(&cfg, TW_SEC_ENC, false, 10);
	cfg.interval_ns = SEC / 1000;
	cfg.synced = true;
	base_refl(&refl, AF_INET, &cfg);
	refl.synced = true;
	assert_int_equal(run_session(&refl, &cfg, &sum), 0);
	check_clean(&sum, 10);
	assert_true(sum.synced);
	assert_int_equal(sum.fwd.n, 10);
	assert_int_equal(sum.bwd.n, 10);
	/* one clock on both ends: each leg takes time */
	assert_true(sum.fwd.min > 0);
	assert_true(sum.bwd.min > 0);
}

static void test_duplicates(void **state)
{
	struct light_cfg cfg;
	struct loop_refl refl;
	struct stats_summary sum;

	(void)state;
	base_cfg(&cfg, TW_SEC_AUTH, false, 20);
	base_refl(&refl, AF_INET6, &cfg);
	refl.behaviour = REFL_DUPLICATE;
	refl.last_seq = 19;
	assert_int_equal(run_session(&refl, &cfg, &sum), 0);
	assert_int_equal(sum.received, 20);
	assert_int_equal(sum.duplicates, 19);
	assert_int_equal(sum.reordered, 0);
	assert_int_equal(sum.invalid, 0);
}

static void test_reordered(void **state)
{
	struct light_cfg cfg;
	struct loop_refl refl;
	struct stats_summary sum;

	(void)state;
	base_cfg(&cfg, TW_SEC_OPEN, false, 20);
	base_refl(&refl, AF_INET, &cfg);
	refl.behaviour = REFL_SWAP_PAIRS;
	assert_int_equal(run_session(&refl, &cfg, &sum), 0);
	assert_int_equal(sum.received, 20);
	assert_int_equal(sum.reordered, 10);
	assert_int_equal(sum.duplicates, 0);
	assert_int_equal(sum.lost, 0);
}

/* Bad replies are counted, not measured; the session then waits out its
 * timeout for the packets that never got a valid answer. */
static void test_bad_replies(void **state)
{
	struct light_cfg cfg;
	struct loop_refl refl;
	struct stats_summary sum;

	(void)state;
	base_cfg(&cfg, TW_SEC_AUTH, false, 40);
	cfg.timeout_ns = 3 * SEC;
	base_refl(&refl, AF_INET, &cfg);
	refl.behaviour = REFL_MIXED;
	assert_int_equal(run_session(&refl, &cfg, &sum), 0);
	assert_int_equal(sum.sent, 40);
	assert_int_equal(sum.received, 10);      /* seq % 4 == 0 */
	assert_int_equal(sum.auth_failures, 10); /* seq % 4 == 1 */
	assert_int_equal(sum.invalid, 20);       /* % 4 == 2 echo, == 3 wrong port */
	assert_int_equal(sum.lost, 30);
	assert_int_equal(sum.ipdv.n, 0);         /* no two consecutive replies */
}

static void test_wrong_key(void **state)
{
	struct tw_keys other = test_keys;
	struct light_cfg cfg;
	struct loop_refl refl;
	struct stats_summary sum;

	(void)state;
	other.hmac[0] ^= 1;
	base_cfg(&cfg, TW_SEC_ENC, false, 5);
	cfg.timeout_ns = SEC;
	base_refl(&refl, AF_INET6, &cfg);
	refl.keys = &other;  /* the reflector cannot verify: it answers nothing */
	assert_int_equal(run_session(&refl, &cfg, &sum), 0);
	assert_int_equal(sum.sent, 5);
	assert_int_equal(sum.received, 0);
	assert_int_equal(sum.lost, 5);
	assert_int_equal(atomic_load(&refl.dropped), 5);
	assert_int_equal(sum.rtt.n, 0);
}

static void test_small_window(void **state)
{
	struct light_cfg cfg;
	struct loop_refl refl;
	struct stats_summary sum;

	(void)state;
	base_cfg(&cfg, TW_SEC_OPEN, false, 300);
	cfg.window = LIGHT_MIN_WINDOW;
	base_refl(&refl, AF_INET6, &cfg);
	assert_int_equal(run_session(&refl, &cfg, &sum), 0);
	check_clean(&sum, 300);
}

static void test_stop_flag(void **state)
{
	volatile sig_atomic_t stop = 1;
	struct light_cfg cfg;
	struct loop_refl refl;
	struct stats_summary sum;

	(void)state;
	base_cfg(&cfg, TW_SEC_OPEN, false, 10);
	cfg.stop = &stop;
	base_refl(&refl, AF_INET, &cfg);
	assert_int_equal(run_session(&refl, &cfg, &sum), LIGHT_ERR_IO);
	assert_int_equal(sum.sent, 0);
}

/* Three sessions at once, each with its own reflector and mode; the
 * second on a socket the caller opened (as the TWAMP client does), which
 * stays open afterwards. */
static void test_many_sessions(void **state)
{
	struct light_cfg cfg[3];
	struct loop_refl refl[3];
	struct stats st[3];
	struct light_result res[3];
	struct stats_summary sum;
	struct tsock own;
	char err[128];

	(void)state;
	base_cfg(&cfg[0], TW_SEC_OPEN, false, 50);
	base_cfg(&cfg[1], TW_SEC_AUTH, false, 60);
	base_cfg(&cfg[2], TW_SEC_ENC, true, 70);
	base_refl(&refl[0], AF_INET, &cfg[0]);
	base_refl(&refl[1], AF_INET6, &cfg[1]);
	base_refl(&refl[2], AF_INET, &cfg[2]);
	assert_int_equal(tsock_open(&own, AF_INET6, NULL, 0, -1, err, sizeof(err)), 0);
	cfg[1].sock = &own;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(loop_refl_start(&refl[i]), 0);
		cfg[i].dst = refl[i].addr;
		assert_int_equal(stats_init(&st[i], cfg[i].count), 0);
	}
	assert_int_equal(light_run_many(cfg, st, res, 3, -1), 0);
	for (int i = 0; i < 3; i++) {
		loop_refl_stop(&refl[i]);
		assert_int_equal(res[i].rc, 0);
		assert_int_equal(stats_summarize(&st[i], &sum), 0);
		check_clean(&sum, cfg[i].count);
		stats_free(&st[i]);
	}
	assert_true(fcntl(own.fd, F_GETFD) >= 0);   /* still the caller's */
	tsock_close(&own);
}

/* A descriptor that wakes up during the run ends every session at once. */
static void test_watch_fd(void **state)
{
	struct light_cfg cfg[2];
	struct loop_refl refl;
	struct stats st[2];
	struct light_result res[2];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	base_cfg(&cfg[0], TW_SEC_OPEN, false, 1000);
	cfg[0].interval_ns = SEC / 100;
	cfg[1] = cfg[0];
	base_refl(&refl, AF_INET, &cfg[0]);
	assert_int_equal(loop_refl_start(&refl), 0);
	for (int i = 0; i < 2; i++) {
		cfg[i].dst = refl.addr;
		assert_int_equal(stats_init(&st[i], cfg[i].count), 0);
	}
	assert_int_equal(light_run_many(cfg, st, res, 2, p[0]), LIGHT_ERR_WATCH);
	loop_refl_stop(&refl);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(res[i].rc, LIGHT_ERR_IO);
		assert_string_equal(res[i].err, "control connection");
		assert_true(st[i].sent < 1000);
		stats_free(&st[i]);
	}
	close(p[0]);
	close(p[1]);
}

/* One session that cannot be set up: none is run. */
static void test_many_setup_failure(void **state)
{
	struct light_cfg cfg[2];
	struct stats st[2];
	struct light_result res[2];

	(void)state;
	base_cfg(&cfg[0], TW_SEC_OPEN, false, 5);
	base_cfg(&cfg[1], TW_SEC_AUTH, false, 5);
	cfg[1].keys = NULL;               /* auth without keys */
	for (int i = 0; i < 2; i++) {
		cfg[i].dst.ss_family = AF_INET;
		assert_int_equal(stats_init(&st[i], 5), 0);
	}
	assert_int_equal(light_run_many(cfg, st, res, 2, -1), LIGHT_ERR_SETUP);
	assert_int_equal(res[0].rc, LIGHT_ERR_SETUP);
	assert_int_equal(res[1].rc, LIGHT_ERR_SETUP);
	assert_non_null(strstr(res[0].err, "session 2"));
	assert_non_null(strstr(res[1].err, "keys"));
	assert_int_equal(st[0].sent, 0);
	for (int i = 0; i < 2; i++)
		stats_free(&st[i]);
	assert_int_equal(light_run_many(cfg, st, res, 0, -1), LIGHT_ERR_SETUP);
}

static int getint(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

/* TTL / Hop Limit 255, DSCP in the upper six bits of TOS / Traffic Class,
 * kernel timestamps and TTL reporting on. */
static void test_socket_options(void **state)
{
	struct tsock t;
	char err[128];

	(void)state;
	assert_int_equal(tsock_open(&t, AF_INET, NULL, 0, 46, err, sizeof(err)), 0);
	assert_int_equal(getint(t.fd, IPPROTO_IP, IP_TTL), 255);
	assert_int_equal(getint(t.fd, IPPROTO_IP, IP_TOS), 46 << 2);
	assert_int_equal(getint(t.fd, IPPROTO_IP, IP_RECVTTL), 1);
	assert_int_equal(getint(t.fd, SOL_SOCKET, SO_TIMESTAMPNS), 1);
	tsock_close(&t);
	assert_int_equal(tsock_open(&t, AF_INET6, NULL, 0, 10, err, sizeof(err)), 0);
	assert_int_equal(getint(t.fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 255);
	assert_int_equal(getint(t.fd, IPPROTO_IPV6, IPV6_TCLASS), 10 << 2);
	assert_int_equal(getint(t.fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT), 1);
	assert_int_equal(getint(t.fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	tsock_close(&t);
	/* no DSCP asked: the system default stays */
	assert_int_equal(tsock_open(&t, AF_INET, NULL, 0, -1, err, sizeof(err)), 0);
	assert_int_equal(getint(t.fd, IPPROTO_IP, IP_TOS), 0);
	tsock_close(&t);
}

static void test_auto_window(void **state)
{
	(void)state;
	assert_int_equal(light_auto_window(0, 14), LIGHT_MIN_WINDOW);
	assert_int_equal(light_auto_window(1 << 30, 14), LIGHT_MAX_WINDOW);
	/* 425984 / 2 / (112 + 768) and / (9000 + 768) */
	assert_int_equal(light_auto_window(425984, 14), 242);
	assert_int_equal(light_auto_window(425984, 9000), 21);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_options),
		cmocka_unit_test(test_auto_window),
		cmocka_unit_test(test_all_modes),
		cmocka_unit_test(test_interval_and_synced),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_small_window),
		cmocka_unit_test(test_stop_flag),
		cmocka_unit_test(test_many_sessions),
		cmocka_unit_test(test_watch_fd),
		cmocka_unit_test(test_many_setup_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
