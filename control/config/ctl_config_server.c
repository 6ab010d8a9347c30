/* The server container: listening, SERVWAIT, PBKDF2 count, modes, test
 * ports, the connection limits and the key agent (RFC 7717). */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cfg_read.h"
#include "ctl_config_priv.h"
#include "kdf.h"

/* twamp-modes bit names, by position (RFC 8913). */
static const char *const mode_names[] = {
	"unauthenticated", "authenticated", "encrypted", "unauth-test-encrypt-control",
	"individual-session-control", "reflect-octets", "symmetrical-size", "IKEv2Derived",
};

/* libyang's canonical bits value: names separated by single spaces. */
static int parse_modes(const char *s, uint32_t *modes, struct cfg_err *e)
{
	size_t i, n;

	*modes = 0;
	while (*s) {
		n = strcspn(s, " ");
		for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
			if (strlen(mode_names[i]) == n && memcmp(s, mode_names[i], n) == 0)
				break;
		if (i == sizeof(mode_names) / sizeof(mode_names[0]))
			return cfg_fail(e, "server: modes: unknown bit \"%.*s\"", (int)n, s);
		*modes |= 1u << i;
		s += n;
		while (*s == ' ')
			s++;
	}
	return 0;
}

static int parse_addr(const char *s, struct ctl_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->ipver = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->ipver = 6;
		return 0;
	}
	return -1;
}

static int listen_addrs(const struct lyd_node *top, struct ctl_server_cfg *s, struct cfg_err *e)
{
	struct ly_set *set = NULL;
	uint32_t i;
	int rc = 0;

	if (lyd_find_xpath(top, "server/listen-address", &set) != LY_SUCCESS)
		return cfg_fail(e, "server: cannot read listen-address");
	if (set->count > CTL_MAX_LISTEN)
		rc = cfg_fail(e, "server: %u listen-address entries, at most %d", set->count,
			      CTL_MAX_LISTEN);
	for (i = 0; rc == 0 && i < set->count; i++) {
		const char *a = lyd_get_value(set->dnodes[i]);

		/* inet:ip-address allows a zone; a listening socket here has none */
		if (strchr(a, '%'))
			rc = cfg_fail(e, "server: listen-address \"%s\": zones are not supported", a);
		else if (parse_addr(a, &s->listen[i]) != 0)
			rc = cfg_fail(e, "server: listen-address \"%s\" is not an address", a);
	}
	if (rc == 0)
		s->nlisten = set->count;
	ly_set_free(set, NULL);
	return rc;
}

/* One unsigned leaf of the server container, at most max. */
static int srv_uint(const struct lyd_node *top, const char *leaf, unsigned long max,
		    unsigned long *v, struct cfg_err *e)
{
	char xpath[96];

	snprintf(xpath, sizeof(xpath), "server/%s", leaf);
	return cfg_uint(top, xpath, max, v, e, "server");
}

static int server_numbers(const struct lyd_node *top, struct ctl_server_cfg *s,
			  struct cfg_err *e)
{
	unsigned long port, dscp, cnt, maxc, pmin, pmax;

	if (srv_uint(top, "server-tcp-port", UINT16_MAX, &port, e) != 0 ||
	    srv_uint(top, "control-packet-dscp", 63, &dscp, e) != 0 ||
	    srv_uint(top, "count", TW_COUNT_MAX_EXP, &cnt, e) != 0 ||
	    srv_uint(top, "max-count-exponent", TW_COUNT_MAX_EXP, &maxc, e) != 0 ||
	    srv_uint(top, "test-port-min", UINT16_MAX, &pmin, e) != 0 ||
	    srv_uint(top, "test-port-max", UINT16_MAX, &pmax, e) != 0)
		return -1;
	s->tcp_port = (uint16_t)port;
	s->control_dscp = (uint8_t)dscp;
	s->count = (uint8_t)cnt;
	s->max_count_exponent = (uint8_t)maxc;
	s->test_port_min = (uint16_t)pmin;
	s->test_port_max = (uint16_t)pmax;
	return 0;
}

