/* twamp-control-attack: hostile TWAMP-Control clients for ./run bench
 * (bench/README.md, "TWAMP-Control under attack"). One process, one epoll
 * loop, non-blocking sockets; every connection is bound to a loopback source
 * address chosen here (Linux routes all of 127/8 to lo, so bind() to any
 * 127.x.y.z works without configuration):
 *
 *   --mode flood      --conns connections, each of which connects from a new
 *                     address, reads the Greeting, sends an authenticated
 *                     Set-Up-Response with --key-id and a random Token (a
 *                     wrong one, which the server runs its PBKDF2 for all
 *                     the same), reads the Server-Start, closes and starts
 *                     over at once: wrong tokens as fast as the server takes
 *                     them
 *   --mode slowloris  --conns connections from new addresses that never send
 *                     anything, held until the server closes them
 *   --mode open-hog   --conns connections from --sources addresses (spread
 *                     evenly) that complete an unauthenticated set-up (Mode
 *                     1, Server-Start) and then send nothing, running no
 *                     session
 *
 * A connection the server closes before its Server-Start (refused before
 * the Greeting, or held and then closed) is opened again after --retry-ms,
 * from a new address in flood and slowloris mode, from the same one in
 * open-hog mode. Runs until SIGTERM or SIGINT (or --seconds), then prints
 * one JSON object of counts on stdout; "holding all N connections" on stderr
 * the first time every connection is held. Exit 0, or 2 for a bad command
 * line, 1 if the loop itself fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "control_msg.h"

#define MAX_CONNS 4096
#define MAX_SECONDS 3600

enum mode { FLOOD, SLOWLORIS, OPEN_HOG };
static const char *const mode_name[] = { "flood", "slowloris", "open-hog" };

enum st {
	S_IDLE,          /* no socket; (re)connect at retry_at */
	S_CONNECTING,    /* non-blocking connect in progress */
	S_GREETING,      /* reading the 64-octet Greeting */
	S_SERVER_START,  /* Set-Up-Response sent, reading the Server-Start */
	S_HOLD,          /* silent: only the server closing ends it */
};

struct slot {
	int fd;
	enum st st;
	uint32_t src;        /* open-hog: the fixed source address (host order) */
	uint64_t retry_at;   /* S_IDLE: when to connect, ms */
	size_t have;         /* octets of the message being read */
	uint8_t buf[TWC_SERVER_START_LEN > TWC_GREETING_LEN ? TWC_SERVER_START_LEN
							      : TWC_GREETING_LEN];
};

struct counts {
	uint64_t connects, connect_errors, greetings, refused_before_greeting, setups_sent,
		closed_after_setup, accept_ok, accept_other, held_closed;
	unsigned held, held_max;
	bool all_held;
};

struct opts {
	enum mode mode;
	struct in_addr host;
	uint16_t port;
	unsigned conns, sources, retry_ms, seconds;
	uint32_t src_first;  /* host order */
	uint8_t keyid[TWC_KEYID_LEN];
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- source addresses ---------------------------------------------------- */

/* The next host of 127/8 after a (host order), from the first one on
 * again after 127.255.255.254; last octets 0 and 255 skipped. */
static uint32_t next_src(uint32_t a, uint32_t first)
{
	do {
		a = a >= 0x7ffffffeu ? first : a + 1;
	} while ((a & 0xff) == 0 || (a & 0xff) == 0xff);
	return a;
}

static uint32_t rotating;    /* flood, slowloris: the last address used */

/* ---- one connection ------------------------------------------------------ */

static void watch(int ep, struct slot *s, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (epoll_ctl(ep, op, s->fd, &ev) != 0) {
		perror("twamp-control-attack: epoll_ctl");
		exit(1);
	}
}

static void drop(struct slot *s, struct counts *n, uint64_t retry_at)
{
	if (s->st == S_HOLD)
		n->held--;
	close(s->fd); /* leaves the epoll set with it */
	s->fd = -1;
	s->st = S_IDLE;
	s->retry_at = retry_at;
}

static void open_conn(int ep, struct slot *s, const struct opts *o, struct counts *n)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(o->port),
				   .sin_addr = o->host };
	int one = 1;

	if (o->mode != OPEN_HOG)
		s->src = rotating = next_src(rotating, o->src_first);
	src.sin_addr.s_addr = htonl(s->src);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	s->have = 0;
	n->connects++;
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		n->connect_errors++;
		s->retry_at = now_ms() + o->retry_ms;
		return;
	}
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s->fd, (struct sockaddr *)&dst, sizeof(dst)) == 0) {
		s->st = S_GREETING;
		watch(ep, s, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
	} else if (errno == EINPROGRESS) {
		s->st = S_CONNECTING;
		watch(ep, s, EPOLLOUT, EPOLL_CTL_ADD);
	} else {
		n->connect_errors++;
		close(s->fd);
		s->fd = -1;
		s->retry_at = now_ms() + o->retry_ms;
	}
}

