/* The dataplane's configuration: load and validate the file with libyang,
 * check its security if it holds keys, and extract struct dp_config. */
#include "dp_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libyang/libyang.h>

#include "cfg_file.h"
#include "dp_config_priv.h"
#include "secure_mem.h"

/* an interface address: the host bits are the address */
static const struct cfg_prefix_list port_addr_list = {
	.xpath = "address", .name = "address", .plural = "addresses", .max = DP_MAX_ADDRS,
};

static int port_addrs(const struct lyd_node *p, struct dp_port_cfg *port,
		      struct cfg_err *e)
{
	char what[DP_NAME_LEN + 8];

	snprintf(what, sizeof(what), "port '%s'", port->name);
	return cfg_prefixes(p, &port_addr_list, what, port->addrs, &port->naddrs, e);
}

static int port_one(const struct lyd_node *p, struct dp_port_cfg *port, struct cfg_err *e)
{
	const char *name = cfg_str(p, "name"), *tap;
	unsigned long v;

	if (!name || cfg_copy(port->name, sizeof(port->name), name) != 0)
		return cfg_fail(e, "port: name missing or longer than %zu octets",
				sizeof(port->name) - 1);
	if (cfg_uint(p, "rx-queues", UINT16_MAX, &v, e, port->name) != 0)
		return -1;
	port->rx_queues = (uint16_t)v;
	if (cfg_uint(p, "rx-descriptors", UINT16_MAX, &v, e, port->name) != 0)
		return -1;
	port->rx_desc = (uint16_t)v;
	if (cfg_uint(p, "tx-descriptors", UINT16_MAX, &v, e, port->name) != 0)
		return -1;
	port->tx_desc = (uint16_t)v;
	tap = cfg_str(p, "exception-interface");
	if (tap && cfg_copy(port->tap_name, sizeof(port->tap_name), tap) != 0)
		return cfg_fail(e, "port '%s': exception-interface longer than %zu octets",
				port->name, sizeof(port->tap_name) - 1);
	return port_addrs(p, port, e);
}

static int dataplane_ports(const struct lyd_node *top, struct dp_config *cfg,
			   struct cfg_err *e)
{
	struct ly_set *set = NULL;
	uint32_t i;
	int rc = 0;

	if (lyd_find_xpath(top, "dataplane/port", &set) != LY_SUCCESS)
		return cfg_fail(e, "cannot read the dataplane ports");
	if (set->count == 0)
		rc = cfg_fail(e, "dataplane: no port configured");
	else if (set->count > DP_MAX_PORTS)
		rc = cfg_fail(e, "dataplane: %u ports, at most %d", set->count, DP_MAX_PORTS);
	for (i = 0; rc == 0 && i < set->count; i++)
		rc = port_one(set->dnodes[i], &cfg->ports[i], e);
	if (rc == 0)
		cfg->nports = set->count;
	ly_set_free(set, NULL);
	return rc;
}

static int dataplane_workers(const struct lyd_node *top, struct dp_config *cfg,
			     struct cfg_err *e)
{
	struct ly_set *set = NULL;
	uint32_t i;
	int rc = 0;

	/* a user-ordered leaf-list: the set is in configured order */
	if (lyd_find_xpath(top, "dataplane/worker-lcore", &set) != LY_SUCCESS)
		return cfg_fail(e, "cannot read worker-lcore");
	if (set->count > DP_MAX_WORKERS)
		rc = cfg_fail(e, "dataplane: %u worker lcores, at most %d", set->count,
			      DP_MAX_WORKERS);
	for (i = 0; rc == 0 && i < set->count; i++) {
		unsigned long v;

		rc = cfg_uint(set->dnodes[i], ".", UINT16_MAX, &v, e, "worker-lcore");
		cfg->worker_lcores[i] = (unsigned)v;
	}
	if (rc == 0)
		cfg->nworkers = set->count;
	ly_set_free(set, NULL);
	return rc;
}

static int dataplane_scalars(const struct lyd_node *top, struct dp_config *cfg,
			     struct cfg_err *e)
{
	const char *sock = cfg_str(top, "dataplane/session-socket");
	const char *err_s = cfg_str(top, "dataplane/clock/error-estimate");
	unsigned long v;
	char *end;

