/* libFuzzer target: twamp-keyagent's request path as a local caller meets
 * it: the event loop's framing (keyagent/ka_serve.c: partial reads,
 * truncated and oversized requests), the request handling (ka_handle.c)
 * and the policy (ka_policy.c), with a policy and charon's plugin's
 * answers given by the input.
 *
 * The agent runs ka_serve in a thread on a socket of a temporary
 * directory, with its audit log on a pipe; a fake plugin thread answers
 * the agent's lookups on the plugin socket. The harness is the caller
 * (SO_PEERCRED: this process's uid and gid): it connects,
 * sends the request in pieces, shuts its side down and reads the answer.
 *
 * Input:
 *   byte 0        bits 0-1 rules (0..3), bits 2-3 the plugin (0 answers as
 *                 charon would, 1 the status too comes from the input, 2
 *                 raw octets, 3 closes without a word), bits 4-7 the size
 *                 of the pieces the request is sent in (0: at once)
 *   each rule     1 octet: bit 0 has uid (bit 2: the caller's, else
 *                 another), bit 1 has gid (bit 3: the caller's, else
 *                 another), bit 4 spi, bit 5 peer,
 *                 bits 6-7 prefixes (0..3); then per prefix 1 octet (bit 7
 *                 IPv6, bits 0-6 length) and 16 octets of address (host bits
 *                 cleared, as the configuration has them)
 *   1 octet       request length, then the request
 *   the rest      the plugin's answer: for 0/1: PRF choice, status, remote
 *                 family and address (SPI lookups), key; for 2: raw octets
 *
 * Properties (abort on violation), checked against a model of the policy
 * written here independently: the caller always gets exactly one
 * well-formed agent-leg reply (648 octets, then end of stream); a request
 * of the wrong size or one that does not decode is answered MALFORMED or
 * BAD_VERSION, one the policy refuses NOT_PERMITTED, and in both cases the
 * plugin is never asked; a permitted request is forwarded to the plugin
 * once, octet for octet (on the plugin leg); a key reaches the caller only
 * for a peer the policy allows the caller, with the key length of its PRF;
 * every request gets one audit line, which never holds the key. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ka_config.h"
#include "ka_serve.h"
#include "keyagent_proto.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

enum plugin_mode { PLUGIN_CHARON, PLUGIN_STATUS, PLUGIN_RAW, PLUGIN_CLOSE };

static struct ka_config cfg;
static int audit_rd;
static volatile sig_atomic_t stop;
static uid_t my_uid;   /* the caller's credentials, as SO_PEERCRED gives them */
static gid_t my_gid;

/* ---- the fake plugin: one request, the scripted answer, close ---- */
static struct {
	pthread_mutex_t mu;
	int lfd;
	enum plugin_mode mode;
	uint8_t reply[KA_REPLY_LEN + 64];
	size_t reply_len;
	uint8_t got[KA_REQ_LEN + 1];
	size_t got_len;
	unsigned asked;
} plugin = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void *plugin_run(void *arg)
{
	(void)arg;
	for (;;) {
		struct timeval tv = { 60, 0 };
		uint8_t buf[KA_REQ_LEN + 1];
		size_t got = 0;
		ssize_t r;
		int fd = accept(plugin.lfd, NULL, NULL);

		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		/* libFuzzer's SIGALRM (once a second) may land in this thread */
		while (got < KA_REQ_LEN &&
		       ((r = recv(fd, buf + got, sizeof(buf) - got, 0)) > 0 || (r < 0 && errno == EINTR)))
			got += r > 0 ? (size_t)r : 0;
		pthread_mutex_lock(&plugin.mu);
		memcpy(plugin.got, buf, got);
		plugin.got_len = got;
		plugin.asked++;
		if (plugin.mode != PLUGIN_CLOSE)
			while (send(fd, plugin.reply, plugin.reply_len, MSG_NOSIGNAL) < 0 && errno == EINTR)
				;
		pthread_mutex_unlock(&plugin.mu);
		close(fd);
	}
	return NULL;
}

static int listen_on(const char *path, int flags)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	CHECK(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 16) == 0);
	return fd;
}