/* The Set-Up-Response of the mode: flood a wrong Token for a real KeyID
 * (random octets), open-hog Mode 1 (unauthenticated). */
static bool send_setup(struct slot *s, const struct opts *o)
{
	struct twc_setup m = { .mode = o->mode == FLOOD ? TWC_MODE_AUTH : TWC_MODE_UNAUTH };
	uint8_t buf[TWC_SETUP_LEN];
	size_t len = twc_setup_len(m.mode);

	if (o->mode == FLOOD) {
		memcpy(m.keyid, o->keyid, sizeof(m.keyid));
		if (getrandom(m.token, sizeof(m.token), 0) != sizeof(m.token) ||
		    getrandom(m.client_iv, sizeof(m.client_iv), 0) != sizeof(m.client_iv))
			return false;
	}
	if (twc_setup_enc(&m, buf, sizeof(buf)) != TWC_OK)
		return false;
	/* 164 octets into a fresh loopback socket: taken whole or not at all */
	return send(s->fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len;
}

/* Read towards `want` octets; 1 when they are all in, 0 for more later,
 * -1 when the server closed the connection or it failed. */
static int fill(struct slot *s, size_t want)
{
	while (s->have < want) {
		ssize_t r = recv(s->fd, s->buf + s->have, want - s->have, 0);

		if (r > 0)
			s->have += (size_t)r;
		else if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		else
			return -1;
	}
	return 1;
}

/* Held: take and forget whatever comes; -1 once the server has closed. */
static int drain(struct slot *s)
{
	for (;;) {
		ssize_t r = recv(s->fd, s->buf, sizeof(s->buf), 0);

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (r < 0)
			return 0;
	}
}

/* The first time every connection is held, say so (run_bench.sh waits
 * for it before it measures the open-hog case). */
static void hold(struct slot *s, struct counts *n, unsigned conns)
{
	s->st = S_HOLD;
	if (++n->held > n->held_max)
		n->held_max = n->held;
	if (n->held == conns && n->held_max == conns && !n->all_held) {
		n->all_held = true;
		fprintf(stderr, "twamp-control-attack: holding all %u connections\n", conns);
	}
}

static void on_event(int ep, struct slot *s, const struct opts *o, struct counts *n)
{
	uint64_t retry = now_ms() + o->retry_ms;
	struct twc_server_start ss;
	int err = 0, r;
	socklen_t len = sizeof(err);

	switch (s->st) {
	case S_CONNECTING:
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
			n->connect_errors++;
			drop(s, n, retry);
			return;
		}
		s->st = S_GREETING;
		watch(ep, s, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
		return;
	case S_GREETING:
		if ((r = fill(s, TWC_GREETING_LEN)) <= 0) {
			if (r < 0) {
				n->refused_before_greeting++;
				drop(s, n, retry);
			}
			return;
		}
		n->greetings++;
		s->have = 0;
		if (o->mode == SLOWLORIS) {
			hold(s, n, o->conns);
			return;
		}
		if (!send_setup(s, o)) {
			n->connect_errors++;
			drop(s, n, retry);
			return;
		}
		n->setups_sent++;
		s->st = S_SERVER_START;
		return;
	case S_SERVER_START:
		if ((r = fill(s, TWC_SERVER_START_LEN)) <= 0) {
			if (r < 0) {
				n->closed_after_setup++;
				drop(s, n, o->mode == FLOOD ? now_ms() : retry);
			}
			return;
		}
		if (twc_server_start_dec(s->buf, s->have, &ss) == TWC_OK && ss.accept == 0)
			n->accept_ok++;
		else
			n->accept_other++;
		if (o->mode == FLOOD)
			drop(s, n, now_ms()); /* the next wrong token at once */
		else
			hold(s, n, o->conns);
		return;
	case S_HOLD:
		if (drain(s) < 0) {
			n->held_closed++;
			drop(s, n, retry);
		}
		return;
	case S_IDLE:
		return;
	}
}

/* ---- the loop ------------------------------------------------------------ */

static int run(const struct opts *o, struct counts *n)
{
	struct slot *slots = calloc(o->conns, sizeof(*slots));
	uint64_t end = o->seconds ? now_ms() + o->seconds * 1000ull : UINT64_MAX, t0 = now_ms();
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (!slots || ep < 0) {
		perror("twamp-control-attack");
		return -1;
	}
	rotating = o->src_first - 1;
	for (unsigned i = 0; i < o->conns; i++) {
		slots[i].fd = -1;
		/* open-hog: connection i from the (i mod sources)-th address */
		slots[i].src = i < o->sources ? next_src(i ? slots[i - 1].src : o->src_first - 1,
							 o->src_first)
					      : slots[i % o->sources].src;
	}
	fprintf(stderr, "twamp-control-attack: running: %s, %u connections\n", mode_name[o->mode],
		o->conns);
	while (!stop && now_ms() < end) {
		struct epoll_event ev[64];
		uint64_t t = now_ms(), next = t + 100;
		int k;

		for (unsigned i = 0; i < o->conns; i++) {
			if (slots[i].st != S_IDLE)
				continue;
			if (slots[i].retry_at <= t)
				open_conn(ep, &slots[i], o, n);
			if (slots[i].st == S_IDLE && slots[i].retry_at < next)
				next = slots[i].retry_at;
		}
		k = epoll_wait(ep, ev, 64, next > t ? (int)(next - t) : 0);
		if (k < 0 && errno != EINTR) {
			perror("twamp-control-attack: epoll_wait");
			return -1;
		}
		for (int i = 0; i < k; i++)
			on_event(ep, ev[i].data.ptr, o, n);
	}
	printf("{\"mode\": \"%s\", \"conns\": %u, \"sources\": %u, \"seconds\": %.1f, "
	       "\"connects\": %llu, \"connect_errors\": %llu, \"greetings\": %llu, "
	       "\"refused_before_greeting\": %llu, \"setups_sent\": %llu, "
	       "\"closed_after_setup\": %llu, \"accept_ok\": %llu, \"accept_other\": %llu, "
	       "\"held_closed\": %llu, \"held_at_end\": %u, \"held_max\": %u}\n",
	       mode_name[o->mode], o->conns, o->mode == OPEN_HOG ? o->sources : 0,
	       (double)(now_ms() - t0) / 1000.0, (unsigned long long)n->connects,
	       (unsigned long long)n->connect_errors, (unsigned long long)n->greetings,
	       (unsigned long long)n->refused_before_greeting, (unsigned long long)n->setups_sent,
	       (unsigned long long)n->closed_after_setup, (unsigned long long)n->accept_ok,
	       (unsigned long long)n->accept_other, (unsigned long long)n->held_closed, n->held,
	       n->held_max);
	for (unsigned i = 0; i < o->conns; i++)
		if (slots[i].fd >= 0)
			close(slots[i].fd);
	close(ep);
	free(slots);
	return 0;
}

/* ---- command line -------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: twamp-control-attack --mode flood|slowloris|open-hog --host IPV4 --port P\n"
		   "         [--conns N] [--sources N] [--key-id ID] [--retry-ms MS]\n"
		   "         [--src-first 127.X.Y.Z] [--seconds S]\n");
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

static bool parse_mode(const char *s, enum mode *m)
{
	for (unsigned i = 0; i < sizeof(mode_name) / sizeof(mode_name[0]); i++)
		if (strcmp(s, mode_name[i]) == 0) {
			*m = (enum mode)i;
			return true;
		}
	return false;
}

/* A source address in 127/8 that leaves room for the open-hog's sources. */
static bool parse_src(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return (*out >> 24) == 127 && *out < 0x7fff0000u && (*out & 0xff) != 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "mode", 1, 0, 'm' },	    { "host", 1, 0, 'H' },	{ "port", 1, 0, 'p' },
		{ "conns", 1, 0, 'n' },	    { "sources", 1, 0, 'S' },	{ "key-id", 1, 0, 'k' },
		{ "retry-ms", 1, 0, 'r' },  { "src-first", 1, 0, 'f' }, { "seconds", 1, 0, 's' },
		{ "help", 0, 0, 'h' },	    { 0, 0, 0, 0 }
	};
	bool have_mode = false, have_host = false;
	unsigned port = 0;
	int c;

	*o = (struct opts){ .conns = 20, .sources = 8, .retry_ms = 1000, .src_first = 0x7f010001u };
	memcpy(o->keyid, "bench", 5);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'm': ok = have_mode = parse_mode(optarg, &o->mode); break;
		case 'H': ok = have_host = inet_pton(AF_INET, optarg, &o->host) == 1; break;
		case 'p': ok = parse_uint(optarg, 1, 65535, &port); break;
		case 'n': ok = parse_uint(optarg, 1, MAX_CONNS, &o->conns); break;
		case 'S': ok = parse_uint(optarg, 1, 256, &o->sources); break;
		case 'k':
			ok = strlen(optarg) <= TWC_KEYID_LEN;
			memset(o->keyid, 0, sizeof(o->keyid));
			memcpy(o->keyid, optarg, ok ? strlen(optarg) : 0);
			break;
		case 'r': ok = parse_uint(optarg, 0, 60000, &o->retry_ms); break;
		case 'f': ok = parse_src(optarg, &o->src_first); break;
		case 's': ok = parse_uint(optarg, 1, MAX_SECONDS, &o->seconds); break;
		case 'h': usage(stdout); exit(0);
		default: ok = false;
		}
		if (!ok) {
			usage(stderr);
			return -1;
		}
	}
	o->port = (uint16_t)port;
	if (optind != argc || !have_mode || !have_host || port == 0) {
		usage(stderr);
		return -1;
	}
	if (o->sources > o->conns)
		o->sources = o->conns;
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct counts n = { 0 };
	struct opts o;

	if (parse(argc, argv, &o) != 0)
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return run(&o, &n) == 0 ? 0 : 1;
}
