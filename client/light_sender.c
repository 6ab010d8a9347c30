/* Session-Sender loop: see light_sender.h. One thread, one non-blocking
 * socket, every wait bounded by ppoll() with a timeout of at most
 * LOOP_MAX_WAIT_NS.
 */
#include "light_sender.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timex.h>
#include <time.h>

#include "addr.h"
#include "error_estimate.h"
#include "ntp_time.h"
#include "sender_pkt.h"
#include "tw_socket.h"

#define LOOP_MAX_WAIT_NS 100000000ull  /* 100 ms */
#define SEND_BURST 32                    /* sends between two receive drains */
#define RECV_BURST 256                   /* receives between two send rounds */
#define SEND_RETRY_NS 50000ull           /* pause after a full socket buffer */
#define RX_BUF_SIZE 65536
#define SKB_OVERHEAD 768                 /* kernel accounting per datagram, roughly */

struct run {
	const struct light_cfg *cfg;
	struct stats *st;
	struct tsock sock;
	struct spkt pkt;
	uint8_t *txbuf, *rxbuf;
	uint64_t *t1;          /* per seq: the Timestamp we sent */
	uint32_t *sent_ms;     /* per seq: send time, ms since start (mod 2^32) */
	uint64_t start_ns;     /* CLOCK_MONOTONIC */
	uint64_t timeout_ms;
	uint32_t next;         /* next sequence number to send */
	uint32_t oldest;       /* first seq neither answered nor expired */
	uint32_t inflight;     /* sent, unanswered, not expired */
	uint32_t window;
	uint64_t next_send_ns;
	uint64_t last_send_ns;
	const char *fail_what; /* set when an I/O error stops the session */
	int fail_errno;
	bool own_sock;         /* opened here, closed at teardown */
	bool done;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t run_ms(const struct run *r, uint64_t now)
{
	return (uint32_t)((now - r->start_ns) / 1000000ull);
}

uint32_t light_auto_window(int rcvbuf, uint16_t size)
{
	uint64_t per_pkt = (uint64_t)(size > TW_MAX_REFLECTOR_BASE ? size : TW_MAX_REFLECTOR_BASE) + SKB_OVERHEAD;
	uint64_t w = rcvbuf > 0 ? (uint64_t)rcvbuf / 2 / per_pkt : 0;

	if (w < LIGHT_MIN_WINDOW)
		return LIGHT_MIN_WINDOW;
	return w > LIGHT_MAX_WINDOW ? LIGHT_MAX_WINDOW : (uint32_t)w;
}

/* A packet counts against the window until answered or timeout old. */
static void expire(struct run *r, uint64_t now)
{
	uint32_t now_ms = run_ms(r, now);

	while (r->oldest < r->next) {
		if (!stats_has_reply(r->st, r->oldest)) {
			if ((uint32_t)(now_ms - r->sent_ms[r->oldest]) < r->timeout_ms)
				break;
			r->inflight--;
		}
		r->oldest++;
	}
}

/* Returns 0 sent, 1 try again later, -1 fatal. */
static int send_one(struct run *r)
{
	uint32_t seq = r->next;
	uint64_t t1, now;
	int rc;

	if (spkt_prepare(&r->pkt, r->txbuf, seq) < 0)
		goto crypto;
	t1 = ntp_now();
	if (spkt_finish(&r->pkt, r->txbuf, t1) < 0)
		goto crypto;
	rc = tsock_send(&r->sock, r->txbuf, r->pkt.size, &r->cfg->dst);
	if (rc < 0) {
		r->fail_what = "send";
		r->fail_errno = errno;
		return -1;
	}
	if (rc > 0)
		return 1;
	now = mono_ns();
	r->t1[seq] = t1;
	r->sent_ms[seq] = run_ms(r, now);
	r->last_send_ns = now;
	r->next++;
	r->inflight++;
	return 0;
crypto:
	r->fail_what = "packet crypto";
	r->fail_errno = EIO;
	return -1;
}

/* Send what is due, within the window; keeps a regular schedule without
 * bursting to catch up after a stall. */
static int send_due(struct run *r, uint64_t now)
{
	uint64_t interval = r->cfg->interval_ns;

	for (int i = 0; i < SEND_BURST; i++) {
		int rc;

		if (r->next >= r->cfg->count || r->inflight >= r->window || now < r->next_send_ns)
			return 0;
		rc = send_one(r);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			r->next_send_ns = now + SEND_RETRY_NS;
			return 0;
		}
		r->next_send_ns += interval;
		if (r->next_send_ns + interval < now)
			r->next_send_ns = now;
	}
	return 0;
}

