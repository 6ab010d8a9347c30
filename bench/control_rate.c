/* twamp-control-rate: TWAMP-Control rates for ./run bench, with the
 * references they are read against, measured by the same program.
 *
 *   --measure setups    complete control set-ups per second against a server
 *                       (TCP connect, Greeting, Set-Up-Response, Server-Start
 *                       with Accept 0, then close), one connection at a time
 *                       in each of --threads threads (thread i connecting
 *                       from --src-first + i if given, so that the server's
 *                       per-client limit does not count them as one client)
 *   --measure latency   --samples set-ups one after the other, paced (the next
 *                       starts --interval-ms after the last one started, or
 *                       when it ended if later), each timed from connect to
 *                       Server-Start; one that fails or takes more than
 *                       --timeout-ms is counted as failed with its reason,
 *                       and the run goes on (under attack, failures are the
 *                       result)
 *   --measure sessions  Request-TW-Session / Accept-Session pairs per second
 *                       (each installs a session in the reflector before it is
 *                       answered); --per-conn sessions per connection, the
 *                       connection set-up itself not timed
 *   --measure pbkdf2    token keys (PBKDF2-HMAC-SHA1 at --count) per second
 *                       in a loop, in each of --threads threads (the total):
 *                       a set-up costs two of them, the client's and the
 *                       server's
 *   --measure api       session installs (ADD then REMOVE on the
 *                       reflector's session API) per second: the dataplane's
 *                       own ceiling for sessions_per_s
 *
 * Prints one JSON object: {"measure": ..., "n": ..., "seconds": ...,
 * "per_s": ...}; latency: {"measure": "latency", "n", "ok", "failed",
 * "samples_ms": [...], "failures": [{"reason", "n"}...]}. Exit 0, or 1 with
 * a reason on stderr (in the rate measures any refusal or protocol error
 * ends the run: a rate of failures is not a rate).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_dp.h"
#include "ctl_io.h"
#include "kdf.h"
#include "secret.h"
#include "secure_mem.h"
#include "session_api.h"

#define IO_TIMEOUT_NS (10ull * 1000000000ull)
#define MAX_SECONDS 600
#define MAX_THREADS 64
#define MAX_SAMPLES 10000
#define MAX_REASONS 8

struct opts {
	const char *measure;
	const char *host;
	uint16_t port;
	const char *key_id;
	const char *secret_file;
	const char *api_socket;
	unsigned seconds;
	unsigned per_conn;
	unsigned count_exp;
	unsigned threads;         /* pbkdf2, setups (--parallel) */
	uint32_t src_first;       /* setups: 0 = the kernel's choice */
	unsigned samples, interval_ms, timeout_ms; /* latency */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "twamp-control-rate: %s: %s\n", what, why);
	return -1;
}

static void report(const char *measure, uint64_t n, uint64_t ns)
{
	double s = (double)ns / 1e9;

	printf("{\"measure\": \"%s\", \"n\": %llu, \"seconds\": %.3f, \"per_s\": %.1f}\n", measure,
	       (unsigned long long)n, s, s > 0 ? (double)n / s : 0.0);
}

/* ---- one control connection --------------------------------------------- */

struct conn {
	int fd;
	struct ctl_client c;
	char err[256];
};

/* Time left until deadline (at least 1 ns: the I/O then times out). */
static uint64_t left(uint64_t deadline)
{
	uint64_t t = now_ns();

	return deadline > t ? deadline - t : 1;
}

/* Send what the client has to send, read what it wants, until it stops in
 * `until` (or CTL_TESTING / a failure), all by deadline. With hold, reaching
 * `until` returns before sending what the client queued there (after
 * Server-Start, its first Request-TW-Session): the next drive() sends it,
 * and a set-up that ends there closes without it, so the server installs
 * no session for it. */
static int drive(struct conn *k, enum ctl_state until, bool hold, uint64_t deadline)
{
	uint8_t buf[TWC_MAX_MSG_LEN];

	for (;;) {
		size_t len, need;
		const uint8_t *out;

		if (hold && k->c.state == until)
			return 0;
		out = ctl_output(&k->c, &len);
		if (out != NULL &&
		    ctl_io_write(k->fd, out, len, left(deadline), k->err, sizeof(k->err)) != 0)
			return -1;
		if (k->c.state == CTL_FAILED) {
			snprintf(k->err, sizeof(k->err), "%s", ctl_error(&k->c));
			return -1;
		}
		if (k->c.state == until)
			return 0;
		need = ctl_need(&k->c);
		if (need == 0 || need > sizeof(buf)) {
			snprintf(k->err, sizeof(k->err), "client stopped in state %d", k->c.state);
			return -1;
		}
		if (ctl_io_read(k->fd, buf, need, left(deadline), k->err, sizeof(k->err)) != 0)
			return -1;
		ctl_input(&k->c, buf, need);
	}
}

