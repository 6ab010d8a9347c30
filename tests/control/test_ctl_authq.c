/* The authentication pool's fair queue (control/ctl_authq.c): FIFO within
 * a source, round robin across source prefixes (a flooding source does
 * not delay another's job by more than one round), /32 and /64 sources
 * and other prefix lengths,
 * the full queue (refusal, and the flooder giving way), removal of a
 * queued item, and a randomised run against a model of the rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_authq.h"
#include "tctl.h"

struct item {
	struct ctl_authq_item qi;
	int id;
	struct ctl_ip src;
};

static struct item *of(struct ctl_authq_item *it)
{
	return it ? (struct item *)((char *)it - offsetof(struct item, qi)) : NULL;
}

static int pop_id(struct ctl_authq *q)
{
	struct item *i = of(ctl_authq_pop(q));

	return i ? i->id : -1;
}

static struct ctl_authq_item *push(struct ctl_authq *q, struct item *it, int id,
				   struct ctl_ip src)
{
	memset(it, 0, sizeof(*it));
	it->id = id;
	it->src = src;
	return ctl_authq_push(q, &src, &it->qi);
}

static void test_fifo_one_source(void **state)
{
	struct ctl_authq q;
	struct item it[5];

	(void)state;
	assert_int_equal(ctl_authq_init(&q, 8, 32, 64), 0);
	for (int i = 0; i < 5; i++)
		assert_null(push(&q, &it[i], i, tip4(10, 0, 0, 1)));
	assert_int_equal(q.n, 5);
	assert_int_equal(q.nsrc, 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pop_id(&q), i);
	assert_int_equal(pop_id(&q), -1);
	assert_int_equal(q.nsrc, 0);
	ctl_authq_fini(&q);
}

/* A new source goes last in the current round. */
static void test_round_robin_order(void **state)
{
	struct ctl_authq q;
	struct item it[6];
	const int want[] = { 0, 3, 5, 1, 4, 2 };

	(void)state;
	assert_int_equal(ctl_authq_init(&q, 8, 32, 64), 0);
	push(&q, &it[0], 0, tip4(10, 0, 0, 1)); /* A */
	push(&q, &it[1], 1, tip4(10, 0, 0, 1)); /* A */
	push(&q, &it[2], 2, tip4(10, 0, 0, 1)); /* A */
	push(&q, &it[3], 3, tip4(10, 0, 0, 2)); /* B */
	push(&q, &it[4], 4, tip4(10, 0, 0, 2)); /* B */
	push(&q, &it[5], 5, tip4(10, 0, 0, 3)); /* C */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(pop_id(&q), want[i]);
	ctl_authq_fini(&q);
}

/* One source floods 200 jobs, then a good source queues one: it is served
 * within 2 pops (one of the flooder's, then its own), and again after the
 * flooder's next job when it comes back in the middle of the flood. */
static void test_flood_does_not_starve(void **state)
{
	struct ctl_authq q;
	struct item *it = calloc(202, sizeof(*it));
	int pops = 0, id;

	(void)state;
	assert_non_null(it);
	assert_int_equal(ctl_authq_init(&q, 256, 32, 64), 0);
	for (int i = 0; i < 200; i++)
		assert_null(push(&q, &it[i], i, tip4(127, 0, 0, 66)));
	assert_null(push(&q, &it[200], 1000, tip4(127, 0, 0, 1)));
	do {
		id = pop_id(&q);
		pops++;
	} while (id != 1000 && id >= 0);
	assert_int_equal(id, 1000);
	assert_true(pops <= 2);
	/* 50 more of the flood served, then the good source again */
	for (int i = 0; i < 50; i++)
		assert_true(pop_id(&q) < 200);
	assert_null(push(&q, &it[201], 1001, tip4(127, 0, 0, 1)));
	pops = 0;
	do {
		id = pop_id(&q);
		pops++;
	} while (id != 1001 && id >= 0);
	assert_int_equal(id, 1001);
	assert_true(pops <= 2);
	ctl_authq_fini(&q);
	free(it);
}

/* Many flooding sources and one good one: the good job waits for at most
 * one job of every source queued before it. */
static void test_many_sources_one_round(void **state)
{
	struct ctl_authq q;
	struct item *it = calloc(20 * 10 + 1, sizeof(*it));
	int n = 0, pops = 0, id;

	(void)state;
	assert_non_null(it);
	assert_int_equal(ctl_authq_init(&q, 256, 32, 64), 0);
	for (int round = 0; round < 10; round++)
		for (int s = 0; s < 20; s++, n++)
			assert_null(push(&q, &it[n], n, tip4(127, 0, 1, (uint8_t)(10 + s))));
	assert_null(push(&q, &it[n], 9999, tip4(127, 0, 0, 1)));
	do {
		id = pop_id(&q);
		pops++;
	} while (id != 9999 && id >= 0);
	assert_int_equal(id, 9999);
	assert_int_equal(pops, 21); /* 20 sources before it, one job each */
	ctl_authq_fini(&q);
	free(it);
}