static void on_reply(struct run *r, const struct tsock_msg *m)
{
	struct tw_reflector_fields f;
	struct stats_reply s;
	enum stats_verdict v;

	if (m->truncated || !addr_same(&m->from, &r->cfg->dst)) {
		stats_invalid(r->st);
		return;
	}
	switch (spkt_open_reply(&r->pkt, r->rxbuf, m->len, &f)) {
	case SPKT_REPLY_OK:
		break;
	case SPKT_REPLY_AUTH_FAIL:
		stats_auth_failure(r->st);
		return;
	default:
		stats_invalid(r->st);
		return;
	}
	/* must echo a packet we sent, with the timestamp we sent in it */
	if (f.snd.seq >= r->next || f.snd.ts != r->t1[f.snd.seq]) {
		stats_invalid(r->st);
		return;
	}
	spkt_sample(&r->pkt, &f, r->t1[f.snd.seq], m->rx_ntp, m->ttl, &s);
	v = stats_add_reply(r->st, &s);
	if ((v == STATS_FIRST || v == STATS_REORDERED) && f.snd.seq >= r->oldest)
		r->inflight--;
}

static int drain(struct run *r)
{
	struct tsock_msg m;

	for (int i = 0; i < RECV_BURST; i++) {
		int rc = tsock_recv(&r->sock, r->rxbuf, RX_BUF_SIZE, &m);

		if (rc == 0)
			return 0;
		if (rc < 0) {
			r->fail_what = "receive";
			r->fail_errno = errno;
			return -1;
		}
		on_reply(r, &m);
	}
	return 0;
}

/* When the loop next has something to do (CLOCK_MONOTONIC ns). */
static uint64_t next_deadline(const struct run *r, uint64_t now)
{
	if (r->next >= r->cfg->count)
		return r->last_send_ns + r->cfg->timeout_ns;
	if (r->inflight < r->window)
		return r->next_send_ns;
	/* window full: until the oldest packet in flight expires */
	uint32_t age = (uint32_t)(run_ms(r, now) - r->sent_ms[r->oldest]);

	return now + (r->timeout_ms > age ? (r->timeout_ms - age) * 1000000ull : 0);
}

static bool finished(const struct run *r, uint64_t now)
{
	if (r->next < r->cfg->count)
		return false;
	return r->st->received >= r->next || now >= r->last_send_ns + r->cfg->timeout_ns;
}

/* One round of a session's work; false once it has ended. */
static bool step(struct run *r)
{
	uint64_t now = mono_ns();

	if (r->cfg->stop && *r->cfg->stop) {
		r->fail_what = "interrupted";
		return false;
	}
	expire(r, now);
	if (send_due(r, now) < 0 || drain(r) < 0)
		return false;
	return !finished(r, mono_ns());
}

/* Wait for a reply on any running session, the watched descriptor, or the
 * earliest deadline (at most LOOP_MAX_WAIT_NS). Returns true if watch_fd
 * woke up. */