/* IPv4 only: a non-blocking TCP connection from src (host order) to
 * host:port by deadline, TCP_NODELAY as ctl_io_connect's. */
static int connect_from(const char *host, uint16_t port, uint32_t src, uint64_t deadline,
			char *err, size_t errlen)
{
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(src) };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, one = 1, why = 0;
	socklen_t wl = sizeof(why);
	char a[INET_ADDRSTRLEN];
	struct pollfd p;

	if (inet_pton(AF_INET, host, &to.sin_addr) != 1) {
		snprintf(err, errlen, "%s: --src-first needs an IPv4 --host", host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0) {
		inet_ntop(AF_INET, &from.sin_addr, a, sizeof(a));
		snprintf(err, errlen, "from %s: %s", a, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		why = errno;
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (why == EINPROGRESS) {
			int r = poll(&p, 1, (int)(left(deadline) / 1000000u) + 1);

			why = r == 0 ? ETIMEDOUT : r < 0 ? errno : 0;
			if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &why, &wl) != 0)
				why = errno;
		}
	}
	if (why != 0) {
		snprintf(err, errlen, "%s", strerror(why));
		close(fd);
		return -1;
	}
	return fd;
}

static void request_for(struct twc_request *r, unsigned i, uint16_t base_port)
{
	memset(r, 0, sizeof(*r));
	r->ipvn = 4;                    /* addresses zero: the control peer and us */
	r->sender_port = (uint16_t)(base_port + i);
	r->timeout = 1ull << 32;        /* 1 s, NTP format */
}

/* Connect (from src, host order, unless 0) and authenticate (Server-Start
 * with Accept 0) by deadline; the client then holds its first
 * Request-TW-Session (state CTL_ACCEPT), not sent yet. Returns 0, or -1
 * with "what: why" in k->err. */
static int conn_open(struct conn *k, const struct opts *o, const uint8_t *secret, size_t slen,
		     unsigned nsess, uint16_t base_port, uint32_t src, uint64_t deadline)
{
	struct ctl_cfg cfg;
	struct ctl_random rnd;
	struct sockaddr_storage peer, local;
	char why[sizeof(k->err) - 16];

	memset(&cfg, 0, sizeof(cfg));
	cfg.security = TWC_MODE_AUTH;
	memcpy(cfg.keyid, o->key_id, strnlen(o->key_id, TWC_KEYID_LEN));
	cfg.secret = secret;
	cfg.secret_len = slen;
	cfg.max_count_exp = TW_COUNT_MAX_EXP;
	cfg.nsessions = nsess;
	for (unsigned i = 0; i < nsess; i++)
		request_for(&cfg.req[i], i, base_port);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		snprintf(k->err, sizeof(k->err), "getrandom: %s", strerror(errno));
		return -1;
	}
	k->fd = src ? connect_from(o->host, o->port, src, deadline, why, sizeof(why))
		    : ctl_io_connect(o->host, o->port, left(deadline), &peer, &local, why,
				     sizeof(why));
	if (k->fd < 0) {
		wipe(&rnd, sizeof(rnd));
		snprintf(k->err, sizeof(k->err), "connect: %s", why);
		return -1;
	}
	if (ctl_init(&k->c, &cfg, &rnd) != CTL_OK) {
		wipe(&rnd, sizeof(rnd));
		close(k->fd);
		snprintf(k->err, sizeof(k->err), "client: %s", ctl_error(&k->c));
		return -1;
	}
	wipe(&rnd, sizeof(rnd));
	if (drive(k, CTL_ACCEPT, true, deadline) != 0) {
		snprintf(why, sizeof(why), "%s", k->err);
		snprintf(k->err, sizeof(k->err), "set-up%s: %s",
			 k->c.state == CTL_GREETING	    ? ", waiting for the Greeting"
			 : k->c.state == CTL_SERVER_START ? ", waiting for the Server-Start"
							  : "",
			 why);
		ctl_free(&k->c);
		close(k->fd);
		return -1;
	}
	return 0;
}

