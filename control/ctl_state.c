/* The operational state as YANG data (the config false nodes of
 * yang/twamp-reflector.yang), built with lyd_new_path, validated and
 * printed as JSON:
 *
 *   /twamp-reflector/server/dataplane-reachable, auth-queue-depth
 *   /twamp-reflector/server/ikev2-derived/offered, key-agent-status
 *   /twamp-reflector/server/statistics/<counter>
 *   /twamp-reflector/server/ctrl-connection[...]/ (ike-spi-i, ike-spi-r,
 *     ike-remote-id for IKEv2-derived connections)
 *   /twamp-reflector/server/ctrl-connection[...]/test-session[sid]/...
 *     (the test sessions' counters come from the dataplane, COUNTERS)
 *   /twamp-reflector/security-baseline/ip-block-list[blocked-ip]/
 *     unblock-interval, prefix-length (a blocked source is a prefix)
 *   /twamp-reflector/security-baseline/login-failed-threshold-alarm/
 *     alarm-raised, failures-in-period
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_sid.h"
#include "ctl_state.h"

#define TOP "/twamp-reflector:twamp-reflector"

struct builder {
	const struct ctl_state_src *src;
	struct lyd_node *tree;
	int err;
};

static void put(struct builder *b, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put(struct builder *b, const char *value, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (b->err || n < 0 || (size_t)n >= sizeof(path) ||
	    lyd_new_path(b->tree, b->src->yctx, path, value, LYD_NEW_PATH_UPDATE,
			 b->tree ? NULL : &b->tree) != LY_SUCCESS)
		b->err = 1;
}

static void put_u64(struct builder *b, uint64_t v, const char *prefix, const char *leaf)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	put(b, num, "%s/%s", prefix, leaf);
}

static const char *const mode_bits[] = {
	"unauthenticated", "authenticated", "encrypted", "unauth-test-encrypt-control",
	"individual-session-control", "reflect-octets", "symmetrical-size", "IKEv2Derived",
};

static void mode_str(uint32_t mode, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < sizeof(mode_bits) / sizeof(mode_bits[0]); i++)
		if (mode & (1u << i))
			o += (size_t)snprintf(out + o, o < len ? len - o : 0, "%s%s", o ? " " : "",
					      mode_bits[i]);
}

static void session(struct builder *b, const char *conn, struct ctl_conn *c,
		    const struct ctl_sess *ss)
{
	static const char *const sec[] = { "unauthenticated", "authenticated", "encrypted" };
	static const char *const st[] = { "installed", "active", "stopping" };
	char sid[33], p[400], a[CTL_ADDR_STR];
	struct twr_api_counters ctr;

	ctl_sid_hex(ss->sid, sid);
	snprintf(p, sizeof(p), "%s/test-session[sid='%s']", conn, sid);
	put(b, ctl_ip_str(&ss->spec.sender, a, sizeof(a)), "%s/sender-ip", p);
	put_u64(b, ss->spec.sender_port, p, "sender-udp-port");
	put(b, ctl_ip_str(&ss->spec.reflector, a, sizeof(a)), "%s/reflector-ip", p);
	put_u64(b, ss->port, p, "reflector-udp-port");
	put(b, sec[ss->spec.sec % 3], "%s/test-security", p);
	put(b, st[ss->state % 3], "%s/state", p);
	put(b, ss->spec.flags & TWR_SF_SYMMETRICAL ? "true" : "false", "%s/symmetrical-size", p);
	put_u64(b, ss->spec.reflect_len, p, "reflect-length");
	put_u64(b, ss->spec.dscp, p, "dscp");
	put_u64(b, ss->spec.timeout_ms, p, "timeout");
	if (ctl_dp_counters(c->env->dp, ss->sid, &ctr) != TWR_API_OK)
		return;
	put(b, st[ctr.state % 3], "%s/state", p);
	put_u64(b, ctr.rx, p, "received");
	put_u64(b, ctr.reflected, p, "reflected");
	put_u64(b, ctr.auth_fail, p, "auth-failures");
	put_u64(b, ctr.malformed, p, "malformed");
	put_u64(b, ctr.tx_drop, p, "tx-drops");
}

/* IKEv2Derived: the SA the connection's key came from */
static void ike_conn(struct builder *b, const char *p, const struct ctl_conn *c)
{
	char hex[17];

	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", c->spi_i[i]);
	put(b, hex, "%s/ike-spi-i", p);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", c->spi_r[i]);
	put(b, hex, "%s/ike-spi-r", p);
	if (c->ike_remote_id[0])
		put(b, c->ike_remote_id, "%s/ike-remote-id", p);
}

