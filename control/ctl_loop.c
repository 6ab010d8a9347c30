/* The event loop (see ctl_loop.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ctl_loop.h"

#define BATCH 64

/* What an epoll event points at; fn NULL once deleted. */
struct ctl_loop_reg {
	ctl_loop_fn fn;
	void *ctx;
	struct ctl_loop_reg *dead;   /* graveyard link */
};

uint64_t ctl_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int ctl_loop_init(struct ctl_loop *l)
{
	*l = (struct ctl_loop){ .epfd = epoll_create1(EPOLL_CLOEXEC) };
	return l->epfd < 0 ? -1 : 0;
}

static void free_dead(struct ctl_loop *l)
{
	while (l->dead) {
		struct ctl_loop_reg *n = l->dead->dead;

		free(l->dead);
		l->dead = n;
	}
}

void ctl_loop_fini(struct ctl_loop *l)
{
	for (size_t i = 0; i < l->nregs; i++)
		free(l->regs[i]);
	free(l->regs);
	free_dead(l);
	ctl_timers_free(&l->timers);
	if (l->epfd >= 0)
		close(l->epfd);
	*l = (struct ctl_loop){ .epfd = -1 };
}

static uint32_t to_epoll(uint32_t events)
{
	return (events & CTL_LOOP_IN ? EPOLLIN : 0) | (events & CTL_LOOP_OUT ? EPOLLOUT : 0);
}

static uint32_t from_epoll(uint32_t ev)
{
	return (ev & EPOLLIN ? CTL_LOOP_IN : 0) | (ev & EPOLLOUT ? CTL_LOOP_OUT : 0) |
	       (ev & (EPOLLHUP | EPOLLERR) ? CTL_LOOP_ERR : 0);
}

/* The slot of fd in the table, grown to hold it; NULL when out of memory. */
static struct ctl_loop_reg **slot(struct ctl_loop *l, int fd)
{
	size_t need = (size_t)fd + 1, n = l->nregs ? l->nregs : 64;
	struct ctl_loop_reg **t;

	if (need <= l->nregs)
		return &l->regs[fd];
	while (n < need)
		n *= 2;
	t = realloc(l->regs, n * sizeof(*t));
	if (!t)
		return NULL;
	for (size_t i = l->nregs; i < n; i++)
		t[i] = NULL;
	l->regs = t;
	l->nregs = n;
	return &l->regs[fd];
}

static struct ctl_loop_reg *registered(const struct ctl_loop *l, int fd)
{
	return fd >= 0 && (size_t)fd < l->nregs ? l->regs[fd] : NULL;
}

int ctl_loop_add(struct ctl_loop *l, int fd, uint32_t events, ctl_loop_fn fn, void *ctx)
{
	struct ctl_loop_reg **s, *r;
	struct epoll_event ev = { .events = to_epoll(events) };

	if (fd < 0 || !fn) {
		errno = EBADF;
		return -1;
	}
	if (registered(l, fd)) {
		errno = EEXIST;
		return -1;
	}
	s = slot(l, fd);
	r = s ? malloc(sizeof(*r)) : NULL;
	if (!r) {
		errno = ENOMEM;
		return -1;
	}
	*r = (struct ctl_loop_reg){ .fn = fn, .ctx = ctx };
	ev.data.ptr = r;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(r);
		return -1;
	}
	*s = r;
	return 0;
}

int ctl_loop_mod(struct ctl_loop *l, int fd, uint32_t events)
{
	struct ctl_loop_reg *r = registered(l, fd);
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = r };

	if (!r) {
		errno = ENOENT;
		return -1;
	}
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

int ctl_loop_del(struct ctl_loop *l, int fd)
{
	struct ctl_loop_reg *r = registered(l, fd);

	if (!r) {
		errno = ENOENT;
		return -1;
	}
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->regs[fd] = NULL;
	r->fn = NULL;
	r->dead = l->dead;
	l->dead = r;
	return 0;
}

int ctl_loop_arm(struct ctl_loop *l, struct ctl_timer *t, uint64_t when)
{
	return ctl_timer_arm(&l->timers, t, when);
}

void ctl_loop_cancel(struct ctl_loop *l, struct ctl_timer *t)
{
	ctl_timer_cancel(&l->timers, t);
}

/* Until the next timer, at most max_ms (-1: no bound). */
static int wait_ms(const struct ctl_loop *l, int max_ms)
{
	uint64_t now = ctl_mono_ms(), next = ctl_timer_next(&l->timers);
	int t = next == UINT64_MAX ? -1 : next <= now ? 0
		: next - now > INT_MAX ? INT_MAX : (int)(next - now);

	if (max_ms >= 0 && (t < 0 || t > max_ms))
		t = max_ms;
	return t;
}

int ctl_loop_once(struct ctl_loop *l, int max_ms)
{
	struct epoll_event evs[BATCH];
	int n = epoll_wait(l->epfd, evs, BATCH, wait_ms(l, max_ms));

	if (n < 0 && errno != EINTR)
		return -1;
	for (int i = 0; i < n; i++) {
		struct ctl_loop_reg *r = evs[i].data.ptr;

		if (r->fn) /* else deleted earlier in this batch */
			r->fn(r->ctx, from_epoll(evs[i].events));
	}
	free_dead(l);
	ctl_timer_run(&l->timers, ctl_mono_ms());
	free_dead(l);
	return 0;
}

int ctl_loop_run(struct ctl_loop *l)
{
	while (!l->stop)
		if (ctl_loop_once(l, -1) != 0)
			return -1;
	return 0;
}

void ctl_loop_stop(struct ctl_loop *l)
{
	l->stop = true;
}
