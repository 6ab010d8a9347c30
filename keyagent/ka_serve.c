/* Event loop (ka_serve.h). Requests are read concurrently (a slow caller
 * does not hold up the others while it dawdles); each complete request is
 * answered at once, which may wait up to plugin-timeout for charon, and
 * audited under the rate limit (ka_audit_limit.h). */
#include "ka_serve.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ka_audit.h"
#include "ka_audit_limit.h"
#include "ka_handle.h"
#include "secmem.h"
#include "secure_mem.h"

struct conn {
	int fd; /* -1: free slot */
	struct ka_caller caller;
	long long deadline;
	size_t got;
	uint8_t buf[KA_REQ_LEN + 1]; /* one more to see an oversized request */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A reply with its key, decoded and encoded: on a page out of core dumps
 * (secmem.h), allocated once by ka_serve (one thread). */
struct transit {
	uint8_t out[KA_REPLY_LEN];
	struct ka_reply rep;
};
static struct transit *transit;

/* Answer, audit, close. transport: why the read failed, or NULL. */
static void finish(const struct ka_config *cfg, struct ka_audit *audit, struct conn *c,
		   const char *transport)
{
	uint8_t *out = transit->out;
	struct ka_reply *rep = &transit->rep;
	struct ka_audit_rec rec;

	ka_handle(cfg, &c->caller, c->buf, c->got, transport, rep, &rec);
	if (ka_reply_encode(KA_LEG_AGENT, rep, out) != 0) {
		ka_reply_error(rep, 0, KA_INTERNAL);
		ka_reply_encode(KA_LEG_AGENT, rep, out);
		rec.status = KA_INTERNAL;
		rec.reason = "reply could not be encoded";
	}
	/* a fresh stream socket's buffer holds the whole reply */
	if (send(c->fd, out, KA_REPLY_LEN, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)KA_REPLY_LEN &&
	    !rec.reason)
		rec.reason = "caller gone before the reply";
	ka_reply_wipe(rep);
	wipe(out, KA_REPLY_LEN);
	ka_audit_record(audit, &rec, (uint64_t)now_ms());
	close(c->fd);
	c->fd = -1;
}

static void accept_one(int lfd, struct conn *c, unsigned timeout_ms)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		/* out of descriptors or memory: the caller stays in the backlog;
		 * pause instead of spinning on a readable listener */
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			struct timespec pause = { 0, 50 * 1000000 };

			nanosleep(&pause, NULL);
		}
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred)) {
		close(fd); /* no credentials, no answer */
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->caller = (struct ka_caller){ .pid = cred.pid, .uid = cred.uid, .gid = cred.gid };
	c->deadline = now_ms() + timeout_ms;
}

/* Read what is there; finish when the request is complete or broken. */
static void read_some(const struct ka_config *cfg, struct ka_audit *audit, struct conn *c)
{
	ssize_t r = recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, 0);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r < 0) {
		finish(cfg, audit, c, "read error");
		return;
	}
	c->got += (size_t)r;
	if (c->got > KA_REQ_LEN)
		finish(cfg, audit, c, "oversized request");
	else if (r == 0)
		finish(cfg, audit, c, c->got ? "truncated request" : "no request");
	else if (c->got == KA_REQ_LEN) {
		uint8_t extra;

		if (recv(c->fd, &extra, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
			finish(cfg, audit, c, "oversized request");
		else
			finish(cfg, audit, c, NULL);
	}
}

static int poll_timeout(const struct conn *cs, unsigned n)
{
	long long now = now_ms(), t = 1000;

	for (unsigned i = 0; i < n; i++)
		if (cs[i].fd >= 0 && cs[i].deadline - now < t)
			t = cs[i].deadline - now;
	return t < 0 ? 0 : (int)t;
}

static unsigned build_pollset(int lfd, const struct conn *cs, unsigned n, struct pollfd *p,
			      unsigned *map)
{
	unsigned k = 1, used = 0;

	for (unsigned i = 0; i < n; i++) {
		if (cs[i].fd < 0)
			continue;
		used++;
		p[k] = (struct pollfd){ .fd = cs[i].fd, .events = POLLIN };
		map[k++] = i;
	}
	/* full: leave callers in the listen backlog */
	p[0] = (struct pollfd){ .fd = lfd, .events = used < n ? POLLIN : 0 };
	return k;
}

static void expire(const struct ka_config *cfg, struct ka_audit *audit, struct conn *cs, unsigned n)
{
	long long now = now_ms();

	for (unsigned i = 0; i < n; i++)
		if (cs[i].fd >= 0 && now >= cs[i].deadline)
			finish(cfg, audit, &cs[i], cs[i].got ? "truncated request (timeout)"
								: "no request (timeout)");
}

int ka_serve(const struct ka_config *cfg, int lfd, int audit_fd, volatile sig_atomic_t *stop)
{
	unsigned n = cfg->max_clients, k;
	struct conn *cs = calloc(n, sizeof(*cs));
	struct pollfd *p = calloc(n + 1, sizeof(*p));
	unsigned *map = calloc(n + 1, sizeof(*map));
	struct ka_audit *audit = ka_audit_new(audit_fd, &cfg->audit_rate, (uint64_t)now_ms());
	int rc = 0;

	transit = secmem_alloc(sizeof(*transit));
	if (!cs || !p || !map || !audit || !transit) {
		rc = -1;
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		cs[i].fd = -1;
	while (!*stop) {
		k = build_pollset(lfd, cs, n, p, map);
		if (poll(p, k, poll_timeout(cs, n)) < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		for (unsigned j = 1; j < k; j++)
			if (p[j].revents)
				read_some(cfg, audit, &cs[map[j]]);
		expire(cfg, audit, cs, n);
		ka_audit_tick(audit, (uint64_t)now_ms());
		if (p[0].revents & (POLLERR | POLLNVAL)) {
			rc = -1;
			break;
		}
		for (unsigned i = 0; (p[0].revents & POLLIN) && i < n; i++)
			if (cs[i].fd < 0) {
				accept_one(lfd, &cs[i], cfg->request_timeout_ms);
				break;
			}
	}
out:
	for (unsigned i = 0; cs && i < n; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	free(cs);
	free(p);
	free(map);
	ka_audit_free(audit, (uint64_t)now_ms());
	secmem_free(transit, sizeof(*transit));
	transit = NULL;
	return rc;
}
