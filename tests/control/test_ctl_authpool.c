/* The authentication pool (control/ctl_authpool.c) with real threads and
 * the real event loop: PBKDF2 and Token results (known answers: the
 * session keys the client put in its Token), the secret wiped after the
 * run, cancellation of a queued and of a running job (never delivered,
 * freed: ASan), the full queue (refusal, the flooder giving way), the
 * fairness of the order jobs are run in, shutdown with jobs left; and a
 * connection with auth_async: it waits (pending, reads nothing) until
 * its job is back, and a refused job answers Accept 5.
 *
 * Jobs whose timing matters are IKE jobs with a fake lookup that can be
 * held at a gate, so that "running" and "queued" are states the test
 * controls, not races it hopes to win. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ctl_authpool.h"
#include "tctl.h"

#define MAXJ 128

struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool open;
	int entered;            /* lookups started */
	int order[MAXJ];        /* ids, in the order the workers ran them */
	int n;
};

/* one job's test record: its lookup argument and its done() context */
struct rec {
	struct gate *g;
	int id;
	bool hold;              /* wait at the gate */
	int done;               /* done() calls */
	bool refused;
	enum twc_err err;
	bool checked;
};

struct t {
	struct ctl_loop loop;
	struct ctl_counters ctr;
	struct ctl_authpool pool;
	struct gate g;
	struct rec r[MAXJ];
	int done_order[MAXJ];
	int ndone;
};

