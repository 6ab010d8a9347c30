/* twamp-controld's event loop (control/ctl_loop.c): handlers called with
 * their context and what their descriptor is ready for, no call once
 * deleted (not even later in the same batch), timers, stop, and the
 * errors of a bad registration. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_loop.h"

struct h {
	struct ctl_loop *loop;
	int fd;            /* registered */
	int calls;
	uint32_t events;   /* of the last call */
	void *ctx;         /* of the last call */
	struct h *other;   /* deleted by this one's call, if set */
	bool stop;         /* stop the loop when called */
};

struct t {
	struct ctl_loop loop;
	int sp[2][2];      /* two socket pairs: [i][0] registered, [i][1] the far end */
	struct h h[2];
};

static void handler(void *ctx, uint32_t events)
{
	struct h *h = ctx;
	char buf[16];

	h->calls++;
	h->events = events;
	h->ctx = ctx;
	while (read(h->fd, buf, sizeof(buf)) > 0)
		;
	if (h->other && h->other->fd >= 0) {
		assert_int_equal(ctl_loop_del(h->loop, h->other->fd), 0);
		h->other->fd = -1;
	}
	if (h->stop)
		ctl_loop_stop(h->loop);
}

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_int_equal(ctl_loop_init(&t->loop), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, t->sp[i]), 0);
		t->h[i] = (struct h){ .loop = &t->loop, .fd = t->sp[i][0] };
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	ctl_loop_fini(&t->loop);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (t->sp[i][j] >= 0)
				close(t->sp[i][j]);
	free(t);
	return 0;
}

static void poke(int fd)
{
	assert_int_equal(write(fd, "x", 1), 1);
}

static void called_with_its_context(void **state)
{
	struct t *t = *state;

	assert_int_equal(ctl_loop_add(&t->loop, t->h[0].fd, CTL_LOOP_IN, handler, &t->h[0]), 0);
	assert_int_equal(ctl_loop_once(&t->loop, 0), 0);
	assert_int_equal(t->h[0].calls, 0);       /* nothing to read yet */
	poke(t->sp[0][1]);
	assert_int_equal(ctl_loop_once(&t->loop, 1000), 0);
	assert_int_equal(t->h[0].calls, 1);
	assert_ptr_equal(t->h[0].ctx, &t->h[0]);
	assert_int_equal(t->h[0].events, CTL_LOOP_IN);
}

static void del_stops_calls(void **state)
{
	struct t *t = *state;

	assert_int_equal(ctl_loop_add(&t->loop, t->h[0].fd, CTL_LOOP_IN, handler, &t->h[0]), 0);
	assert_int_equal(ctl_loop_del(&t->loop, t->h[0].fd), 0);
	poke(t->sp[0][1]);
	assert_int_equal(ctl_loop_once(&t->loop, 50), 0);
	assert_int_equal(t->h[0].calls, 0);
	/* the descriptor can be registered again, with another context */
	assert_int_equal(ctl_loop_add(&t->loop, t->h[0].fd, CTL_LOOP_IN, handler, &t->h[1]), 0);
	t->h[1].fd = t->h[0].fd;
	assert_int_equal(ctl_loop_once(&t->loop, 1000), 0);
	assert_int_equal(t->h[0].calls, 0);
	assert_int_equal(t->h[1].calls, 1);
}

/* Both ready in one batch; whichever runs first deletes the other, which
 * is then not called although its event was fetched. */
static void del_within_a_batch(void **state)
{
	struct t *t = *state;

	t->h[0].other = &t->h[1];
	t->h[1].other = &t->h[0];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ctl_loop_add(&t->loop, t->h[i].fd, CTL_LOOP_IN, handler, &t->h[i]), 0);
		poke(t->sp[i][1]);
	}
	assert_int_equal(ctl_loop_once(&t->loop, 1000), 0);
	assert_int_equal(t->h[0].calls + t->h[1].calls, 1);
	assert_int_equal(ctl_loop_once(&t->loop, 50), 0);
	assert_int_equal(t->h[0].calls + t->h[1].calls, 1);
}

static void mod_changes_what_is_waited_for(void **state)
{
	struct t *t = *state;
	int big = 200; /* beyond the table's first size */

	assert_int_equal(dup2(t->sp[0][0], big), big);
	close(t->sp[0][0]);
	t->sp[0][0] = t->h[0].fd = big;
	assert_int_equal(ctl_loop_add(&t->loop, big, 0, handler, &t->h[0]), 0);
	poke(t->sp[0][1]);
	assert_int_equal(ctl_loop_once(&t->loop, 50), 0);
	assert_int_equal(t->h[0].calls, 0);
	assert_int_equal(ctl_loop_mod(&t->loop, big, CTL_LOOP_IN), 0);
	assert_int_equal(ctl_loop_once(&t->loop, 1000), 0);
	assert_int_equal(t->h[0].calls, 1);
	assert_int_equal(t->h[0].events, CTL_LOOP_IN);
	assert_int_equal(ctl_loop_mod(&t->loop, big, CTL_LOOP_OUT), 0);
	assert_int_equal(ctl_loop_once(&t->loop, 1000), 0);
	assert_int_equal(t->h[0].calls, 2);
	assert_int_equal(t->h[0].events, CTL_LOOP_OUT);
}