static void connection(struct builder *b, struct ctl_conn *c, uint64_t now)
{
	char p[300], peer[CTL_ADDR_STR], local[CTL_ADDR_STR], modes[200];

	snprintf(p, sizeof(p),
		 TOP "/server/ctrl-connection[client-ip='%s'][client-tcp-port='%u']"
		     "[server-ip='%s'][server-tcp-port='%u']",
		 ctl_ip_str(&c->peer, peer, sizeof(peer)), c->peer_port,
		 ctl_ip_str(&c->local, local, sizeof(local)), c->local_port);
	put(b, ctl_cs_str(c->state), "%s/control-state", p);
	mode_str(c->mode, modes, sizeof(modes));
	if (c->mode)
		put(b, modes, "%s/selected-mode", p);
	if (c->keyid[0])
		put(b, c->keyid, "%s/key-id", p);
	if (c->ike)
		ike_conn(b, p, c);
	put_u64(b, now > c->last_msg_ms ? (now - c->last_msg_ms) / 1000u : 0, p, "idle-time");
	for (size_t i = 0; i < c->nsess; i++)
		session(b, p, c, &c->sess[i]);
}

static void blocked(void *arg, const struct ctl_ip *ip, unsigned plen, uint32_t left_s)
{
	struct builder *b = arg;
	char a[CTL_ADDR_STR], p[200];

	snprintf(p, sizeof(p), TOP "/security-baseline/ip-block-list[blocked-ip='%s']",
		 ctl_ip_str(ip, a, sizeof(a)));
	put_u64(b, left_s > UINT16_MAX ? UINT16_MAX : left_s, p, "unblock-interval");
	put_u64(b, plen, p, "prefix-length");
}

/* What the log's rate limit did (log_limit.h). */
static void log_state(struct builder *b)
{
	const char *p = TOP "/security-baseline/log-security/statistics";
	const struct log_limit_stats *st;

	if (!b->src->log || !b->src->log->limit)
		return;
	st = log_limit_stats(b->src->log->limit);
	put_u64(b, st->written, p, "lines-written");
	put_u64(b, st->aggregated, p, "events-aggregated");
	put_u64(b, st->suppressed, p, "lines-suppressed");
	put_u64(b, st->summaries, p, "summary-lines");
}

static void server_state(struct builder *b, uint64_t now)
{
	const struct ctl_state_src *s = b->src;

	put(b, s->dp->reachable ? "true" : "false", TOP "/server/dataplane-reachable");
	put(b, s->ike_offered ? "true" : "false", TOP "/server/ikev2-derived/offered");
	put(b, s->ka_status, TOP "/server/ikev2-derived/key-agent-status");
	put_u64(b, s->auth_queue_depth, TOP "/server", "auth-queue-depth");
	for (int i = 0; i < CTL_C_COUNT; i++)
		put_u64(b, s->ctr->v[i], TOP "/server/statistics", ctl_counter_name((enum ctl_ctr)i));
	for (size_t i = 0; i < s->nconns; i++)
		connection(b, s->conns[i], now);
	ctl_guard_foreach_blocked(s->guard, now, blocked, b);
	put(b, s->guard->alarm_raised ? "true" : "false",
	    TOP "/security-baseline/login-failed-threshold-alarm/alarm-raised");
	put_u64(b, ctl_guard_alarm_count(s->guard, now),
		TOP "/security-baseline/login-failed-threshold-alarm", "failures-in-period");
	log_state(b);
}

char *ctl_state_json(const struct ctl_state_src *s)
{
	struct builder b = { .src = s };
	char *out = NULL;

	server_state(&b, s->now_ms);
	if (b.err || lyd_validate_all(&b.tree, NULL, LYD_VALIDATE_PRESENT, NULL) != LY_SUCCESS ||
	    lyd_print_mem(&out, b.tree, LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_EXPLICIT) !=
		    LY_SUCCESS) {
		const struct ly_err_item *e = ly_err_first(s->yctx);

		ctl_logf(s->log, LOG_ERR, "operational state: %s", e && e->msg ? e->msg : "libyang error");
		free(out);
		out = NULL;
	}
	lyd_free_all(b.tree);
	return out;
}
