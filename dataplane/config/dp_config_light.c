/* TWAMP Light reflectors and their keys.
 *
 * A Light key's secret-key is the test keys themselves (there is no control
 * exchange to derive them from):
 *
 *   0                16                                48
 *   +----------------+---------------------------------+
 *   | test AES key   | test HMAC key                   |
 *   +----------------+---------------------------------+
 */
#include <stdio.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cfg_prefix.h"
#include "dp_config_priv.h"
#include "secure_mem.h"

#define LIGHT_KEY_LEN (TW_AES_KEY_LEN + TW_HMAC_KEY_LEN)

/* The key-chain entry named id (compared as strings: no XPath built from
 * configuration text). */
static const struct lyd_node *find_key(const struct lyd_node *top, const char *id)
{
	const struct lyd_node *found = NULL;
	struct ly_set *set = NULL;
	uint32_t i;

	if (lyd_find_xpath(top, "key-chain/key", &set) != LY_SUCCESS)
		return NULL;
	for (i = 0; i < set->count && !found; i++) {
		const char *kid = cfg_str(set->dnodes[i], "key-id");

		if (kid && strcmp(kid, id) == 0)
			found = set->dnodes[i];
	}
	ly_set_free(set, NULL);
	return found;
}

static int light_keys(const struct lyd_node *top, struct dp_light_cfg *l,
		      struct cfg_err *e)
{
	const struct lyd_node *key = find_key(top, l->key_id);
	struct lyd_node *leaf = NULL;
	struct lyd_value_binary *bin;

	if (!key)
		return cfg_fail(e, "light reflector '%s': no key '%s' in the key-chain",
				l->name, l->key_id);
	if (lyd_find_path(key, "secret-key", 0, &leaf) != LY_SUCCESS || !leaf)
		return cfg_fail(e, "light reflector '%s': key '%s' has no secret-key",
				l->name, l->key_id);
	LYD_VALUE_GET(&((struct lyd_node_term *)leaf)->value, bin);
	if (!bin || bin->size != LIGHT_KEY_LEN)
		return cfg_fail(e, "light reflector '%s': key '%s': secret-key is %zu "
				"octets, must be %d (test AES key 16, test HMAC key 32)",
				l->name, l->key_id, bin ? bin->size : 0, LIGHT_KEY_LEN);
	memcpy(l->keys.aes, bin->data, TW_AES_KEY_LEN);
	memcpy(l->keys.hmac, (const uint8_t *)bin->data + TW_AES_KEY_LEN, TW_HMAC_KEY_LEN);
	return 0;
}

static int light_mode(const char *mode, uint8_t *sec)
{
	if (!mode)
		return -1;
	if (strcmp(mode, "unauthenticated") == 0)
		*sec = TW_SEC_OPEN;
	else if (strcmp(mode, "authenticated") == 0)
		*sec = TW_SEC_AUTH;
	else if (strcmp(mode, "encrypted") == 0)
		*sec = TW_SEC_ENC;
	else
		return -1;
	return 0;
}

static const struct cfg_prefix_list allowed_list = {
	.xpath = "allowed-sender", .name = "allowed-sender", .plural = "allowed-sender prefixes",
	.zero_host = true, .max = DP_MAX_PREFIXES,
};

static int light_allowed(const struct lyd_node *r, struct dp_light_cfg *l,
			 struct cfg_err *e)
{
	char what[DP_NAME_LEN + 20];

	snprintf(what, sizeof(what), "light reflector '%s'", l->name);
	return cfg_prefixes(r, &allowed_list, what, l->allowed, &l->nallowed, e);
}

/* dscp is "reflect" or 0..63 */
static int light_dscp(const struct lyd_node *r, struct dp_light_cfg *l, struct cfg_err *e)
{
	const char *s = cfg_str(r, "dscp");
	unsigned long v;

	if (s && strcmp(s, "reflect") == 0) {
		l->dscp = -1;
		return 0;
	}
	if (cfg_uint(r, "dscp", 63, &v, e, "light reflector") != 0)
		return -1;
	l->dscp = (int)v;
	return 0;
}

static int light_one(const struct lyd_node *top, const struct lyd_node *r,
		     uint32_t refwait, struct dp_light_cfg *l, struct cfg_err *e)
{
	const char *name = cfg_str(r, "name"), *s;
	unsigned long v;

	if (!name || cfg_copy(l->name, sizeof(l->name), name) != 0)
		return cfg_fail(e, "light reflector: bad name");
	if (cfg_uint(r, "udp-port", 65535, &v, e, "light reflector") != 0)
		return -1;
	l->port = (uint16_t)v;
	if (light_mode(cfg_str(r, "mode"), &l->sec) != 0)
		return cfg_fail(e, "light reflector '%s': bad mode", l->name);
	l->symmetrical = cfg_bool(r, "symmetrical-size");
	s = cfg_str(r, "state");
	l->state = s && strcmp(s, "stateful") == 0 ? DP_LIGHT_STATEFUL : DP_LIGHT_STATELESS;
	if (light_dscp(r, l, e) != 0)
		return -1;
	l->refwait_s = refwait;
	if (cfg_str(r, "refwait")) {
		if (cfg_uint(r, "refwait", UINT32_MAX, &v, e, "light reflector") != 0)
			return -1;
		l->refwait_s = (uint32_t)v;
	}
	if (light_allowed(r, l, e) != 0)
		return -1;
	s = cfg_str(r, "key-id");
	if (s && cfg_copy(l->key_id, sizeof(l->key_id), s) != 0)
		return cfg_fail(e, "light reflector '%s': key-id longer than %zu octets",
				l->name, sizeof(l->key_id) - 1);
	if (l->sec == TW_SEC_OPEN)
		return 0;
	if (!s)
		return cfg_fail(e, "light reflector '%s': mode needs a key-id", l->name);
	return light_keys(top, l, e);
}

int dpc_light(const struct lyd_node *top, struct dp_config *cfg, struct cfg_err *e)
{
	struct ly_set *set = NULL;
	uint32_t i, j;
	int rc = 0;

	if (lyd_find_xpath(top, "session-reflector/light/reflector", &set) != LY_SUCCESS)
		return cfg_fail(e, "cannot read the light reflectors");
	if (set->count > DP_MAX_LIGHT)
		rc = cfg_fail(e, "%u light reflectors, at most %d", set->count, DP_MAX_LIGHT);
	for (i = 0; rc == 0 && i < set->count; i++) {
		rc = light_one(top, set->dnodes[i], cfg->refwait_s, &cfg->light[i], e);
		for (j = 0; rc == 0 && j < i; j++)
			if (cfg->light[j].port == cfg->light[i].port)
				rc = cfg_fail(e, "light reflector '%s': udp-port %u already used by '%s'",
					      cfg->light[i].name, cfg->light[i].port,
					      cfg->light[j].name);
	}
	if (rc == 0)
		cfg->nlight = set->count;
	ly_set_free(set, NULL);
	return rc;
}
