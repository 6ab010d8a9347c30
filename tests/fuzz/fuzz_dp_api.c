/* libFuzzer target: the dataplane's session API server as twamp-controld
 * (or any process that can open the socket) meets it: the socket server
 * and request handling of dataplane/api_server.c and the session table of
 * dataplane/sessions.c, with DPDK's EAL up without hugepages or devices
 * (as tests/dataplane/test_pipeline.c has it) and no worker lcore.
 *
 * The harness opens the server on a socket of a temporary directory
 * (api_server_open), connects to it once, and for each request sends it,
 * lets the server serve it (api_server_poll) and reads the reply.
 *
 * Input: records, each one octet k, then:
 *   k bit 7 set    expiry: sessions_expire as if (k & 0x7f) * 8 seconds
 *                  had passed
 *   else           a request: 2 octets of length (little-endian, at most
 *                  600: past the largest message), then its octets; with
 *                  k bit 0 the header's version and length are set right;
 *                  an empty one ends the connection (the server closes
 *                  it) and the harness connects again
 * The table holds 8 sessions, so that it fills.
 *
 * A model of the table written here (SIDs, 5-tuples, states) predicts
 * every status. Properties (abort on violation): every request gets
 * exactly one reply, with version 1, the request's op and seq (when it had
 * a header) and a length that matches; a request twr_api_check_req refuses
 * is EINVAL and changes nothing; ADD is EPERM for a test port the port
 * policy refuses (twr_test_port_permitted, common/port_policy.h), EEXIST for
 * a SID or 5-tuple held,
 * ENOSPC when full, else OK and the session is then found by its 5-tuple
 * (session_lookup) in the state it asked for; START, STOP, REMOVE and
 * COUNTERS are ENOENT for an unknown SID, else OK with the state moving as
 * session_api.h says; COUNTERS report that state; INFO the table's size,
 * count and workers; an expiry removes only STOPPING sessions whose timeout
 * is over and started ones silent for their REFWAIT, and every one of those
 * that is clearly over; the table's count follows the model, and once
 * flushed no port is left marked as a test port. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "api_server.h"
#include "dp_config.h"
#include "dp_log.h"
#include "port_policy.h"
#include "session_api.h"
#include "sessions.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_SESS 8
#define MAX_REQ 600
#define SLACK_S 5 /* how long an input may take, at most, for the expiry checks */

struct msess {
	uint8_t sid[16];
	struct sess_key key;
	uint8_t state;
	uint32_t timeout_ms, refwait_s;
};

static struct msess model[MAX_SESS];
static unsigned nmodel;
static int cfd = -1;
static char path[108];
static const struct twr_port_range ports = { 49152, 65535 }; /* the defaults */

static void connect_client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	cfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(cfd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	CHECK(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct dp_config cfg;   /* what api_server_open takes from it */
	char prefix[64], dir[] = "/tmp/twr-fuzz-dpapi-XXXXXX", err[256];
	char *eal[] = { "fuzz_dp_api", "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level", "error", "--file-prefix", prefix };
	(void)argc;
	(void)argv;
	snprintf(prefix, sizeof(prefix), "twr-t-fuzzapi-%d", (int)getpid());
	CHECK(rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) >= 0);
	dp_log_open(0, DP_ERR);
	CHECK(sessions_init(MAX_SESS, 2, err, sizeof(err)) == 0);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/session.sock", dir);
	snprintf(cfg.session_socket, sizeof(cfg.session_socket), "%s", path);
	cfg.api_idle_s = 3600;
	cfg.test_port_min = ports.min;
	cfg.test_port_max = ports.max;
	CHECK(api_server_open(&cfg, err, sizeof(err)) == 0);
	connect_client();
	return 0;
}

static struct msess *model_sid(const uint8_t *sid)
{
	for (unsigned i = 0; i < nmodel; i++)
		if (!memcmp(model[i].sid, sid, 16))
			return &model[i];
	return NULL;
}