static void *agent_run(void *arg)
{
	int *fds = arg;

	CHECK(ka_serve(&cfg, fds[0], fds[1], &stop) == 0);
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static int fds[2];
	char dir[] = "/tmp/twr-fuzz-ka-XXXXXX";
	int pfd[2];
	pthread_t t;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	my_uid = geteuid();
	my_gid = getegid();
	CHECK(mkdtemp(dir) != NULL);
	snprintf(cfg.socket, sizeof(cfg.socket), "%s/agent.sock", dir);
	snprintf(cfg.plugin_socket, sizeof(cfg.plugin_socket), "%s/ippm.sock", dir);
	/* far above any answer's time, even for a thread starved on a loaded
	 * host (nice 19): a timeout here would be a false alarm (an agent that
	 * expires a request it has not read yet answers MALFORMED and resets
	 * the stream); a real hang is libFuzzer's -timeout's to report */
	cfg.plugin_timeout_ms = 60000;
	cfg.request_timeout_ms = 60000;
	cfg.max_clients = 4;
	/* the audit rate limit out of reach, so that every request has its line */
	cfg.audit_rate = (struct ka_audit_rate){ .interval_s = 10, .per_caller = 1u << 30,
						 .per_second = 1u << 30, .burst = 1u << 30 };
	plugin.lfd = listen_on(cfg.plugin_socket, 0);
	CHECK(pthread_create(&t, NULL, plugin_run, NULL) == 0);
	CHECK(pipe2(pfd, O_CLOEXEC) == 0);
	CHECK(fcntl(pfd[0], F_SETFL, O_NONBLOCK) == 0);
	audit_rd = pfd[0];
	fds[0] = listen_on(cfg.socket, SOCK_NONBLOCK);
	fds[1] = pfd[1];
	CHECK(pthread_create(&t, NULL, agent_run, fds) == 0);
	return 0;
}

/* ---- input ---- */
struct cursor {
	const uint8_t *p;
	size_t n;
};

static void take(struct cursor *c, void *out, size_t n)
{
	size_t k = n < c->n ? n : c->n;

	memcpy(out, c->p, k);
	memset((uint8_t *)out + k, 0, n - k);
	c->p += k;
	c->n -= k;
}

static uint8_t take8(struct cursor *c)
{
	uint8_t v;

	take(c, &v, 1);
	return v;
}

static void take_rules(struct cursor *c, unsigned n, struct ka_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	for (unsigned i = 0; i < n; i++) {
		struct ka_rule *r = &pol->rules[i];
		uint8_t f = take8(c);

		snprintf(r->name, sizeof(r->name), "rule%u", i);
		r->has_uid = f & 1;
		r->has_gid = f & 2;
		r->uid = f & 4 ? my_uid : my_uid + 1000;
		r->gid = f & 8 ? my_gid : my_gid + 1000;
		r->allow_spi = f & 16;
		r->allow_peer = f & 32;
		r->nprefixes = f >> 6;
		for (size_t j = 0; j < r->nprefixes; j++) {
			struct cfg_prefix *p = &r->prefixes[j];
			uint8_t pl = take8(c);
			unsigned bits;

			p->ipver = pl & 0x80 ? 6 : 4;
			bits = p->ipver == 4 ? 32 : 128;
			p->len = (uint8_t)((pl & 0x7f) % (bits + 1));
			take(c, p->addr, 16);
			for (unsigned b = p->len; b < 128; b++)
				p->addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
		}
	}
	pol->nrules = n;
}

/* ---- the model ---- */
static bool model_contains(const struct cfg_prefix *p, const struct ka_addr *a)
{
	if (a->family != p->ipver)
		return false;
	for (unsigned b = 0; b < p->len; b++) {
		unsigned m = 0x80u >> (b % 8);

		if ((a->a[b / 8] & m) != (p->addr[b / 8] & m))
			return false;
	}
	return true;
}

/* Does some rule let the caller make this request about peer (NULL: any)? */
static bool model_permits(const struct ka_policy *pol, uint8_t type, const struct ka_addr *peer)
{
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct ka_rule *r = &pol->rules[i];
		bool kind = type == KA_PING || (type == KA_LOOKUP_SPI && r->allow_spi) ||
			    (type == KA_LOOKUP_PEER && r->allow_peer);

		if (!(r->has_uid || r->has_gid) || (r->has_uid && r->uid != my_uid) ||
		    (r->has_gid && r->gid != my_gid) || !kind)
			continue;
		if (type == KA_PING || !peer)
			return true;
		for (size_t j = 0; j < r->nprefixes; j++)
			if (model_contains(&r->prefixes[j], peer))
				return true;
	}
	return false;
}

