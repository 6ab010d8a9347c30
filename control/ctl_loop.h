/* twamp-controld's event loop: one thread, epoll, and the timer heap
 * (ctl_timer.h) on the monotonic clock of ctl_mono_ms().
 *
 * A handler registers a descriptor with a callback and an opaque context;
 * the loop calls it with what the descriptor is ready for. Once a
 * descriptor is deleted its callback is never called again, not even for
 * an event already fetched in the same batch, so a handler may free its
 * context right after ctl_loop_del. The loop knows nothing of its
 * handlers: they include this header, never the other way round. */
#ifndef TWR_CTL_LOOP_H
#define TWR_CTL_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_timer.h"

/* What to wait for, and what a callback is told. */
#define CTL_LOOP_IN 1u
#define CTL_LOOP_OUT 2u
#define CTL_LOOP_ERR 4u   /* hang-up or error: always waited for */

typedef void (*ctl_loop_fn)(void *ctx, uint32_t events);

struct ctl_loop_reg;

struct ctl_loop {
	int epfd;
	struct ctl_timers timers;
	struct ctl_loop_reg **regs;   /* by descriptor */
	size_t nregs;
	struct ctl_loop_reg *dead;    /* deleted, freed after the batch */
	bool stop;
};

/* Returns -1 with errno. */
int ctl_loop_init(struct ctl_loop *l);
/* Forgets every registration; closes no handler's descriptor. */
void ctl_loop_fini(struct ctl_loop *l);

/* Register fd (not yet registered) for events. Returns -1 with errno:
 * EBADF for a bad descriptor, EEXIST if registered, what epoll says. */
int ctl_loop_add(struct ctl_loop *l, int fd, uint32_t events, ctl_loop_fn fn, void *ctx);
/* Wait for other events; -1 with ENOENT if fd is not registered. */
int ctl_loop_mod(struct ctl_loop *l, int fd, uint32_t events);
/* Unregister fd (the caller closes it); -1 with ENOENT if not registered. */
int ctl_loop_del(struct ctl_loop *l, int fd);

/* Timers: arm (or move) t to `when` (ctl_mono_ms()); -1 when out of memory. */
int ctl_loop_arm(struct ctl_loop *l, struct ctl_timer *t, uint64_t when);
void ctl_loop_cancel(struct ctl_loop *l, struct ctl_timer *t);

/* One round: wait for at most max_ms (-1: no bound) or until the next
 * timer, call the ready handlers, fire the timers due. Returns -1 with
 * errno if epoll fails. */
int ctl_loop_once(struct ctl_loop *l, int max_ms);
/* Rounds until ctl_loop_stop. Returns 0, or -1 with errno if epoll fails. */
int ctl_loop_run(struct ctl_loop *l);
/* Ends ctl_loop_run after the current round. */
void ctl_loop_stop(struct ctl_loop *l);

uint64_t ctl_mono_ms(void);

#endif
