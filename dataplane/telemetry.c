#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "api_server.h"
#include "dp_log.h"
#include "telemetry.h"

/* Telemetry accepts only [A-Za-z0-9_/] in names: map anything else to '_'. */
static void tel_name(const char *in, char *out, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && in[i] != '\0'; i++)
		out[i] = (isalnum((unsigned char)in[i]) || in[i] == '/') ? in[i] : '_';
	out[i] = '\0';
}

/* Hand a container to the reply; free it if the reply refuses it. */
static void tel_add_container(struct rte_tel_data *d, const char *name, struct rte_tel_data *c)
{
	if (rte_tel_data_add_dict_container(d, name, c, 0) != 0)
		rte_tel_data_free(c);
}

static struct dp_worker *tw_workers;
static unsigned tw_nworkers;

void dp_counters_sum(struct dp_gcounters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned w = 0; w < tw_nworkers; w++) {
		const struct dp_gcounters *c = tw_workers[w].gc;
#define DP_CTR_SUM(n, h) out->n += __atomic_load_n(&c->n, __ATOMIC_RELAXED);
		DP_GLOBAL_COUNTERS(DP_CTR_SUM)
#undef DP_CTR_SUM
	}
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_gcounters g;

	(void)cmd;
	(void)params;
	dp_counters_sum(&g);
	rte_tel_data_start_dict(d);
#define DP_CTR_ADD(n, h) rte_tel_data_add_dict_u64(d, #n, g.n);
	DP_GLOBAL_COUNTERS(DP_CTR_ADD)
#undef DP_CTR_ADD
	/* read without the main lcore's cooperation: racy by one update at most */
	rte_tel_data_add_dict_u64(d, "sessions", dp_sess.count);
	rte_tel_data_add_dict_u64(d, "max_sessions", dp_sess.max);
	rte_tel_data_add_dict_u64(d, "api_requests", api_stats.requests);
	rte_tel_data_add_dict_u64(d, "api_invalid", api_stats.invalid);
	rte_tel_data_add_dict_u64(d, "api_refused", api_stats.refused);
	rte_tel_data_add_dict_u64(d, "api_peer_refused", api_stats.peer_refused);
	rte_tel_data_add_dict_u64(d, "api_idle_closed", api_stats.idle_closed);
	rte_tel_data_add_dict_u64(d, "api_port_refused", api_stats.port_refused);
	return 0;
}

static int cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned w = 0; w < tw_nworkers; w++) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		const struct dp_worker *wk = &tw_workers[w];
		char name[16];

		if (c == NULL)
			return -1;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", wk->lcore);
		rte_tel_data_add_dict_u64(c, "port", wk->port->port_id);
		rte_tel_data_add_dict_u64(c, "queue", wk->queue);
		rte_tel_data_add_dict_u64(c, "rx_packets", wk->gc->rx_packets);
		rte_tel_data_add_dict_u64(c, "busy_cycles", wk->busy_cycles);
		rte_tel_data_add_dict_u64(c, "busy_packets", wk->busy_packets);
		rte_tel_data_add_dict_u64(c, "busy_bursts", wk->busy_bursts);
		rte_tel_data_add_dict_u64(c, "cycles_per_packet",
					  wk->busy_packets ? wk->busy_cycles / wk->busy_packets : 0);
		if (wk->stages_on) {
#define DP_STAGE_ADD(n) rte_tel_data_add_dict_u64(c, "stage_" #n "_cycles", wk->stage_cycles[DP_ST_##n]);
			DP_STAGES(DP_STAGE_ADD)
#undef DP_STAGE_ADD
		}
		snprintf(name, sizeof(name), "%u", w);
		tel_add_container(d, name, c);
	}
	return 0;
}

static void sid_hex(const uint8_t *sid, char *out)
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", sid[i]);
}

static int cmd_sessions(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (uint32_t i = 0; i < dp_sess.max; i++) {
		char sid[33];

		if (!dp_sess.slots[i].in_use)
			continue;
		sid_hex(dp_sess.slots[i].sid, sid);
		if (rte_tel_data_add_array_string(d, sid) != 0)
			break; /* the reply is full (RTE_TEL_MAX_ARRAY_ENTRIES) */
	}
	return 0;
}

static int cmd_session(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const states[] = { "installed", "active", "stopping" };
	char addr[64];

	(void)cmd;
	if (params == NULL || strlen(params) != 32)
		return -1;
	for (uint32_t i = 0; i < dp_sess.max; i++) {
		const struct dp_session *s = &dp_sess.slots[i];
		struct dp_scounters c;
		char sid[33];

		if (!s->in_use)
			continue;
		sid_hex(s->sid, sid);
		if (strcasecmp(sid, params) != 0)
			continue;
		sessions_sum(i, &c);
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "sid", sid);
		rte_tel_data_add_dict_string(d, "state", states[s->state % 3]);
		rte_tel_data_add_dict_string(d, "mode", s->sec == TW_SEC_OPEN ? "open"
						: s->sec == TW_SEC_AUTH ? "authenticated" : "encrypted");
		rte_tel_data_add_dict_string(d, "sender", dp_addr_str(s->key.ipver, s->key.peer, addr, sizeof(addr)));
		rte_tel_data_add_dict_u64(d, "sender_port", s->key.peer_port);
		rte_tel_data_add_dict_string(d, "reflector", dp_addr_str(s->key.ipver, s->key.local, addr, sizeof(addr)));
		rte_tel_data_add_dict_u64(d, "reflector_port", s->key.local_port);
		rte_tel_data_add_dict_u64(d, "received", c.rx);
		rte_tel_data_add_dict_u64(d, "reflected", c.reflected);
		rte_tel_data_add_dict_u64(d, "auth_failures", c.auth_fail);
		rte_tel_data_add_dict_u64(d, "malformed", c.malformed);
		rte_tel_data_add_dict_u64(d, "tx_drops", c.tx_drop);
		return 0;
	}
	return -1;
}

static int cmd_light(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < dp_light.n; i++) {
		const struct dp_light_cfg *c = dp_light.l[i].cfg;
		struct rte_tel_data *e = rte_tel_data_alloc();
		char name[DP_NAME_LEN];

		if (e == NULL)
			return -1;
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_u64(e, "udp_port", c->port);
		rte_tel_data_add_dict_string(e, "mode", c->sec == TW_SEC_OPEN ? "unauthenticated"
						: c->sec == TW_SEC_AUTH ? "authenticated" : "encrypted");
		rte_tel_data_add_dict_string(e, "state", c->state == DP_LIGHT_STATEFUL ? "stateful" : "stateless");
		rte_tel_data_add_dict_u64(e, "allowed_prefixes", c->nallowed);
		rte_tel_data_add_dict_string(e, "name", c->name);
		tel_name(c->name, name, sizeof(name));
		tel_add_container(d, name, e);
	}
	return 0;
}

int telemetry_register(struct dp_worker *workers, unsigned nworkers)
{
	tw_workers = workers;
	tw_nworkers = nworkers;
	if (rte_telemetry_register_cmd("/twamp/stats", cmd_stats, "Global reflector counters") ||
	    rte_telemetry_register_cmd("/twamp/workers", cmd_workers, "Per-worker load") ||
	    rte_telemetry_register_cmd("/twamp/sessions", cmd_sessions, "SIDs of installed sessions") ||
	    rte_telemetry_register_cmd("/twamp/session", cmd_session,
				       "One session's counters. Parameters: SID in hex") ||
	    rte_telemetry_register_cmd("/twamp/light", cmd_light, "TWAMP Light reflectors"))
		return -1;
	return 0;
}
