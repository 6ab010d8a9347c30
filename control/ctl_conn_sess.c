/* Request-TW-Session → Accept-Session, and the sessions of a connection
 * in the dataplane (RFC 5357 §3.5; session_api.h). A session is installed
 * (ADD) before the Accept-Session says so. */
#include <stdlib.h>
#include <string.h>

#include "ctl_conn.h"
#include "ctl_sid.h"
#include "secure_mem.h"
#include "tw_crypto.h"

struct ctl_sess *ctl_conn_find_sess(struct ctl_conn *c, const uint8_t sid[16])
{
	for (size_t i = 0; i < c->nsess; i++)
		if (memcmp(c->sess[i].sid, sid, 16) == 0)
			return &c->sess[i];
	return NULL;
}

void ctl_conn_sess_drop(struct ctl_conn *c, size_t i)
{
	ctl_port_release(c->env->ports, c->sess[i].port);
	c->sess[i] = c->sess[--c->nsess];
}

/* Count a dataplane status that is not OK; returns it. */
static int dp_status(struct ctl_conn *c, int st)
{
	if (st == CTL_DP_DOWN)
		c->env->ctr->v[CTL_C_DP_UNREACHABLE]++;
	else if (st == TWR_API_ENOENT)
		c->env->ctr->v[CTL_C_SESS_EXPIRED]++;
	else if (st != TWR_API_OK)
		c->env->ctr->v[CTL_C_DP_ERRORS]++;
	return st;
}

int ctl_conn_sess_start(struct ctl_conn *c, struct ctl_sess *s)
{
	int st = dp_status(c, ctl_dp_sid_op(c->env->dp, TWR_OP_START, s->sid));

	if (st == TWR_API_OK) {
		s->state = TWR_SS_ACTIVE;
		c->env->ctr->v[CTL_C_SESS_STARTED]++;
	}
	return st;
}

int ctl_conn_sess_stop(struct ctl_conn *c, struct ctl_sess *s)
{
	char sid[33];
	int st = dp_status(c, ctl_dp_sid_op(c->env->dp, TWR_OP_STOP, s->sid));

	ctl_sid_hex(s->sid, sid);
	if (st == TWR_API_OK) {
		s->state = TWR_SS_STOPPING;
		c->env->ctr->v[CTL_C_SESS_STOPPED]++;
	}
	ctl_conn_log(c, LOG_INFO, "session stopped", "session stopped: peer=%s sid=%s timeout=%ums%s%s",
		     c->name, sid, s->spec.timeout_ms, st == TWR_API_OK ? "" : ": dataplane: ",
		     st == TWR_API_OK ? "" : ctl_dp_status_str(st));
	return st;
}

/* ADD the session with this SID and port. */
static int dp_add(struct ctl_conn *c, const struct ctl_sess *s)
{
	const struct ctl_req_spec *sp = &s->spec;
	struct twr_api_session a = {
		.ipver = sp->reflector.ver, .sec = sp->sec, .flags = sp->flags, .dscp = sp->dscp,
		.reflector_port = s->port, .sender_port = sp->sender_port,
		.reflect_len = sp->reflect_len, .timeout_ms = sp->timeout_ms,
		.refwait_s = c->env->cfg->server.refwait_s,
	};
	struct tw_keys k;
	int st;

	memcpy(a.sid, s->sid, 16);
	memcpy(a.reflector_addr, sp->reflector.a, 16);
	memcpy(a.sender_addr, sp->sender.a, 16);
	if (sp->sec != TW_SEC_OPEN) {
		if (tw_keys_derive(s->sid, c->aes, c->hmac, &k) != 0)
			return TWR_API_EINTERNAL;
		memcpy(a.aes_key, k.aes, sizeof(a.aes_key));
		memcpy(a.hmac_key, k.hmac, sizeof(a.hmac_key));
		wipe(&k, sizeof(k));
	}
	st = ctl_dp_add(c->env->dp, &a);
	wipe(&a, sizeof(a));
	return st;
}

