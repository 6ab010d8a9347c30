/* The reflect pipeline's two instantiations agree (dataplane/pipeline.c):
 * the same requests, fed through pipeline_burst (the plain copy, then the
 * general copy for what it defers) and through the general copy alone,
 * give the same replies octet for octet, the same frames to the kernel and
 * the same counters (but for fast_lane, which counts the plain copy's).
 *
 * Requests: every mode (open, authenticated, encrypted; symmetrical),
 * TWAMP Light stateless and stateful and API sessions (reflected octets,
 * DSCP set, one not started), IPv4 and IPv6, untagged and one or two tags,
 * every length class (the sender's minimum, padded, odd, too short for the
 * reply to be as long, too short to be a request), and the faults of
 * req_frames.h. The ports are DPDK ring ports, whose TX rings the test
 * reads; the clock is frozen so both runs stamp the same time.
 *
 * Within a burst the plain copy reflects its packets before those it
 * defers, so a sequence counter shared by both would number them in
 * another order than the general copy alone: each burst holds at most one
 * request per flow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp_clock.h"
#include "light.h"
#include "net_parse.h"
#include "pipeline.h"
#include "req_frames.h"
#include "sessions.h"
#include "worker.h"

#define MAX_REQS 2048
#define BURST 32

static const uint8_t PORT_MAC[6] = { 0x02, 0x00, 0x00, 0x99, 0x00, 0x01 };
static const uint8_t V4_LOCAL[16] = { 10, 99, 1, 1 }, V4_PEER[16] = { 10, 99, 1, 2 };
static const uint8_t V4_STRANGER[16] = { 10, 99, 2, 9 }, V4_ELSEWHERE[16] = { 10, 99, 1, 77 };
static const uint8_t V6_LOCAL[16] = { 0xfd, 0, 0, 0x99, [15] = 1 };
static const uint8_t V6_PEER[16] = { 0xfd, 0, 0, 0x99, [15] = 2 };
static const uint8_t V6_STRANGER[16] = { 0xfd, 0, 0, 0x98, [15] = 9 };

static struct dp_config cfg;
static struct rte_mempool *pool;
static struct rte_ring *tx_ring, *tap_ring;
static struct dp_port port;
static struct dp_worker wk[2];   /* 0: both copies; 1: the general copy alone */
static struct dp_gcounters gc[2];
static struct tw_keys keys[3];

/* A reflector the requests are aimed at: a Light reflector's UDP port or a
 * session's 5-tuple. */
struct target {
	uint16_t dport;
	enum tw_sec sec;
	bool symmetrical;
	uint8_t ipver;            /* 0: both */
	uint16_t sport;           /* a session's; 0: Light (any) */
	const struct tw_keys *keys;
};

static const struct target TARGETS[] = {
	{ 862, TW_SEC_OPEN, false, 0, 0, NULL },              /* Light, stateless */
	{ 863, TW_SEC_AUTH, false, 0, 0, &keys[0] },          /* Light, stateful, allowed prefixes */
	{ 864, TW_SEC_ENC, false, 0, 0, &keys[1] },           /* Light, stateless, DSCP 46 */
	{ 865, TW_SEC_OPEN, true, 0, 0, NULL },               /* Light, stateful, symmetrical */
	{ 5000, TW_SEC_OPEN, false, 4, 20000, NULL },         /* sessions: open */
	{ 5001, TW_SEC_AUTH, false, 6, 20001, &keys[2] },     /* authenticated */
	{ 5002, TW_SEC_ENC, false, 4, 20002, &keys[2] },      /* encrypted, 8 reflected octets */
	{ 5003, TW_SEC_OPEN, false, 4, 20003, NULL },         /* installed, not started */
	{ 5004, TW_SEC_OPEN, true, 6, 20004, NULL },          /* symmetrical, DSCP 10 */
	{ 5005, TW_SEC_AUTH, false, 4, 20005, &keys[2] },     /* authenticated, 16 reflected octets */
};
#define NTARGETS (sizeof(TARGETS) / sizeof(TARGETS[0]))

/* ---- set-up ---------------------------------------------------------------- */

static void prefix(struct cfg_prefix *p, uint8_t ipver, const uint8_t *a, uint8_t len)
{
	p->ipver = ipver;
	p->len = len;
	memcpy(p->addr, a, 16);
}

