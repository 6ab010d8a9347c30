/* Timers of the event loop: a binary min-heap of deadlines (monotonic
 * milliseconds). Each timer lives inside its owner and knows its heap
 * slot, so re-arming and cancelling are O(log n). */
#ifndef TWR_CTL_TIMER_H
#define TWR_CTL_TIMER_H

#include <stddef.h>
#include <stdint.h>

struct ctl_timer {
	uint64_t when;
	size_t slot;             /* index in the heap, SIZE_MAX when not armed */
	void (*fire)(struct ctl_timer *t, uint64_t now);
};

struct ctl_timers {
	struct ctl_timer **heap;
	size_t n, cap;
};

void ctl_timer_init(struct ctl_timer *t, void (*fire)(struct ctl_timer *, uint64_t));
/* Arm (or move) t to `when`. Returns -1 on allocation failure. */
int ctl_timer_arm(struct ctl_timers *h, struct ctl_timer *t, uint64_t when);
void ctl_timer_cancel(struct ctl_timers *h, struct ctl_timer *t);
/* Deadline of the earliest timer, UINT64_MAX when none. */
uint64_t ctl_timer_next(const struct ctl_timers *h);
/* Fire every timer due at `now` (a timer may re-arm itself). */
void ctl_timer_run(struct ctl_timers *h, uint64_t now);
void ctl_timers_free(struct ctl_timers *h);

#endif