static void conn_close(struct conn *k)
{
	ctl_free(&k->c);
	close(k->fd);
}

/* ---- the same loop in --threads threads ------------------------------- */

struct worker {
	pthread_t th;
	const struct opts *o;
	const uint8_t *secret;
	size_t slen;
	unsigned index;
	uint64_t end, n, t_last;
	int rc;
	char err[256];
};

/* Run o->threads copies of fn until o->seconds have passed, then report
 * their total count over the time until the last one finished. */
static int run_threads(const char *measure, const struct opts *o, void *(*fn)(void *),
		       const uint8_t *secret, size_t slen)
{
	static struct worker w[MAX_THREADS];
	uint64_t t0 = now_ns(), n = 0, t_last = t0;
	unsigned started = 0;
	int rc = 0;

	for (; started < o->threads; started++) {
		w[started] = (struct worker){ .o = o, .secret = secret, .slen = slen,
					      .index = started, .t_last = t0,
					      .end = t0 + o->seconds * 1000000000ull };
		if (pthread_create(&w[started].th, NULL, fn, &w[started]) != 0) {
			rc = fail(measure, "cannot start a thread");
			break;
		}
	}
	for (unsigned i = 0; i < started; i++) {
		pthread_join(w[i].th, NULL);
		n += w[i].n;
		if (w[i].t_last > t_last)
			t_last = w[i].t_last;
		if (w[i].rc != 0)
			rc = fail(measure, w[i].err);
	}
	if (rc == 0)
		report(measure, n, t_last - t0);
	return rc;
}

static void *setups_worker(void *arg)
{
	struct worker *w = arg;
	uint32_t src = w->o->src_first ? w->o->src_first + w->index : 0;
	struct conn k;

	do {
		if (conn_open(&k, w->o, w->secret, w->slen, 1, 40000, src,
			      now_ns() + IO_TIMEOUT_NS) != 0) {
			snprintf(w->err, sizeof(w->err), "%s", k.err);
			w->rc = -1;
			break;
		}
		conn_close(&k);
		w->n++;
		w->t_last = now_ns();
	} while (w->t_last < w->end);
	return NULL;
}

static int measure_setups(const struct opts *o, const uint8_t *secret, size_t slen)
{
	return run_threads("setups", o, setups_worker, secret, slen);
}

/* ---- paced set-ups, each timed ------------------------------------------ */

struct reason {
	char text[128];
	unsigned n;
};