static int server_limits(const struct lyd_node *top, struct ctl_server_cfg *s,
			 struct cfg_err *e)
{
	static const struct {
		const char *leaf;
		size_t off;
	} u32[] = {
		{ "servwait", offsetof(struct ctl_server_cfg, servwait_s) },
		{ "test-timeout", offsetof(struct ctl_server_cfg, test_timeout_ms) },
		{ "max-connections", offsetof(struct ctl_server_cfg, max_connections) },
		{ "max-connections-per-client", offsetof(struct ctl_server_cfg, max_conn_per_client) },
		{ "max-pending-authentication", offsetof(struct ctl_server_cfg, max_pending_auth) },
		{ "authentication-timeout", offsetof(struct ctl_server_cfg, auth_timeout_s) },
		{ "open-idle-timeout", offsetof(struct ctl_server_cfg, open_idle_s) },
		{ "max-sessions-per-connection", offsetof(struct ctl_server_cfg, max_sessions_per_conn) },
		{ "auth-workers", offsetof(struct ctl_server_cfg, auth_workers) },
	};
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(u32) / sizeof(u32[0]); i++) {
		if (srv_uint(top, u32[i].leaf, UINT32_MAX, &v, e) != 0)
			return -1;
		*(uint32_t *)((char *)s + u32[i].off) = (uint32_t)v;
	}
	if (cfg_uint(top, "session-reflector/refwait", UINT32_MAX, &v, e, "session-reflector") != 0)
		return -1;
	s->refwait_s = (uint32_t)v;
	return 0;
}

/* server/ikev2-derived; IKEv2Derived replaces the shared secret, so it
 * needs a mode that uses one. */
static int server_ikev2(const struct lyd_node *top, struct ctl_server_cfg *s, struct cfg_err *e)
{
	const char *sock = cfg_str(top, "server/ikev2-derived/key-agent-socket");
	unsigned long to;

	if ((s->modes & CTL_MODE_IKEV2) &&
	    !(s->modes & (CTL_MODE_AUTH | CTL_MODE_ENCRYPTED | CTL_MODE_MIXED)))
		return cfg_fail(e, "server: modes: IKEv2Derived needs authenticated, encrypted or "
			       "unauth-test-encrypt-control");
	if (!sock || strlen(sock) >= sizeof(s->ka_socket))
		return cfg_fail(e, "server: ikev2-derived: key-agent-socket missing or too long");
	if (cfg_uint(top, "server/ikev2-derived/key-agent-timeout", 3000, &to, e,
		     "server") != 0)
		return -1;
	snprintf(s->ka_socket, sizeof(s->ka_socket), "%s", sock);
	s->ka_timeout_ms = (uint32_t)to;
	s->ike_check_peer = cfg_bool(top, "server/ikev2-derived/check-peer-address");
	return 0;
}

/* server/user and server/group: who the server runs as once its sockets are open */
static int server_run_as(const struct lyd_node *top, struct ctl_server_cfg *s, struct cfg_err *e)
{
	const char *user = cfg_str(top, "server/user"), *group = cfg_str(top, "server/group");

	if ((user && cfg_copy(s->user, sizeof(s->user), user) != 0) ||
	    (group && cfg_copy(s->group, sizeof(s->group), group) != 0))
		return cfg_fail(e, "server: user or group name too long");
	return 0;
}

int ctlc_server(const struct lyd_node *top, struct ctl_server_cfg *s, struct cfg_err *e)
{
	const char *modes = cfg_str(top, "server/modes");

	s->admin_state = cfg_bool(top, "server/admin-state");
	s->allow_other_test_peer = cfg_bool(top, "server/allow-test-peer-other-than-control-peer");
	if (!modes)
		return cfg_fail(e, "server: modes missing");
	if (parse_modes(modes, &s->modes, e) != 0 || server_numbers(top, s, e) != 0 ||
	    server_limits(top, s, e) != 0 || server_ikev2(top, s, e) != 0 ||
	    server_run_as(top, s, e) != 0)
		return -1;
	return listen_addrs(top, s, e);
}
