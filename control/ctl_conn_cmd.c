/* TWAMP-Control commands after Server-Start (RFC 5357 §3.4-§3.8,
 * RFC 5938; docs/protocol.md §4.4-§4.9). Request-TW-Session is in
 * ctl_conn_sess.c. */
#include <string.h>

#include "ctl_conn.h"
#include "ctl_sid.h"

bool ctl_conn_cmd_allowed(const struct ctl_conn *c, uint8_t cmd)
{
	bool isc = (c->mode & TWC_MODE_ISC) != 0;
	bool req = c->state == CTL_CS_REQUEST, test = c->state == CTL_CS_TEST;

	switch (cmd) {
	case TWC_CMD_REQUEST_TW_SESSION:
	case TWC_CMD_START_SESSIONS:
		return req || (test && isc);
	case TWC_CMD_STOP_SESSIONS:
		return test;
	case TWC_CMD_START_N_SESSIONS:
	case TWC_CMD_STOP_N_SESSIONS:
		return isc && (req || test);
	default:
		return false; /* the acks (8, 10) are the server's */
	}
}

static size_t count_state(const struct ctl_conn *c, uint8_t state)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nsess; i++)
		n += c->sess[i].state == state;
	return n;
}

/* Start-Sessions: start every session not started yet. */
static void start_sessions(struct ctl_conn *c)
{
	uint8_t buf[TWC_START_ACK_LEN], accept = TWC_ACCEPT_OK;
	size_t started = 0;

	for (size_t i = 0; i < c->nsess; i++) {
		if (c->sess[i].state != TWR_SS_INSTALLED)
			continue;
		if (ctl_conn_sess_start(c, &c->sess[i]) == TWR_API_OK)
			started++;
		else
			accept = TWC_ACCEPT_INTERNAL;
	}
	ctl_conn_log(c, LOG_INFO, "start sessions", "start sessions: peer=%s started=%zu accept=%u",
		     c->name, started, accept);
	if (accept == TWC_ACCEPT_OK)
		c->state = CTL_CS_TEST;
	twc_start_ack_enc(accept, buf, sizeof(buf));
	ctl_conn_send(c, buf, sizeof(buf));
}

/* Stop-Sessions: every session of the connection is stopped (the
 * dataplane answers for its Timeout, then removes it) and forgotten; no
 * reply. A Number of Sessions that is not the number started is logged,
 * but every session is stopped all the same: leaving them reflecting
 * would hold resources for no one. */
static void stop_sessions(struct ctl_conn *c)
{
	struct twc_stop m;
	size_t active = count_state(c, TWR_SS_ACTIVE), n = c->nsess;

	if (twc_stop_dec(c->in, c->in_len, &m) != TWC_OK) {
		ctl_conn_fail(c, CTL_C_MALFORMED, LOG_WARNING, "malformed Stop-Sessions");
		return;
	}
	while (c->nsess > 0) {
		ctl_conn_sess_stop(c, &c->sess[c->nsess - 1]);
		ctl_conn_sess_drop(c, c->nsess - 1);
	}
	ctl_conn_log(c, LOG_INFO, "stop sessions",
		     "stop sessions: peer=%s stopped=%zu accept=%u number-of-sessions=%u%s", c->name, n,
		     m.accept, m.nsessions,
		     m.nsessions != active ? " (not the number started)" : "");
	if (c->state == CTL_CS_TEST)
		c->ran_ms = c->env->mono_ms(c->env->arg); /* open-idle-timeout from here */
	c->state = CTL_CS_REQUEST;
}

/* RFC 5938: every SID must be a session of this connection, or nothing is
 * done and the ack carries Accept 1. */
static bool all_known(struct ctl_conn *c, const struct twc_nmsg *m)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (!ctl_conn_find_sess(c, m->sid[i]))
			return false;
	return true;
}

