/* The key-chain: every entry's key-id and secret, for control
 * authentication (the client names the KeyID) and the log hash chain. */
#include <stdint.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cfg_read.h"
#include "ctl_config_priv.h"

static int key_one(const struct lyd_node *k, struct ctl_key *key, struct cfg_err *e)
{
	const char *id = cfg_str(k, "key-id");
	struct lyd_node *leaf = NULL;
	struct lyd_value_binary *bin;
	size_t n;

	if (!id)
		return cfg_fail(e, "key-chain: key without key-id");
	/* YANG counts characters; the KeyID field is 80 octets */
	n = strlen(id);
	if (n > CTL_KEY_ID_MAX)
		return cfg_fail(e, "key-chain: key-id \"%.20s...\" is %zu octets, at most %d",
				id, n, CTL_KEY_ID_MAX);
	memcpy(key->key_id, id, n + 1);
	key->id_len = n;
	if (lyd_find_path(k, "secret-key", 0, &leaf) != LY_SUCCESS || !leaf)
		return cfg_fail(e, "key-chain: key '%s' has no secret-key", id);
	LYD_VALUE_GET(&((struct lyd_node_term *)leaf)->value, bin);
	if (!bin || bin->size == 0)
		return cfg_fail(e, "key-chain: key '%s': empty secret-key", id);
	if (bin->size > CTL_SECRET_MAX)
		return cfg_fail(e, "key-chain: key '%s': secret-key is %zu octets, at most %d",
				id, bin->size, CTL_SECRET_MAX);
	memcpy(key->secret, bin->data, bin->size);
	key->secret_len = bin->size;
	return 0;
}

int ctlc_keys(const struct lyd_node *top, struct ctl_config *cfg, struct cfg_err *e)
{
	struct ly_set *set = NULL;
	uint32_t i;
	int rc = 0;

	if (lyd_find_xpath(top, "key-chain/key", &set) != LY_SUCCESS)
		return cfg_fail(e, "cannot read the key-chain");
	if (set->count > CTL_MAX_KEYS)
		rc = cfg_fail(e, "key-chain: %u keys, at most %d", set->count, CTL_MAX_KEYS);
	for (i = 0; rc == 0 && i < set->count; i++)
		rc = key_one(set->dnodes[i], &cfg->keys[i], e);
	if (rc == 0)
		cfg->nkeys = set->count;
	ly_set_free(set, NULL);
	return rc;
}
