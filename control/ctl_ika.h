/* twamp-controld's link to twamp-keyagent (RFC 7717 keys).
 *
 * Whether greetings offer IKEv2Derived is the key agent's answer to a
 * ping made every CTL_KA_PING_MS through the event loop (non-blocking
 * connect and send, the reply read when the socket is readable, given up
 * after key-agent-timeout), so the loop never waits for it: a change
 * (charon stopped or back) shows in greetings within CTL_KA_PING_MS +
 * key-agent-timeout, 2.5 s with the defaults. The first ping, at start-up,
 * is a blocking one.
 *
 * The lookup for a Set-Up-Response (ka_lookup_spi, bounded by
 * key-agent-timeout) is not made here: it is part of the connection's
 * authentication job and blocks a worker of the authentication pool
 * (ctl_authpool.h), not the loop. Its answer, back on the loop, updates
 * the state too (ctl_ika_seen: agent or charon gone, no longer offered).
 * The link touches the loop, the configuration and the log. */
#ifndef TWR_CTL_IKA_H
#define TWR_CTL_IKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_config.h"
#include "ctl_log.h"
#include "ctl_loop.h"
#include "keyagent_proto.h"

#define CTL_KA_PING_MS 2000u

enum ctl_ka_state {
	CTL_KA_UNUSED,        /* modes without IKEv2Derived: never asked */
	CTL_KA_OK,            /* agent and charon answer: offered */
	CTL_KA_CHARON_DOWN,   /* AGENT_DOWN */
	CTL_KA_UNREACHABLE,   /* NO_AGENT: no socket, refused, no answer in time */
	CTL_KA_ERROR,         /* an answer we cannot use (NOT_PERMITTED, MALFORMED, ...) */
};

struct ctl_ika {
	struct ctl_loop *loop;
	const struct ctl_config *cfg;
	struct ctl_log *log;
	int fd;                    /* the ping in flight, -1 when none */
	enum ctl_ka_state state;
	struct ctl_timer timer;    /* next ping, or the deadline of the one in flight */
	uint32_t ping_ms;          /* CTL_KA_PING_MS (tests: shorter, set before init) */
	uint8_t reply[KA_REPLY_LEN];
	size_t got;
};

/* The first (blocking) ping and the schedule, when modes has IKEv2Derived. */
void ctl_ika_init(struct ctl_ika *k, struct ctl_loop *loop, const struct ctl_config *cfg,
		  struct ctl_log *log);
void ctl_ika_fini(struct ctl_ika *k);
/* May a greeting offer IKEv2Derived now (never blocks). */
bool ctl_ika_offer(const struct ctl_ika *k);
/* The answer of a lookup made for a Set-Up-Response (on the loop). */
void ctl_ika_seen(struct ctl_ika *k, enum ka_status st);
const char *ctl_ka_state_str(enum ctl_ka_state st);

#endif