/* A hang-up is told even to a handler that waits for nothing. */
static void hangup_always_told(void **state)
{
	struct t *t = *state;

	assert_int_equal(ctl_loop_add(&t->loop, t->h[0].fd, 0, handler, &t->h[0]), 0);
	close(t->sp[0][1]);
	t->sp[0][1] = -1;
	assert_int_equal(ctl_loop_once(&t->loop, 1000), 0);
	assert_int_equal(t->h[0].calls, 1);
	assert_true(t->h[0].events & CTL_LOOP_ERR);
	assert_int_equal(ctl_loop_del(&t->loop, t->h[0].fd), 0);
}

static int fired;

static void on_timer(struct ctl_timer *tm, uint64_t now)
{
	(void)tm;
	(void)now;
	fired++;
}

static void timers_fire_when_due(void **state)
{
	struct t *t = *state;
	struct ctl_timer a, b;
	uint64_t start = ctl_mono_ms();

	fired = 0;
	ctl_timer_init(&a, on_timer);
	ctl_timer_init(&b, on_timer);
	assert_int_equal(ctl_loop_arm(&t->loop, &a, start + 30), 0);
	assert_int_equal(ctl_loop_arm(&t->loop, &b, start + 40), 0);
	ctl_loop_cancel(&t->loop, &b);
	assert_int_equal(ctl_loop_once(&t->loop, 0), 0);
	assert_int_equal(fired, 0);
	/* the wait ends at the timer, well before the 5 s bound */
	assert_int_equal(ctl_loop_once(&t->loop, 5000), 0);
	assert_int_equal(fired, 1);
	assert_true(ctl_mono_ms() >= start + 30);
	assert_true(ctl_mono_ms() < start + 2000);
	assert_int_equal(ctl_loop_once(&t->loop, 50), 0);
	assert_int_equal(fired, 1);              /* b was cancelled */
}

static void stop_ends_the_run(void **state)
{
	struct t *t = *state;

	t->h[0].stop = true;
	assert_int_equal(ctl_loop_add(&t->loop, t->h[0].fd, CTL_LOOP_IN, handler, &t->h[0]), 0);
	poke(t->sp[0][1]);
	assert_int_equal(ctl_loop_run(&t->loop), 0);
	assert_int_equal(t->h[0].calls, 1);
}

static void bad_registrations(void **state)
{
	struct t *t = *state;
	int file = open("/dev/null", O_RDONLY), unused = dup(file);

	assert_true(file >= 0 && unused >= 0);
	close(unused);
	assert_int_equal(ctl_loop_add(&t->loop, -1, CTL_LOOP_IN, handler, NULL), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(ctl_loop_add(&t->loop, unused, CTL_LOOP_IN, handler, NULL), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(ctl_loop_add(&t->loop, file, CTL_LOOP_IN, handler, NULL), -1);
	assert_int_equal(errno, EPERM);          /* epoll cannot wait for a file */
	assert_int_equal(ctl_loop_add(&t->loop, t->h[0].fd, CTL_LOOP_IN, NULL, NULL), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(ctl_loop_add(&t->loop, t->h[0].fd, CTL_LOOP_IN, handler, &t->h[0]), 0);
	assert_int_equal(ctl_loop_add(&t->loop, t->h[0].fd, CTL_LOOP_IN, handler, &t->h[0]), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(ctl_loop_mod(&t->loop, t->h[1].fd, CTL_LOOP_IN), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(ctl_loop_del(&t->loop, t->h[1].fd), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(ctl_loop_del(&t->loop, -1), -1);
	assert_int_equal(errno, ENOENT);
	/* the failed ones left nothing behind: the far end's writes reach h[0] only */
	poke(t->sp[0][1]);
	assert_int_equal(ctl_loop_once(&t->loop, 1000), 0);
	assert_int_equal(t->h[0].calls, 1);
	close(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(called_with_its_context, setup, teardown),
		cmocka_unit_test_setup_teardown(del_stops_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(del_within_a_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(mod_changes_what_is_waited_for, setup, teardown),
		cmocka_unit_test_setup_teardown(hangup_always_told, setup, teardown),
		cmocka_unit_test_setup_teardown(timers_fire_when_due, setup, teardown),
		cmocka_unit_test_setup_teardown(stop_ends_the_run, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_registrations, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
