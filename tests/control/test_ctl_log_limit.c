/* Logs no peer can flood: the policy (common/log_limit.h) with an injected
 * clock — aggregation per source and kind with its summary line, the
 * global budget and its line, lines that are never suppressed, a full
 * table, the flush at shutdown — and the control server's log on top of it
 * (control/ctl_log.h): peers by IPv4 address and IPv6 /64, authenticated
 * and unauthenticated lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_log.h"
#include "log_limit.h"

#define MAX_LINES 64

struct capture {
	int n;
	bool always[MAX_LINES];
	char text[MAX_LINES][LOG_LIMIT_SUMMARY_MAX + CTL_LOG_TEXT_MAX];
};

static void emit(void *arg, bool always, const char *text)
{
	struct capture *c = arg;

	assert_true(c->n < MAX_LINES);
	c->always[c->n] = always;
	snprintf(c->text[c->n++], sizeof(c->text[0]), "%s", text);
}

static const struct log_limit_cfg CFG = {
	.interval_ms = 10000, .per_source = 2, .rate = 1000, .burst = 1000, .slots = 64,
};

static enum log_verdict ev(struct log_limit *l, uint64_t t, const char *src, const char *kind)
{
	char label[LOG_LIMIT_LABEL_MAX];

	snprintf(label, sizeof(label), "peer=%s", src ? src : "");
	return log_limit_event(l, t, src, src ? strlen(src) : 0, label, kind, false);
}

static void aggregation_counts(void **state)
{
	struct capture c = { 0 };
	struct log_limit *l = log_limit_new(&CFG, 0, emit, &c);
	const struct log_limit_stats *st;

	(void)state;
	assert_non_null(l);
	/* A: 2 lines written, the next 8 counted */
	for (int i = 0; i < 10; i++)
		assert_int_equal(ev(l, (uint64_t)i, "10.0.0.1", "connection refused: ACL"),
				 i < 2 ? LOG_LIMIT_WRITE : LOG_LIMIT_AGGREGATED);
	/* another kind of A, and another source: windows of their own */
	assert_int_equal(ev(l, 20, "10.0.0.1", "authentication failed"), LOG_LIMIT_WRITE);
	assert_int_equal(ev(l, 20, "10.0.0.2", "connection refused: ACL"), LOG_LIMIT_WRITE);
	log_limit_tick(l, 9999); /* the window of A is not over */
	assert_int_equal(c.n, 0);
	log_limit_tick(l, 10000);
	assert_int_equal(c.n, 1);
	assert_false(c.always[0]);
	assert_string_equal(c.text[0],
			    "peer=10.0.0.1: 8 more 'connection refused: ACL' in the last 10 s");
	log_limit_tick(l, 10020); /* the others closed with nothing counted: no line */
	assert_int_equal(c.n, 1);
	/* a new window for A: written again */
	assert_int_equal(ev(l, 10030, "10.0.0.1", "connection refused: ACL"), LOG_LIMIT_WRITE);
	st = log_limit_stats(l);
	assert_int_equal(st->written, 5);
	assert_int_equal(st->aggregated, 8);
	assert_int_equal(st->suppressed, 0);
	assert_int_equal(st->summaries, 1);
	log_limit_free(l);
}

/* A window over but not yet ticked closes on the next event of its key. */
static void window_closed_by_event(void **state)
{
	struct capture c = { 0 };
	struct log_limit *l = log_limit_new(&CFG, 0, emit, &c);

	(void)state;
	for (int i = 0; i < 5; i++)
		ev(l, 0, "a", "k");
	assert_int_equal(ev(l, 10000, "a", "k"), LOG_LIMIT_WRITE);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.text[0], "peer=a: 3 more 'k' in the last 10 s");
	log_limit_free(l);
}