static void light_cfg(struct dp_light_cfg *l, const struct target *t, enum dp_light_state st,
		      int dscp)
{
	snprintf(l->name, sizeof(l->name), "l%u", t->dport);
	l->port = t->dport;
	l->sec = (uint8_t)t->sec;
	l->symmetrical = t->symmetrical;
	l->state = st;
	l->dscp = dscp;
	l->refwait_s = 900;
	if (t->keys != NULL)
		l->keys = *t->keys;
}

static void config(void)
{
	static const uint8_t v4net[16] = { 10, 99, 1, 0 }, v6net[16] = { 0xfd, 0, 0, 0x99 };
	struct dp_port_cfg *pc = &cfg.ports[0];

	cfg.nports = 1;
	pc->naddrs = 2;
	prefix(&pc->addrs[0], 4, V4_LOCAL, 24);
	prefix(&pc->addrs[1], 6, V6_LOCAL, 64);
	cfg.nlight = 4;
	light_cfg(&cfg.light[0], &TARGETS[0], DP_LIGHT_STATELESS, -1);
	light_cfg(&cfg.light[1], &TARGETS[1], DP_LIGHT_STATEFUL, -1);
	cfg.light[1].nallowed = 2;
	prefix(&cfg.light[1].allowed[0], 4, v4net, 24);
	prefix(&cfg.light[1].allowed[1], 6, v6net, 64);
	light_cfg(&cfg.light[2], &TARGETS[2], DP_LIGHT_STATELESS, 46);
	light_cfg(&cfg.light[3], &TARGETS[3], DP_LIGHT_STATEFUL, -1);
}

static int add_session(unsigned i, const struct target *t)
{
	struct twr_api_session s = {
		.ipver = t->ipver, .sec = (uint8_t)t->sec, .reflector_port = t->dport,
		.sender_port = t->sport, .timeout_ms = 1000,
		.flags = (t->symmetrical ? TWR_SF_SYMMETRICAL : 0) | (t->dport == 5003 ? 0 : TWR_SF_START_NOW),
	};

	s.sid[0] = (uint8_t)(i + 1);
	memcpy(s.reflector_addr, t->ipver == 4 ? V4_LOCAL : V6_LOCAL, 16);
	memcpy(s.sender_addr, t->ipver == 4 ? V4_PEER : V6_PEER, 16);
	if (t->dport == 5002 || t->dport == 5005) {
		s.flags |= TWR_SF_REFLECT_OCTETS;
		s.reflect_len = t->dport == 5002 ? 8 : 16;
	}
	if (t->dport == 5004) {
		s.flags |= TWR_SF_DSCP_SET;
		s.dscp = 10;
	}
	if (t->keys != NULL) {
		memcpy(s.aes_key, t->keys->aes, 16);
		memcpy(s.hmac_key, t->keys->hmac, 32);
	}
	return sessions_add(&s);
}

