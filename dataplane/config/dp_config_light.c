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
#include <string.h>

#include <libyang/libyang.h>

#include "cfg_file.h"
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
		      struct dpc_err *e)
{
	const struct lyd_node *key = find_key(top, l->key_id);
	struct lyd_node *leaf = NULL;
	struct lyd_value_binary *bin;

	if (!key)
		return dpc_fail(e, "light reflector '%s': no key '%s' in the key-chain",
				l->name, l->key_id);
	if (lyd_find_path(key, "secret-key", 0, &leaf) != LY_SUCCESS || !leaf)
		return dpc_fail(e, "light reflector '%s': key '%s' has no secret-key",
				l->name, l->key_id);
	LYD_VALUE_GET(&((struct lyd_node_term *)leaf)->value, bin);
	if (!bin || bin->size != LIGHT_KEY_LEN)
		return dpc_fail(e, "light reflector '%s': key '%s': secret-key is %zu "
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

static int light_allowed(const struct lyd_node *r, struct dp_light_cfg *l,
			 struct dpc_err *e)
{
	struct ly_set *set = NULL;
	uint32_t i;
	int rc = 0;

	if (lyd_find_xpath(r, "allowed-sender", &set) != LY_SUCCESS)
		return dpc_fail(e, "light reflector '%s': cannot read allowed-sender", l->name);
	if (set->count > DP_MAX_PREFIXES)
		rc = dpc_fail(e, "light reflector '%s': %u allowed-sender prefixes, at most %d",
			      l->name, set->count, DP_MAX_PREFIXES);
	for (i = 0; rc == 0 && i < set->count; i++) {
		const char *s = lyd_get_value(set->dnodes[i]);

		if (dpc_prefix(s, true, &l->allowed[i]) != 0)
			rc = dpc_fail(e, "light reflector '%s': allowed-sender \"%s\" is not a prefix",
				      l->name, s);
	}
	if (rc == 0)
		l->nallowed = set->count;
	ly_set_free(set, NULL);
	return rc;
}

/* dscp is "reflect" or 0..63 */
static int light_dscp(const struct lyd_node *r, struct dp_light_cfg *l, struct dpc_err *e)
{
	const char *s = cfg_str(r, "dscp");
	unsigned long v;

	if (s && strcmp(s, "reflect") == 0) {
		l->dscp = -1;
		return 0;
	}
	if (dpc_uint(r, "dscp", 63, &v, e, "light reflector") != 0)
		return -1;
	l->dscp = (int)v;
	return 0;
}

static int light_one(const struct lyd_node *top, const struct lyd_node *r,
		     uint32_t refwait, struct dp_light_cfg *l, struct dpc_err *e)
{
	const char *name = cfg_str(r, "name"), *s;
	unsigned long v;

	if (!name || dpc_copy(l->name, sizeof(l->name), name) != 0)
		return dpc_fail(e, "light reflector: bad name");
	if (dpc_uint(r, "udp-port", 65535, &v, e, "light reflector") != 0)
		return -1;
	l->port = (uint16_t)v;
	if (light_mode(cfg_str(r, "mode"), &l->sec) != 0)
		return dpc_fail(e, "light reflector '%s': bad mode", l->name);
	l->symmetrical = dpc_bool(r, "symmetrical-size");
	s = cfg_str(r, "state");
	l->state = s && strcmp(s, "stateful") == 0 ? DP_LIGHT_STATEFUL : DP_LIGHT_STATELESS;
	if (light_dscp(r, l, e) != 0)
		return -1;
	l->refwait_s = refwait;
	if (cfg_str(r, "refwait")) {
		if (dpc_uint(r, "refwait", UINT32_MAX, &v, e, "light reflector") != 0)
			return -1;
		l->refwait_s = (uint32_t)v;
	}
	if (light_allowed(r, l, e) != 0)
		return -1;
	s = cfg_str(r, "key-id");
	if (s && dpc_copy(l->key_id, sizeof(l->key_id), s) != 0)
		return dpc_fail(e, "light reflector '%s': key-id longer than %zu octets",
				l->name, sizeof(l->key_id) - 1);
	if (l->sec == TW_SEC_OPEN)
		return 0;
	if (!s)
		return dpc_fail(e, "light reflector '%s': mode needs a key-id", l->name);
	return light_keys(top, l, e);
}

int dpc_light(const struct lyd_node *top, struct dp_config *cfg, struct dpc_err *e)
{
	struct ly_set *set = NULL;
	uint32_t i, j;
	int rc = 0;

	if (lyd_find_xpath(top, "session-reflector/light/reflector", &set) != LY_SUCCESS)
		return dpc_fail(e, "cannot read the light reflectors");
	if (set->count > DP_MAX_LIGHT)
		rc = dpc_fail(e, "%u light reflectors, at most %d", set->count, DP_MAX_LIGHT);
	for (i = 0; rc == 0 && i < set->count; i++) {
		rc = light_one(top, set->dnodes[i], cfg->refwait_s, &cfg->light[i], e);
		for (j = 0; rc == 0 && j < i; j++)
			if (cfg->light[j].port == cfg->light[i].port)
				rc = dpc_fail(e, "light reflector '%s': udp-port %u already used by '%s'",
					      cfg->light[i].name, cfg->light[i].port,
					      cfg->light[j].name);
	}
	if (rc == 0)
		cfg->nlight = set->count;
	ly_set_free(set, NULL);
	return rc;
}
