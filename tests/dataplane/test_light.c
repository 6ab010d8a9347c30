/* The stateful TWAMP Light sender table (dataplane/light.c): per-sender
 * sequence numbers, and a full table giving way to a new sender by
 * forgetting the sender seen least recently (counted), never by dropping
 * the new one; the sweep of idle senders keeps the list consistent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>

#include "light.h"

static struct dp_config cfg;
static struct light_worker_state st;

/* Sender i: 10.(i >> 16).(i >> 8).i, port 5000 + i % 7 (i < 2^24). */
static void sender(uint32_t i, uint8_t addr[16], uint16_t *port)
{
	memset(addr, 0, 16);
	addr[0] = 10;
	addr[1] = (uint8_t)(i >> 16);
	addr[2] = (uint8_t)(i >> 8);
	addr[3] = (uint8_t)i;
	*port = (uint16_t)(5000 + i % 7);
}

static int64_t seq_of(uint32_t i, uint32_t sender_seq, uint64_t now, uint64_t *evicted)
{
	uint8_t a[16];
	uint16_t port;

	sender(i, a, &port);
	return light_next_seq(&st, &dp_light.l[0], 4, a, port, sender_seq, now, evicted);
}

/* Is sender i in the table? (the key as light.c builds it) */
static bool present(uint32_t i)
{
	struct light_state_key k;
	uint16_t port;

	memset(&k, 0, sizeof(k));
	sender(i, k.addr, &port);
	k.port = port;
	k.ipver = 4;
	k.light = 0;
	return rte_hash_lookup(st.h, &k) >= 0;
}

/* The list from oldest to newest holds exactly the table's entries. */
static void list_consistent(void)
{
	uint32_t n = 0, prev = LIGHT_NIL;

	for (uint32_t p = st.oldest; p != LIGHT_NIL; p = st.ent[p].newer) {
		assert_int_equal(st.ent[p].older, prev);
		prev = p;
		assert_true(++n <= LIGHT_STATE_ENTRIES);
		assert_true(p < LIGHT_STATE_SLOTS);
	}
	assert_int_equal(prev, st.newest);
	assert_int_equal(n, rte_hash_count(st.h));
	assert_int_equal(n, st.count);
}

static void test_sequence(void **state)
{
	uint64_t ev = 0;

	(void)state;
	assert_int_equal(seq_of(1, 1, 100, &ev), 0);
	assert_int_equal(seq_of(1, 2, 200, &ev), 1);
	assert_int_equal(seq_of(2, 7, 300, &ev), 0);
	assert_int_equal(seq_of(1, 3, 400, &ev), 2);
	/* the sender restarts at 0: so does the reflector */
	assert_int_equal(seq_of(1, 0, 500, &ev), 0);
	assert_int_equal(ev, 0);
	list_consistent();
	light_worker_fini(&st);
	assert_int_equal(light_worker_init(&st, 0), 0);
}

/* Fill the table with more senders than it holds: none is refused, it
 * holds exactly LIGHT_STATE_ENTRIES, the ones forgotten are the earliest,
 * and a sender that keeps sending is kept while those around it go. */
static void test_full_table_evicts_oldest(void **state)
{
	const uint32_t n = LIGHT_STATE_ENTRIES + 1000;
	uint64_t ev = 0, now = 1000;
	uint32_t gone, held;

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		int64_t q = seq_of(i, 1, now++, &ev);

		if (q != 0)
			fail_msg("sender %u: %lld, %d held, %llu evicted", i, (long long)q,
				 rte_hash_count(st.h), (unsigned long long)ev);
		/* sender 100 keeps sending */
		if (i > 100 && i % 1024 == 0)
			assert_true(seq_of(100, 2, now++, &ev) > 0);
	}
	held = (uint32_t)rte_hash_count(st.h);
	print_message("%u senders, %u held, %llu evicted\n", n, held, (unsigned long long)ev);
	assert_int_equal(held, LIGHT_STATE_ENTRIES);
	assert_int_equal(ev, n - held);
	list_consistent();
	/* forgotten: a prefix of the senders, oldest first, but for sender 100 */
	gone = (uint32_t)ev + 1; /* sender 100 took the place of one after it */
	assert_true(present(100));
	for (uint32_t i = 0; i < n; i++) {
		if (i == 100)
			continue;
		if (present(i)) {
			gone = i;
			break;
		}
	}
	for (uint32_t i = gone; i < n; i++)
		assert_true(present(i));
	assert_int_equal(gone, ev + 1);
	assert_true(ev > 0);

	/* the oldest sends again: the next new sender evicts the one after it */
	assert_true(seq_of(gone, 2, now++, &ev) == 1);
	assert_true(seq_of(n, 1, now++, &ev) == 0);
	assert_int_equal(ev, n - held + 1);
	assert_true(present(gone));
	assert_false(present(gone + 1));
	assert_true(present(gone + 2));
	list_consistent();
}

/* The sweep forgets idle senders and unlinks them. */
static void test_sweep(void **state)
{
	uint64_t late = (uint64_t)1 << 62, ev = 0;

	(void)state;
	for (int i = 0; i < 20000 && rte_hash_count(st.h) > 0; i++)
		light_sweep(&st, late);
	assert_int_equal(rte_hash_count(st.h), 0);
	assert_int_equal(st.oldest, LIGHT_NIL);
	assert_int_equal(st.newest, LIGHT_NIL);
	assert_int_equal(seq_of(7, 1, late, &ev), 0);
	assert_int_equal(ev, 0);
	list_consistent();
}

static int setup(void)
{
	char prefix[64], err[256];
	char *argv[] = { "test_light", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			 "--no-telemetry", "--log-level", "error", "--file-prefix", prefix };

	snprintf(prefix, sizeof(prefix), "twr-t-light-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0)
		return -1;
	cfg.nlight = 1;
	snprintf(cfg.light[0].name, sizeof(cfg.light[0].name), "stateful");
	cfg.light[0].port = 862;
	cfg.light[0].sec = TW_SEC_OPEN;
	cfg.light[0].state = DP_LIGHT_STATEFUL;
	cfg.light[0].dscp = -1;
	cfg.light[0].refwait_s = 900;
	if (light_init(&cfg, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "test_light: %s\n", err);
		return -1;
	}
	return light_worker_init(&st, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_full_table_evicts_oldest),
		cmocka_unit_test(test_sweep),
	};

	if (setup() != 0) {
		fprintf(stderr, "test_light: set-up failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