static void budget_and_its_line(void **state)
{
	const struct log_limit_cfg cfg = {
		.interval_ms = 5000, .per_source = 100, .rate = 2, .burst = 3, .slots = 8,
	};
	struct capture c = { 0 };
	struct log_limit *l = log_limit_new(&cfg, 0, emit, &c);
	int written = 0;

	(void)state;
	/* 10 lines of 10 sources at once: the burst, then nothing */
	for (int i = 0; i < 10; i++) {
		char src[8];

		snprintf(src, sizeof(src), "s%d", i);
		written += ev(l, 0, src, "k") == LOG_LIMIT_WRITE;
	}
	assert_int_equal(written, 3);
	assert_int_equal(log_limit_stats(l)->suppressed, 7);
	log_limit_tick(l, 400);
	assert_int_equal(c.n, 1);
	assert_true(c.always[0]);
	assert_string_equal(c.text[0], "log budget: 7 lines suppressed in the last 1 s "
				       "(at most 2 lines/s, burst 3)");
	/* 2 lines/s: a token every 500 ms (the budget line, written without
	 * one, took none) */
	assert_int_equal(ev(l, 800, NULL, "k"), LOG_LIMIT_WRITE);
	assert_int_equal(ev(l, 900, NULL, "k"), LOG_LIMIT_SUPPRESSED);
	assert_int_equal(ev(l, 1000, NULL, "k"), LOG_LIMIT_WRITE);
	assert_int_equal(ev(l, 1000, NULL, "k"), LOG_LIMIT_SUPPRESSED);
	/* at most one budget line per interval */
	log_limit_tick(l, 1000);
	assert_int_equal(c.n, 1);
	log_limit_tick(l, 5399);
	assert_int_equal(c.n, 1);
	log_limit_tick(l, 5400);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.text[1], "log budget: 2 lines suppressed in the last 5 s "
				       "(at most 2 lines/s, burst 3)");
	/* refilled, but never above the burst */
	for (int i = 0; i < 3; i++)
		assert_int_equal(ev(l, 100000, NULL, "k"), LOG_LIMIT_WRITE);
	assert_int_equal(ev(l, 100000, NULL, "k"), LOG_LIMIT_SUPPRESSED);
	log_limit_free(l);
}

static void never_suppressed(void **state)
{
	const struct log_limit_cfg cfg = {
		.interval_ms = 10000, .per_source = 1, .rate = 1, .burst = 1, .slots = 8,
	};
	struct capture c = { 0 };
	struct log_limit *l = log_limit_new(&cfg, 0, emit, &c);

	(void)state;
	assert_int_equal(ev(l, 0, "x", "k"), LOG_LIMIT_WRITE);
	assert_int_equal(ev(l, 0, NULL, "k"), LOG_LIMIT_SUPPRESSED);
	/* the bucket is empty and x has used its line: `always` is written */
	for (int i = 0; i < 5; i++)
		assert_int_equal(log_limit_event(l, 0, "x", 1, "peer=x", "k", true), LOG_LIMIT_WRITE);
	assert_int_equal(log_limit_stats(l)->written, 6);
	assert_int_equal(log_limit_stats(l)->aggregated, 0);
	log_limit_free(l);
}

/* A table of one slot: a second source closes the first window early. */
static void full_table_evicts_oldest(void **state)
{
	const struct log_limit_cfg cfg = {
		.interval_ms = 10000, .per_source = 1, .rate = 1000, .burst = 1000, .slots = 1,
	};
	struct capture c = { 0 };
	struct log_limit *l = log_limit_new(&cfg, 0, emit, &c);

	(void)state;
	assert_int_equal(ev(l, 0, "A", "k"), LOG_LIMIT_WRITE);
	assert_int_equal(ev(l, 1, "A", "k"), LOG_LIMIT_AGGREGATED);
	assert_int_equal(ev(l, 2, "B", "k"), LOG_LIMIT_WRITE);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.text[0], "peer=A: 1 more 'k' in the last 10 s");
	assert_int_equal(ev(l, 3, "B", "k"), LOG_LIMIT_AGGREGATED);
	log_limit_free(l);
}

/* Shutdown: every pending summary and the budget line, even over budget. */
static void flush_writes_everything(void **state)
{
	const struct log_limit_cfg cfg = {
		.interval_ms = 10000, .per_source = 1, .rate = 1, .burst = 2, .slots = 8,
	};
	struct capture c = { 0 };
	struct log_limit *l = log_limit_new(&cfg, 0, emit, &c);

	(void)state;
	ev(l, 0, "A", "k");
	ev(l, 0, "A", "k");
	ev(l, 0, "B", "k");
	ev(l, 0, "B", "k");
	ev(l, 0, "C", "k"); /* over budget */
	log_limit_flush(l, 1);
	assert_int_equal(c.n, 3);
	assert_non_null(strstr(c.text[0], "1 more 'k'"));
	assert_non_null(strstr(c.text[1], "1 more 'k'"));
	assert_string_equal(c.text[2], "log budget: 1 lines suppressed in the last 1 s "
				       "(at most 1 lines/s, burst 2)");
	log_limit_free(l);
}

static void bad_config_refused(void **state)
{
	struct capture c;
	struct log_limit_cfg cfg = CFG;

	(void)state;
	cfg.rate = 0;
	assert_null(log_limit_new(&cfg, 0, emit, &c));
	cfg = CFG;
	cfg.per_source = 0;
	assert_null(log_limit_new(&cfg, 0, emit, &c));
	assert_null(log_limit_new(&CFG, 0, NULL, &c));
}

/* ---- the control server's log ---- */

static uint64_t fake_now;
static uint64_t clock_ms(void)
{
	return fake_now;
}

struct lines {
	int n;
	char text[MAX_LINES][CTL_LOG_TEXT_MAX];
};

static void hook(void *arg, int level, const char *text)
{
	struct lines *c = arg;

	(void)level;
	assert_true(c->n < MAX_LINES);
	snprintf(c->text[c->n++], sizeof(c->text[0]), "%s", text);
}

