/* The operational-state socket (see ctl_statesock.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_statesock.h"
#include "sock_dir.h"

struct ctl_state_reader {
	struct ctl_statesock *ss;
	int fd;
	char *buf;
	size_t len, off;
	struct ctl_timer timer;
	struct ctl_state_reader *prev, *next;
};

static void on_accept(void *ctx, uint32_t events);

int ctl_statesock_open(struct ctl_statesock *ss, const struct ctl_statesock_env *env,
		       const char *path, char *err, size_t errlen)
{
	const struct twr_sock_dir dir = { .mode = 0750, .gid = (gid_t)-1, .owner = env->dir_owner };
	char why[256];
	int fd;

	*ss = (struct ctl_statesock){ .env = *env, .fd = -1 };
	if (strlen(path) >= sizeof(ss->path)) {
		snprintf(err, errlen, "state socket path too long: %s", path);
		return -1;
	}
	if (twr_sock_dir_prepare(path, &dir, why, sizeof(why)) != 0 ||
	    twr_sock_clear_stale(path, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "state socket: %s", why);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "state socket: %s", strerror(errno));
		return -1;
	}
	if (twr_sock_bind(fd, path, 0600, (gid_t)-1, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "state socket: %s", why);
		close(fd);
		return -1;
	}
	if (listen(fd, 8) != 0 || ctl_loop_add(env->loop, fd, CTL_LOOP_IN, on_accept, ss) != 0) {
		snprintf(err, errlen, "state socket %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	ss->fd = fd;
	snprintf(ss->path, sizeof(ss->path), "%s", path);
	ctl_log_always(env->log, LOG_NOTICE, "operational state on %s (mode 0600)", path);
	return 0;
}

static void rd_close(struct ctl_state_reader *r)
{
	struct ctl_statesock *ss = r->ss;

	ctl_loop_del(ss->env.loop, r->fd);
	close(r->fd);
	ctl_loop_cancel(ss->env.loop, &r->timer);
	if (r->prev)
		r->prev->next = r->next;
	else
		ss->readers = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r->buf);
	free(r);
	ss->n--;
}

static void rd_timeout(struct ctl_timer *t, uint64_t now)
{
	(void)now;
	rd_close((struct ctl_state_reader *)((char *)t - offsetof(struct ctl_state_reader, timer)));
}

/* Write what the reader takes; close when done or broken. */
static void rd_write(struct ctl_state_reader *r)
{
	while (r->off < r->len) {
		ssize_t w = send(r->fd, r->buf + r->off, r->len - r->off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ctl_loop_mod(r->ss->env.loop, r->fd, CTL_LOOP_OUT);
			return;
		}
		if (w <= 0)
			break;
		r->off += (size_t)w;
	}
	rd_close(r);
}

static void on_writable(void *ctx, uint32_t events)
{
	(void)events;
	rd_write(ctx);
}

static void serve(struct ctl_statesock *ss, int fd)
{
	const struct ctl_statesock_env *env = &ss->env;
	struct ctl_state_reader *r = calloc(1, sizeof(*r));

	env->ctr->v[CTL_C_STATE_REQUESTS]++;
	if (r)
		r->buf = env->build(env->arg);
	if (!r || !r->buf || ctl_loop_add(env->loop, fd, 0, on_writable, r) != 0) {
		ctl_logf(env->log, LOG_ERR, "operational state: cannot build or serve it");
		if (r)
			free(r->buf);
		free(r);
		close(fd);
		return;
	}
	r->ss = ss;
	r->fd = fd;
	r->len = strlen(r->buf);
	ctl_timer_init(&r->timer, rd_timeout);
	ctl_loop_arm(env->loop, &r->timer, ctl_mono_ms() + CTL_STATE_TIMEOUT_MS);
	r->next = ss->readers;
	if (ss->readers)
		ss->readers->prev = r;
	ss->readers = r;
	ss->n++;
	rd_write(r);
}

static void on_accept(void *ctx, uint32_t events)
{
	struct ctl_statesock *ss = ctx;

	(void)events;
	for (int i = 0; i < CTL_STATE_CLIENTS; i++) {
		int fd = accept4(ss->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (ss->n >= CTL_STATE_CLIENTS) {
			close(fd);
			continue;
		}
		serve(ss, fd);
	}
}

void ctl_statesock_close(struct ctl_statesock *ss)
{
	while (ss->readers)
		rd_close(ss->readers);
	if (ss->fd >= 0) {
		ctl_loop_del(ss->env.loop, ss->fd);
		close(ss->fd);
		unlink(ss->path);
	}
	ss->fd = -1;
}
