/* `twamp-client twamp` orchestration: see twamp_run.h.
 *
 *   secret -> connect -> (--ikev2: the key of the IKE SA with the server's
 *   address from the key agent) -> test sockets bound (their ports go in
 *   the requests) -> control up to Start-Ack -> sessions run at once, the
 *   control connection watched -> Stop -> report -> wipe
 */
#include "twamp_run.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "addr.h"
#include "ctl_client.h"
#include "ctl_io.h"
#include "keyagent_client.h"
#include "light_sender.h"
#include "ntp_time.h"
#include "secret.h"
#include "secmem.h"
#include "secure_mem.h"
#include "stats.h"
#include "tw_socket.h"
#include "twamp_report.h"

struct trun {
	const struct twamp_opts *o;
	const volatile sig_atomic_t *stop;
	struct secret secret;                     /* or the IKE SA's key */
	bool have_sa;                             /* --ikev2: found */
	uint8_t spi_i[KA_SPI_LEN], spi_r[KA_SPI_LEN];
	const char *ike_prf;
	int fd;                                   /* control connection */
	struct sockaddr_storage peer, local;
	struct sockaddr_storage test_dst;         /* --receiver-address, or peer */
	char address[ADDR_STRLEN], test_address[ADDR_STRLEN];
	struct tsock socks[CTL_MAX_SESSIONS];
	uint16_t sender_ports[CTL_MAX_SESSIONS];
	struct ctl_cfg cfg;
	struct ctl_client ctl;
	struct light_cfg lc[CTL_MAX_SESSIONS];
	struct stats st[CTL_MAX_SESSIONS];
	struct stats_summary sum[CTL_MAX_SESSIONS];
	struct light_result res[CTL_MAX_SESSIONS];
	unsigned nstats;                          /* st[] initialised */
	unsigned ran;                             /* sessions that ran */
	bool stopped;
	char err[CTL_ERR_LEN];
};

static void say(const char *msg)
{
	fprintf(stderr, "twamp-client: %s\n", msg);
}

/* ---- before the connection ------------------------------------------- */

