/* libFuzzer target: twamp-controld's client of the dataplane's session API
 * (control/ctl_dp_unix.c) reading hostile replies: a fake dataplane thread
 * on a SOCK_SEQPACKET socket of a temporary directory answers every
 * request with what the input says.
 *
 * Input: records; each is one octet naming a call (bits 0-2: 0 ADD, 1
 * START, 2 STOP, 3 REMOVE, 4 COUNTERS, 5 FLUSH, 6 a new client: free the
 * old, so that the next call connects and flushes again, 7 COUNTERS), then,
 * for every request the call makes (the first call on a connection that has
 * never flushed makes two), the fake dataplane's answer, read when the
 * request arrives:
 *   1 octet   bits 0-1: 0 a well-formed reply with status bits 2-4 (and
 *             for COUNTERS the body from the input; bit 5 one octet too
 *             many, bit 6 one too few), 1 the same with one header field
 *             wrong (bits 2-3: version, op, seq, length), 2 raw octets (the
 *             next octet times 3 of them: up to 765, past the largest
 *             message), 3 close the connection
 *
 * The expected result of every call is computed here from the octets the
 * fake sent, with the rules of common/session_api.h written out anew.
 * Properties (abort on violation): every request the client sends passes
 * twr_api_check_req; a connection's first request ever is FLUSH, and a
 * failed FLUSH leaves the call undone and CTL_DP_DOWN; a call on a kept
 * connection that the dataplane closed (or answered with an empty message)
 * is made once more on a new connection; the result is what
 * the reply says when it is well-formed and answers this request, else
 * CTL_DP_DOWN; `reachable` follows; a COUNTERS body is copied exactly; a
 * result that is not CTL_DP_DOWN keeps the connection, CTL_DP_DOWN drops it
 * (the next call connects anew). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_dp.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_SEEN 4

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t take8(struct cursor *c)
{
	uint8_t v = 0;

	if (c->n) {
		v = *c->p++;
		c->n--;
	}
	return v;
}

/* What the fake saw and answered during one call. */
struct seen {
	uint8_t req[TWR_API_MAX_MSG];
	size_t req_len;
	int expect;              /* the call's result this reply calls for */
	bool peer_closed;        /* the answer reads as the dataplane gone (EOF) */
	uint8_t body[sizeof(struct twr_api_counters)];
	unsigned connection;     /* which accepted connection it came on */
};

static struct {
	pthread_mutex_t mu;
	int lfd;
	struct cursor in;
	struct seen seen[MAX_SEEN];
	unsigned nseen, connections;
	size_t outlen;           /* what the current call wants back */
} fake = { .mu = PTHREAD_MUTEX_INITIALIZER };

static char sock_path[108];

/* The result a reply of n octets calls for (session_api.h, anew). */
static int model(const uint8_t *rep, ssize_t n, uint16_t op, uint32_t seq, size_t outlen)
{
	struct twr_api_hdr h;
	struct twr_api_reply r;

	if (n < (ssize_t)(sizeof(h) + sizeof(r)) || n > TWR_API_MAX_MSG)
		return CTL_DP_DOWN;
	memcpy(&h, rep, sizeof(h));
	memcpy(&r, rep + sizeof(h), sizeof(r));
	if (h.version != TWR_API_VERSION || h.op != op || h.seq != seq || h.len != (uint32_t)n)
		return CTL_DP_DOWN;
	if (r.status != TWR_API_OK)
		return r.status > TWR_API_STATUS_MAX ? TWR_API_EINTERNAL : (int)r.status;
	return (size_t)n == sizeof(h) + sizeof(r) + outlen ? TWR_API_OK : CTL_DP_DOWN;
}

