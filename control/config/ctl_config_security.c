/* The security-baseline container: control ACL, ip-block, failed-login
 * alarm, log security, file security and memory security. */
#include <stdint.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cfg_prefix.h"
#include "ctl_config_priv.h"

#define SB "security-baseline/"

static const struct cfg_prefix_list acl_list = {
	.xpath = SB "control-acl/permit-prefix", .name = "permit-prefix",
	.plural = "permit-prefix entries", .zero_host = true, .max = CTL_MAX_PREFIXES,
};

static int acl(const struct lyd_node *top, struct ctl_security_cfg *s, struct cfg_err *e)
{
	return cfg_prefixes(top, &acl_list, "control-acl", s->acl, &s->nacl, e);
}

static int numbers(const struct lyd_node *top, struct ctl_security_cfg *s, struct cfg_err *e)
{
	unsigned long ft, fp, rt, l4, l6, up, lo, per;

	if (cfg_uint(top, SB "ip-block/failed-times", UINT8_MAX, &ft, e, "ip-block") != 0 ||
	    cfg_uint(top, SB "ip-block/failed-period", UINT16_MAX, &fp, e, "ip-block") != 0 ||
	    cfg_uint(top, SB "ip-block/reactive-time", UINT16_MAX, &rt, e, "ip-block") != 0 ||
	    cfg_uint(top, SB "ip-block/ipv4-prefix-length", 32, &l4, e, "ip-block") != 0 ||
	    cfg_uint(top, SB "ip-block/ipv6-prefix-length", 128, &l6, e, "ip-block") != 0 ||
	    cfg_uint(top, SB "login-failed-threshold-alarm/upper-limit", UINT8_MAX, &up, e,
		     "login-failed-threshold-alarm") != 0 ||
	    cfg_uint(top, SB "login-failed-threshold-alarm/lower-limit", UINT8_MAX, &lo, e,
		     "login-failed-threshold-alarm") != 0 ||
	    cfg_uint(top, SB "login-failed-threshold-alarm/period", UINT16_MAX, &per, e,
		     "login-failed-threshold-alarm") != 0)
		return -1;
	s->block_failed_times = (uint8_t)ft;
	s->block_failed_period_s = (uint16_t)fp;
	s->block_reactive_s = (uint16_t)rt;
	s->source_v4_len = (uint8_t)l4;
	s->source_v6_len = (uint8_t)l6;
	s->alarm_upper = (uint8_t)up;
	s->alarm_lower = (uint8_t)lo;
	s->alarm_period_s = (uint16_t)per;
	return 0;
}

static int log_rate(const struct lyd_node *top, struct ctl_log_rate *r, struct cfg_err *e)
{
	unsigned long iv, ps, lps, bu;

	if (cfg_uint(top, SB "log-security/rate-limit/aggregate-interval", 3600, &iv, e,
		     "log-security") != 0 ||
	    cfg_uint(top, SB "log-security/rate-limit/lines-per-source", 1000, &ps, e,
		     "log-security") != 0 ||
	    cfg_uint(top, SB "log-security/rate-limit/lines-per-second", 100000, &lps, e,
		     "log-security") != 0 ||
	    cfg_uint(top, SB "log-security/rate-limit/burst", 1000000, &bu, e, "log-security") != 0)
		return -1;
	*r = (struct ctl_log_rate){ (uint32_t)iv, (uint32_t)ps, (uint32_t)lps, (uint32_t)bu };
	return 0;
}

/* The log key: its own leaf, binary (libyang has decoded the base64). */
static int log_key(const struct lyd_node *top, struct ctl_security_cfg *s, struct cfg_err *e)
{
	struct lyd_node *leaf = NULL;
	struct lyd_value_binary *bin;

	if (cfg_str(top, SB "log-security/hash-chain-key-id"))
		return cfg_fail(e, "log-security: hash-chain-key-id is no longer used: a key-chain "
				   "secret is a login; set log-key (and rotate the local log)");
	if (lyd_find_path(top, SB "log-security/log-key", 0, &leaf) != LY_SUCCESS || !leaf)
		return 0;
	LYD_VALUE_GET(&((struct lyd_node_term *)leaf)->value, bin);
	if (!bin || bin->size == 0 || bin->size > sizeof(s->log_key))
		return cfg_fail(e, "log-security: log-key must be 16 to %zu octets", sizeof(s->log_key));
	memcpy(s->log_key, bin->data, bin->size);
	s->log_key_len = bin->size;
	return 0;
}

static int logging(const struct lyd_node *top, struct ctl_security_cfg *s, struct cfg_err *e)
{
	const char *file = cfg_str(top, SB "log-security/local-log-file");
	const char *anchor = cfg_str(top, SB "log-security/anchor-file");
	unsigned long ai;

	s->log_syslog = cfg_bool(top, SB "log-security/syslog");
	s->log_hash_chain = cfg_bool(top, SB "log-security/hash-chain");
	if (file && cfg_copy(s->log_file, sizeof(s->log_file), file) != 0)
		return cfg_fail(e, "log-security: local-log-file longer than %zu octets",
				sizeof(s->log_file) - 1);
	if (anchor && cfg_copy(s->anchor_file, sizeof(s->anchor_file), anchor) != 0)
		return cfg_fail(e, "log-security: anchor-file longer than %zu octets",
				sizeof(s->anchor_file) - 1);
	if (!anchor && file &&
	    snprintf(s->anchor_file, sizeof(s->anchor_file), "%s.anchor", file) >=
		    (int)sizeof(s->anchor_file))
		return cfg_fail(e, "log-security: local-log-file too long for its anchor-file");
	if (cfg_uint(top, SB "log-security/anchor-interval", 86400, &ai, e, "log-security") != 0)
		return -1;
	s->anchor_interval_s = (uint32_t)ai;
	if (log_rate(top, &s->log_rate, e) != 0)
		return -1;
	return log_key(top, s, e);
}

int ctlc_security(const struct lyd_node *top, struct ctl_security_cfg *s, struct cfg_err *e)
{
	s->require_root_owner = cfg_bool(top, SB "file-security/require-root-owner");
	s->non_dumpable = cfg_bool(top, SB "memory-security/non-dumpable");
	if (numbers(top, s, e) != 0 || logging(top, s, e) != 0)
		return -1;
	return acl(top, s, e);
}