static uint8_t add_status_accept(int st, const char **why)
{
	switch (st) {
	case TWR_API_ENOSPC: *why = "dataplane session table full"; return TWC_ACCEPT_PERMANENT;
	case TWR_API_EAGAIN: *why = "dataplane busy"; return TWC_ACCEPT_TEMPORARY;
	case CTL_DP_DOWN: *why = "dataplane unreachable"; return TWC_ACCEPT_INTERNAL;
	default: *why = "dataplane refused the session"; return TWC_ACCEPT_INTERNAL;
	}
}

/* Choose SID and port, install. EEXIST (SID or 5-tuple taken, e.g. by a
 * stopping session) moves on to another port and SID. */
static uint8_t install(struct ctl_conn *c, struct ctl_sess *s, const char **why)
{
	const struct ctl_server_cfg *sv = &c->env->cfg->server;
	uint16_t skip[CTL_PORT_TRIES];
	size_t nskip = 0;

	for (int tries = 0; tries < CTL_PORT_TRIES; tries++) {
		uint8_t rnd[4];
		int st;

		s->port = ctl_port_pick(c->env->ports, s->spec.receiver_port, sv->test_port_min,
					sv->test_port_max, skip, nskip);
		if (s->port == 0) {
			*why = "no free test port";
			return TWC_ACCEPT_TEMPORARY;
		}
		c->env->random(c->env->arg, rnd, sizeof(rnd));
		ctl_sid_make(&s->spec.reflector, c->env->ntp_now(c->env->arg), rnd, s->sid);
		st = dp_status(c, dp_add(c, s));
		if (st == TWR_API_OK)
			return TWC_ACCEPT_OK;
		/* EPERM: the dataplane's port policy, if its file differs from ours */
		if (st != TWR_API_EEXIST && st != TWR_API_EPERM)
			return add_status_accept(st, why);
		skip[nskip++] = s->port;
	}
	*why = "dataplane refused every port tried (EEXIST or port policy)";
	return TWC_ACCEPT_TEMPORARY;
}

static int keep(struct ctl_conn *c, const struct ctl_sess *s)
{
	if (c->nsess == c->sess_cap) {
		size_t cap = c->sess_cap ? 2 * c->sess_cap : 4;
		struct ctl_sess *n = realloc(c->sess, cap * sizeof(*n));

		if (!n)
			return -1;
		c->sess = n;
		c->sess_cap = cap;
	}
	c->sess[c->nsess++] = *s;
	ctl_port_hold(c->env->ports, s->port);
	return 0;
}

static void accept_session(struct ctl_conn *c, uint8_t accept, const struct ctl_sess *s)
{
	struct twc_accept_session m = { .accept = accept };
	uint8_t buf[TWC_ACCEPT_SESSION_LEN];

	if (accept == TWC_ACCEPT_OK) {
		m.port = s->port;
		memcpy(m.sid, s->sid, 16);
		m.reflected_octets = s->spec.reflected_octets;
	}
	twc_accept_session_enc(&m, buf, sizeof(buf));
	ctl_conn_send(c, buf, sizeof(buf));
}

static void log_session(struct ctl_conn *c, uint8_t accept, const struct ctl_sess *s,
			const char *why)
{
	char sid[33], snd[CTL_ADDR_STR], refl[CTL_ADDR_STR];

	if (accept != TWC_ACCEPT_OK) {
		c->env->ctr->v[CTL_C_SESS_REFUSED]++;
		ctl_conn_log(c, LOG_WARNING, "session refused",
			     "session refused: peer=%s accept=%u: %s", c->name, accept, why);
		return;
	}
	c->env->ctr->v[CTL_C_SESS_ACCEPTED]++;
	ctl_sid_hex(s->sid, sid);
	ctl_conn_log(c, LOG_INFO, "session accepted",
		     "session accepted: peer=%s accept=0 sid=%s sender=%s reflector=%s sec=%u flags=0x%x "
		     "dscp=%u padding=%u timeout=%ums",
		     c->name, sid, ctl_ipport_str(&s->spec.sender, s->spec.sender_port, snd, sizeof(snd)),
		     ctl_ipport_str(&s->spec.reflector, s->port, refl, sizeof(refl)), s->spec.sec,
		     s->spec.flags, s->spec.dscp, s->spec.padding_len, s->spec.timeout_ms);
}