static void open_log(struct ctl_log *l, struct lines *cap, uint32_t per_source)
{
	static struct ctl_config cfg;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.security.log_rate = (struct ctl_log_rate){ 10, per_source, 1000, 1000 };
	fake_now = 5000;
	assert_int_equal(ctl_log_open(l, &cfg, err, sizeof(err)), 0);
	l->to_stderr = false;
	l->now_ms = clock_ms;
	l->hook = hook;
	l->hook_arg = cap;
}

static void ctl_log_by_prefix(void **state)
{
	struct ctl_ip v6a = { .ver = 6, .a = { 0xfd, 0, 0, 0x99, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };
	struct ctl_ip v6b = v6a, v4a = { .ver = 4, .a = { 10, 99, 7, 3 } }, v4b = v4a;
	struct ctl_log l;
	struct lines cap = { 0 };

	(void)state;
	v6b.a[15] = 0x42; /* same /64 */
	v4b.a[3] = 4;     /* another address */
	open_log(&l, &cap, 1);
	ctl_log_peer(&l, LOG_WARNING, &v6a, "connection refused: ACL", "refused %d", 1);
	ctl_log_peer(&l, LOG_WARNING, &v6b, "connection refused: ACL", "refused %d", 2);
	ctl_log_peer(&l, LOG_WARNING, &v6b, "connection refused: ACL", "refused %d", 3);
	ctl_log_peer(&l, LOG_WARNING, &v4a, "connection refused: ACL", "refused %d", 4);
	ctl_log_peer(&l, LOG_WARNING, &v4b, "connection refused: ACL", "refused %d", 5);
	ctl_log_peer(&l, LOG_WARNING, &v4b, "connection refused: ACL", "refused %d", 6);
	/* no peer: not aggregated */
	ctl_log_peer(&l, LOG_INFO, NULL, "session accepted", "authenticated %d", 7);
	ctl_log_peer(&l, LOG_INFO, NULL, "session accepted", "authenticated %d", 8);
	assert_int_equal(cap.n, 5);
	assert_string_equal(cap.text[0], "refused 1");
	assert_string_equal(cap.text[1], "refused 4");
	assert_string_equal(cap.text[2], "refused 5");
	assert_string_equal(cap.text[4], "authenticated 8");
	fake_now = 15000;
	ctl_log_tick(&l);
	assert_int_equal(cap.n, 7);
	/* the order of the table, not of arrival */
	assert_true((strcmp(cap.text[5], "peer=fd00:99:7::/64: 2 more 'connection refused: ACL' "
					 "in the last 10 s") == 0 &&
		     strcmp(cap.text[6], "peer=10.99.7.4: 1 more 'connection refused: ACL' in the "
					 "last 10 s") == 0) ||
		    (strcmp(cap.text[6], "peer=fd00:99:7::/64: 2 more 'connection refused: ACL' "
					 "in the last 10 s") == 0 &&
		     strcmp(cap.text[5], "peer=10.99.7.4: 1 more 'connection refused: ACL' in the "
					 "last 10 s") == 0));
	assert_int_equal(log_limit_stats(l.limit)->aggregated, 3);
	ctl_log_close(&l);
}

/* What ctl_log_always writes passes even a spent budget; ctl_logf not. */
static void ctl_log_always_passes(void **state)
{
	static struct ctl_config cfg;
	struct ctl_log l;
	struct lines cap = { 0 };
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.security.log_rate = (struct ctl_log_rate){ 10, 5, 1, 2 };
	fake_now = 0;
	assert_int_equal(ctl_log_open(&l, &cfg, err, sizeof(err)), 0);
	l.to_stderr = false;
	l.now_ms = clock_ms;
	l.hook = hook;
	l.hook_arg = &cap;
	for (int i = 0; i < 4; i++)
		ctl_logf(&l, LOG_ERR, "out of resources %d", i);
	ctl_log_always(&l, LOG_ERR, "alarm raised");
	ctl_log_always(&l, LOG_NOTICE, "signal 15: shutting down");
	assert_int_equal(cap.n, 4);
	assert_string_equal(cap.text[2], "alarm raised");
	ctl_log_close(&l); /* the budget line at shutdown */
	assert_int_equal(cap.n, 5);
	assert_non_null(strstr(cap.text[4], "log budget: 2 lines suppressed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aggregation_counts),
		cmocka_unit_test(window_closed_by_event),
		cmocka_unit_test(budget_and_its_line),
		cmocka_unit_test(never_suppressed),
		cmocka_unit_test(full_table_evicts_oldest),
		cmocka_unit_test(flush_writes_everything),
		cmocka_unit_test(bad_config_refused),
		cmocka_unit_test(ctl_log_by_prefix),
		cmocka_unit_test(ctl_log_always_passes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
