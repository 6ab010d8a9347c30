/* Loading the agent's configuration: the project's libyang context plus
 * the twamp-keyagent module, strict parse, file-security check, then the
 * extraction of settings and policy. */
#include "ka_config.h"

#include <stdio.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cfg_file.h"
#include "cfg_prefix.h"
#include "cfg_read.h"

#define KA_MODULE "twamp-keyagent"
#define KA_TOP "/twamp-keyagent:twamp-keyagent"

static int copy_leaf(const struct lyd_node *top, const char *leaf, char *dst, size_t len,
		     struct cfg_err *e)
{
	const char *v = cfg_str(top, leaf);

	dst[0] = '\0';
	if (v && cfg_copy(dst, len, v) != 0)
		return cfg_fail(e, "%s: too long", leaf);
	return 0;
}

static int audit_rate(const struct lyd_node *top, struct ka_audit_rate *r, struct cfg_err *e)
{
	unsigned long iv, pc, ps, bu;

	if (cfg_uint(top, "audit-rate-limit/aggregate-interval", 3600, &iv, e, KA_MODULE) ||
	    cfg_uint(top, "audit-rate-limit/lines-per-caller", 1000, &pc, e, KA_MODULE) ||
	    cfg_uint(top, "audit-rate-limit/lines-per-second", 100000, &ps, e, KA_MODULE) ||
	    cfg_uint(top, "audit-rate-limit/burst", 1000000, &bu, e, KA_MODULE))
		return -1;
	*r = (struct ka_audit_rate){ (unsigned)iv, (unsigned)pc, (unsigned)ps, (unsigned)bu };
	return 0;
}

static int settings(const struct lyd_node *top, struct ka_config *c, struct cfg_err *e)
{
	unsigned long pt, rt, mc;

	if (copy_leaf(top, "socket", c->socket, sizeof(c->socket), e) ||
	    copy_leaf(top, "socket-group", c->socket_group, sizeof(c->socket_group), e) ||
	    copy_leaf(top, "plugin-socket", c->plugin_socket, sizeof(c->plugin_socket), e) ||
	    copy_leaf(top, "user", c->user, sizeof(c->user), e) ||
	    copy_leaf(top, "group", c->group, sizeof(c->group), e) ||
	    copy_leaf(top, "audit-log", c->audit_log, sizeof(c->audit_log), e) ||
	    cfg_uint(top, "plugin-timeout", 10000, &pt, e, KA_MODULE) ||
	    cfg_uint(top, "request-timeout", 10000, &rt, e, KA_MODULE) ||
	    cfg_uint(top, "max-clients", 256, &mc, e, KA_MODULE) ||
	    audit_rate(top, &c->audit_rate, e))
		return -1;
	c->plugin_timeout_ms = (unsigned)pt;
	c->request_timeout_ms = (unsigned)rt;
	c->max_clients = (unsigned)mc;
	if (!c->socket[0] || !c->plugin_socket[0])
		return cfg_fail(e, "socket and plugin-socket are needed");
	if (strcmp(c->socket, c->plugin_socket) == 0)
		return cfg_fail(e, "socket and plugin-socket are the same file");
	return 0;
}

static int lookups(const struct lyd_node *cl, struct ka_rule *r, struct cfg_err *e)
{
	struct ly_set *set = NULL;

	if (lyd_find_xpath(cl, "lookup", &set) != LY_SUCCESS)
		return cfg_fail(e, "client %s: cannot read lookup", r->name);
	for (uint32_t i = 0; i < set->count; i++) {
		const char *v = lyd_get_value(set->dnodes[i]);

		r->allow_spi |= strcmp(v, "spi") == 0;
		r->allow_peer |= strcmp(v, "peer") == 0;
	}
	ly_set_free(set, NULL);
	return 0;
}

static const struct cfg_prefix_list peer_list = {
	.xpath = "peer-prefix", .name = "peer-prefix", .plural = "peer-prefix entries",
	.zero_host = true, .min = 1, .max = KA_MAX_PREFIXES,
};

static int prefixes(const struct lyd_node *cl, struct ka_rule *r, struct cfg_err *e)
{
	char what[KA_RULE_NAME + 8];

	snprintf(what, sizeof(what), "client %s", r->name);
	return cfg_prefixes(cl, &peer_list, what, r->prefixes, &r->nprefixes, e);
}

static int client(const struct lyd_node *cl, struct ka_rule *r, struct cfg_err *e)
{
	unsigned long v;

	if (copy_leaf(cl, "name", r->name, sizeof(r->name), e) != 0)
		return -1;
	if (cfg_str(cl, "uid")) {
		if (cfg_uint(cl, "uid", UINT32_MAX, &v, e, r->name) != 0)
			return -1;
		r->has_uid = true;
		r->uid = (uint32_t)v;
	}
	if (cfg_str(cl, "gid")) {
		if (cfg_uint(cl, "gid", UINT32_MAX, &v, e, r->name) != 0)
			return -1;
		r->has_gid = true;
		r->gid = (uint32_t)v;
	}
	if (!r->has_uid && !r->has_gid)
		return cfg_fail(e, "client %s: needs a uid or a gid", r->name);
	if (lookups(cl, r, e) != 0 || prefixes(cl, r, e) != 0)
		return -1;
	if (!r->allow_spi && !r->allow_peer)
		return cfg_fail(e, "client %s: no lookup allowed", r->name);
	return 0;
}

static int policy(const struct lyd_node *top, struct ka_policy *pol, struct cfg_err *e)
{
	struct ly_set *set = NULL;
	int rc = 0;

	if (lyd_find_xpath(top, "client", &set) != LY_SUCCESS)
		return cfg_fail(e, "cannot read the client list");
	if (set->count > KA_MAX_RULES)
		rc = cfg_fail(e, "%u client entries, at most %d", set->count, KA_MAX_RULES);
	for (uint32_t i = 0; rc == 0 && i < set->count; i++)
		rc = client(set->dnodes[i], &pol->rules[i], e);
	if (rc == 0)
		pol->nrules = set->count;
	ly_set_free(set, NULL);
	return rc;
}

static int extract(const struct lyd_node *tree, void *arg, const char *path, char *err,
		   size_t errlen)
{
	struct cfg_err e = { .file = path, .buf = err, .len = errlen };
	struct ka_config *cfg = arg;
	struct lyd_node *top = NULL;

	if (!tree || lyd_find_path(tree, KA_TOP, 0, &top) != LY_SUCCESS || !top)
		return cfg_fail(&e, "no twamp-keyagent configuration");
	if (settings(top, cfg, &e) != 0)
		return -1;
	return policy(top, &cfg->policy, &e);
}

int ka_config_load(const char *path, struct ka_config *cfg, char *err, size_t errlen)
{
	/* the file decides who gets keys: always the file-security rule */
	static const struct cfg_load_opts opts = { .module = KA_MODULE, .always_secret = true };
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = cfg_load(path, &opts, extract, cfg, err, errlen);
	if (rc != 0)
		memset(cfg, 0, sizeof(*cfg));
	return rc;
}