/* Count why a set-up failed: MAX_REASONS distinct texts, then "other". */
static void note_reason(struct reason *r, unsigned *nr, const char *why)
{
	for (unsigned i = 0; i < *nr; i++)
		if (strncmp(r[i].text, why, sizeof(r[i].text) - 1) == 0) {
			r[i].n++;
			return;
		}
	if (*nr == MAX_REASONS)
		why = "(other reasons)";
	else
		(*nr)++;
	snprintf(r[*nr - 1].text, sizeof(r[*nr - 1].text), "%s", why);
	r[*nr - 1].n++;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void sleep_until_ns(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ull),
			       .tv_nsec = (long)(t % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int measure_latency(const struct opts *o, const uint8_t *secret, size_t slen)
{
	double *ms = calloc(o->samples, sizeof(*ms));
	struct reason why[MAX_REASONS] = { 0 };
	unsigned ok = 0, failed = 0, nr = 0;
	uint64_t next = now_ns();
	struct conn k;

	if (ms == NULL)
		return fail("latency", "out of memory");
	for (unsigned i = 0; i < o->samples; i++) {
		uint64_t t0, t1;

		sleep_until_ns(next);
		t0 = now_ns();
		next = t0 + o->interval_ms * 1000000ull;
		if (conn_open(&k, o, secret, slen, 1, 40000, o->src_first,
			      t0 + o->timeout_ms * 1000000ull) == 0) {
			t1 = now_ns();
			conn_close(&k);
			ms[ok++] = (double)(t1 - t0) / 1e6;
		} else {
			t1 = now_ns();
			failed++;
			note_reason(why, &nr, k.err);
		}
		if (t1 > next)
			next = t1;
	}
	printf("{\"measure\": \"latency\", \"n\": %u, \"ok\": %u, \"failed\": %u, "
	       "\"interval_ms\": %u, \"timeout_ms\": %u, \"samples_ms\": [",
	       o->samples, ok, failed, o->interval_ms, o->timeout_ms);
	for (unsigned i = 0; i < ok; i++)
		printf("%s%.3f", i ? ", " : "", ms[i]);
	printf("], \"failures\": [");
	for (unsigned i = 0; i < nr; i++) {
		printf("%s{\"reason\": ", i ? ", " : "");
		json_str(why[i].text);
		printf(", \"n\": %u}", why[i].n);
	}
	printf("]}\n");
	free(ms);
	return 0;
}

static int measure_sessions(const struct opts *o, const uint8_t *secret, size_t slen)
{
	uint64_t end = now_ns() + o->seconds * 1000000000ull, n = 0, busy = 0;
	unsigned round = 0;
	struct conn k;

	do {
		uint16_t base = (uint16_t)(20000 + (round++ % 64) * CTL_MAX_SESSIONS);
		uint64_t t0;

		if (conn_open(&k, o, secret, slen, o->per_conn, base, o->src_first,
			      now_ns() + IO_TIMEOUT_NS) != 0)
			return fail("sessions", k.err);
		t0 = now_ns();
		if (drive(&k, CTL_START_ACK, false, now_ns() + IO_TIMEOUT_NS) != 0) {
			conn_close(&k);
			return fail("sessions", k.err);
		}
		busy += now_ns() - t0;
		n += o->per_conn;
		conn_close(&k);
	} while (now_ns() < end);
	report("sessions", n, busy);
	return 0;
}

static void *pbkdf2_worker(void *arg)
{
	static const uint8_t secret[] = "benchmark passphrase", salt[16] = { 1 };
	struct worker *w = arg;
	uint8_t key[16];

	do {
		if (tw_token_key(secret, sizeof(secret) - 1, salt, 1u << w->o->count_exp, key) != 0) {
			snprintf(w->err, sizeof(w->err), "OpenSSL failed");
			w->rc = -1;
			break;
		}
		w->n++;
		w->t_last = now_ns();
	} while (w->t_last < w->end);
	wipe(key, sizeof(key));
	return NULL;
}

static int measure_pbkdf2(const struct opts *o)
{
	return run_threads("pbkdf2", o, pbkdf2_worker, NULL, 0);
}

/* The dataplane's ceiling: ADD then REMOVE of one session, in a loop, on
 * the session API (ctl_dp_unix, the control server's own client). */
static int measure_api(const struct opts *o)
{
	struct ctl_dp *dp = ctl_dp_unix_new(o->api_socket, 5000);
	uint64_t t0, end, n = 0, t;
	struct twr_api_session s;
	int st;

	if (dp == NULL)
		return fail("session API", "out of memory");
	memset(&s, 0, sizeof(s));
	s.ipver = 4;
	s.sec = 1; /* authenticated: the keys are installed too */
	memcpy(s.reflector_addr, (const uint8_t[]){ 10, 99, 100, 2 }, 4);
	memcpy(s.sender_addr, (const uint8_t[]){ 10, 99, 100, 1 }, 4);
	/* a test port of the server's default range: the dataplane refuses
	 * well-known ports (common/port_policy.h), 862 among them */
	s.reflector_port = 49152;
	s.timeout_ms = 1000;
	t0 = now_ns();
	end = t0 + o->seconds * 1000000000ull;
	do {
		memcpy(s.sid, &n, sizeof(n));
		s.sender_port = (uint16_t)(1024 + n % 60000);
		if ((st = ctl_dp_add(dp, &s)) != TWR_API_OK ||
		    (st = ctl_dp_sid_op(dp, TWR_OP_REMOVE, s.sid)) != TWR_API_OK) {
			ctl_dp_free(dp);
			return fail("session API", ctl_dp_status_str(st));
		}
		n++;
		t = now_ns();
	} while (t < end);
	ctl_dp_free(dp);
	report("api", n, t - t0);
	return 0;
}

/* ---- command line ------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: twamp-control-rate --measure setups|sessions --host H --port P\n"
		   "                          --key-id ID --secret-file F [--per-conn N] [--seconds S]\n"
		   "                          [--threads N (setups)] [--src-first 127.X.Y.Z]\n"
		   "       twamp-control-rate --measure latency --host H --port P --key-id ID\n"
		   "                          --secret-file F [--samples N] [--interval-ms MS]\n"
		   "                          [--timeout-ms MS] [--src-first ADDR]\n"
		   "       twamp-control-rate --measure pbkdf2 [--count-exp E] [--seconds S] [--threads N]\n"
		   "       twamp-control-rate --measure api --api-socket PATH [--seconds S]\n");
}

static bool parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "measure", 1, 0, 'm' }, { "host", 1, 0, 'H' },	 { "port", 1, 0, 'p' },
		{ "key-id", 1, 0, 'k' },  { "secret-file", 1, 0, 'f' }, { "api-socket", 1, 0, 'a' },
		{ "seconds", 1, 0, 's' }, { "per-conn", 1, 0, 'n' },	 { "count-exp", 1, 0, 'c' },
		{ "threads", 1, 0, 't' }, { "src-first", 1, 0, 'F' },	 { "samples", 1, 0, 'N' },
		{ "interval-ms", 1, 0, 'i' }, { "timeout-ms", 1, 0, 'T' }, { "help", 0, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	unsigned port = 862;
	struct in_addr a;
	int c;

	*o = (struct opts){ .seconds = 3, .per_conn = CTL_MAX_SESSIONS, .count_exp = 15,
			    .threads = 1, .samples = 50, .interval_ms = 100, .timeout_ms = 5000 };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'm': o->measure = optarg; break;
		case 'H': o->host = optarg; break;
		case 'p': ok = parse_uint(optarg, 1, 65535, &port); break;
		case 'k': o->key_id = optarg; break;
		case 'f': o->secret_file = optarg; break;
		case 'a': o->api_socket = optarg; break;
		case 's': ok = parse_uint(optarg, 1, MAX_SECONDS, &o->seconds); break;
		case 'n': ok = parse_uint(optarg, 1, CTL_MAX_SESSIONS, &o->per_conn); break;
		case 'c': ok = parse_uint(optarg, 10, 31, &o->count_exp); break;
		case 't': ok = parse_uint(optarg, 1, MAX_THREADS, &o->threads); break;
		case 'F':
			ok = inet_pton(AF_INET, optarg, &a) == 1 && a.s_addr != 0;
			o->src_first = ntohl(a.s_addr);
			break;
		case 'N': ok = parse_uint(optarg, 1, MAX_SAMPLES, &o->samples); break;
		case 'i': ok = parse_uint(optarg, 0, 60000, &o->interval_ms); break;
		case 'T': ok = parse_uint(optarg, 1, 600000, &o->timeout_ms); break;
		case 'h': usage(stdout); exit(0);
		default: ok = false;
		}
		if (!ok) {
			usage(stderr);
			return -1;
		}
	}
	o->port = (uint16_t)port;
	/* thread i connects from src_first + i: the last octet stays 1..254 */
	if (o->src_first && ((o->src_first & 0xff) == 0 || (o->src_first & 0xff) + o->threads > 255)) {
		fprintf(stderr, "twamp-control-rate: --src-first: room for %u addresses needed\n",
			o->threads);
		return -1;
	}
	return optind == argc && o->measure != NULL ? 0 : (usage(stderr), -1);
}

/* setups, sessions, latency: the measures that need a server and a secret */
static int run_control(const struct opts *o)
{
	struct secret s;
	char err[256];
	int rc;

	if (o->host == NULL || o->key_id == NULL || o->secret_file == NULL)
		return fail(o->measure, "needs --host, --key-id and --secret-file");
	if (secret_from_file(o->secret_file, getuid(), &s, err, sizeof(err)) != 0)
		return fail(o->secret_file, err);
	if (strcmp(o->measure, "sessions") == 0)
		rc = measure_sessions(o, s.buf, s.len);
	else if (strcmp(o->measure, "latency") == 0)
		rc = measure_latency(o, s.buf, s.len);
	else
		rc = measure_setups(o, s.buf, s.len);
	secret_wipe(&s);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc;

	if (parse(argc, argv, &o) != 0)
		return 2;
	if (strcmp(o.measure, "setups") == 0 || strcmp(o.measure, "sessions") == 0 ||
	    strcmp(o.measure, "latency") == 0)
		rc = run_control(&o);
	else if (strcmp(o.measure, "pbkdf2") == 0)
		rc = measure_pbkdf2(&o);
	else if (strcmp(o.measure, "api") == 0)
		rc = o.api_socket ? measure_api(&o) : fail("api", "needs --api-socket");
	else
		rc = fail(o.measure, "unknown measure");
	return rc == 0 ? 0 : 1;
}