static uint8_t start_n(struct ctl_conn *c, const struct twc_nmsg *m)
{
	uint8_t accept = TWC_ACCEPT_OK;

	for (uint32_t i = 0; i < m->n; i++) {
		struct ctl_sess *s = ctl_conn_find_sess(c, m->sid[i]);

		if (s->state == TWR_SS_INSTALLED && ctl_conn_sess_start(c, s) != TWR_API_OK)
			accept = TWC_ACCEPT_INTERNAL;
	}
	if (count_state(c, TWR_SS_ACTIVE) > 0)
		c->state = CTL_CS_TEST;
	return accept;
}

static uint8_t stop_n(struct ctl_conn *c, const struct twc_nmsg *m)
{
	for (uint32_t i = 0; i < m->n; i++) {
		struct ctl_sess *s = ctl_conn_find_sess(c, m->sid[i]);

		if (!s)
			continue; /* the same SID twice */
		ctl_conn_sess_stop(c, s);
		ctl_conn_sess_drop(c, (size_t)(s - c->sess));
	}
	if (c->state == CTL_CS_TEST && count_state(c, TWR_SS_ACTIVE) == 0) {
		c->state = CTL_CS_REQUEST;
		c->ran_ms = c->env->mono_ms(c->env->arg);
	}
	return TWC_ACCEPT_OK;
}

/* Start-N-Sessions / Stop-N-Sessions → Start-N-Ack / Stop-N-Ack with the
 * same SIDs. */
static void n_sessions(struct ctl_conn *c)
{
	struct twc_nmsg m;
	uint8_t buf[TWC_NMSG_MAX_LEN];
	enum twc_err e = twc_nmsg_dec(c->in, c->in_len, c->cmd, &m);

	if (e != TWC_OK) {
		ctl_conn_fail(c, CTL_C_MALFORMED, LOG_WARNING, "command %u: %s", c->cmd,
			      twc_strerror(e));
		return;
	}
	if (!all_known(c, &m))
		m.accept = TWC_ACCEPT_FAILURE;
	else
		m.accept = c->cmd == TWC_CMD_START_N_SESSIONS ? start_n(c, &m) : stop_n(c, &m);
	ctl_conn_log(c, LOG_INFO,
		     c->cmd == TWC_CMD_START_N_SESSIONS ? "start-n sessions" : "stop-n sessions",
		     "%s: peer=%s sessions=%u accept=%u",
		     c->cmd == TWC_CMD_START_N_SESSIONS ? "start-n sessions" : "stop-n sessions", c->name,
		     m.n, m.accept);
	m.cmd = c->cmd == TWC_CMD_START_N_SESSIONS ? TWC_CMD_START_N_ACK : TWC_CMD_STOP_N_ACK;
	if (twc_nmsg_enc(&m, buf, sizeof(buf)) != TWC_OK) {
		ctl_conn_fail(c, CTL_C_MALFORMED, LOG_ERR, "cannot encode the N-ack");
		return;
	}
	ctl_conn_send(c, buf, TWC_NMSG_LEN(m.n));
}

void ctl_conn_command(struct ctl_conn *c)
{
	switch (c->cmd) {
	case TWC_CMD_REQUEST_TW_SESSION:
		ctl_conn_request(c);
		break;
	case TWC_CMD_START_SESSIONS:
		if (twc_start_dec(c->in, c->in_len) != TWC_OK)
			ctl_conn_fail(c, CTL_C_MALFORMED, LOG_WARNING, "malformed Start-Sessions");
		else
			start_sessions(c);
		break;
	case TWC_CMD_STOP_SESSIONS:
		stop_sessions(c);
		break;
	case TWC_CMD_START_N_SESSIONS:
	case TWC_CMD_STOP_N_SESSIONS:
		n_sessions(c);
		break;
	default: /* ctl_conn_cmd_allowed let nothing else through */
		ctl_conn_fail(c, CTL_C_UNKNOWN_CMD, LOG_ERR, "unexpected command %u", c->cmd);
		break;
	}
}
