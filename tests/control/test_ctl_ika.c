/* twamp-controld's key agent link (control/ctl_ika.c) against a scripted
 * agent socket (tests/keyagent/fake_server.h): what greetings offer after
 * each kind of answer, one log line per change, and that a ping never
 * waits for the agent (an agent that does not answer leaves the ping in
 * flight, and the timer ends it). The ping interval is shortened here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "../keyagent/fake_server.h"
#include "ctl_server.h"
#include "keyagent_client.h"

#define LINES 32

struct t {
	struct ctl_config cfg;
	struct ctl_server s;
	struct fake_server fs;
	bool fake_up;
	char lines[LINES][CTL_LOG_TEXT_MAX];
	int nlines;
};

static void hook(void *arg, int level, const char *text)
{
	struct t *t = arg;

	(void)level;
	if (t->nlines < LINES)
		snprintf(t->lines[t->nlines++], CTL_LOG_TEXT_MAX, "%s", text);
}

static int logged(const struct t *t, const char *s)
{
	int n = 0;

	for (int i = 0; i < t->nlines; i++)
		n += strstr(t->lines[i], s) != NULL;
	return n;
}

/* The agent's answer to a ping: a well-formed reply with that status. */
static void answer(struct t *t, enum ka_status st)
{
	struct ka_reply rep;

	ka_reply_error(&rep, KA_PING, st);
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, &rep, t->fs.reply), 0);
	t->fs.reply_len = KA_REPLY_LEN;
	t->fs.mode = FAKE_REPLY;
}

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->cfg.server.ka_socket, sizeof(t->cfg.server.ka_socket), "/tmp/twr-ika-%d.sock",
		 (int)getpid());
	t->cfg.server.ka_timeout_ms = 200;
	t->cfg.server.modes = TWC_MODE_AUTH | TWC_MODE_IKEV2;
	t->s.cfg = &t->cfg;
	t->s.log.hook = hook;
	t->s.log.hook_arg = t;
	t->s.epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(t->s.epfd >= 0);
	t->s.ika.ping_ms = 50;
	answer(t, KA_OK);
	assert_int_equal(fake_start(&t->fs, t->cfg.server.ka_socket), 0);
	t->fake_up = true;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	if (t->fake_up)
		fake_stop(&t->fs);
	ctl_ika_fini(&t->s.ika);
	ctl_timers_free(&t->s.timers);
	close(t->s.epfd);
	free(t);
	return 0;
}

/* Run the loop's part for the link (bounded) until the state is `want`. */
static void pump_until(struct t *t, enum ctl_ka_state want)
{
	uint64_t deadline = ctl_mono_ms() + 10000;

	while (t->s.ika.state != want) {
		struct epoll_event ev[4];
		int n = epoll_wait(t->s.epfd, ev, 4, 20);

		for (int i = 0; i < n; i++) {
			assert_ptr_equal(ev[i].data.ptr, &t->s.ika.ev);
			ctl_ika_event(&t->s.ika, ev[i].events);
		}
		ctl_timer_run(&t->s.timers, ctl_mono_ms());
		if (ctl_mono_ms() > deadline)
			fail_msg("state %s, not %s", ctl_ka_state_str(t->s.ika.state),
				 ctl_ka_state_str(want));
	}
}

static void offered_while_the_agent_answers_ok(void **state)
{
	struct t *t = *state;

	ctl_ika_init(&t->s); /* one blocking ping at start-up */
	assert_int_equal(t->s.ika.state, CTL_KA_OK);
	assert_true(ctl_ika_offer(&t->s));
	assert_int_equal(logged(t, "OK: offering IKEv2-derived mode (0x80)"), 1);
	assert_int_equal(t->fs.connections, 1);
	assert_memory_equal(t->fs.got, "TWKA\x01\x01", 6); /* a version 1 PING */

	answer(t, KA_AGENT_DOWN);
	pump_until(t, CTL_KA_CHARON_DOWN);
	assert_false(ctl_ika_offer(&t->s));
	assert_int_equal(logged(t, "AGENT_DOWN: not offering IKEv2-derived mode (0x80)"), 1);

	answer(t, KA_OK);
	pump_until(t, CTL_KA_OK);
	assert_int_equal(logged(t, "OK: offering"), 2);

	/* the agent goes away: its socket with it */
	fake_stop(&t->fs);
	t->fake_up = false;
	pump_until(t, CTL_KA_UNREACHABLE);
	assert_int_equal(logged(t, "NO_AGENT: not offering"), 1);
	assert_string_equal(ctl_ka_state_str(t->s.ika.state), "unreachable");
}

/* An agent that takes the request and never answers: the ping does not
 * wait for it, the timer ends it after key-agent-timeout. */
static void silent_agent_does_not_block(void **state)
{
	struct t *t = *state;
	int conns;

	ctl_ika_init(&t->s);
	assert_int_equal(t->s.ika.state, CTL_KA_OK);
	t->fs.mode = FAKE_HANG;
	conns = t->fs.connections;
	/* fire the schedule: the next ping starts and is left in flight */
	while (t->s.ika.ev.fd < 0) {
		usleep(10000);
		ctl_timer_run(&t->s.timers, ctl_mono_ms());
	}
	assert_int_equal(t->s.ika.state, CTL_KA_OK); /* not known yet */
	pump_until(t, CTL_KA_UNREACHABLE);
	assert_true(t->fs.connections > conns);
	assert_int_equal(t->s.ika.ev.fd, -1);
}

/* Answers that are not a PING reply are errors, and not offered. */
static void garbage_and_policy(void **state)
{
	struct t *t = *state;

	answer(t, KA_NOT_PERMITTED);
	ctl_ika_init(&t->s);
	assert_int_equal(t->s.ika.state, CTL_KA_ERROR);
	assert_int_equal(logged(t, "NOT_PERMITTED: not offering"), 1);
	answer(t, KA_OK);
	pump_until(t, CTL_KA_OK);
	memcpy(t->fs.reply, "XXXX", 4); /* bad magic */
	pump_until(t, CTL_KA_ERROR);
	answer(t, KA_OK);
	pump_until(t, CTL_KA_OK);
	t->fs.reply_len = 100;          /* truncated */
	pump_until(t, CTL_KA_ERROR);
	answer(t, KA_OK);
	pump_until(t, CTL_KA_OK);
	assert_int_equal(logged(t, "OK: offering"), 3);
}

/* Modes without IKEv2Derived: the agent is never asked. */
static void unused(void **state)
{
	struct t *t = *state;

	t->cfg.server.modes = TWC_MODE_AUTH | TWC_MODE_ENC;
	ctl_ika_init(&t->s);
	assert_int_equal(t->s.ika.state, CTL_KA_UNUSED);
	assert_false(ctl_ika_offer(&t->s));
	assert_int_equal(ctl_timer_next(&t->s.timers), UINT64_MAX);
	usleep(100000);
	assert_int_equal(t->fs.connections, 0);
	assert_int_equal(t->nlines, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(offered_while_the_agent_answers_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(silent_agent_does_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_and_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(unused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