/* Answer one request; false: close the connection. */
static bool answer(int fd, const uint8_t *req, size_t len, unsigned conn)
{
	struct twr_api_hdr h, *rh;
	uint8_t rep[800];
	size_t n = sizeof(h) + sizeof(struct twr_api_reply), outlen;
	uint8_t m = take8(&fake.in);
	struct seen *s = fake.nseen < MAX_SEEN ? &fake.seen[fake.nseen] : NULL;
	uint32_t status;
	ssize_t sent;

	CHECK(s != NULL);
	fake.nseen++;
	memcpy(s->req, req, len);
	s->req_len = len;
	s->connection = conn;
	memcpy(&h, req, sizeof(h));
	outlen = h.op == TWR_OP_COUNTERS ? fake.outlen : 0;
	memset(rep, 0, sizeof(rep));
	s->peer_closed = false;
	if ((m & 3) == 3) {
		s->expect = CTL_DP_DOWN;
		s->peer_closed = true;
		return false;
	}
	if ((m & 3) == 2) {
		n = (size_t)take8(&fake.in) * 3;
		for (size_t i = 0; i < n; i++)
			rep[i] = take8(&fake.in);
		s->peer_closed = n == 0; /* an empty message reads as the end */
	} else {
		rh = (struct twr_api_hdr *)rep;
		status = (m >> 2) & 7;
		rh->version = TWR_API_VERSION;
		rh->op = h.op;
		rh->seq = h.seq;
		memcpy(rep + sizeof(h), &status, sizeof(status));
		if (status == TWR_API_OK && outlen) {
			for (size_t i = 0; i < outlen; i++)
				rep[n + i] = take8(&fake.in);
			n += outlen;
		}
		if (m & 0x20)
			n++;
		if ((m & 0x40) && n > 0)
			n--;
		rh->len = (uint32_t)n;
		if ((m & 3) == 1) {
			switch ((m >> 2) & 3) {
			case 0: rh->version++; break;
			case 1: rh->op ^= 0x100; break;
			case 2: rh->seq++; break;
			default: rh->len++; break;
			}
		}
	}
	s->expect = model(rep, (ssize_t)n, h.op, h.seq, outlen);
	if (s->expect == TWR_API_OK && outlen)
		memcpy(s->body, rep + sizeof(h) + sizeof(struct twr_api_reply), outlen);
	do
		sent = send(fd, rep, n, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	return sent == (ssize_t)n;
}

static void *fake_run(void *arg)
{
	(void)arg;
	for (;;) {
		uint8_t req[TWR_API_MAX_MSG + 1];
		ssize_t n;
		unsigned conn;
		int fd = accept(fake.lfd, NULL, NULL);

		if (fd < 0)
			continue;
		pthread_mutex_lock(&fake.mu);
		conn = ++fake.connections;
		pthread_mutex_unlock(&fake.mu);
		/* libFuzzer's SIGALRM (once a second) may land in this thread */
		while ((n = recv(fd, req, sizeof(req), 0)) > 0 || (n < 0 && errno == EINTR)) {
			bool keep;

			if (n < 0)
				continue;

			/* the control server sends nothing the dataplane would refuse */
			CHECK(twr_api_check_req(req, (size_t)n, NULL) == TWR_API_OK);
			pthread_mutex_lock(&fake.mu);
			keep = answer(fd, req, (size_t)n, conn);
			pthread_mutex_unlock(&fake.mu);
			if (!keep)
				break;
		}
		close(fd);
	}
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/twr-fuzz-dpunix-XXXXXX";
	pthread_t t;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/session.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fake.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(fake.lfd >= 0);
	CHECK(bind(fake.lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fake.lfd, 8) == 0);
	CHECK(pthread_create(&t, NULL, fake_run, NULL) == 0);
	return 0;
}

/* The client's state as the model has it. */
struct client {
	struct ctl_dp *dp;
	bool flushed, connected;
	unsigned connection;
};

static void new_client(struct client *c)
{
	ctl_dp_free(c->dp);
	/* far above any answer's time, even for the fake's thread starved on
	 * a loaded host (nice 19): a timeout here would be a false alarm; a
	 * real hang is libFuzzer's -timeout's to report */
	c->dp = ctl_dp_unix_new(sock_path, 60000);
	CHECK(c->dp != NULL);
	c->flushed = c->connected = false;
}

static void check_request(const struct seen *s, uint16_t op, const void *body, size_t blen)
{
	struct twr_api_hdr h;

	CHECK(s->req_len == sizeof(h) + blen);
	memcpy(&h, s->req, sizeof(h));
	CHECK(h.op == op);
	CHECK(blen == 0 || memcmp(s->req + sizeof(h), body, blen) == 0);
}

static void one_call(struct client *c, uint8_t what, uint8_t arg)
{
	static const uint16_t ops[8] = { TWR_OP_ADD, TWR_OP_START, TWR_OP_STOP, TWR_OP_REMOVE,
					 TWR_OP_COUNTERS, TWR_OP_FLUSH, 0, TWR_OP_COUNTERS };
	struct twr_api_session add = {
		.ipver = 4, .sec = 1, .reflector_addr = { 10, 99, 0, 1 },
		.sender_addr = { 10, 99, 0, 2 }, .reflector_port = 9000, .sender_port = 9001,
		.timeout_ms = 2000, .refwait_s = 900, .aes_key = { 1 }, .hmac_key = { 2 },
	};
	struct twr_api_counters out;
	uint16_t op = ops[what & 7];
	const void *body = NULL;
	size_t blen = 0, outlen = 0;
	unsigned first = 0;
	bool fresh;
	int st;

	if (op == 0) {
		new_client(c);
		return;
	}
	memset(add.sid, arg, sizeof(add.sid));
	if (op == TWR_OP_ADD) {
		body = &add;
		blen = sizeof(add);
	} else if (op != TWR_OP_FLUSH) {
		body = add.sid;
		blen = 16;
	}
	if (op == TWR_OP_COUNTERS)
		outlen = sizeof(out);
	memset(&out, 0xa5, sizeof(out));
	pthread_mutex_lock(&fake.mu);
	fake.nseen = 0;
	fake.outlen = outlen;
	pthread_mutex_unlock(&fake.mu);

	st = c->dp->call(c->dp, op, body, blen, outlen ? &out : NULL, outlen);

	pthread_mutex_lock(&fake.mu);
	CHECK(st == CTL_DP_DOWN || (st >= TWR_API_OK && st <= TWR_API_STATUS_MAX));
	CHECK(c->dp->reachable == (st != CTL_DP_DOWN));
	CHECK(fake.nseen >= 1 && fake.nseen <= 2);
	fresh = !c->connected;
	if (fresh) {
		/* a new connection: FLUSH first, once per client */
		c->connection = fake.seen[0].connection;
		if (!c->flushed) {
			check_request(&fake.seen[0], TWR_OP_FLUSH, NULL, 0);
			if (fake.seen[0].expect != TWR_API_OK) {
				CHECK(st == CTL_DP_DOWN && fake.nseen == 1);
				goto out;
			}
			c->flushed = true;
			first = 1;
		}
	} else {
		CHECK(fake.seen[0].connection == c->connection); /* the connection was kept */
	}
	CHECK(fake.seen[first].connection == c->connection);
	check_request(&fake.seen[first], op, body, blen);
	if (!fresh && fake.seen[first].peer_closed) {
		/* a kept connection the dataplane closed: once more on a new one */
		CHECK(fake.nseen == first + 2);
		first++;
		CHECK(fake.seen[first].connection != c->connection);
		c->connection = fake.seen[first].connection;
		check_request(&fake.seen[first], op, body, blen);
	}
	CHECK(fake.nseen == first + 1);
	CHECK(st == fake.seen[first].expect);
	if (st == TWR_API_OK && outlen)
		CHECK(memcmp(&out, fake.seen[first].body, outlen) == 0);
	c->connected = st != CTL_DP_DOWN;
out:
	pthread_mutex_unlock(&fake.mu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client c = { 0 };
	struct cursor in = { data, size };

	new_client(&c);
	pthread_mutex_lock(&fake.mu);
	fake.in = (struct cursor){ data, size };
	pthread_mutex_unlock(&fake.mu);
	/* the call octets and the fake's answers share the input, in turn */
	for (;;) {
		uint8_t what, arg;

		pthread_mutex_lock(&fake.mu);
		in = fake.in;
		if (in.n < 2) {
			pthread_mutex_unlock(&fake.mu);
			break;
		}
		what = take8(&fake.in);
		arg = take8(&fake.in);
		pthread_mutex_unlock(&fake.mu);
		one_call(&c, what, arg);
	}
	ctl_dp_free(c.dp);
	return 0;
}
