/* Connection life cycle, framing of the input and the output queue (see
 * ctl_conn.h). The protocol steps are in ctl_conn_setup.c (greeting to
 * Server-Start), ctl_conn_cmd.c (commands) and ctl_conn_sess.c (sessions). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_conn.h"
#include "secmem.h"
#include "ctl_sid.h"
#include "secure_mem.h"

const char *ctl_cs_str(enum ctl_cs s)
{
	switch (s) {
	case CTL_CS_SETUP: return "setup";
	case CTL_CS_REQUEST: return "request";
	case CTL_CS_TEST: return "test";
	case CTL_CS_CLOSING: return "closing";
	}
	return "?";
}

static uint64_t mono(const struct ctl_conn *c)
{
	return c->env->mono_ms(c->env->arg);
}

struct ctl_conn *ctl_conn_new(const struct ctl_conn_env *env, const struct ctl_ip *peer,
			      uint16_t peer_port, const struct ctl_ip *local, uint16_t local_port)
{
	/* the connection holds the session's AES and HMAC keys: out of dumps */
	struct ctl_conn *c = secmem_alloc(sizeof(*c));

	if (!c)
		return NULL;
	c->env = env;
	c->peer = *peer;
	c->local = *local;
	c->peer_port = peer_port;
	c->local_port = local_port;
	ctl_ipport_str(peer, peer_port, c->name, sizeof(c->name));
	c->state = CTL_CS_SETUP;
	c->in_want = 4; /* the Set-Up-Response Mode */
	c->created_ms = c->last_msg_ms = c->ran_ms = mono(c);
	ctl_conn_greet(c);
	return c;
}

void ctl_conn_free(struct ctl_conn *c, const char *reason)
{
	size_t removed = 0;

	if (!c)
		return;
	while (c->nsess > 0) {
		struct ctl_sess *s = &c->sess[c->nsess - 1];
		int st = ctl_dp_sid_op(c->env->dp, TWR_OP_REMOVE, s->sid);

		if (st == TWR_API_OK)
			removed++;
		else if (st == CTL_DP_DOWN)
			c->env->ctr->v[CTL_C_DP_UNREACHABLE]++;
		else if (st == TWR_API_ENOENT)
			c->env->ctr->v[CTL_C_SESS_EXPIRED]++;
		ctl_conn_sess_drop(c, c->nsess - 1);
	}
	c->env->ctr->v[CTL_C_SESS_REMOVED] += removed;
	c->env->ctr->v[CTL_C_CONN_CLOSED]++;
	ctl_conn_log(c, LOG_INFO, "connection closed",
		 "connection closed: peer=%s state=%s sessions-removed=%zu reason=%s",
		 c->name, ctl_cs_str(c->state == CTL_CS_CLOSING ? c->before_close : c->state),
		 removed, reason ? reason : "-");
	twc_ctl_crypto_free(c->crypto);
	ctl_auth_job_free(c->job);
	free(c->sess);
	free(c->out);
	secmem_free(c, sizeof(*c));
}

size_t ctl_conn_want(const struct ctl_conn *c)
{
	return c->state == CTL_CS_CLOSING || c->auth_wait ? 0 : c->in_want - c->in_len;
}

bool ctl_conn_set_up(const struct ctl_conn *c)
{
	enum ctl_cs s = c->state == CTL_CS_CLOSING ? c->before_close : c->state;

	return s == CTL_CS_REQUEST || s == CTL_CS_TEST;
}

static void reset_input(struct ctl_conn *c)
{
	wipe(c->in, c->in_len);
	c->in_len = 0;
	c->in_want = TWC_BLOCK; /* the first block of the next command */
	c->peeked = false;
}

/* The first block of a command: decrypt it, learn the command and its
 * length, refuse it before reading more if it is unknown or not allowed. */
static void peek_command(struct ctl_conn *c)
{
	size_t len = 0;
	enum twc_err e = twc_decrypt(c->crypto, TWC_C2S, c->in, c->in, TWC_BLOCK);

	if (e == TWC_OK)
		e = twc_peek(c->in, &c->cmd, &len);
	if (e == TWC_E_NSESS) {
		ctl_conn_fail(c, CTL_C_MALFORMED, LOG_WARNING, "command %u: %s", c->cmd, twc_strerror(e));
		return;
	}
	if (e != TWC_OK || len > sizeof(c->in) || len <= TWC_BLOCK) {
		ctl_conn_fail(c, CTL_C_UNKNOWN_CMD, LOG_WARNING, "unknown command %u", c->cmd);
		return;
	}
	if (!ctl_conn_cmd_allowed(c, c->cmd)) {
		ctl_conn_fail(c, CTL_C_OUT_OF_ORDER, LOG_WARNING,
			      "command %u not allowed in state %s (mode 0x%x)", c->cmd,
			      ctl_cs_str(c->state), c->mode);
		return;
	}
	c->peeked = true;
	c->in_want = len;
}

/* The rest of a command: decrypt, check the HMAC, act. */
static void finish_command(struct ctl_conn *c)
{
	enum twc_err e = twc_decrypt(c->crypto, TWC_C2S, c->in + TWC_BLOCK, c->in + TWC_BLOCK,
				     c->in_len - TWC_BLOCK);

	if (e == TWC_OK)
		e = twc_verify(c->crypto, TWC_C2S, c->in, c->in_len);
	if (e == TWC_E_HMAC) {
		ctl_conn_fail(c, CTL_C_HMAC_FAIL, LOG_WARNING, "command %u: HMAC does not verify",
			      c->cmd);
		return;
	}
	if (e != TWC_OK) {
		ctl_conn_fail(c, CTL_C_MALFORMED, LOG_ERR, "command %u: %s", c->cmd, twc_strerror(e));
		return;
	}
	c->last_msg_ms = mono(c);
	ctl_conn_command(c);
}