/* A ring port whose TX ring the test reads; -1 on failure. */
static int ring_port(const char *name, struct rte_ring **r)
{
	int id, rc;

	*r = rte_ring_create(name, 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (*r == NULL)
		return -1;
	id = rte_eth_from_ring(*r);
	if (id < 0)
		return -1;
	{
		struct rte_eth_conf conf;

		memset(&conf, 0, sizeof(conf));
		rc = rte_eth_dev_configure((uint16_t)id, 1, 1, &conf);
	}
	if (rc == 0)
		rc = rte_eth_rx_queue_setup((uint16_t)id, 0, 64, SOCKET_ID_ANY, NULL, pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup((uint16_t)id, 0, 64, SOCKET_ID_ANY, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start((uint16_t)id);
	if (rc != 0) {
		fprintf(stderr, "test_pipeline: %s: cannot start (%d)\n", name, rc);
		return -1;
	}
	return id;
}

static int setup(void)
{
	char prefix_arg[64], err[256];
	int rc, rt;
	char *argv[] = { "test_pipeline", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			 "--no-telemetry", "--log-level", "error", "--file-prefix", prefix_arg };

	snprintf(prefix_arg, sizeof(prefix_arg), "twr-t-pipeline-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("t_pool", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return -1;
	for (unsigned k = 0; k < 3; k++)
		for (unsigned i = 0; i < 16; i++)
			keys[k].aes[i] = (uint8_t)(k * 40 + i), keys[k].hmac[i] = (uint8_t)(k * 7 + i * 3);
	config();
	memcpy(port.mac.addr_bytes, PORT_MAC, 6);
	port.cfg = &cfg.ports[0];
	rc = ring_port("t_tx", &tx_ring);
	rt = ring_port("t_tap", &tap_ring);
	if (rc < 0 || rt < 0)
		return -1;
	port.port_id = (uint16_t)rc;
	port.tap_id = (uint16_t)rt;
	/* frozen: every timestamp of both runs is this one */
	dp_clock.base_ntp = 0xe9000000ull << 32;
	dp_clock.ntp_per_tsc_q32 = 0;
	dp_clock.hz = 1000000000;
	if (sessions_init(64, 2, err, sizeof(err)) != 0 || light_init(&cfg, dp_sess.mb, err, sizeof(err)) != 0) {
		fprintf(stderr, "test_pipeline: %s\n", err);
		return -1;
	}
	for (unsigned i = 4; i < NTARGETS; i++)
		if (add_session(i, &TARGETS[i]) != TWR_API_OK)
			return -1;
	for (unsigned w = 0; w < 2; w++) {
		wk[w] = (struct dp_worker){ .idx = w, .queue = 0, .burst = BURST, .port = &port,
					    .errest = 0x8001, .gc = &gc[w], .sc = dp_sess.ctr[w] };
		wk[w].mb = mb_mgr_new();
		if (wk[w].mb == NULL || light_worker_init(&wk[w].light, w) != 0)
			return -1;
	}
	return 0;
}

/* ---- requests ---------------------------------------------------------------- */

struct reqs {
	struct req r[MAX_REQS];
	unsigned n;
};

static void push(struct reqs *q, const struct req *r)
{
	assert_true(q->n < MAX_REQS);
	q->r[q->n] = *r;
	q->r[q->n].seq = q->n;
	q->n++;
}

static struct req base_req(const struct target *t, uint8_t ipver, unsigned ntags, uint16_t sport)
{
	struct req r = {
		.ipver = ipver, .ntags = ntags, .sport = sport, .dport = t->dport,
		.tos = 0xb9, .ttl = 61, .sec = t->sec, .symmetrical = t->symmetrical, .keys = t->keys,
	};

	memcpy(r.port_mac, PORT_MAC, 6);
	memcpy(r.src, ipver == 4 ? V4_PEER : V6_PEER, 16);
	memcpy(r.dst, ipver == 4 ? V4_LOCAL : V6_LOCAL, 16);
	return r;
}

/* Every length class and every fault, for one target, IP version and tag count. */
static void requests_for(struct reqs *q, const struct target *t, uint8_t ipver, unsigned ntags)
{
	const struct tw_layout *sl = tw_sender_layout(t->sec, t->symmetrical);
	const struct tw_layout *rl = tw_reflector_layout(t->sec);
	const uint16_t lens[] = { sl->base_len, (uint16_t)(sl->base_len + 27),
				  (uint16_t)(rl->base_len + 64), (uint16_t)(rl->base_len + 3),
				  (uint16_t)(rl->base_len - 1), (uint16_t)(sl->base_len - 1) };
	uint16_t sport = t->sport;

	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct req r = base_req(t, ipver, ntags, sport != 0 ? sport : (uint16_t)(30000 + q->n));

		r.plen = lens[i];
		push(q, &r);
	}
	for (enum req_fault f = RF_BAD_UDP_CSUM; f <= RF_TRUNCATED; f++) {
		struct req r = base_req(t, ipver, ntags, sport != 0 ? sport : (uint16_t)(30000 + q->n));

		if ((f == RF_NO_UDP_CSUM || f == RF_BAD_IP_CSUM) && ipver == 6)
			continue;
		if (f == RF_BAD_HMAC && t->sec == TW_SEC_OPEN)
			continue;
		r.plen = (uint16_t)(rl->base_len + 8);
		r.fault = f;
		push(q, &r);
	}
}

/* Senders and destinations that are not what a reflector takes. */
static void strangers(struct reqs *q)
{
	struct req r = base_req(&TARGETS[1], 4, 0, 40000);

	r.plen = 112;
	memcpy(r.src, V4_STRANGER, 16);       /* not an allowed sender */
	push(q, &r);
	r = base_req(&TARGETS[1], 6, 1, 40001);
	r.plen = 112;
	memcpy(r.src, V6_STRANGER, 16);
	push(q, &r);
	r = base_req(&TARGETS[0], 4, 0, 40002);
	r.plen = 41;
	memcpy(r.dst, V4_ELSEWHERE, 16);      /* not one of ours: the kernel's */
	push(q, &r);
	r = base_req(&TARGETS[4], 4, 0, 40003); /* a session's port, another tuple */
	r.plen = 41;
	push(q, &r);
	r = base_req(&TARGETS[0], 4, 2, 40004);
	r.dport = 9999;                       /* no reflector there */
	r.plen = 41;
	push(q, &r);
}

static void all_requests(struct reqs *q)
{
	for (unsigned t = 0; t < NTARGETS; t++)
		for (uint8_t v = 4; v <= 6; v += 2)
			for (unsigned tags = 0; tags <= 2; tags++)
				if (TARGETS[t].ipver == 0 || TARGETS[t].ipver == v)
					requests_for(q, &TARGETS[t], v, tags);
	strangers(q);
}

/* ---- running and comparing ------------------------------------------------------ */

struct frame {
	uint16_t len;
	uint8_t b[REQ_MAX_FRAME];
};

static int frame_cmp(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->b, y->b, x->len);
}

/* What a ring port was given, sorted (the copies send in different orders). */
static unsigned drain(struct rte_ring *r, struct frame *out)
{
	void *objs[BURST * 2];
	unsigned n = rte_ring_dequeue_burst(r, objs, BURST * 2, NULL);

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = objs[i];

		assert_true(m->data_len <= REQ_MAX_FRAME);
		out[i].len = m->data_len;
		memcpy(out[i].b, rte_pktmbuf_mtod(m, uint8_t *), m->data_len);
		rte_pktmbuf_free(m);
	}
	qsort(out, n, sizeof(*out), frame_cmp);
	return n;
}

static void run(unsigned w, const uint8_t (*frames)[REQ_MAX_FRAME], const size_t *lens, unsigned n,
		uint64_t now)
{
	struct rte_mbuf *pkts[BURST];

	for (unsigned i = 0; i < n; i++) {
		pkts[i] = rte_pktmbuf_alloc(pool);
		assert_non_null(pkts[i]);
		memcpy(rte_pktmbuf_append(pkts[i], (uint16_t)lens[i]), frames[i], lens[i]);
	}
	if (w == 0)
		pipeline_burst(&wk[0], pkts, n, now);
	else
		pipeline_burst_general(&wk[1], pkts, n, now);
}

/* A reply is UDP with a valid checksum, from the port's MAC. */
static void check_reply(const struct frame *f)
{
	struct np_info i;

	assert_int_equal(np_parse(f->b, f->len, &i), NP_UDP);
	assert_true(np_udp_csum_ok(f->b, &i));
	assert_memory_equal(f->b + 6, PORT_MAC, 6);
}

static void same_frames(const struct frame *a, unsigned na, const struct frame *b, unsigned nb)
{
	assert_int_equal(na, nb);
	for (unsigned i = 0; i < na; i++) {
		assert_int_equal(a[i].len, b[i].len);
		assert_memory_equal(a[i].b, b[i].b, a[i].len);
	}
}

/* One burst through both copies: the same replies, the same frames to the
 * kernel. Returns the replies sent. */
static unsigned compare_burst(const uint8_t (*frames)[REQ_MAX_FRAME], const size_t *lens,
			      unsigned n, uint64_t now)
{
	static struct frame a[BURST * 2], b[BURST * 2], ka[BURST * 2], kb[BURST * 2];
	unsigned na, nb, nka, nkb;

	run(0, frames, lens, n, now);
	na = drain(tx_ring, a);
	nka = drain(tap_ring, ka);
	run(1, frames, lens, n, now);
	nb = drain(tx_ring, b);
	nkb = drain(tap_ring, kb);
	same_frames(a, na, b, nb);
	same_frames(ka, nka, kb, nkb);
	for (unsigned i = 0; i < nb; i++)
		check_reply(&b[i]);
	return na;
}

/* The flow a request counts in: the session, or the Light sender. */
static bool same_flow(const struct req *x, const struct req *y)
{
	return x->dport == y->dport && x->sport == y->sport && x->ipver == y->ipver &&
	       memcmp(x->src, y->src, 16) == 0;
}

/* Requests in bursts of up to BURST, one per flow, in order of need. */
static unsigned next_burst(const struct reqs *q, bool *done, const struct req **out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < q->n && n < BURST; i++) {
		bool clash = false;

		if (done[i])
			continue;
		for (unsigned j = 0; j < n && !clash; j++)
			clash = same_flow(out[j], &q->r[i]);
		if (clash)
			continue;
		done[i] = true;
		out[n++] = &q->r[i];
	}
	return n;
}

