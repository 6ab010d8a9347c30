/* twamp-control-rate: TWAMP-Control rates for ./run bench, with the
 * references they are read against, measured by the same program.
 *
 *   --measure setups    complete control set-ups per second against a server
 *                       (TCP connect, Greeting, Set-Up-Response, Server-Start
 *                       with Accept 0, then close), one connection at a time
 *   --measure sessions  Request-TW-Session / Accept-Session pairs per second
 *                       (each installs a session in the reflector before it is
 *                       answered); --per-conn sessions per connection, the
 *                       connection set-up itself not timed
 *   --measure pbkdf2    token keys (PBKDF2-HMAC-SHA1 at --count) per second
 *                       in a loop: a set-up costs two of them, the client's
 *                       and the server's
 *   --measure api       session installs (ADD then REMOVE on the
 *                       reflector's session API) per second: the dataplane's
 *                       own ceiling for sessions_per_s
 *
 * Prints one JSON object: {"measure": ..., "n": ..., "seconds": ...,
 * "per_s": ...}. Exit 0, or 1 with a reason on stderr (any refusal or
 * protocol error ends the run: a rate of failures is not a rate).
 */
#include <errno.h>
#include <getopt.h>
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

/* Send what the client has to send, read what it wants, until it stops in
 * `until` (or CTL_TESTING / a failure). */
static int drive(struct conn *k, enum ctl_state until)
{
	uint8_t buf[TWC_MAX_MSG_LEN];

	for (;;) {
		size_t len, need;
		const uint8_t *out = ctl_output(&k->c, &len);

		if (out != NULL &&
		    ctl_io_write(k->fd, out, len, IO_TIMEOUT_NS, k->err, sizeof(k->err)) != 0)
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
		if (ctl_io_read(k->fd, buf, need, IO_TIMEOUT_NS, k->err, sizeof(k->err)) != 0)
			return -1;
		ctl_input(&k->c, buf, need);
	}
}

static void request_for(struct twc_request *r, unsigned i, uint16_t base_port)
{
	memset(r, 0, sizeof(*r));
	r->ipvn = 4;                    /* addresses zero: the control peer and us */
	r->sender_port = (uint16_t)(base_port + i);
	r->timeout = 1ull << 32;        /* 1 s, NTP format */
}

/* Connect and authenticate (Server-Start with Accept 0); the client then
 * holds its first Request-TW-Session (state CTL_ACCEPT). */
static int conn_open(struct conn *k, const struct opts *o, const uint8_t *secret, size_t slen,
		     unsigned nsess, uint16_t base_port)
{
	struct ctl_cfg cfg;
	struct ctl_random rnd;
	struct sockaddr_storage peer, local;

	memset(&cfg, 0, sizeof(cfg));
	cfg.security = TWC_MODE_AUTH;
	memcpy(cfg.keyid, o->key_id, strnlen(o->key_id, TWC_KEYID_LEN));
	cfg.secret = secret;
	cfg.secret_len = slen;
	cfg.max_count_exp = TW_COUNT_MAX_EXP;
	cfg.nsessions = nsess;
	for (unsigned i = 0; i < nsess; i++)
		request_for(&cfg.req[i], i, base_port);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return fail("getrandom", strerror(errno));
	k->fd = ctl_io_connect(o->host, o->port, IO_TIMEOUT_NS, &peer, &local, k->err,
			       sizeof(k->err));
	if (k->fd < 0) {
		wipe(&rnd, sizeof(rnd));
		return fail("connect", k->err);
	}
	if (ctl_init(&k->c, &cfg, &rnd) != CTL_OK) {
		wipe(&rnd, sizeof(rnd));
		close(k->fd);
		return fail("client", ctl_error(&k->c));
	}
	wipe(&rnd, sizeof(rnd));
	if (drive(k, CTL_ACCEPT) != 0) {
		ctl_free(&k->c);
		close(k->fd);
		return fail("set-up", k->err);
	}
	return 0;
}

static void conn_close(struct conn *k)
{
	ctl_free(&k->c);
	close(k->fd);
}

static int measure_setups(const struct opts *o, const uint8_t *secret, size_t slen)
{
	uint64_t t0 = now_ns(), end = t0 + o->seconds * 1000000000ull, n = 0, t;
	struct conn k;

	do {
		if (conn_open(&k, o, secret, slen, 1, 40000) != 0)
			return -1;
		conn_close(&k);
		n++;
		t = now_ns();
	} while (t < end);
	report("setups", n, t - t0);
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

		if (conn_open(&k, o, secret, slen, o->per_conn, base) != 0)
			return -1;
		t0 = now_ns();
		if (drive(&k, CTL_START_ACK) != 0) {
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

static int measure_pbkdf2(const struct opts *o)
{
	static const uint8_t secret[] = "benchmark passphrase", salt[16] = { 1 };
	uint64_t t0 = now_ns(), end = t0 + o->seconds * 1000000000ull, n = 0, t;
	uint8_t key[16];

	do {
		if (tw_token_key(secret, sizeof(secret) - 1, salt, 1u << o->count_exp, key) != 0)
			return fail("pbkdf2", "OpenSSL failed");
		n++;
		t = now_ns();
	} while (t < end);
	wipe(key, sizeof(key));
	report("pbkdf2", n, t - t0);
	return 0;
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
	s.reflector_port = 862;
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
		   "       twamp-control-rate --measure pbkdf2 [--count-exp E] [--seconds S]\n"
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
		{ "help", 0, 0, 'h' },	  { 0, 0, 0, 0 }
	};
	unsigned port = 862;
	int c;

	*o = (struct opts){ .seconds = 3, .per_conn = CTL_MAX_SESSIONS, .count_exp = 15 };
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
		case 'h': usage(stdout); exit(0);
		default: ok = false;
		}
		if (!ok) {
			usage(stderr);
			return -1;
		}
	}
	o->port = (uint16_t)port;
	return optind == argc && o->measure != NULL ? 0 : (usage(stderr), -1);
}

static int run_control(const struct opts *o, bool sessions)
{
	struct secret s;
	char err[256];
	int rc;

	if (o->host == NULL || o->key_id == NULL || o->secret_file == NULL)
		return fail(o->measure, "needs --host, --key-id and --secret-file");
	if (secret_from_file(o->secret_file, getuid(), &s, err, sizeof(err)) != 0)
		return fail(o->secret_file, err);
	rc = sessions ? measure_sessions(o, s.buf, s.len) : measure_setups(o, s.buf, s.len);
	secret_wipe(&s);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc;

	if (parse(argc, argv, &o) != 0)
		return 2;
	if (strcmp(o.measure, "setups") == 0 || strcmp(o.measure, "sessions") == 0)
		rc = run_control(&o, strcmp(o.measure, "sessions") == 0);
	else if (strcmp(o.measure, "pbkdf2") == 0)
		rc = measure_pbkdf2(&o);
	else if (strcmp(o.measure, "api") == 0)
		rc = o.api_socket ? measure_api(&o) : fail("api", "needs --api-socket");
	else
		rc = fail(o.measure, "unknown measure");
	return rc == 0 ? 0 : 1;
}