static int get_secret(struct trun *t)
{
	const struct twamp_opts *o = t->o;
	char err[200], prompt[160];

	if (o->security == TWC_MODE_UNAUTH || o->ikev2)
		return 0;
	if (o->secret_file) {
		if (secret_from_file(o->secret_file, getuid(), &t->secret, err, sizeof(err)) == 0)
			return 0;
		snprintf(t->err, sizeof(t->err), "secret file %s: %s", o->secret_file, err);
		return -1;
	}
	if (!isatty(STDIN_FILENO)) {
		snprintf(t->err, sizeof(t->err), "--mode %s needs the shared secret: give --secret-file, "
			 "or run on a terminal to be asked for it", ctl_security_name(o->security));
		return -1;
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for KeyID '%s': ", o->key_id);
	if (secret_from_tty(prompt, &t->secret, err, sizeof(err)) == 0)
		return 0;
	snprintf(t->err, sizeof(t->err), "passphrase: %s", err);
	return -1;
}

static void ike_error(struct trun *t, enum ka_status st)
{
	const char *a = t->address;

	switch (st) {
	case KA_NO_SA:
		snprintf(t->err, sizeof(t->err), "no IKEv2 SA with %s", a);
		break;
	case KA_NOT_PERMITTED:
		snprintf(t->err, sizeof(t->err), "no IKEv2 SA with %s: the key agent's policy does "
			 "not allow it (NOT_PERMITTED)", a);
		break;
	case KA_AGENT_DOWN:
		snprintf(t->err, sizeof(t->err), "no IKEv2 SA with %s: the key agent cannot reach "
			 "charon (AGENT_DOWN)", a);
		break;
	case KA_NO_AGENT:
		snprintf(t->err, sizeof(t->err), "no IKEv2 SA with %s: no key agent answers at %s "
			 "(NO_AGENT)", a, t->o->keyagent_socket);
		break;
	default:
		snprintf(t->err, sizeof(t->err), "no IKEv2 SA with %s: the key agent answered %s", a,
			 ka_status_name(st));
		break;
	}
}

/* --ikev2 (RFC 7717 §5.1): the key of the newest IKEv2 SA with the
 * address we are connected to; it stands in for the passphrase (and is
 * wiped with it once the Set-Up-Response is made). */
static int get_ike_key(struct trun *t)
{
	struct ka_addr peer;
	struct ka_reply rep;
	enum ka_status st = KA_MALFORMED;

	if (ka_addr_from_sockaddr(&peer, (const struct sockaddr *)&t->peer, sizeof(t->peer)) == 0)
		st = ka_lookup_peer(t->o->keyagent_socket, &peer, KA_TIMEOUT_MS, &rep);
	else
		ka_reply_error(&rep, KA_LOOKUP_PEER, st);
	_Static_assert(KA_KEY_MAX <= SECRET_MAX, "an IKE key fits the secret buffer");
	if (st == KA_OK && (rep.key_len == 0 || rep.key_len > KA_KEY_MAX))
		st = KA_INTERNAL;
	if (st != KA_OK) {
		ike_error(t, st);
		ka_reply_wipe(&rep);
		return -1;
	}
	memcpy(t->secret.buf, rep.key, rep.key_len);
	t->secret.len = rep.key_len;
	memcpy(t->spi_i, rep.spi_i, KA_SPI_LEN);
	memcpy(t->spi_r, rep.spi_r, KA_SPI_LEN);
	t->ike_prf = ka_prf_name(rep.prf);
	t->have_sa = true;
	ka_reply_wipe(&rep);
	return 0;
}

/* One UDP socket per session on the control connection's local address;
 * its port goes into the request. */
static int open_test_sockets(struct trun *t)
{
	const struct twamp_opts *o = t->o;
	socklen_t len = t->local.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						       : sizeof(struct sockaddr_in);

	for (unsigned i = 0; i < o->sessions; i++) {
		struct sockaddr_storage bind_to = t->local, got;

		addr_set_port(&bind_to, o->sender_port ? (uint16_t)(o->sender_port + i) : 0);
		if (tsock_open(&t->socks[i], t->local.ss_family, &bind_to, len, o->dscp, t->err,
			       sizeof(t->err)) < 0)
			return -1;
		if (tsock_local(&t->socks[i], &got) < 0) {
			snprintf(t->err, sizeof(t->err), "test socket: cannot read its port");
			return -1;
		}
		t->sender_ports[i] = addr_port(&got);
	}
	return 0;
}

/* Where the test packets go: --receiver-address, of the control
 * connection's family (known here for a HOST that is a name), else the
 * server's address. */
static int test_destination(struct trun *t)
{
	const struct twamp_opts *o = t->o;

	t->test_dst = t->peer;
	if (o->receiver_family) {
		if (o->receiver_family != t->local.ss_family) {
			snprintf(t->err, sizeof(t->err), "--receiver-address %s is %s but the control "
				 "connection to %s is %s", o->receiver_arg,
				 o->receiver_family == AF_INET ? "IPv4" : "IPv6", t->address,
				 o->receiver_family == AF_INET ? "IPv6" : "IPv4");
			return -1;
		}
		memset(&t->test_dst, 0, sizeof(t->test_dst));
		t->test_dst.ss_family = (sa_family_t)o->receiver_family;
		if (o->receiver_family == AF_INET6)
			memcpy(&((struct sockaddr_in6 *)&t->test_dst)->sin6_addr, o->receiver_addr, 16);
		else
			memcpy(&((struct sockaddr_in *)&t->test_dst)->sin_addr, o->receiver_addr, 4);
	}
	addr_format(&t->test_dst, t->test_address, sizeof(t->test_address));
	return 0;
}

static void put_addr(uint8_t out[16], const struct sockaddr_storage *ss)
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

/* The control configuration: mode, KeyID, secret and one request per
 * session (Start Time 0: start at Start-Sessions). */
static int make_cfg(struct trun *t)
{
	const struct twamp_opts *o = t->o;
	struct ctl_cfg *cfg = &t->cfg;

	memset(cfg, 0, sizeof(*cfg));
	cfg->security = o->security;
	cfg->individual = o->individual;
	cfg->reflect_octets = o->reflect_octets;
	cfg->symmetrical = o->symmetrical;
	if (o->key_id)
		memcpy(cfg->keyid, o->key_id, strlen(o->key_id));
	if (o->ikev2) {
		cfg->ikev2 = true;
		ctl_ike_keyid(cfg->keyid, t->spi_i, t->spi_r);
	}
	cfg->secret = t->secret.buf;
	cfg->secret_len = t->secret.len;
	cfg->max_count_exp = o->max_count_exp;
	cfg->nsessions = o->sessions;
	for (unsigned i = 0; i < o->sessions; i++) {
		struct twc_request *q = &cfg->req[i];
		uint16_t token = 0;

		q->ipvn = t->local.ss_family == AF_INET6 ? 6 : 4;
		q->sender_port = t->sender_ports[i];
		q->receiver_port = o->receiver_port;
		put_addr(q->sender_addr, &t->local);
		put_addr(q->receiver_addr, &t->test_dst);
		q->padding_len = twamp_padding_len(o);
		q->timeout = ntp_from_duration_ns(o->timeout_ns);
		q->type_p = o->dscp >= 0 ? TWC_TYPEP(o->dscp) : 0;
		if (o->reflect_octets && getrandom(&token, sizeof(token), 0) != sizeof(token))
			return -1;
		q->octets_to_reflect = o->reflect_octets ? token : 0;
		q->pad_to_reflect = o->reflect_octets ? o->reflect_len : 0;
	}
	return 0;
}

static int draw_random(struct ctl_random *r)
{
	return getrandom(r, sizeof(*r), 0) == (ssize_t)sizeof(*r) ? 0 : -1;
}

/* ---- control --------------------------------------------------------- */

/* Send what the machine has, read what it wants, until it wants nothing.
 * The secret is wiped as soon as the Set-Up-Response is made. */
static void drive(struct trun *t)
{
	struct ctl_client *c = &t->ctl;
	uint64_t to = t->o->control_timeout_ns;
	uint8_t buf[TWC_NMSG_LEN(CTL_MAX_SESSIONS)];
	char err[CTL_ERR_LEN];

	for (;;) {
		size_t n;
		const uint8_t *out = ctl_output(c, &n);

		if (c->state != CTL_GREETING)
			secret_wipe(&t->secret);
		if (out && ctl_io_write(t->fd, out, n, to, err, sizeof(err)) < 0)
			break;
		n = ctl_need(c);
		if (n == 0)
			return;
		if (ctl_io_read(t->fd, buf, n, to, err, sizeof(err)) < 0)
			break;
		ctl_input(c, buf, n);
	}
	ctl_fail(c, CTL_CONNECTION, err);
}

static const char *result_word(const struct ctl_client *c)
{
	static const char *const words[] = { "ok", "refused", "unsupported", "protocol", "internal",
					     "connection" };

	return c->state == CTL_FAILED ? words[c->result] : "ok";
}

/* ---- test sessions --------------------------------------------------- */

static void make_light(struct trun *t, unsigned i)
{
	const struct twamp_opts *o = t->o;
	const struct ctl_session *s = &t->ctl.sess[i];
	struct light_cfg *l = &t->lc[i];

	memset(l, 0, sizeof(*l));
	l->dst = t->test_dst;
	addr_set_port(&l->dst, s->port);
	l->sec = twamp_test_sec(o->security);
	l->symmetrical = o->symmetrical;
	l->keys = l->sec == TW_SEC_OPEN ? NULL : &s->keys;
	l->count = o->count;
	l->interval_ns = o->interval_ns;
	l->timeout_ns = o->timeout_ns;
	l->size = o->size;
	l->dscp = o->dscp;
	l->fill_random = o->fill_random;
	l->synced = o->synced;
	l->stop = t->stop;
	l->sock = &t->socks[i];
	l->reflect_octets = o->reflect_octets;
	l->server_octets = s->server_octets;
}

/* Runs every session; returns the Accept for Stop-Sessions. */
static uint8_t run_sessions(struct trun *t)
{
	unsigned n = t->o->sessions;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		make_light(t, i);
		if (stats_init(&t->st[i], t->o->count) < 0) {
			ctl_fail(&t->ctl, CTL_INTERNAL, "out of memory for the statistics");
			return TWC_ACCEPT_INTERNAL;
		}
		t->nstats = i + 1;
	}
	rc = light_run_many(t->lc, t->st, t->res, n, t->fd);
	if (rc == LIGHT_ERR_SETUP) {
		unsigned i = 0;

		while (i + 1 < n && !strncmp(t->res[i].err, "not started", 11))
			i++;
		snprintf(t->err, sizeof(t->err), "cannot start test session %u: %s", i + 1,
			 t->res[i].err);
		ctl_fail(&t->ctl, CTL_INTERNAL, t->err);
		return TWC_ACCEPT_INTERNAL;
	}
	t->ran = n;
	if (rc == LIGHT_ERR_WATCH) {
		bool data = ctl_io_why_readable(t->fd, t->err, sizeof(t->err));

		ctl_fail(&t->ctl, data ? CTL_PROTOCOL : CTL_CONNECTION, t->err);
		for (unsigned i = 0; i < n; i++)
			if (t->res[i].rc)
				snprintf(t->res[i].err, sizeof(t->res[i].err), "%s", t->err);
	}
	return rc == 0 ? TWC_ACCEPT_OK : TWC_ACCEPT_FAILURE;
}