static void test_prefixes(void **state)
{
	struct ctl_authq q;
	struct item it[5];
	struct ctl_ip p;

	(void)state;
	assert_int_equal(ctl_authq_init(&q, 8, 32, 64), 0);
	/* one /64: one source, whatever the interface identifiers */
	push(&q, &it[0], 0, tip6("fd00:99:1:2::1"));
	push(&q, &it[1], 1, tip6("fd00:99:1:2:ffff:1:2:3"));
	assert_int_equal(q.nsrc, 1);
	push(&q, &it[2], 2, tip6("fd00:99:1:3::1")); /* another /64 */
	assert_int_equal(q.nsrc, 2);
	/* IPv4: /32, and never the same source as an IPv6 address */
	push(&q, &it[3], 3, tip4(10, 0, 0, 1));
	push(&q, &it[4], 4, tip4(10, 0, 0, 2));
	assert_int_equal(q.nsrc, 4);
	p = ctl_authq_prefix(&q, &it[1].src);
	assert_true(ctl_ip_equal(&p, &it[0].qi.src->prefix));
	for (int i = 8; i < 16; i++)
		assert_int_equal(p.a[i], 0);
	assert_int_equal(pop_id(&q), 0);
	assert_int_equal(pop_id(&q), 2);
	assert_int_equal(pop_id(&q), 3);
	assert_int_equal(pop_id(&q), 4);
	assert_int_equal(pop_id(&q), 1);
	ctl_authq_fini(&q);
}

/* Other prefix lengths (ip-block's ipv4-prefix-length 24, ipv6 48): a /24
 * and a /48 are one source each. */
static void test_prefix_lengths(void **state)
{
	struct ctl_authq q;
	struct item it[5];

	(void)state;
	assert_int_equal(ctl_authq_init(&q, 8, 24, 48), 0);
	push(&q, &it[0], 0, tip4(10, 0, 7, 1));
	push(&q, &it[1], 1, tip4(10, 0, 7, 200));   /* the same /24 */
	push(&q, &it[2], 2, tip4(10, 0, 8, 1));     /* another */
	push(&q, &it[3], 3, tip6("fd00:99:1:2::1"));
	push(&q, &it[4], 4, tip6("fd00:99:1:ffff::1")); /* the same /48 */
	assert_int_equal(q.nsrc, 3);
	assert_int_equal(pop_id(&q), 0);
	assert_int_equal(pop_id(&q), 2);
	assert_int_equal(pop_id(&q), 3);
	assert_int_equal(pop_id(&q), 1);
	assert_int_equal(pop_id(&q), 4);
	ctl_authq_fini(&q);
}

/* Full: the flooder's newest gives way while it holds 2 more than the
 * newcomer's source; otherwise the newcomer is refused. */
static void test_full(void **state)
{
	struct ctl_authq q;
	struct item a[4], b[3], c;
	struct ctl_authq_item *out;

	(void)state;
	assert_int_equal(ctl_authq_init(&q, 4, 32, 64), 0);
	for (int i = 0; i < 4; i++)
		assert_null(push(&q, &a[i], i, tip4(10, 0, 0, 1)));
	out = push(&q, &b[0], 10, tip4(10, 0, 0, 2)); /* A 4 vs B 0 */
	assert_ptr_equal(out, &a[3].qi);
	assert_false(ctl_authq_queued(out));
	out = push(&q, &b[1], 11, tip4(10, 0, 0, 2)); /* A 3 vs B 1 */
	assert_ptr_equal(out, &a[2].qi);
	out = push(&q, &b[2], 12, tip4(10, 0, 0, 2)); /* A 2 vs B 2: refused */
	assert_ptr_equal(out, &b[2].qi);
	assert_false(ctl_authq_queued(&b[2].qi));
	out = push(&q, &c, 20, tip4(10, 0, 0, 3));    /* A 2 vs C 0 */
	assert_ptr_equal(out, &a[1].qi);
	assert_int_equal(q.n, 4);
	assert_int_equal(pop_id(&q), 0);
	assert_int_equal(pop_id(&q), 10);
	assert_int_equal(pop_id(&q), 20);
	assert_int_equal(pop_id(&q), 11);
	assert_int_equal(pop_id(&q), -1);
	ctl_authq_fini(&q);
}

/* Rotating sources, one job each: a full queue refuses the newcomer and
 * displaces nobody. */