	if (!sock || cfg_copy(cfg->session_socket, sizeof(cfg->session_socket), sock) != 0)
		return cfg_fail(e, "dataplane: session-socket missing or longer than %zu octets",
				sizeof(cfg->session_socket) - 1);
	if (cfg_uint(top, "dataplane/max-sessions", UINT32_MAX, &v, e, "dataplane") != 0)
		return -1;
	cfg->max_sessions = (uint32_t)v;
	if (cfg_uint(top, "dataplane/burst-size", UINT16_MAX, &v, e, "dataplane") != 0)
		return -1;
	cfg->burst = (uint16_t)v;
	if (cfg_uint(top, "dataplane/mbufs", UINT32_MAX, &v, e, "dataplane") != 0)
		return -1;
	cfg->mbufs = (uint32_t)v;
	cfg->stage_cycles = cfg_bool(top, "dataplane/stage-cycles");
	cfg->non_dumpable = cfg_bool(top, "security-baseline/memory-security/non-dumpable");
	if (cfg_uint(top, "session-reflector/refwait", UINT32_MAX, &v, e, "session-reflector") != 0)
		return -1;
	cfg->refwait_s = (uint32_t)v;
	cfg->clock_synced = cfg_bool(top, "dataplane/clock/synchronized");
	if (!err_s)
		return cfg_fail(e, "dataplane: clock error-estimate missing");
	cfg->clock_error_s = strtod(err_s, &end);
	if (*end || end == err_s)
		return cfg_fail(e, "dataplane: clock error-estimate \"%s\" unparsable", err_s);
	return 0;
}

/* The session API: its socket's group, the idle timeout, and the test port
 * range of the server (the same file), which the port policy reads. */
static int dataplane_api(const struct lyd_node *top, struct dp_config *cfg, struct cfg_err *e)
{
	const char *grp = cfg_str(top, "dataplane/session-socket-group");
	unsigned long idle, pmin, pmax;

	if (grp && cfg_copy(cfg->session_socket_group, sizeof(cfg->session_socket_group), grp) != 0)
		return cfg_fail(e, "dataplane: session-socket-group too long");
	if (cfg_uint(top, "dataplane/session-api-idle-timeout", UINT32_MAX, &idle, e,
		     "dataplane") != 0 ||
	    cfg_uint(top, "server/test-port-min", UINT16_MAX, &pmin, e, "server") != 0 ||
	    cfg_uint(top, "server/test-port-max", UINT16_MAX, &pmax, e, "server") != 0)
		return -1;
	cfg->api_idle_s = (uint32_t)idle;
	cfg->test_port_min = (uint16_t)pmin;
	cfg->test_port_max = (uint16_t)pmax;
	return 0;
}

static int extract(const struct lyd_node *tree, void *arg, const char *path, char *err,
		   size_t errlen)
{
	struct dp_config *cfg = arg;
	struct cfg_err err_ctx = { .file = path, .buf = err, .len = errlen };
	struct cfg_err *e = &err_ctx;
	struct lyd_node *top = NULL;

	if (!tree || lyd_find_path(tree, CFG_TOP, 0, &top) != LY_SUCCESS || !top)
		return cfg_fail(e, "no twamp-reflector configuration (no dataplane port)");
	if (dataplane_scalars(top, cfg, e) != 0 || dataplane_api(top, cfg, e) != 0 ||
	    dataplane_workers(top, cfg, e) != 0 || dataplane_ports(top, cfg, e) != 0)
		return -1;
	return dpc_light(top, cfg, e);
}

int dp_config_load(const char *path, struct dp_config *cfg, char *err, size_t errlen)
{
	/* in a child: libyang's copies of the secrets never live here */
	static const struct cfg_load_opts opts = { .isolate_size = sizeof(struct dp_config) };
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = cfg_load(path, &opts, extract, cfg, err, errlen);
	if (rc != 0)
		dp_config_wipe(cfg);
	return rc;
}

void dp_config_wipe(struct dp_config *cfg)
{
	size_t i;

	for (i = 0; i < DP_MAX_LIGHT; i++)
		wipe(&cfg->light[i].keys, sizeof(cfg->light[i].keys));
}