static void stop_sessions(struct trun *t, uint8_t accept)
{
	if (t->ctl.state != CTL_TESTING)
		return;
	ctl_stop(&t->ctl, accept);
	drive(t);
	t->stopped = t->ctl.state == CTL_DONE;
}

/* ---- results --------------------------------------------------------- */

static int report(struct trun *t)
{
	bool failed = t->ctl.state == CTL_FAILED;
	struct twamp_report r = {
		.o = t->o, .address = t->fd >= 0 ? t->address : NULL, .ctl = &t->ctl,
		.test_address = t->test_address[0] ? t->test_address : NULL,
		.result = result_word(&t->ctl), .error = failed ? ctl_error(&t->ctl) : NULL,
		.stopped = t->stopped, .sender_ports = t->sender_ports, .sums = t->sum, .res = t->res,
		.spi_i = t->have_sa ? t->spi_i : NULL, .spi_r = t->have_sa ? t->spi_r : NULL,
		.ike_prf = t->have_sa ? t->ike_prf : NULL,
	};
	bool all_replied = true;

	for (unsigned i = 0; i < t->ran; i++) {
		if (stats_summarize(&t->st[i], &t->sum[i]) < 0) {
			say("out of memory computing the statistics");
			return TWAMP_EXIT_USAGE;
		}
		all_replied &= t->sum[i].received > 0;
	}
	r.nsessions = t->ran;
	if (t->o->json)
		twamp_report_json(stdout, &r);
	else if (r.nsessions)
		twamp_report_table(stdout, &r);
	fflush(stdout);
	if (failed) {
		say(ctl_error(&t->ctl));
		return TWAMP_EXIT_CONTROL;
	}
	return all_replied && r.nsessions ? TWAMP_EXIT_REPLIES : TWAMP_EXIT_NO_REPLY;
}