static enum ka_status fake_lookup(void *arg, const uint8_t spi_i[KA_SPI_LEN],
				  const uint8_t spi_r[KA_SPI_LEN], struct ka_reply *out)
{
	struct rec *r = arg;
	struct gate *g = r->g;

	(void)spi_i;
	(void)spi_r;
	pthread_mutex_lock(&g->mu);
	g->entered++;
	if (g->n < MAXJ)
		g->order[g->n++] = r->id;
	pthread_cond_broadcast(&g->cv);
	while (r->hold && !g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	ka_reply_error(out, KA_LOOKUP_SPI, KA_NO_SA);
	return KA_NO_SA;
}

static struct t *T;

static void on_done(void *ctx, struct ctl_auth_job *j)
{
	struct rec *r = ctx;

	r->done++;
	r->refused = j->refused;
	r->err = j->err;
	r->checked = j->checked;
	if (T->ndone < MAXJ)
		T->done_order[T->ndone++] = r->id;
}

static int start(void **state, unsigned workers, size_t qmax)
{
	struct t *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	pthread_mutex_init(&t->g.mu, NULL);
	pthread_cond_init(&t->g.cv, NULL);
	assert_int_equal(ctl_loop_init(&t->loop), 0);
	assert_int_equal(ctl_authpool_init(&t->pool, &t->loop, &t->ctr, workers, qmax, 32, 64), 0);
	for (int i = 0; i < MAXJ; i++)
		t->r[i] = (struct rec){ .g = &t->g, .id = i };
	T = t;
	*state = t;
	return 0;
}

static int setup1(void **state) { return start(state, 1, CTL_AUTH_QUEUE_MAX); }
static int setup2(void **state) { return start(state, 2, CTL_AUTH_QUEUE_MAX); }
static int setup_small(void **state) { return start(state, 1, 2); }

static void gate_open(struct t *t)
{
	pthread_mutex_lock(&t->g.mu);
	t->g.open = true;
	pthread_cond_broadcast(&t->g.cv);
	pthread_mutex_unlock(&t->g.mu);
}

static int teardown(void **state)
{
	struct t *t = *state;

	gate_open(t); /* no worker left waiting: fini joins them */
	ctl_authpool_fini(&t->pool);
	ctl_loop_fini(&t->loop);
	pthread_cond_destroy(&t->g.cv);
	pthread_mutex_destroy(&t->g.mu);
	free(t);
	T = NULL;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Run the loop until cond holds; fail after 10 s. */
#define RUN_UNTIL(t, cond)                                                  \
	do {                                                                \
		uint64_t end_ = now_ms() + 10000;                           \
		while (!(cond)) {                                           \
			assert_true(now_ms() < end_);                       \
			assert_int_equal(ctl_loop_once(&(t)->loop, 20), 0); \
		}                                                           \
	} while (0)

static void wait_entered(struct t *t, int n)
{
	uint64_t end = now_ms() + 10000;

	pthread_mutex_lock(&t->g.mu);
	while (t->g.entered < n) {
		struct timespec ts;

		pthread_mutex_unlock(&t->g.mu);
		assert_true(now_ms() < end);
		ts = (struct timespec){ .tv_nsec = 1000000 };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&t->g.mu);
	}
	pthread_mutex_unlock(&t->g.mu);
}

static struct ctl_auth_job *ike_job(struct t *t, int id, bool hold)
{
	struct ctl_auth_job *j = ctl_auth_job_new();

	assert_non_null(j);
	t->r[id].hold = hold;
	j->kind = CTL_AUTH_IKE;
	j->lookup = fake_lookup;
	j->lookup_arg = &t->r[id];
	j->spi_i[0] = j->spi_r[0] = 1;
	return j;
}

static void submit(struct t *t, struct ctl_auth_job *j, int id, struct ctl_ip src)
{
	ctl_authpool_submit(&t->pool, &src, j, on_done, &t->r[id]);
}

/* ---- results ---- */

static const char SECRET[] = "pool passphrase";

static struct ctl_auth_job *secret_job(const char *secret, uint8_t aes[16], uint8_t hmac[32])
{
	struct ctl_auth_job *j = ctl_auth_job_new();

	assert_non_null(j);
	j->kind = CTL_AUTH_SECRET;
	memcpy(j->secret, secret, strlen(secret));
	j->secret_len = strlen(secret);
	j->count = 1024;
	for (int i = 0; i < 16; i++)
		j->salt[i] = (uint8_t)(0x10 + i), j->challenge[i] = (uint8_t)(0x20 + i);
	for (int i = 0; i < 16; i++)
		aes[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 32; i++)
		hmac[i] = (uint8_t)(0xc0 + i);
	/* the client's Token, always under the right secret */
	assert_int_equal(twc_token_make((const uint8_t *)SECRET, strlen(SECRET), j->salt, j->count,
					j->challenge, aes, hmac, j->token),
			 TWC_OK);
	return j;
}

static uint8_t seen_aes[2][16], seen_hmac[2][32], seen_secret_zero[2];

static void keep_done(void *ctx, struct ctl_auth_job *j)
{
	int i = (int)(intptr_t)ctx;
	static const uint8_t zero[CTL_SECRET_MAX];

	memcpy(seen_aes[i], j->aes, 16);
	memcpy(seen_hmac[i], j->hmac, 32);
	seen_secret_zero[i] = memcmp(j->secret, zero, sizeof(zero)) == 0;
	T->r[i].done++;
	T->r[i].err = j->err;
	T->r[i].checked = j->checked;
}

static void token_results(void **state)
{
	struct t *t = *state;
	uint8_t aes[2][16], hmac[2][32];
	struct ctl_auth_job *good = secret_job(SECRET, aes[0], hmac[0]);
	struct ctl_auth_job *bad = secret_job("not the passphrase", aes[1], hmac[1]);
	struct ctl_ip src = tip4(10, 0, 0, 1);

	ctl_authpool_submit(&t->pool, &src, good, keep_done, (void *)(intptr_t)0);
	ctl_authpool_submit(&t->pool, &src, bad, keep_done, (void *)(intptr_t)1);
	RUN_UNTIL(t, t->r[0].done && t->r[1].done);
	assert_true(t->r[0].checked);
	assert_int_equal(t->r[0].err, TWC_OK);
	assert_memory_equal(seen_aes[0], aes[0], 16);   /* the client's session keys */
	assert_memory_equal(seen_hmac[0], hmac[0], 32);
	assert_int_equal(t->r[1].err, TWC_E_CHALLENGE);
	assert_true(seen_secret_zero[0] && seen_secret_zero[1]); /* wiped after the run */
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_QUEUED], 2);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_COMPLETED], 2);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_DISCARDED], 0);
	assert_int_equal(ctl_authpool_depth(&t->pool), 0);
}

/* ---- cancellation ---- */

static void cancel_queued(void **state)
{
	struct t *t = *state;
	struct ctl_auth_job *h = ike_job(t, 0, true), *q = ike_job(t, 1, false);

	submit(t, h, 0, tip4(10, 0, 0, 1));
	wait_entered(t, 1);                      /* the only worker holds h */
	submit(t, q, 1, tip4(10, 0, 0, 2));
	assert_int_equal(ctl_authpool_depth(&t->pool), 1);
	assert_int_equal(ctl_authpool_running(&t->pool), 1);
	ctl_authpool_cancel(&t->pool, q);        /* freed now */
	assert_int_equal(ctl_authpool_depth(&t->pool), 0);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_DISCARDED], 1);
	gate_open(t);
	RUN_UNTIL(t, t->r[0].done == 1);
	for (int i = 0; i < 10; i++)
		ctl_loop_once(&t->loop, 5);
	assert_int_equal(t->r[1].done, 0);
	assert_int_equal(t->g.entered, 1);       /* q never ran */
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_COMPLETED], 1);
}