static void same_counters(void)
{
#define SAME(f, h)                                                            \
	if (strcmp(#f, "fast_lane") != 0 && gc[0].f != gc[1].f)                \
		fail_msg("counter %s: %" PRIu64 " with the plain copy, %" PRIu64 " without", #f, \
			 gc[0].f, gc[1].f);
	DP_GLOBAL_COUNTERS(SAME)
#undef SAME
	for (uint32_t slot = 0; slot < dp_sess.max; slot++) {
		const struct dp_scounters *x = &dp_sess.ctr[0][slot], *y = &dp_sess.ctr[1][slot];

		assert_true(x->rx == y->rx && x->reflected == y->reflected &&
			    x->auth_fail == y->auth_fail && x->malformed == y->malformed &&
			    x->tx_drop == y->tx_drop && x->last_rx_tsc == y->last_rx_tsc &&
			    x->seq == y->seq);
	}
}

/* Every exit of the policy was taken, by both copies alike; the plain
 * copy took most requests, the general copy alone none. */
static void coverage(void)
{
	const struct dp_gcounters *g = &gc[1];

	assert_true(2 * gc[0].fast_lane > gc[0].reflected);
	assert_true(gc[0].fast_lane < gc[0].reflected);
	assert_int_equal(gc[1].fast_lane, 0);
	assert_true(g->reflected > 0 && g->auth_failures > 0 && g->malformed > 0 && g->no_session > 0 &&
		    g->unknown_sender > 0 && g->not_started > 0 && g->bad_checksum > 0 &&
		    g->ip_options > 0 && g->fragments > 0 && g->not_for_us > 0 &&
		    g->exception_to_kernel > 0);
	assert_int_equal(g->tx_drops, 0);
	assert_int_equal(g->exception_drops, 0);
}

static void test_same_replies(void **state)
{
	static struct reqs q;
	static uint8_t frames[BURST][REQ_MAX_FRAME];
	static bool done[MAX_REQS];
	const struct req *burst[BURST];
	size_t lens[BURST];
	unsigned n, bursts = 0, replies = 0;

	(void)state;
	all_requests(&q);
	while ((n = next_burst(&q, done, burst)) != 0) {
		for (unsigned i = 0; i < n; i++)
			lens[i] = req_frame(burst[i], frames[i]);
		replies += compare_burst((const uint8_t (*)[REQ_MAX_FRAME])frames, lens, n,
					 1000000 + 1000 * (uint64_t)bursts);
		bursts++;
	}
	print_message("%u requests in %u bursts, %u replies, %" PRIu64 " by the plain copy\n", q.n,
		      bursts, replies, gc[0].fast_lane);
	assert_int_equal(gc[1].rx_packets, q.n);
	assert_int_equal(gc[1].reflected, replies);
	same_counters();
	coverage();
}

/* ---- what keeps a session or a Light sender alive ------------------------------- */

static uint32_t slot_of(uint16_t dport)
{
	for (uint32_t i = 0; i < dp_sess.max; i++)
		if (dp_sess.slots[i].in_use && dp_sess.slots[i].key.local_port == dport)
			return i;
	fail_msg("no session on UDP port %u", dport);
	return 0;
}

/* A request to target t, as its flow sends it (Light: from sport). */
static struct req flow_req(unsigned t, uint16_t sport, enum req_fault f)
{
	const struct target *tg = &TARGETS[t];
	struct req r = base_req(tg, tg->ipver ? tg->ipver : 4, 0, tg->sport ? tg->sport : sport);

	r.plen = (uint16_t)(tw_reflector_layout(tg->sec)->base_len + 8);
	r.fault = f;
	return r;
}

static void send_burst(const struct req *r, unsigned n, uint64_t now)
{
	static uint8_t frames[BURST][REQ_MAX_FRAME];
	size_t lens[BURST];

	for (unsigned i = 0; i < n; i++)
		lens[i] = req_frame(&r[i], frames[i]);
	compare_burst((const uint8_t (*)[REQ_MAX_FRAME])frames, lens, n, now);
}

/* Only a request that verifies refreshes a session's REFWAIT (last_rx_tsc)
 * or makes a stateful Light sender's entry: junk with the 5-tuple (a bad
 * HMAC, a bad checksum, too short) is counted as received and as what it
 * is, and keeps nothing alive; in both copies alike. Open mode has nothing
 * to verify: what is taken refreshes. */
static void test_junk_keeps_nothing_alive(void **state)
{
	static const unsigned sess[] = { 4, 5, 6 };  /* open v4, authenticated v6, encrypted v4 */
	const uint64_t t_junk = 50000000, t_good = 60000000;
	uint64_t rx0[3], af0[3], us0 = gc[1].unknown_sender;
	uint32_t slot[3], light0[2];
	struct req r[8];
	unsigned n = 0;

	(void)state;
	for (unsigned k = 0; k < 3; k++) {
		slot[k] = slot_of(TARGETS[sess[k]].dport);
		for (unsigned w = 0; w < 2; w++)
			dp_sess.ctr[w][slot[k]].last_rx_tsc = 0;
		rx0[k] = dp_sess.ctr[1][slot[k]].rx;
		af0[k] = dp_sess.ctr[1][slot[k]].auth_fail;
	}
	for (unsigned w = 0; w < 2; w++)
		light0[w] = (uint32_t)rte_hash_count(wk[w].light.h);

	/* junk: each flow once per burst */
	r[n++] = flow_req(4, 0, RF_BAD_UDP_CSUM);
	r[n++] = flow_req(5, 0, RF_BAD_HMAC);
	r[n++] = flow_req(6, 0, RF_BAD_HMAC);
	r[n++] = flow_req(1, 45000, RF_BAD_HMAC);     /* stateful Light, an allowed sender */
	r[n] = flow_req(1, 45001, RF_NONE);            /* a valid request, not allowed */
	memcpy(r[n++].src, V4_STRANGER, 16);
	send_burst(r, n, t_junk);
	n = 0;
	r[n] = flow_req(4, 0, RF_NONE);               /* too short to be a request */
	r[n++].plen = (uint16_t)(tw_sender_layout(TW_SEC_OPEN, false)->base_len - 1);
	r[n] = flow_req(5, 0, RF_NONE);
	r[n++].plen = (uint16_t)(tw_sender_layout(TW_SEC_AUTH, false)->base_len - 1);
	r[n++] = flow_req(6, 0, RF_BAD_UDP_CSUM);
	send_burst(r, n, t_junk + 1000);
	for (unsigned k = 0; k < 3; k++)
		for (unsigned w = 0; w < 2; w++) {
			const struct dp_scounters *c = &dp_sess.ctr[w][slot[k]];

			assert_int_equal(c->last_rx_tsc, 0);
			assert_int_equal(c->rx, rx0[k] + 2);
			assert_int_equal(c->auth_fail, af0[k] + (k == 0 ? 0 : 1));
		}
	for (unsigned w = 0; w < 2; w++)
		assert_int_equal(rte_hash_count(wk[w].light.h), light0[w]);
	assert_int_equal(gc[1].unknown_sender, us0 + 1);

	/* what verifies refreshes, and makes the sender's entry */
	n = 0;
	for (unsigned k = 0; k < 3; k++)
		r[n++] = flow_req(sess[k], 0, RF_NONE);
	r[n++] = flow_req(1, 45000, RF_NONE);
	send_burst(r, n, t_good);
	for (unsigned k = 0; k < 3; k++)
		for (unsigned w = 0; w < 2; w++)
			assert_int_equal(dp_sess.ctr[w][slot[k]].last_rx_tsc, t_good);
	for (unsigned w = 0; w < 2; w++)
		assert_int_equal(rte_hash_count(wk[w].light.h), light0[w] + 1);
	same_counters();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_replies),
		cmocka_unit_test(test_junk_keeps_nothing_alive),
	};

	/* set up before cmocka: a failed group set-up would still report "passed" */
	if (setup() != 0) {
		fprintf(stderr, "test_pipeline: set-up failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