static void cleanup(struct trun *t)
{
	for (unsigned i = 0; i < t->o->sessions; i++)
		tsock_close(&t->socks[i]);
	for (unsigned i = 0; i < t->nstats; i++)
		stats_free(&t->st[i]);
	if (t->fd >= 0)
		close(t->fd);
	ctl_free(&t->ctl);
	secret_wipe(&t->secret);
	wipe(&t->cfg, sizeof(t->cfg));
	wipe(t->lc, sizeof(t->lc));
}

/* Connection and set-up up to the control exchange; exit status or -1. */
static int prepare(struct trun *t, struct ctl_random *rnd)
{
	int r;

	if (get_secret(t) < 0) {
		say(t->err);
		return TWAMP_EXIT_USAGE;
	}
	r = ctl_io_connect(t->o->host, t->o->port, t->o->control_timeout_ns, &t->peer, &t->local,
			   t->err, sizeof(t->err));
	if (r == CTL_IO_ERR_RESOLVE) {
		say(t->err);
		return TWAMP_EXIT_USAGE;
	}
	if (r < 0) {
		ctl_fail(&t->ctl, CTL_CONNECTION, t->err);
		return -1;
	}
	t->fd = r;
	addr_format(&t->peer, t->address, sizeof(t->address));
	if (t->o->ikev2 && get_ike_key(t) < 0) {
		ctl_fail(&t->ctl, CTL_UNSUPPORTED, t->err);
		return -1;
	}
	if (test_destination(t) < 0 || open_test_sockets(t) < 0 || make_cfg(t) < 0 ||
	    draw_random(rnd) < 0) {
		say(t->err[0] ? t->err : "cannot draw random numbers");
		return TWAMP_EXIT_USAGE;
	}
	return -1;
}

int twamp_run(const struct twamp_opts *o, const volatile sig_atomic_t *stop)
{
	/* the secret, the session keys and the sessions' test keys: on pages
	 * out of core dumps, wiped when freed (secmem.h) */
	struct trun *t = secmem_alloc(sizeof(*t));
	struct ctl_random rnd;
	int rc;

	if (!t) {
		say("out of memory");
		return TWAMP_EXIT_USAGE;
	}
	t->o = o;
	t->stop = stop;
	t->fd = -1;
	for (unsigned i = 0; i < CTL_MAX_SESSIONS; i++)
		t->socks[i].fd = -1;
	rc = prepare(t, &rnd);
	if (rc < 0 && t->ctl.state == CTL_FAILED) {  /* no connection, no IKEv2 SA */
		rc = report(t);
	} else if (rc < 0) {
		ctl_init(&t->ctl, &t->cfg, &rnd);
		wipe(&rnd, sizeof(rnd));
		drive(t);
		if (t->ctl.state == CTL_TESTING)
			stop_sessions(t, run_sessions(t));
		rc = report(t);
	}
	wipe(&rnd, sizeof(rnd));
	cleanup(t);
	secmem_free(t, sizeof(*t));
	return rc;
}