static bool model_tuple(const struct sess_key *k)
{
	for (unsigned i = 0; i < nmodel; i++)
		if (!memcmp(&model[i].key, k, sizeof(*k)))
			return true;
	return false;
}

static void model_del(struct msess *m)
{
	*m = model[--nmodel];
}

static void key_of(const struct twr_api_session *s, struct sess_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ipver = s->ipver;
	memcpy(k->local, s->reflector_addr, 16);
	memcpy(k->peer, s->sender_addr, 16);
	k->local_port = s->reflector_port;
	k->peer_port = s->sender_port;
}

static struct dp_session *lookup(const struct sess_key *k)
{
	struct np_info in;

	memset(&in, 0, sizeof(in));
	in.ipver = k->ipver;
	memcpy(in.dst, k->local, 16);
	memcpy(in.src, k->peer, 16);
	in.dport = k->local_port;
	in.sport = k->peer_port;
	return session_lookup(&in);
}

/* What the model says the request's status is, and what it does to it. */
static uint32_t model_apply(const uint8_t *req, size_t n)
{
	struct twr_api_hdr h;
	struct twr_api_session s;
	struct sess_key k;
	struct msess *m;
	const char *why;

	if (twr_api_check_req(req, n, NULL) != TWR_API_OK)
		return TWR_API_EINVAL;
	memcpy(&h, req, sizeof(h));
	if (h.op == TWR_OP_FLUSH) {
		nmodel = 0;
		return TWR_API_OK;
	}
	if (h.op == TWR_OP_INFO)
		return TWR_API_OK;
	if (h.op == TWR_OP_ADD) {
		memcpy(&s, req + sizeof(h), sizeof(s));
		if (!twr_test_port_permitted(s.reflector_port, &ports, &why))
			return TWR_API_EPERM;
		key_of(&s, &k);
		if (model_sid(s.sid) || model_tuple(&k))
			return TWR_API_EEXIST;
		if (nmodel == MAX_SESS)
			return TWR_API_ENOSPC;
		m = &model[nmodel++];
		memcpy(m->sid, s.sid, 16);
		m->key = k;
		m->state = s.flags & TWR_SF_START_NOW ? TWR_SS_ACTIVE : TWR_SS_INSTALLED;
		m->timeout_ms = s.timeout_ms;
		m->refwait_s = s.refwait_s;
		return TWR_API_OK;
	}
	m = model_sid(req + sizeof(h));
	if (!m)
		return TWR_API_ENOENT;
	switch (h.op) {
	case TWR_OP_START:
		if (m->state == TWR_SS_INSTALLED)
			m->state = TWR_SS_ACTIVE;
		break;
	case TWR_OP_STOP:
		m->state = TWR_SS_STOPPING;
		break;
	case TWR_OP_REMOVE:
		model_del(m);
		break;
	default:
		break;
	}
	return TWR_API_OK;
}

static void check_table(void)
{
	CHECK(dp_sess.count == nmodel);
	for (unsigned i = 0; i < nmodel; i++) {
		struct dp_session *s = lookup(&model[i].key);

		CHECK(s && s->in_use && !memcmp(s->sid, model[i].sid, 16));
		CHECK(s->state == model[i].state);
	}
}