static void cancel_running(void **state)
{
	struct t *t = *state;
	struct ctl_auth_job *h = ike_job(t, 0, true), *after = ike_job(t, 1, false);

	submit(t, h, 0, tip4(10, 0, 0, 1));
	wait_entered(t, 1);
	ctl_authpool_cancel(&t->pool, h);        /* running: freed when back */
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_DISCARDED], 0);
	gate_open(t);
	RUN_UNTIL(t, t->ctr.v[CTL_C_AUTH_JOBS_DISCARDED] == 1);
	assert_int_equal(t->r[0].done, 0);
	/* the pool goes on */
	submit(t, after, 1, tip4(10, 0, 0, 1));
	RUN_UNTIL(t, t->r[1].done == 1);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_COMPLETED], 1);
}

/* Cancelled after its result is on the done list, before the loop took
 * it: discarded all the same. */
static void cancel_done(void **state)
{
	struct t *t = *state;
	struct ctl_auth_job *h = ike_job(t, 0, false);

	submit(t, h, 0, tip4(10, 0, 0, 1));
	for (uint64_t end = now_ms() + 10000;;) { /* done by the worker, loop not run */
		bool on_list;

		pthread_mutex_lock(&t->pool.mu);
		on_list = t->pool.done_head == h;
		pthread_mutex_unlock(&t->pool.mu);
		if (on_list)
			break;
		assert_true(now_ms() < end);
	}
	ctl_authpool_cancel(&t->pool, h);
	RUN_UNTIL(t, t->ctr.v[CTL_C_AUTH_JOBS_DISCARDED] == 1);
	assert_int_equal(t->r[0].done, 0);
}

/* ---- the full queue ---- */

static void full_queue(void **state)
{
	struct t *t = *state;                    /* 1 worker, queue of 2 */
	struct ctl_ip a = tip4(10, 0, 0, 1), b = tip4(10, 0, 0, 2), c = tip4(10, 0, 0, 3);

	submit(t, ike_job(t, 0, true), 0, a);
	wait_entered(t, 1);                      /* running, not queued */
	submit(t, ike_job(t, 1, false), 1, a);
	submit(t, ike_job(t, 2, false), 2, a);   /* queue: a1 a2 */
	submit(t, ike_job(t, 3, false), 3, b);   /* a2 gives way to b */
	submit(t, ike_job(t, 4, false), 4, c);   /* a 1, b 1: c refused */
	assert_int_equal(ctl_authpool_depth(&t->pool), 2);
	RUN_UNTIL(t, t->r[2].done && t->r[4].done);
	assert_true(t->r[2].refused);
	assert_true(t->r[4].refused);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_QUEUE_FULL], 2);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_QUEUED], 4);
	gate_open(t);
	RUN_UNTIL(t, t->r[0].done && t->r[1].done && t->r[3].done);
	assert_false(t->r[0].refused || t->r[1].refused || t->r[3].refused);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_COMPLETED], 3);
	assert_int_equal(t->g.entered, 3);       /* the refused ones never ran */
}

/* ---- fairness ---- */

/* One source floods 100 jobs behind a held one, then a good source queues
 * one: it runs third (the held job, one of the flood, then it). */
static void flood_and_good_source(void **state)
{
	struct t *t = *state;                    /* 1 worker */
	struct ctl_ip flood = tip4(127, 0, 0, 66), good = tip4(127, 0, 0, 1);
	int pos = -1;

	submit(t, ike_job(t, 0, true), 0, flood);
	wait_entered(t, 1);
	for (int i = 1; i <= 100; i++)
		submit(t, ike_job(t, i, false), i, flood);
	submit(t, ike_job(t, 101, false), 101, good);
	gate_open(t);
	RUN_UNTIL(t, t->ndone == 102);
	for (int i = 0; i < t->g.n; i++)
		if (t->g.order[i] == 101)
			pos = i;
	assert_int_equal(pos, 2);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_JOBS_COMPLETED], 102);
}

/* Two workers: the good source's job is among the first four run (each
 * worker takes one flood job at most before it). */
