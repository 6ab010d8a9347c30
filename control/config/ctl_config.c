/* The control server's configuration: load and validate the file with
 * libyang, check its security if it holds keys, extract struct ctl_config;
 * and the KeyID lookup. */
#include "ctl_config.h"

#include <string.h>
#include <sys/stat.h>

#include <libyang/libyang.h>

#include "cfg_file.h"
#include "ctl_config_priv.h"
#include "secure_mem.h"

/* Whoever holds a login must not hold the log key: refuse a log-key that
 * is also a key-chain secret. */
static int log_key_apart(const struct ctl_config *cfg, struct cfg_err *e)
{
	const struct ctl_security_cfg *s = &cfg->security;

	for (size_t i = 0; s->log_key_len > 0 && i < cfg->nkeys; i++)
		if (cfg->keys[i].secret_len == s->log_key_len &&
		    ct_equal(cfg->keys[i].secret, s->log_key, s->log_key_len))
			return cfg_fail(e, "log-security: log-key is also the secret-key of key-chain "
					   "entry '%s'; the log key must be a key of its own",
					cfg->keys[i].key_id);
	return 0;
}

static int extract(const struct lyd_node *tree, void *arg, const char *path, char *err,
		   size_t errlen)
{
	struct ctl_config *cfg = arg;
	struct cfg_err err_ctx = { .file = path, .buf = err, .len = errlen };
	struct cfg_err *e = &err_ctx;
	struct lyd_node *top = NULL;

	if (!tree || lyd_find_path(tree, CFG_TOP, 0, &top) != LY_SUCCESS || !top)
		return cfg_fail(e, "no twamp-reflector configuration");
	if (ctlc_server(top, &cfg->server, e) != 0 || ctlc_security(top, &cfg->security, e) != 0)
		return -1;
	if (ctlc_dataplane(top, cfg, e) != 0 || ctlc_keys(top, cfg, e) != 0)
		return -1;
	return log_key_apart(cfg, e);
}

int ctl_config_load(const char *path, struct ctl_config *cfg, char *err, size_t errlen)
{
	/* in a child: libyang's copies of the secrets never live here */
	static const struct cfg_load_opts opts = { .isolate_size = sizeof(struct ctl_config) };
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = cfg_load(path, &opts, extract, cfg, err, errlen);
	if (rc != 0)
		ctl_config_free(cfg);
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