/* The plugin's answer to req, as charon would give it. */
static void charon_reply(const struct ka_request *req, struct cursor *c, bool any_status,
			 struct ka_reply *rep)
{
	static const uint16_t prf[] = { 2, 5, 6, 7, 8 };
	uint8_t status;

	memset(rep, 0, sizeof(*rep));
	rep->type = req->type;
	rep->prf = prf[take8(c) % 5];
	status = take8(c);
	rep->status = any_status ? status % (KA_STATUS_WIRE_MAX + 1) : KA_OK;
	if (rep->status != KA_OK || req->type == KA_PING)
		return;
	rep->key_len = (uint8_t)ka_prf_len(rep->prf);
	memcpy(rep->spi_i, req->spi_i, KA_SPI_LEN);
	memcpy(rep->spi_r, req->spi_r, KA_SPI_LEN);
	rep->local = (struct ka_addr){ .family = 4, .a = { 10, 99, 0, 1 } };
	if (req->type == KA_LOOKUP_PEER) {
		rep->remote = req->peer;
	} else {
		rep->remote.family = take8(c) & 1 ? 6 : 4;
		take(c, rep->remote.a, rep->remote.family == 4 ? 4 : 16);
	}
	take(c, rep->key, rep->key_len);
	snprintf(rep->local_id, sizeof(rep->local_id), "moon.example");
	snprintf(rep->remote_id, sizeof(rep->remote_id), "sun.example");
}

static void script_plugin(enum plugin_mode mode, const struct ka_request *req, bool decoded,
			  struct cursor *c, struct ka_reply *expect)
{
	memset(expect, 0, sizeof(*expect));
	pthread_mutex_lock(&plugin.mu);
	plugin.mode = mode;
	plugin.reply_len = 0;
	if (mode == PLUGIN_RAW) {
		plugin.reply_len = c->n < sizeof(plugin.reply) ? c->n : sizeof(plugin.reply);
		take(c, plugin.reply, plugin.reply_len);
	} else if (mode != PLUGIN_CLOSE && decoded) {
		charon_reply(req, c, mode == PLUGIN_STATUS, expect);
		CHECK(ka_reply_encode(KA_LEG_PLUGIN, expect, plugin.reply) == 0);
		plugin.reply_len = KA_REPLY_LEN;
	}
	pthread_mutex_unlock(&plugin.mu);
}