static void flood_two_workers(void **state)
{
	struct t *t = *state;
	struct ctl_ip flood = tip4(127, 0, 0, 66), good = tip4(127, 0, 0, 1);
	int pos = -1;

	submit(t, ike_job(t, 0, true), 0, flood);
	submit(t, ike_job(t, 1, true), 1, flood);
	wait_entered(t, 2);
	for (int i = 2; i <= 100; i++)
		submit(t, ike_job(t, i, false), i, flood);
	submit(t, ike_job(t, 101, false), 101, good);
	gate_open(t);
	RUN_UNTIL(t, t->ndone == 102);
	for (int i = 0; i < t->g.n; i++)
		if (t->g.order[i] == 101)
			pos = i;
	/* round robin pops it second after the gate opens (FIFO: 101st); the
	 * order is taken when a job starts, after its pop and outside the
	 * queue's lock, so the other worker may start a few flood jobs while
	 * the one holding 101 is descheduled (seen once under ASan: pos 5) */
	assert_true(pos >= 2 && pos <= 12);
}

/* Shutdown with jobs queued and a result not taken: freed, no done(). */
static void fini_with_jobs(void **state)
{
	struct t *t = *state;

	submit(t, ike_job(t, 0, true), 0, tip4(10, 0, 0, 1));
	wait_entered(t, 1);
	for (int i = 1; i < 10; i++)
		submit(t, ike_job(t, i, false), i, tip4(10, 0, 0, (uint8_t)i));
	gate_open(t);
	ctl_authpool_fini(&t->pool);             /* teardown's second fini: a no-op */
	assert_int_equal(t->ndone, 0);
}

/* ---- a connection with auth_async ---- */

static int conn_setup(void **state)
{
	struct tenv *e = malloc(sizeof(*e));

	assert_non_null(e);
	tenv_init(e);
	e->env.auth_async = true;
	*state = e;
	return 0;
}

static int conn_teardown(void **state)
{
	tenv_fini(*state);
	free(*state);
	return 0;
}

/* Greeting taken, the Set-Up-Response fed: the job waits. */
static struct ctl_conn *waiting_conn(struct tenv *e, struct tclient *tc, const char *secret)
{
	struct ctl_conn *c = tconn_new(e);
	uint8_t greet[TWC_GREETING_LEN], setup[TWC_SETUP_LEN + 16];

	tconn_take(c, greet, sizeof(greet));
	tclient_setup(tc, greet, TWC_MODE_AUTH, "testuser", secret, setup);
	memset(setup + TWC_SETUP_LEN, 0x55, 16); /* more input: not read now */
	assert_true(ctl_conn_input(c, setup, sizeof(setup)));
	assert_true(ctl_conn_auth_waiting(c));
	assert_int_equal(ctl_conn_want(c), 0);
	assert_false(ctl_conn_set_up(c));        /* still pending */
	assert_int_equal(tconn_pending(c), 0);   /* no Server-Start yet */
	assert_int_equal(c->state, CTL_CS_SETUP);
	return c;
}

static void conn_waits_for_its_job(void **state)
{
	struct tenv *e = *state;
	struct tclient tc;
	struct ctl_conn *c = waiting_conn(e, &tc, "interop-passphrase");
	struct ctl_auth_job *j = ctl_conn_auth_take(c);
	uint8_t ss[TWC_SERVER_START_LEN];
	static const uint8_t zero[CTL_SECRET_MAX];

	assert_non_null(j);
	assert_null(ctl_conn_auth_take(c));
	assert_int_equal(j->kind, CTL_AUTH_SECRET);
	assert_int_equal(j->count, 1u << e->cfg.server.count);
	assert_memory_equal(j->challenge, c->challenge, 16);
	assert_memory_equal(j->salt, c->salt, 16);
	assert_true(j->known_key);
	assert_int_equal(e->ctr.v[CTL_C_AUTH_OK], 0);
	ctl_auth_run(j);                          /* what a worker does */
	assert_memory_equal(j->secret, zero, sizeof(zero));
	ctl_conn_auth_done(c, j);
	ctl_auth_job_free(j);
	assert_false(ctl_conn_auth_waiting(c));
	tconn_take(c, ss, sizeof(ss));
	assert_int_equal(tclient_server_start(&tc, ss), 0);
	assert_int_equal(c->state, CTL_CS_REQUEST);
	assert_int_equal(ctl_conn_want(c), TWC_BLOCK);
	assert_int_equal(e->ctr.v[CTL_C_AUTH_OK], 1);
	assert_int_equal(e->auth_ok, 1);
	tclient_free(&tc);
	ctl_conn_free(c, "done");
}

static void conn_wrong_token_async(void **state)
{
	struct tenv *e = *state;
	struct tclient tc;
	struct ctl_conn *c = waiting_conn(e, &tc, "wrong");
	struct ctl_auth_job *j = ctl_conn_auth_take(c);
	uint8_t ss[TWC_SERVER_START_LEN];

	ctl_auth_run(j);
	ctl_conn_auth_done(c, j);
	ctl_auth_job_free(j);
	tconn_take(c, ss, sizeof(ss));
	assert_int_equal(tclient_server_start(&tc, ss), 1);
	assert_true(ctl_conn_closing(c));
	assert_int_equal(e->ctr.v[CTL_C_AUTH_FAILED], 1);
	assert_int_equal(e->auth_fail, 1);
	tclient_free(&tc);
	ctl_conn_free(c, "done");
}