void ctl_conn_request(struct ctl_conn *c)
{
	const struct ctl_config *cfg = c->env->cfg;
	struct ctl_req_ctx ctx = { .peer = c->peer, .local = c->local, .mode = c->mode,
				   .allow_other_peer = cfg->server.allow_other_test_peer,
				   .default_timeout_ms = cfg->server.test_timeout_ms,
				   .test_addrs = cfg->test_addrs, .ntest_addrs = cfg->ntest_addrs };
	struct ctl_sess s = { .state = TWR_SS_INSTALLED };
	struct twc_request r;
	enum twc_err e = twc_request_dec(c->in, c->in_len, &r);
	const char *why = twc_strerror(e);
	char whybuf[CTL_WHY_LEN];
	uint8_t accept = e == TWC_OK ? ctl_request_check(&r, &ctx, &s.spec, &why, whybuf,
							 sizeof(whybuf))
				     : twc_err_accept(e);

	if (accept == TWC_ACCEPT_OK && c->nsess >= cfg->server.max_sessions_per_conn) {
		accept = TWC_ACCEPT_TEMPORARY;
		why = "max-sessions-per-connection reached";
	}
	if (accept == TWC_ACCEPT_OK)
		accept = install(c, &s, &why);
	if (accept == TWC_ACCEPT_OK && keep(c, &s) != 0) {
		ctl_dp_sid_op(c->env->dp, TWR_OP_REMOVE, s.sid);
		accept = TWC_ACCEPT_INTERNAL;
		why = "out of memory";
	}
	log_session(c, accept, &s, why);
	accept_session(c, accept, &s);
}

uint64_t ctl_conn_servwait_left(struct ctl_conn *c, uint64_t now_ms)
{
	uint64_t limit = (uint64_t)c->env->cfg->server.servwait_s * 1000u;

	if (c->state == CTL_CS_TEST) {
		for (size_t i = c->nsess; i-- > 0;) {
			struct twr_api_counters ctr;

			if (dp_status(c, ctl_dp_counters(c->env->dp, c->sess[i].sid, &ctr)) ==
			    TWR_API_ENOENT)
				ctl_conn_sess_drop(c, i); /* removed by the dataplane (REFWAIT) */
		}
		if (c->nsess > 0)
			return limit; /* monitoring suspended while sessions run */
		c->state = CTL_CS_REQUEST;
		c->last_msg_ms = c->ran_ms = now_ms;
		ctl_conn_log(c, LOG_INFO, "every session removed by the dataplane",
			     "every session of peer=%s was removed by the dataplane: SERVWAIT resumes",
			     c->name);
	}
	if (now_ms < c->last_msg_ms)
		return limit;
	if (now_ms - c->last_msg_ms >= limit)
		return 0;
	return limit - (now_ms - c->last_msg_ms);
}

uint64_t ctl_conn_open_idle_deadline(const struct ctl_conn *c)
{
	uint64_t limit = (uint64_t)c->env->cfg->server.open_idle_s * 1000u;

	if (limit == 0 || c->state != CTL_CS_REQUEST || twc_mode_secured(c->mode))
		return UINT64_MAX;
	return c->ran_ms + limit;
}

uint64_t ctl_conn_open_idle_left(const struct ctl_conn *c, uint64_t now_ms)
{
	uint64_t d = ctl_conn_open_idle_deadline(c);

	if (d == UINT64_MAX)
		return UINT64_MAX;
	return now_ms >= d ? 0 : d - now_ms;
}
