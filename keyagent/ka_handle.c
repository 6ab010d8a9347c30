/* One request, start to end (see ka_handle.h). */
#include "ka_handle.h"

#include <string.h>

#include "keyagent_client.h"

static void refuse(struct ka_reply *rep, struct ka_audit_rec *rec, uint8_t type,
		   enum ka_status st, const char *why)
{
	ka_reply_error(rep, type, st);
	rec->status = (uint8_t)st;
	rec->reason = why;
}

/* Why the policy said no, for the audit line. */
static const char *denial(const struct ka_policy *pol, const struct ka_caller *c, uint8_t type)
{
	if (!ka_policy_permits(pol, c->uid, c->gid, KA_PING, NULL))
		return "caller not in policy";
	if (!ka_policy_permits(pol, c->uid, c->gid, type, NULL))
		return "lookup kind not allowed for this caller";
	return "peer outside the caller's policy";
}

/* The plugin's answer, as the caller will see it. */
static enum ka_status plugin_status(enum ka_status st, const char **why)
{
	switch (st) {
	case KA_NO_AGENT:
		*why = "charon's ippm plugin unreachable";
		return KA_AGENT_DOWN;
	case KA_MALFORMED:
	case KA_BAD_VERSION:
		*why = "the plugin's reply was not understood (version?)";
		return KA_INTERNAL;
	case KA_INTERNAL:
		*why = "the plugin could not compute the key";
		return KA_INTERNAL;
	case KA_NO_SA:
		*why = "no established IKEv2 SA";
		return KA_NO_SA;
	default:
		return st;
	}
}

static void lookup(const struct ka_config *cfg, const struct ka_caller *c,
		   const struct ka_request *req, struct ka_reply *rep, struct ka_audit_rec *rec)
{
	const struct ka_rule *r;
	const char *why = NULL;
	enum ka_status st;

	st = ka_call(KA_LEG_PLUGIN, cfg->plugin_socket, req, (int)cfg->plugin_timeout_ms, rep);
	st = plugin_status(st, &why);
	if (st != KA_OK) {
		refuse(rep, rec, req->type, st, why);
		return;
	}
	if (req->type == KA_PING) {
		rec->status = KA_OK;
		return;
	}
	rec->prf = rep->prf;
	rec->remote = rep->remote;
	memcpy(rec->remote_id, rep->remote_id, sizeof(rec->remote_id));
	/* an SPI lookup learns the peer only now */
	r = ka_policy_permits(&cfg->policy, c->uid, c->gid, req->type, &rep->remote);
	if (!r) {
		rec->rule = NULL;
		refuse(rep, rec, req->type, KA_NOT_PERMITTED, "IKE peer outside the caller's policy");
		return;
	}
	rec->rule = r->name;
	rec->status = KA_OK;
}

void ka_handle(const struct ka_config *cfg, const struct ka_caller *caller, const uint8_t *buf,
	       size_t len, const char *transport, struct ka_reply *rep, struct ka_audit_rec *rec)
{
	const struct ka_rule *rule;
	struct ka_request req;
	const char *why = NULL;
	enum ka_status st;

	memset(rec, 0, sizeof(*rec));
	rec->caller = *caller;
	if (transport) {
		rec->type = len > 5 ? buf[5] : 0;
		refuse(rep, rec, 0, KA_MALFORMED, transport);
		return;
	}
	st = ka_request_decode(KA_LEG_AGENT, buf, len, &req, &why);
	rec->type = req.type;
	if (st != KA_OK) {
		refuse(rep, rec, 0, st, why);
		return;
	}
	rec->has_spis = req.type == KA_LOOKUP_SPI;
	memcpy(rec->spi_i, req.spi_i, KA_SPI_LEN);
	memcpy(rec->spi_r, req.spi_r, KA_SPI_LEN);
	rec->peer = req.peer;
	rule = ka_policy_permits(&cfg->policy, caller->uid, caller->gid, req.type,
				 req.type == KA_LOOKUP_PEER ? &req.peer : NULL);
	if (!rule) {
		refuse(rep, rec, req.type, KA_NOT_PERMITTED, denial(&cfg->policy, caller, req.type));
		return;
	}
	rec->rule = rule->name;
	lookup(cfg, caller, &req, rep, rec);
}