static void conn_refused_job(void **state)
{
	struct tenv *e = *state;
	struct tclient tc;
	struct ctl_conn *c = waiting_conn(e, &tc, "interop-passphrase");
	struct ctl_auth_job *j = ctl_conn_auth_take(c);
	uint8_t ss[TWC_SERVER_START_LEN];

	j->refused = true;                        /* the pool's queue was full */
	ctl_conn_auth_done(c, j);
	ctl_auth_job_free(j);
	tconn_take(c, ss, sizeof(ss));
	assert_int_equal(tclient_server_start(&tc, ss), TWC_ACCEPT_TEMPORARY);
	assert_true(ctl_conn_closing(c));
	assert_int_equal(e->ctr.v[CTL_C_AUTH_FAILED], 0); /* the server's limit */
	assert_int_equal(e->auth_fail, 0);
	assert_true(tenv_log_find(e, "the authentication queue is full (Accept 5)") >= 0);
	tclient_free(&tc);
	ctl_conn_free(c, "done");
}

/* Closed before the job was taken: the job goes with the connection. */
static void conn_freed_with_job(void **state)
{
	struct tenv *e = *state;
	struct tclient tc;
	struct ctl_conn *c = waiting_conn(e, &tc, "interop-passphrase");

	tclient_free(&tc);
	ctl_conn_free(c, "peer closed");          /* LeakSanitizer: freed */
}

/* IKEv2-derived: the key agent is asked by the job, not at set-up. */
static void conn_ike_lookup_in_the_job(void **state)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	struct tenv *e = *state;
	struct ctl_conn *c;
	struct ctl_auth_job *j;
	struct tclient tc;
	uint8_t greet[TWC_GREETING_LEN], setup[TWC_SETUP_LEN], ss[TWC_SERVER_START_LEN], id[80];

	e->cfg.server.modes |= TWC_MODE_IKEV2;
	e->cfg.server.ike_check_peer = true;
	tenv_ike(e, key, sizeof(key));
	c = tconn_new(e);
	tconn_take(c, greet, sizeof(greet));
	memset(id, 0, sizeof(id));
	id[0] = id[8] = 0x11;
	tclient_setup_raw(&tc, greet, TWC_MODE_AUTH | TWC_MODE_IKEV2, id, key, sizeof(key), setup);
	ctl_conn_input(c, setup, sizeof(setup));
	assert_true(ctl_conn_auth_waiting(c));
	assert_int_equal(e->agent.lookups, 0);
	j = ctl_conn_auth_take(c);
	assert_int_equal(j->kind, CTL_AUTH_IKE);
	ctl_auth_run(j);
	assert_int_equal(e->agent.lookups, 1);
	assert_true(j->peer_ok);
	ctl_conn_auth_done(c, j);
	ctl_auth_job_free(j);
	tconn_take(c, ss, sizeof(ss));
	assert_int_equal(tclient_server_start(&tc, ss), 0);
	assert_int_equal(e->ctr.v[CTL_C_IKE_OK], 1);
	tclient_free(&tc);
	ctl_conn_free(c, "done");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(token_results, setup2, teardown),
		cmocka_unit_test_setup_teardown(cancel_queued, setup1, teardown),
		cmocka_unit_test_setup_teardown(cancel_running, setup1, teardown),
		cmocka_unit_test_setup_teardown(cancel_done, setup1, teardown),
		cmocka_unit_test_setup_teardown(full_queue, setup_small, teardown),
		cmocka_unit_test_setup_teardown(flood_and_good_source, setup1, teardown),
		cmocka_unit_test_setup_teardown(flood_two_workers, setup2, teardown),
		cmocka_unit_test_setup_teardown(fini_with_jobs, setup1, teardown),
		cmocka_unit_test_setup_teardown(conn_waits_for_its_job, conn_setup, conn_teardown),
		cmocka_unit_test_setup_teardown(conn_wrong_token_async, conn_setup, conn_teardown),
		cmocka_unit_test_setup_teardown(conn_refused_job, conn_setup, conn_teardown),
		cmocka_unit_test_setup_teardown(conn_freed_with_job, conn_setup, conn_teardown),
		cmocka_unit_test_setup_teardown(conn_ike_lookup_in_the_job, conn_setup,
						conn_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
