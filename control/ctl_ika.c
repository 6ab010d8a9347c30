/* twamp-controld's link to twamp-keyagent: the ping that decides whether
 * greetings offer IKEv2Derived, and the lookup of a Set-Up-Response's SA
 * (see ctl_ika.h for the schedule and how long the event loop can block).
 * Messages: common/keyagent_proto.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_msg.h"
#include "ctl_ika.h"
#include "keyagent_client.h"
#include "secure_mem.h"

const char *ctl_ka_state_str(enum ctl_ka_state st)
{
	switch (st) {
	case CTL_KA_UNUSED: return "unused";
	case CTL_KA_OK: return "ok";
	case CTL_KA_CHARON_DOWN: return "charon-unreachable";
	case CTL_KA_UNREACHABLE: return "unreachable";
	case CTL_KA_ERROR: return "error";
	}
	return "error";
}

static struct ctl_ika *of_timer(struct ctl_timer *t)
{
	return (struct ctl_ika *)((char *)t - offsetof(struct ctl_ika, timer));
}

static enum ctl_ka_state state_of(enum ka_status st)
{
	switch (st) {
	case KA_OK: return CTL_KA_OK;
	case KA_AGENT_DOWN: return CTL_KA_CHARON_DOWN;
	case KA_NO_AGENT: return CTL_KA_UNREACHABLE;
	default: return CTL_KA_ERROR;
	}
}

/* One log line per change of what greetings offer. */
static void set_state(struct ctl_ika *k, enum ka_status st)
{
	enum ctl_ka_state n = state_of(st);

	if (n == k->state)
		return;
	if (n == CTL_KA_OK)
		ctl_logf(k->log, LOG_NOTICE, "key agent at %s: OK: offering IKEv2-derived mode (0x80)",
			 k->cfg->server.ka_socket);
	else if (k->state == CTL_KA_OK || k->state == CTL_KA_UNUSED)
		ctl_logf(k->log, LOG_WARNING,
			 "key agent at %s: %s: not offering IKEv2-derived mode (0x80)",
			 k->cfg->server.ka_socket, ka_status_name(st));
	k->state = n;
}

static void arm(struct ctl_ika *k, uint64_t when)
{
	ctl_loop_arm(k->loop, &k->timer, when);
}

/* The ping in flight ends with st; the next one in ping_ms. */
static void finish(struct ctl_ika *k, enum ka_status st)
{
	if (k->fd >= 0) {
		ctl_loop_del(k->loop, k->fd);
		close(k->fd);
		k->fd = -1;
	}
	wipe(k->reply, sizeof(k->reply));
	k->got = 0;
	set_state(k, st);
	arm(k, ctl_mono_ms() + k->ping_ms);
}

static void on_event(void *ctx, uint32_t events);

/* Non-blocking: a Unix stream connect completes or fails at once, and the
 * 48-octet request fits any socket buffer. */
static void start_ping(struct ctl_ika *k)
{
	const char *path = k->cfg->server.ka_socket;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ka_request req = { .type = KA_PING };
	uint8_t q[KA_REQ_LEN];
	int fd;

	memcpy(sun.sun_path, path, strlen(path)); /* < 108: config extraction */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    ka_request_encode(KA_LEG_AGENT, &req, q) != 0 ||
	    send(fd, q, sizeof(q), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(q) ||
	    ctl_loop_add(k->loop, fd, CTL_LOOP_IN, on_event, k) != 0) {
		if (fd >= 0)
			close(fd);
		finish(k, KA_NO_AGENT);
		return;
	}
	k->fd = fd;
	arm(k, ctl_mono_ms() + k->cfg->server.ka_timeout_ms);
}

static void on_timer(struct ctl_timer *t, uint64_t now)
{
	struct ctl_ika *k = of_timer(t);

	(void)now;
	if (k->fd >= 0)
		finish(k, KA_NO_AGENT); /* no whole answer in time */
	else
		start_ping(k);
}

static enum ka_status decode(struct ctl_ika *k)
{
	struct ka_reply rep;
	enum ka_status st = ka_reply_decode(KA_LEG_AGENT, k->reply, k->got, &rep, NULL);

	if (st == KA_OK && rep.type != KA_PING)
		st = KA_MALFORMED;
	if (st == KA_OK)
		st = (enum ka_status)rep.status;
	ka_reply_wipe(&rep);
	return st;
}

static void on_event(void *ctx, uint32_t events)
{
	struct ctl_ika *k = ctx;

	(void)events;
	for (;;) {
		ssize_t r = recv(k->fd, k->reply + k->got, sizeof(k->reply) - k->got, MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* the rest later, or the deadline */
		if (r > 0)
			k->got += (size_t)r;
		if (r > 0 && k->got < sizeof(k->reply))
			continue;
		/* whole reply, end of stream or error */
		finish(k, k->got == sizeof(k->reply) ? decode(k)
			  : k->got > 0 ? KA_MALFORMED : KA_NO_AGENT);
		return;
	}
}

void ctl_ika_init(struct ctl_ika *k, struct ctl_loop *loop, const struct ctl_config *cfg,
		  struct ctl_log *log)
{
	k->loop = loop;
	k->cfg = cfg;
	k->log = log;
	k->fd = -1;
	if (k->ping_ms == 0)
		k->ping_ms = CTL_KA_PING_MS;
	k->state = CTL_KA_UNUSED;
	ctl_timer_init(&k->timer, on_timer);
	if (!(cfg->server.modes & TWC_MODE_IKEV2))
		return;
	/* start-up: one blocking ping, so that the first greeting knows */
	set_state(k, ka_ping(cfg->server.ka_socket, (int)cfg->server.ka_timeout_ms));
	arm(k, ctl_mono_ms() + k->ping_ms);
}

void ctl_ika_fini(struct ctl_ika *k)
{
	if (!k->loop)
		return; /* never initialised */
	ctl_loop_cancel(k->loop, &k->timer);
	if (k->fd >= 0) {
		ctl_loop_del(k->loop, k->fd);
		close(k->fd);
	}
	k->fd = -1;
}

bool ctl_ika_offer(const struct ctl_ika *k)
{
	return k->state == CTL_KA_OK;
}

void ctl_ika_seen(struct ctl_ika *k, enum ka_status st)
{
	/* the agent reached charon (or could not): what greetings offer */
	if (st == KA_OK || st == KA_NO_SA || st == KA_AGENT_DOWN || st == KA_NO_AGENT)
		set_state(k, st == KA_NO_SA ? KA_OK : st);
}