/* A unit of input is complete. */
static void step(struct ctl_conn *c)
{
	if (c->state == CTL_CS_SETUP) {
		if (c->in_want == 4) {
			uint32_t mode = (uint32_t)c->in[0] << 24 | (uint32_t)c->in[1] << 16 |
					(uint32_t)c->in[2] << 8 | c->in[3];

			if (mode == 0) {
				ctl_conn_fail(c, CTL_C_MODE_DECLINED, LOG_INFO,
					      "client declined (Set-Up-Response Mode 0)");
				ctl_conn_auth_result(c, false); /* counts toward ip-block */
				return;
			}
			c->in_want = twc_setup_len(mode);
			return;
		}
		c->last_msg_ms = mono(c);
		ctl_conn_setup(c);
		if (c->state != CTL_CS_CLOSING)
			reset_input(c);
		return;
	}
	if (!c->peeked) {
		peek_command(c);
		return;
	}
	finish_command(c);
	if (c->state != CTL_CS_CLOSING)
		reset_input(c);
}

bool ctl_conn_input(struct ctl_conn *c, const uint8_t *data, size_t n)
{
	if (n > 0)
		c->heard = true;
	/* nothing is read while the authentication job is out (want is 0) */
	while (n > 0 && c->state != CTL_CS_CLOSING && !c->auth_wait) {
		size_t k = c->in_want - c->in_len;

		if (k > n)
			k = n;
		memcpy(c->in + c->in_len, data, k);
		c->in_len += k;
		data += k;
		n -= k;
		if (c->in_len == c->in_want)
			step(c);
	}
	return c->state != CTL_CS_CLOSING;
}

/* ---- output ---- */

void ctl_conn_queue(struct ctl_conn *c, const uint8_t *msg, size_t len)
{
	size_t pending = c->out_len - c->out_off;

	if (c->out_off > 0) { /* keep the queue at the front */
		memmove(c->out, c->out + c->out_off, pending);
		c->out_off = 0;
		c->out_len = pending;
	}
	if (pending + len > CTL_OUT_MAX) {
		ctl_conn_fail(c, CTL_C_OUTPUT_OVERFLOW, LOG_WARNING,
			      "more than %u octets queued: the peer does not read", CTL_OUT_MAX);
		return;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 256;
		uint8_t *nb;

		while (cap < c->out_len + len)
			cap *= 2;
		nb = realloc(c->out, cap);
		if (!nb) {
			ctl_conn_fail(c, CTL_C_OUTPUT_OVERFLOW, LOG_ERR, "out of memory for output");
			return;
		}
		c->out = nb;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, msg, len);
	c->out_len += len;
}

void ctl_conn_send(struct ctl_conn *c, uint8_t *msg, size_t len)
{
	enum twc_err e = twc_seal(c->crypto, TWC_S2C, msg, len);

	if (e != TWC_OK) {
		ctl_conn_fail(c, CTL_C_MALFORMED, LOG_ERR, "cannot seal a reply: %s", twc_strerror(e));
		return;
	}
	ctl_conn_queue(c, msg, len);
}

const uint8_t *ctl_conn_output(const struct ctl_conn *c, size_t *n)
{
	*n = c->out_len - c->out_off;
	return c->out ? c->out + c->out_off : NULL;
}

void ctl_conn_sent(struct ctl_conn *c, size_t n)
{
	c->out_off += n;
	if (c->out_off >= c->out_len)
		c->out_off = c->out_len = 0;
}

/* ---- closing ---- */

void ctl_conn_close_quiet(struct ctl_conn *c)
{
	if (c->state == CTL_CS_CLOSING)
		return;
	c->before_close = c->state;
	c->state = CTL_CS_CLOSING;
}

void ctl_conn_log(struct ctl_conn *c, int level, const char *kind, const char *fmt, ...)
{
	char text[CTL_LOG_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ctl_log_peer(c->env->log, level, c->authenticated ? NULL : &c->peer, kind, "%s", text);
}

/* kind: the format of the reason (our text; never what a peer chose) */
static void fail(struct ctl_conn *c, enum ctl_ctr ctr, int level, const char *why,
		 const char *kind_fmt)
{
	char kind[LOG_LIMIT_KIND_MAX];

	snprintf(kind, sizeof(kind), "closing connection: %s", kind_fmt);
	c->env->ctr->v[ctr]++;
	ctl_conn_log(c, level, kind, "closing connection: peer=%s state=%s: %s", c->name,
		     ctl_cs_str(c->state), why);
	ctl_conn_close_quiet(c);
}

void ctl_conn_fail(struct ctl_conn *c, enum ctl_ctr ctr, int level, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fail(c, ctr, level, why, fmt);
}

void ctl_conn_abandoned(struct ctl_conn *c, const char *why)
{
	if (ctl_conn_set_up(c) || ctl_conn_closing(c) || c->settled)
		return;
	c->env->ctr->v[CTL_C_AUTH_ABANDONED]++;
	ctl_conn_log(c, LOG_WARNING, "authentication abandoned",
		     "authentication abandoned: peer=%s state=%s: %s", c->name, ctl_cs_str(c->state), why);
	ctl_conn_auth_result(c, false);
}

void ctl_conn_abort(struct ctl_conn *c, enum ctl_ctr ctr, const char *reason)
{
	if (c->state == CTL_CS_CLOSING)
		return;
	fail(c, ctr, LOG_WARNING, reason, reason);
}