static void one_request(uint8_t k, const uint8_t *msg, size_t n)
{
	uint8_t req[MAX_REQ], rep[TWR_API_MAX_MSG + 1];
	struct twr_api_hdr h, rh;
	struct twr_api_reply rr;
	size_t want_len = sizeof(rh) + sizeof(rr);
	uint32_t want;
	struct msess before;
	bool had;
	ssize_t got;

	if (n == 0) {
		/* an empty message reads as the end of the stream: the server
		 * closes the connection, and the client connects again */
		CHECK(send(cfd, req, 0, MSG_NOSIGNAL) == 0);
		api_server_poll();
		CHECK(recv(cfd, rep, sizeof(rep), MSG_DONTWAIT) == 0);
		close(cfd);
		connect_client();
		return;
	}
	memcpy(req, msg, n);
	if ((k & 1) && n >= sizeof(h)) {
		memcpy(&h, req, sizeof(h));
		h.version = TWR_API_VERSION;
		h.len = (uint32_t)n;
		memcpy(req, &h, sizeof(h));
	}
	memset(&h, 0, sizeof(h));
	if (n >= sizeof(h))
		memcpy(&h, req, sizeof(h));
	had = n >= sizeof(h) + 16 && model_sid(req + sizeof(h)) != NULL;
	if (had)
		before = *model_sid(req + sizeof(h));
	want = model_apply(req, n <= TWR_API_MAX_MSG + 1 ? n : TWR_API_MAX_MSG + 1);

	CHECK(send(cfd, req, n, MSG_NOSIGNAL) == (ssize_t)n);
	api_server_poll();
	got = recv(cfd, rep, sizeof(rep), MSG_DONTWAIT);
	CHECK(got >= (ssize_t)(sizeof(rh) + sizeof(rr)));
	CHECK(recv(cfd, rep, sizeof(rep), MSG_DONTWAIT) < 0); /* one reply, no more */
	memcpy(&rh, rep, sizeof(rh));
	memcpy(&rr, rep + sizeof(rh), sizeof(rr));
	CHECK(rh.version == TWR_API_VERSION && rh.reserved == 0 && rr.reserved == 0);
	CHECK(rh.op == h.op && rh.seq == h.seq);
	CHECK(rr.status == want);
	if (want == TWR_API_OK && h.op == TWR_OP_COUNTERS) {
		struct twr_api_counters c;

		want_len += sizeof(c);
		memcpy(&c, rep + sizeof(rh) + sizeof(rr), sizeof(c));
		CHECK(had && c.state == before.state && c.rx == 0 && c.reflected == 0);
	}
	if (want == TWR_API_OK && h.op == TWR_OP_INFO) {
		struct twr_api_info in;

		want_len += sizeof(in);
		memcpy(&in, rep + sizeof(rh) + sizeof(rr), sizeof(in));
		CHECK(in.max_sessions == MAX_SESS && in.sessions == nmodel && in.workers == 2);
	}
	CHECK(rh.len == want_len && (size_t)got == want_len);
	check_table();
}

/* As if `secs` had passed: who goes is up to the table; the model checks
 * that it could go, and that what is clearly over went. */
static void one_expiry(unsigned secs)
{
	uint64_t off_ms = (uint64_t)secs * 1000;

	sessions_expire(rte_rdtsc() + (uint64_t)secs * rte_get_tsc_hz());
	for (unsigned i = 0; i < nmodel;) {
		struct msess *m = &model[i];
		bool stop_over = m->state == TWR_SS_STOPPING;
		bool idle = m->state == TWR_SS_ACTIVE && m->refwait_s != 0;

		if (lookup(&m->key) == NULL) {
			CHECK((stop_over && off_ms + SLACK_S * 1000 >= m->timeout_ms) ||
			      (idle && secs + SLACK_S >= m->refwait_s));
			model_del(m);
			continue;
		}
		CHECK(!(stop_over && off_ms > (uint64_t)m->timeout_ms + 1));
		CHECK(!(idle && secs > m->refwait_s));
		i++;
	}
	check_table();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t no_ports[65536];
	size_t off = 0;

	while (off < size) {
		uint8_t k = data[off++];
		size_t n;

		if (k & 0x80) {
			one_expiry((k & 0x7fu) * 8u);
			continue;
		}
		if (size - off < 2)
			break;
		n = (size_t)data[off] | (size_t)data[off + 1] << 8;
		off += 2;
		if (n > MAX_REQ)
			n = MAX_REQ;
		if (n > size - off)
			n = size - off;
		one_request(k, data + off, n);
		off += n;
	}
	/* start the next input afresh: nothing may be left behind */
	sessions_flush();
	nmodel = 0;
	CHECK(dp_sess.count == 0 && dp_sess.nfree == MAX_SESS);
	CHECK(memcmp(dp_sess.port_refs, no_ports, sizeof(no_ports)) == 0);
	return 0;
}
