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
#include <unistd.h>

#include <cmocka.h>

#include "../keyagent/fake_server.h"
#include "control_msg.h"
#include "ctl_ika.h"
#include "keyagent_client.h"

#define LINES 32

struct t {
	struct ctl_config cfg;
	struct ctl_loop loop;
	struct ctl_ika ika;
	struct ctl_log log;
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
	t->log.hook = hook;
	t->log.hook_arg = t;
	assert_int_equal(ctl_loop_init(&t->loop), 0);
	t->ika.ping_ms = 50;
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
	ctl_ika_fini(&t->ika);
	ctl_loop_fini(&t->loop);
	free(t);
	return 0;
}

/* Run the loop's part for the link (bounded) until the state is `want`. */
static void pump_until(struct t *t, enum ctl_ka_state want)
{
	uint64_t deadline = ctl_mono_ms() + 10000;

	while (t->ika.state != want) {
		assert_int_equal(ctl_loop_once(&t->loop, 20), 0);
		if (ctl_mono_ms() > deadline)
			fail_msg("state %s, not %s", ctl_ka_state_str(t->ika.state),
				 ctl_ka_state_str(want));
	}
}

static void offered_while_the_agent_answers_ok(void **state)
{
	struct t *t = *state;

	ctl_ika_init(&t->ika, &t->loop, &t->cfg, &t->log); /* one blocking ping at start-up */
	assert_int_equal(t->ika.state, CTL_KA_OK);
	assert_true(ctl_ika_offer(&t->ika));
	assert_int_equal(logged(t, "OK: offering IKEv2-derived mode (0x80)"), 1);
	assert_int_equal(t->fs.connections, 1);
	assert_memory_equal(t->fs.got, "TWKA\x01\x01", 6); /* a version 1 PING */

	answer(t, KA_AGENT_DOWN);
	pump_until(t, CTL_KA_CHARON_DOWN);
	assert_false(ctl_ika_offer(&t->ika));
	assert_int_equal(logged(t, "AGENT_DOWN: not offering IKEv2-derived mode (0x80)"), 1);

	answer(t, KA_OK);
	pump_until(t, CTL_KA_OK);
	assert_int_equal(logged(t, "OK: offering"), 2);

	/* the agent goes away: its socket with it */
	fake_stop(&t->fs);
	t->fake_up = false;
	pump_until(t, CTL_KA_UNREACHABLE);
	assert_int_equal(logged(t, "NO_AGENT: not offering"), 1);
	assert_string_equal(ctl_ka_state_str(t->ika.state), "unreachable");
}

/* An agent that takes the request and never answers: the ping does not
 * wait for it, the timer ends it after key-agent-timeout. */
static void silent_agent_does_not_block(void **state)
{
	struct t *t = *state;
	int conns;

	ctl_ika_init(&t->ika, &t->loop, &t->cfg, &t->log);
	assert_int_equal(t->ika.state, CTL_KA_OK);
	t->fs.mode = FAKE_HANG;
	conns = t->fs.connections;
	/* run the schedule: the next ping starts and is left in flight */
	while (t->ika.fd < 0)
		assert_int_equal(ctl_loop_once(&t->loop, 10), 0);
	assert_int_equal(t->ika.state, CTL_KA_OK); /* not known yet */
	pump_until(t, CTL_KA_UNREACHABLE);
	assert_true(t->fs.connections > conns);
	assert_int_equal(t->ika.fd, -1);
}

/* Answers that are not a PING reply are errors, and not offered. */
static void garbage_and_policy(void **state)
{
	struct t *t = *state;

	answer(t, KA_NOT_PERMITTED);
	ctl_ika_init(&t->ika, &t->loop, &t->cfg, &t->log);
	assert_int_equal(t->ika.state, CTL_KA_ERROR);
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
	ctl_ika_init(&t->ika, &t->loop, &t->cfg, &t->log);
	assert_int_equal(t->ika.state, CTL_KA_UNUSED);
	assert_false(ctl_ika_offer(&t->ika));
	assert_int_equal(ctl_timer_next(&t->loop.timers), UINT64_MAX);
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