static void test_full_rotating(void **state)
{
	struct ctl_authq q;
	struct item it[5];

	(void)state;
	assert_int_equal(ctl_authq_init(&q, 4, 32, 64), 0);
	for (int i = 0; i < 4; i++)
		assert_null(push(&q, &it[i], i, tip4(127, 0, 9, (uint8_t)(i + 1))));
	assert_ptr_equal(push(&q, &it[4], 4, tip4(127, 0, 9, 99)), &it[4].qi);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pop_id(&q), i);
	ctl_authq_fini(&q);
}

static void test_remove(void **state)
{
	struct ctl_authq q;
	struct item it[6];

	(void)state;
	assert_int_equal(ctl_authq_init(&q, 8, 32, 64), 0);
	push(&q, &it[0], 0, tip4(10, 0, 0, 1));
	push(&q, &it[1], 1, tip4(10, 0, 0, 1));
	push(&q, &it[2], 2, tip4(10, 0, 0, 1));
	push(&q, &it[3], 3, tip4(10, 0, 0, 2));
	push(&q, &it[4], 4, tip4(10, 0, 0, 3));
	ctl_authq_remove(&q, &it[1].qi);       /* middle of a source */
	ctl_authq_remove(&q, &it[3].qi);       /* a source's only item: source gone */
	assert_false(ctl_authq_queued(&it[3].qi));
	assert_int_equal(q.nsrc, 2);
	ctl_authq_remove(&q, &it[3].qi);       /* not queued: nothing */
	assert_int_equal(q.n, 3);
	assert_int_equal(pop_id(&q), 0);
	assert_int_equal(pop_id(&q), 4);
	ctl_authq_remove(&q, &it[2].qi);       /* the cursor's source goes */
	assert_int_equal(pop_id(&q), -1);
	assert_int_equal(q.n, 0);
	push(&q, &it[5], 5, tip4(10, 0, 0, 9)); /* usable again */
	assert_int_equal(pop_id(&q), 5);
	ctl_authq_fini(&q);
}

/* Random operations against the rules: counts add up, the bound holds,
 * no item is lost or served twice, and the items of a source are served
 * in arrival order. */
#define R_ITEMS 4000
#define R_SRCS 12

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static void test_random_model(void **state)
{
	struct ctl_authq q;
	struct item *it = calloc(R_ITEMS, sizeof(*it));
	int *fate = calloc(R_ITEMS, sizeof(*fate)); /* 0 none, 1 queued, 2 out */
	int last[R_SRCS];
	unsigned seed = 12345;
	int next = 0;
	size_t queued = 0;

	(void)state;
	assert_non_null(it);
	assert_non_null(fate);
	for (int s = 0; s < R_SRCS; s++)
		last[s] = -1;
	assert_int_equal(ctl_authq_init(&q, 64, 32, 64), 0);
	while (next < R_ITEMS) {
		unsigned op = rnd(&seed) % 10;

		if (op < 6) {
			int s = (int)(rnd(&seed) % R_SRCS);
			struct item *o = of(push(&q, &it[next], next, tip4(10, 1, 0, (uint8_t)s)));

			fate[next] = 1;
			queued++;
			if (o) {
				assert_int_equal(fate[o->id], 1);
				fate[o->id] = 2;
				queued--;
			}
			next++;
		} else if (op < 9) {
			struct item *o = of(ctl_authq_pop(&q));

			if (!o) {
				assert_int_equal(queued, 0);
				continue;
			}
			assert_int_equal(fate[o->id], 1);
			fate[o->id] = 2;
			queued--;
			assert_true(o->id > last[o->src.a[3]]); /* FIFO per source */
			last[o->src.a[3]] = o->id;
		} else if (next > 0) {
			int k = (int)(rnd(&seed) % (unsigned)next);

			if (fate[k] == 1) {
				ctl_authq_remove(&q, &it[k].qi);
				fate[k] = 2;
				queued--;
			}
		}
		assert_int_equal(q.n, queued);
		assert_true(q.n <= q.max);
		assert_true(q.nsrc <= R_SRCS);
	}
	while (queued > 0) {
		struct item *o = of(ctl_authq_pop(&q));

		assert_non_null(o);
		assert_int_equal(fate[o->id], 1);
		fate[o->id] = 2;
		queued--;
	}
	assert_null(ctl_authq_pop(&q));
	for (int i = 0; i < R_ITEMS; i++)
		assert_int_equal(fate[i], 2);
	ctl_authq_fini(&q);
	free(fate);
	free(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_one_source),
		cmocka_unit_test(test_round_robin_order),
		cmocka_unit_test(test_flood_does_not_starve),
		cmocka_unit_test(test_many_sources_one_round),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_prefix_lengths),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_full_rotating),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