static bool wait_io(struct run *rs, size_t n, int watch_fd)
{
	struct pollfd pfd[LIGHT_MAX_SESSIONS + 1];
	uint64_t now = mono_ns(), ns = LOOP_MAX_WAIT_NS;
	nfds_t k = 0;
	struct timespec ts;

	for (size_t i = 0; i < n; i++) {
		uint64_t d;

		if (rs[i].done)
			continue;
		d = next_deadline(&rs[i], now);
		if (d <= now)
			ns = 0;
		else if (d - now < ns)
			ns = d - now;
		pfd[k++] = (struct pollfd){ .fd = rs[i].sock.fd, .events = POLLIN };
	}
	if (watch_fd >= 0)
		pfd[k++] = (struct pollfd){ .fd = watch_fd, .events = POLLIN | POLLRDHUP };
	ts.tv_sec = (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	if (ppoll(pfd, k, &ts, NULL) <= 0 || watch_fd < 0)
		return false;
	return pfd[k - 1].revents != 0;
}

/* Returns true if the watched descriptor ended the sessions. */
static bool run_loop(struct run *rs, size_t n, int watch_fd)
{
	for (;;) {
		size_t running = 0;

		for (size_t i = 0; i < n; i++) {
			if (!rs[i].done && !step(&rs[i]))
				rs[i].done = true;
			running += !rs[i].done;
		}
		if (running == 0)
			return false;
		if (wait_io(rs, n, watch_fd))
			break;
	}
	for (size_t i = 0; i < n; i++)
		if (!rs[i].done)
			rs[i].fail_what = "control connection";
	return true;
}

/* Our Error Estimate: the S bit as the user says, the size from the
 * kernel's estimate of the clock error (adjtimex, read only). */
static uint16_t our_errest(bool synced)
{
	struct timex tx = { .modes = 0 };
	double err_s = 1.0; /* unknown: claim one second */

	if (adjtimex(&tx) >= 0 && tx.esterror > 0)
		err_s = (double)tx.esterror * 1e-6;
	return errest_encode(synced, err_s);
}

static int open_sock(struct run *r, char *err, size_t errlen)
{
	const struct light_cfg *c = r->cfg;

	if (c->sock) {
		r->sock = *c->sock;
		return 0;
	}
	r->own_sock = true;
	return tsock_open(&r->sock, c->dst.ss_family, c->has_src ? &c->src : NULL,
			  c->src.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
			  c->dscp, err, errlen);
}

static int run_setup(struct run *r, char *err, size_t errlen)
{
	const struct light_cfg *c = r->cfg;
	uint64_t seed = 0;

	if (c->count == 0 || c->count > LIGHT_MAX_COUNT || c->count > r->st->capacity) {
		snprintf(err, errlen, "packet count %u out of range", c->count);
		return -1;
	}
	if (c->fill_random && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = mono_ns();
	if (spkt_init(&r->pkt, c->sec, c->symmetrical, c->keys, c->size, our_errest(c->synced),
		      c->fill_random, seed) < 0) {
		snprintf(err, errlen, "packet size %u or keys not valid for this mode", c->size);
		return -1;
	}
	if (c->reflect_octets)
		spkt_set_server_octets(&r->pkt, c->server_octets);
	r->txbuf = malloc(c->size);
	r->rxbuf = malloc(RX_BUF_SIZE);
	r->t1 = malloc((size_t)c->count * sizeof(*r->t1));
	r->sent_ms = malloc((size_t)c->count * sizeof(*r->sent_ms));
	if (!r->txbuf || !r->rxbuf || !r->t1 || !r->sent_ms) {
		snprintf(err, errlen, "out of memory for %u packets", c->count);
		return -1;
	}
	if (open_sock(r, err, errlen) < 0)
		return -1;
	r->window = c->window ? c->window : light_auto_window(tsock_rcvbuf(&r->sock), c->size);
	r->timeout_ms = (c->timeout_ns + 999999ull) / 1000000ull;
	return 0;
}

static void run_teardown(struct run *r)
{
	if (r->own_sock)
		tsock_close(&r->sock);
	free(r->txbuf);
	free(r->rxbuf);
	free(r->t1);
	free(r->sent_ms);
}

/* The session's outcome after the loop. */
static void run_result(struct run *r, struct light_result *res)
{
	const struct light_cfg *cfg = r->cfg;
	char a[ADDR_STRLEN];

	stats_set_sent(r->st, r->next);
	res->rc = 0;
	res->err[0] = '\0';
	if (!r->fail_what)
		return;
	res->rc = LIGHT_ERR_IO;
	if (r->fail_errno == 0) {
		snprintf(res->err, sizeof(res->err), "%s", r->fail_what);
		return;
	}
	addr_format(&cfg->dst, a, sizeof(a));
	snprintf(res->err, sizeof(res->err), "%s (%s port %u): %s", r->fail_what, a,
		 addr_port(&cfg->dst), strerror(r->fail_errno));
}

/* Sets every session up; on a failure tears down what was set up. */
static int setup_all(struct run *rs, struct light_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (run_setup(&rs[i], res[i].err, sizeof(res[i].err)) == 0)
			continue;
		for (size_t j = 0; j < n; j++) {
			res[j].rc = LIGHT_ERR_SETUP;
			if (j != i)
				snprintf(res[j].err, sizeof(res[j].err),
					 "not started: session %zu could not be set up", i + 1);
			run_teardown(&rs[j]);
		}
		return -1;
	}
	return 0;
}

int light_run_many(const struct light_cfg *cfgs, struct stats *sts, struct light_result *res,
		   size_t n, int watch_fd)
{
	struct run *rs;
	uint64_t start;
	bool watched;
	int rc = 0;

	if (n == 0 || n > LIGHT_MAX_SESSIONS)
		return LIGHT_ERR_SETUP;
	rs = calloc(n, sizeof(*rs));
	if (!rs) {
		for (size_t i = 0; i < n; i++) {
			res[i].rc = LIGHT_ERR_SETUP;
			snprintf(res[i].err, sizeof(res[i].err), "out of memory");
		}
		return LIGHT_ERR_SETUP;
	}
	for (size_t i = 0; i < n; i++)
		rs[i] = (struct run){ .cfg = &cfgs[i], .st = &sts[i], .sock = { .fd = -1 } };
	if (setup_all(rs, res, n) < 0) {
		free(rs);
		return LIGHT_ERR_SETUP;
	}
	start = mono_ns();
	for (size_t i = 0; i < n; i++)
		rs[i].start_ns = rs[i].next_send_ns = rs[i].last_send_ns = start;
	watched = run_loop(rs, n, watch_fd);
	for (size_t i = 0; i < n; i++) {
		run_result(&rs[i], &res[i]);
		if (res[i].rc)
			rc = LIGHT_ERR_IO;
		run_teardown(&rs[i]);
	}
	free(rs);
	return watched ? LIGHT_ERR_WATCH : rc;
}

int light_run(const struct light_cfg *cfg, struct stats *st, char *err, size_t errlen)
{
	struct light_result res;
	int rc = light_run_many(cfg, st, &res, 1, -1);

	snprintf(err, errlen, "%s", rc ? res.err : "");
	return rc;
}
