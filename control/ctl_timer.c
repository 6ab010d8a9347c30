/* Min-heap of timers (see ctl_timer.h). */
#include <stdlib.h>

#include "ctl_timer.h"

void ctl_timer_init(struct ctl_timer *t, void (*fire)(struct ctl_timer *, uint64_t))
{
	t->when = 0;
	t->slot = SIZE_MAX;
	t->fire = fire;
}

static void place(struct ctl_timers *h, size_t i, struct ctl_timer *t)
{
	h->heap[i] = t;
	t->slot = i;
}

static void sift_up(struct ctl_timers *h, size_t i)
{
	struct ctl_timer *t = h->heap[i];

	while (i > 0 && h->heap[(i - 1) / 2]->when > t->when) {
		place(h, i, h->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(h, i, t);
}

static void sift_down(struct ctl_timers *h, size_t i)
{
	struct ctl_timer *t = h->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		uint64_t best = t->when;

		if (l < h->n && h->heap[l]->when < best)
			m = l, best = h->heap[l]->when;
		if (l + 1 < h->n && h->heap[l + 1]->when < best)
			m = l + 1;
		if (m == i)
			break;
		place(h, i, h->heap[m]);
		i = m;
	}
	place(h, i, t);
}

int ctl_timer_arm(struct ctl_timers *h, struct ctl_timer *t, uint64_t when)
{
	if (t->slot != SIZE_MAX) {
		t->when = when;
		sift_up(h, t->slot);
		sift_down(h, t->slot);
		return 0;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		struct ctl_timer **n = realloc(h->heap, cap * sizeof(*n));

		if (!n)
			return -1;
		h->heap = n;
		h->cap = cap;
	}
	t->when = when;
	place(h, h->n++, t);
	sift_up(h, t->slot);
	return 0;
}

void ctl_timer_cancel(struct ctl_timers *h, struct ctl_timer *t)
{
	size_t i = t->slot;
	struct ctl_timer *last;

	if (i == SIZE_MAX)
		return;
	t->slot = SIZE_MAX;
	last = h->heap[--h->n];
	if (last == t)
		return;
	place(h, i, last);
	sift_up(h, i);
	sift_down(h, last->slot);
}

uint64_t ctl_timer_next(const struct ctl_timers *h)
{
	return h->n ? h->heap[0]->when : UINT64_MAX;
}

void ctl_timer_run(struct ctl_timers *h, uint64_t now)
{
	while (h->n > 0 && h->heap[0]->when <= now) {
		struct ctl_timer *t = h->heap[0];

		ctl_timer_cancel(h, t);
		t->fire(t, now);
	}
}

void ctl_timers_free(struct ctl_timers *h)
{
	free(h->heap);
	h->heap = NULL;
	h->n = h->cap = 0;
}
