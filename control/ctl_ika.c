/* twamp-controld's link to twamp-keyagent: the ping that decides whether
 * greetings offer IKEv2Derived, and the lookup of a Set-Up-Response's SA
 * (see struct ctl_ika in ctl_server.h for the schedule and how long the
 * event loop can block). Messages: common/keyagent_proto.h. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_server.h"
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
	struct ctl_server *s = k->srv;
	enum ctl_ka_state n = state_of(st);

	if (n == k->state)
		return;
	if (n == CTL_KA_OK)
		ctl_logf(&s->log, LOG_NOTICE, "key agent at %s: OK: offering IKEv2-derived mode (0x80)",
			 s->cfg->server.ka_socket);
	else if (k->state == CTL_KA_OK || k->state == CTL_KA_UNUSED)
		ctl_logf(&s->log, LOG_WARNING,
			 "key agent at %s: %s: not offering IKEv2-derived mode (0x80)",
			 s->cfg->server.ka_socket, ka_status_name(st));
	k->state = n;
}

static void arm(struct ctl_ika *k, uint64_t when)
{
	ctl_timer_arm(&k->srv->timers, &k->timer, when);
}

/* The ping in flight ends with st; the next one in ping_ms. */
static void finish(struct ctl_ika *k, enum ka_status st)
{
	if (k->ev.fd >= 0) {
		epoll_ctl(k->srv->epfd, EPOLL_CTL_DEL, k->ev.fd, NULL);
		close(k->ev.fd);
		k->ev.fd = -1;
	}
	wipe(k->reply, sizeof(k->reply));
	k->got = 0;
	set_state(k, st);
	arm(k, ctl_mono_ms() + k->ping_ms);
}

/* Non-blocking: a Unix stream connect completes or fails at once, and the
 * 48-octet request fits any socket buffer. */
static void start_ping(struct ctl_ika *k)
{
	const char *path = k->srv->cfg->server.ka_socket;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ka_request req = { .type = KA_PING };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &k->ev };
	uint8_t q[KA_REQ_LEN];
	int fd;

	memcpy(sun.sun_path, path, strlen(path)); /* < 108: config extraction */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	k->ev.fd = fd;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    ka_request_encode(KA_LEG_AGENT, &req, q) != 0 ||
	    send(fd, q, sizeof(q), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(q) ||
	    epoll_ctl(k->srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		if (fd >= 0)
			close(fd);
		k->ev.fd = -1;
		finish(k, KA_NO_AGENT);
		return;
	}
	arm(k, ctl_mono_ms() + k->srv->cfg->server.ka_timeout_ms);
}

static void on_timer(struct ctl_timer *t, uint64_t now)
{
	struct ctl_ika *k = of_timer(t);

	(void)now;
	if (k->ev.fd >= 0)
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

void ctl_ika_event(struct ctl_ika *k, uint32_t events)
{
	(void)events;
	for (;;) {
		ssize_t r = recv(k->ev.fd, k->reply + k->got, sizeof(k->reply) - k->got, MSG_DONTWAIT);

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

void ctl_ika_init(struct ctl_server *s)
{
	struct ctl_ika *k = &s->ika;

	k->srv = s;
	k->ev = (struct ctl_ev){ .kind = CTL_EV_KEYAGENT, .fd = -1 };
	if (k->ping_ms == 0)
		k->ping_ms = CTL_KA_PING_MS;
	k->state = CTL_KA_UNUSED;
	ctl_timer_init(&k->timer, on_timer);
	if (!(s->cfg->server.modes & TWC_MODE_IKEV2))
		return;
	/* start-up: one blocking ping, so that the first greeting knows */
	set_state(k, ka_ping(s->cfg->server.ka_socket, (int)s->cfg->server.ka_timeout_ms));
	arm(k, ctl_mono_ms() + k->ping_ms);
}

void ctl_ika_fini(struct ctl_ika *k)
{
	if (k->ev.fd >= 0)
		close(k->ev.fd);
	k->ev.fd = -1;
}

bool ctl_ika_offer(void *arg)
{
	const struct ctl_server *s = arg;

	return s->ika.state == CTL_KA_OK;
}

/* Blocking, bounded by key-agent-timeout (see ctl_server.h). */
enum ka_status ctl_ika_lookup(void *arg, const uint8_t spi_i[KA_SPI_LEN],
			      const uint8_t spi_r[KA_SPI_LEN], struct ka_reply *out)
{
	struct ctl_server *s = arg;
	enum ka_status st = ka_lookup_spi(s->cfg->server.ka_socket, spi_i, spi_r,
					  (int)s->cfg->server.ka_timeout_ms, out);

	/* the agent reached charon (or could not): what greetings offer */
	if (st == KA_OK || st == KA_NO_SA || st == KA_AGENT_DOWN || st == KA_NO_AGENT)
		set_state(&s->ika, st == KA_NO_SA ? KA_OK : st);
	return st;
}