/* ---- the caller ---- */
static size_t call_agent(const uint8_t *req, size_t len, size_t piece, uint8_t *rep, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 60, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t off = 0, got = 0;
	ssize_t r;

	CHECK(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cfg.socket);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (off < len) {
		size_t n = piece && len - off > piece ? piece : len - off;

		ssize_t w = send(fd, req + off, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR) /* libFuzzer's SIGALRM */
			continue;
		if (w != (ssize_t)n)
			break; /* the agent has answered and closed */
		off += n;
	}
	shutdown(fd, SHUT_WR);
	while (got < cap && ((r = recv(fd, rep + got, cap - got, 0)) > 0 || (r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	/* the end of the stream, not a timeout; an agent that closes with our
	 * excess octets unread resets the stream after its reply */
	CHECK(r == 0 || got == cap || (r < 0 && errno == ECONNRESET && len > KA_REQ_LEN));
	close(fd);
	return got;
}

/* One line, and no trace of the key: its hex digits in full (at least 32;
 * nothing else in a line is a run of more than 16 of them, the SPIs being
 * written apart) never appear. */
static void check_audit(const struct ka_reply *rep)
{
	char line[4096], keyhex[2 * KA_KEY_MAX + 1];
	ssize_t n;
	int tries = 0;

	/* the agent writes the line right after the reply */
	while ((n = read(audit_rd, line, sizeof(line) - 1)) < 0 && errno == EAGAIN && tries++ < 50000)
		usleep(100);
	CHECK(n > 0);
	line[n] = '\0';
	CHECK(line[n - 1] == '\n' && strchr(line, '\n') == line + n - 1);
	if (rep->key_len >= 16) {
		for (int i = 0; i < rep->key_len; i++)
			snprintf(keyhex + 2 * i, 3, "%02x", rep->key[i]);
		CHECK(strstr(line, keyhex) == NULL);
	}
}

static void check_answer(const struct ka_policy *pol, const uint8_t *req, size_t len,
			 enum plugin_mode mode, const struct ka_reply *charon,
			 const struct ka_reply *got, unsigned asked)
{
	struct ka_request rq;
	enum ka_status dst = ka_request_decode(KA_LEG_AGENT, req, len > KA_REQ_LEN ? KA_REQ_LEN : len,
					       &rq, NULL);
	uint8_t fwd[KA_REQ_LEN];

	if (len != KA_REQ_LEN && (len < KA_REQ_LEN || got->status == KA_MALFORMED)) {
		/* too short, or too long and seen so: refused before anything */
		CHECK(got->status == KA_MALFORMED && asked == 0);
		return;
	}
	if (dst != KA_OK) {
		CHECK(got->status == dst && asked == 0);
		return;
	}
	if (!model_permits(pol, rq.type, rq.type == KA_LOOKUP_PEER ? &rq.peer : NULL)) {
		CHECK(got->status == KA_NOT_PERMITTED && asked == 0);
		return;
	}
	CHECK(asked == 1);
	CHECK(ka_request_encode(KA_LEG_PLUGIN, &rq, fwd) == 0);
	CHECK(plugin.got_len == KA_REQ_LEN && memcmp(plugin.got, fwd, KA_REQ_LEN) == 0);
	CHECK(got->type == rq.type);
	if (got->status == KA_OK && rq.type != KA_PING) {
		CHECK(got->key_len == ka_prf_len(got->prf) && got->key_len > 0);
		CHECK(model_permits(pol, rq.type, &got->remote));
	}
	if (mode == PLUGIN_CLOSE)
		CHECK(got->status == KA_AGENT_DOWN);
	if (mode == PLUGIN_CHARON || mode == PLUGIN_STATUS) {
		enum ka_status want = (enum ka_status)charon->status;

		if (want == KA_MALFORMED || want == KA_BAD_VERSION)
			want = KA_INTERNAL;
		if (want == KA_OK && rq.type != KA_PING && !model_permits(pol, rq.type, &charon->remote))
			want = KA_NOT_PERMITTED;
		CHECK(got->status == want);
		if (want == KA_OK && rq.type != KA_PING)
			CHECK(got->key_len == charon->key_len &&
			      !memcmp(got->key, charon->key, got->key_len) &&
			      ka_addr_equal(&got->remote, &charon->remote));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ka_policy pol;
	struct cursor c = { data, size };
	uint8_t sel, req[256], rep[KA_REPLY_LEN + 1];
	struct ka_reply charon, got;
	struct ka_request rq;
	enum plugin_mode mode;
	size_t len, n;
	unsigned asked;
	bool decoded;

	if (size < 2)
		return 0;
	sel = take8(&c);
	mode = (enum plugin_mode)((sel >> 2) & 3);
	take_rules(&c, sel & 3, &pol);
	len = take8(&c);
	take(&c, req, len);
	decoded = ka_request_decode(KA_LEG_AGENT, req, len < KA_REQ_LEN ? len : KA_REQ_LEN, &rq,
				    NULL) == KA_OK;
	script_plugin(mode, &rq, decoded, &c, &charon);
	cfg.policy = pol; /* the agent reads it only while it answers us */
	pthread_mutex_lock(&plugin.mu);
	asked = plugin.asked;
	pthread_mutex_unlock(&plugin.mu);

	n = call_agent(req, len, (size_t)(sel >> 4) * 5, rep, sizeof(rep));
	CHECK(n == KA_REPLY_LEN);
	CHECK(ka_reply_decode(KA_LEG_AGENT, rep, n, &got, NULL) == KA_OK);
	pthread_mutex_lock(&plugin.mu);
	asked = plugin.asked - asked;
	check_answer(&pol, req, len, mode, &charon, &got, asked);
	pthread_mutex_unlock(&plugin.mu);
	check_audit(&charon);
	ka_reply_wipe(&got);
	ka_reply_wipe(&charon);
	return 0;
}
