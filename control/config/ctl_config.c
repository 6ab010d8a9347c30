/* The control server's configuration: load and validate the file with
 * libyang, check its security if it holds keys, extract struct ctl_config;
 * and the KeyID lookup. */
#include "ctl_config.h"

#include <string.h>
#include <sys/stat.h>

#include <libyang/libyang.h>

#include "config_file.h"
#include "ctl_config_priv.h"
#include "secure_mem.h"

static bool has_keys(const struct lyd_node *tree)
{
	return tree && cfg_str(tree, DPC_TOP "/key-chain/key/key-id") != NULL;
}

/* Best effort: clear the decoded secrets libyang holds before the tree is
 * freed (its copies of the file text and base64 strings are out of reach). */
static void wipe_tree_secrets(struct lyd_node *tree)
{
	struct ly_set *set = NULL;
	uint32_t i;

	if (!tree || lyd_find_xpath(tree, DPC_TOP "/key-chain/key/secret-key", &set) != LY_SUCCESS)
		return;
	for (i = 0; i < set->count; i++) {
		struct lyd_value_binary *bin;

		LYD_VALUE_GET(&((struct lyd_node_term *)set->dnodes[i])->value, bin);
		if (bin && bin->data)
			wipe(bin->data, bin->size);
	}
	ly_set_free(set, NULL);
}

static int extract(const struct lyd_node *tree, struct ctl_config *cfg, struct dpc_err *e)
{
	struct lyd_node *top = NULL;

	if (!tree || lyd_find_path(tree, DPC_TOP, 0, &top) != LY_SUCCESS || !top)
		return dpc_fail(e, "no twamp-reflector configuration");
	if (ctlc_server(top, &cfg->server, e) != 0 || ctlc_security(top, &cfg->security, e) != 0)
		return -1;
	return ctlc_keys(top, cfg, e);
}

int ctl_config_load(const char *path, struct ctl_config *cfg, char *err, size_t errlen)
{
	struct dpc_err e = { .file = path, .buf = err, .len = errlen };
	struct lyd_node *tree = NULL;
	struct ly_ctx *ctx;
	struct stat parsed;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	ctx = cfg_ctx_new(err, errlen);
	if (!ctx)
		return -1;
	if (cfg_load_tree(ctx, path, &tree, &parsed, err, errlen) != 0)
		goto out;
	if (has_keys(tree) && cfg_check_secret_parsed(path, &parsed, err, errlen) != 0)
		goto out;
	rc = extract(tree, cfg, &e);
out:
	if (rc != 0)
		ctl_config_free(cfg);
	wipe_tree_secrets(tree);
	lyd_free_all(tree);
	ly_ctx_destroy(ctx);
	return rc;
}

void ctl_config_free(struct ctl_config *cfg)
{
	wipe(cfg, sizeof(*cfg));
}

const struct ctl_key *ctl_config_key(const struct ctl_config *cfg, const uint8_t *key_id,
				     size_t len)
{
	size_t i;

	if (!key_id)
		return NULL;
	while (len > 0 && key_id[len - 1] == 0)
		len--;
	if (len == 0)
		return NULL;
	for (i = 0; i < cfg->nkeys && i < CTL_MAX_KEYS; i++)
		if (cfg->keys[i].id_len == len && memcmp(cfg->keys[i].key_id, key_id, len) == 0)
			return &cfg->keys[i];
	return NULL;
}
