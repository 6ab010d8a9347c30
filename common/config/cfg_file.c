/* Loading the YANG-modelled configuration with libyang, and the file
 * security check for files that hold key material. */
#include "cfg_file.h"
#include "cfg_read.h"
#include "secure_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "twr_build_config.h"

#define CFG_MODULE "twamp-reflector"

/* Where the modules are: the environment, then the source tree (a build
 * that has not been installed), then the installed copy. */
static const char *yang_dir(void)
{
	const char *env = getenv("TWR_YANG_DIR");
	struct stat st;

	if (env && *env)
		return env;
	if (stat(TWR_YANG_SRCDIR, &st) == 0 && S_ISDIR(st.st_mode))
		return TWR_YANG_SRCDIR;
	return TWR_YANG_DIR;
}

/* The message of libyang's last error, or a fallback. */
static const char *ly_msg(const struct ly_ctx *ctx, const char *fallback)
{
	const struct ly_err_item *e = ctx ? ly_err_last(ctx) : NULL;

	return e && e->msg ? e->msg : fallback;
}

struct ly_ctx *cfg_ctx_new(char *err, size_t errlen)
{
	const char *features[] = { "*", NULL };
	const char *dir = yang_dir();
	struct ly_ctx *ctx = NULL;

	/* Keep errors for our messages instead of printing them. */
	ly_log_options(LY_LOSTORE_LAST);
	if (ly_ctx_new(dir, LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx) != LY_SUCCESS) {
		snprintf(err, errlen, "YANG directory %s: %s", dir,
			 ly_msg(ctx, "cannot create libyang context"));
		ly_ctx_destroy(ctx);
		return NULL;
	}
	if (!ly_ctx_load_module(ctx, CFG_MODULE, NULL, features)) {
		snprintf(err, errlen, "YANG directory %s: module %s: %s", dir,
			 CFG_MODULE, ly_msg(ctx, "cannot load"));
		ly_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* libyang's error path reads `Data location "/a:b/c", line number 3.` (or
 * `Schema location ...`, or just `Line number 3.`). Copy the quoted path
 * into `path` and return the line number (0 if none). */
static unsigned long split_ly_path(const char *lypath, char *path, size_t pathlen)
{
	const char *q, *end, *ln;
	size_t n;

	path[0] = '\0';
	if (!lypath)
		return 0;
	q = strchr(lypath, '"');
	end = q ? strchr(q + 1, '"') : NULL;
	if (q && end) {
		n = (size_t)(end - q - 1);
		if (n >= pathlen)
			n = pathlen - 1;
		memcpy(path, q + 1, n);
		path[n] = '\0';
	}
	ln = strstr(lypath, "ine number ");
	return ln ? strtoul(ln + strlen("ine number "), NULL, 10) : 0;
}

/* "file: /data/path: message (line N)" on one line. */
static void format_ly_error(const struct ly_ctx *ctx, const char *file, char *err,
			    size_t errlen)
{
	const struct ly_err_item *e = ly_err_last(ctx);
	char path[512], line[32] = "";
	unsigned long ln;
	char *c;

	ln = split_ly_path(e ? e->path : NULL, path, sizeof(path));
	if (ln)
		snprintf(line, sizeof(line), " (line %lu)", ln);
	snprintf(err, errlen, "%s: %s%s%s%s", file, path, path[0] ? ": " : "",
		 e && e->msg ? e->msg : "invalid configuration", line);
	for (c = err; *c; c++)
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
}

int cfg_load_tree(struct ly_ctx *ctx, const char *path, struct lyd_node **tree,
		  struct stat *parsed, char *err, size_t errlen)
{
	LYD_FORMAT fmt = ends_with(path, ".xml") ? LYD_XML : LYD_JSON;
	struct stat st;
	LY_ERR r;
	int fd;

	*tree = NULL;
	/* Open it ourselves: a clear message when it is missing, and no
	 * blocking on a FIFO or reading a device forever. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (parsed != NULL)
		*parsed = st;
	ly_err_clean(ctx, NULL);
	r = lyd_parse_data_fd(ctx, fd, fmt, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
			      LYD_VALIDATE_PRESENT, tree);
	close(fd);
	if (r != LY_SUCCESS) {
		format_ly_error(ctx, path, err, errlen);
		lyd_free_all(*tree);
		*tree = NULL;
		return -1;
	}
	return 0;
}

/* Owner root; no access for others; no group write (group read is allowed,
 * for a daemon's group). */
static int secret_mode_ok(const char *path, const struct stat *st, char *err, size_t errlen)
{
	if (st->st_uid != 0 || (st->st_mode & (S_IRWXO | S_IWGRP))) {
		snprintf(err, errlen,
			 "%s: holds keys but is owned by uid %lu with mode %04o; "
			 "refused (needs owner root, no access for others, no group write)",
			 path, (unsigned long)st->st_uid, (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/* The name itself must be a regular file, not a link to one. */
static int secret_name_ok(const char *path, struct stat *st, char *err, size_t errlen)
{
	if (lstat(path, st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st->st_mode)) {
		snprintf(err, errlen, "%s: holds keys and is a symbolic link; refused", path);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: holds keys and is not a regular file; refused", path);
		return -1;
	}
	return 0;
}

int cfg_check_secret_file(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (secret_name_ok(path, &st, err, errlen) != 0)
		return -1;
	return secret_mode_ok(path, &st, err, errlen);
}

int cfg_check_secret_parsed(const char *path, const struct stat *parsed, char *err, size_t errlen)
{
	struct stat st;

	if (secret_name_ok(path, &st, err, errlen) != 0)
		return -1;
	if (st.st_dev != parsed->st_dev || st.st_ino != parsed->st_ino) {
		snprintf(err, errlen, "%s: replaced while it was being read; refused", path);
		return -1;
	}
	/* judge the file that was read, not whatever the name points at now */
	return secret_mode_ok(path, parsed, err, errlen);
}

#define CFG_KEYS CFG_TOP "/key-chain/key"
/* the control server's log key: key material too (not a key-chain entry) */
#define CFG_LOG_KEY CFG_TOP "/security-baseline/log-security/log-key"

/* Best effort: clear the decoded secrets libyang holds before freeing the
 * tree (its copy of the file text and the base64 strings are out of reach). */
static void wipe_leaves(struct lyd_node *tree, const char *xpath)
{
	struct ly_set *set = NULL;

	if (!tree || lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return;
	for (uint32_t i = 0; i < set->count; i++) {
		struct lyd_value_binary *bin;

		LYD_VALUE_GET(&((struct lyd_node_term *)set->dnodes[i])->value, bin);
		if (bin && bin->data)
			wipe(bin->data, bin->size);
	}
	ly_set_free(set, NULL);
}

static void wipe_tree_secrets(struct lyd_node *tree)
{
	wipe_leaves(tree, CFG_KEYS "/secret-key");
	wipe_leaves(tree, CFG_LOG_KEY);
}

static bool holds_keys(const struct lyd_node *tree)
{
	return cfg_str(tree, CFG_KEYS "/key-id") != NULL || cfg_str(tree, CFG_LOG_KEY) != NULL;
}

/* The extra module of opts, if any, in ctx. */
static int load_module(struct ly_ctx *ctx, const struct cfg_load_opts *opts, char *err,
		       size_t errlen)
{
	if (!opts->module || ly_ctx_load_module(ctx, opts->module, NULL, NULL))
		return 0;
	snprintf(err, errlen, "YANG module %s: %s", opts->module, ly_msg(ctx, "cannot load"));
	return -1;
}

int cfg_load(const char *path, const struct cfg_load_opts *opts, cfg_extract_fn extract,
	     void *arg, char *err, size_t errlen)
{
	struct lyd_node *tree = NULL;
	struct ly_ctx *ctx;
	struct stat parsed;
	int rc = -1;

	ctx = cfg_ctx_new(err, errlen);
	if (!ctx)
		return -1;
	if (load_module(ctx, opts, err, errlen) != 0 ||
	    cfg_load_tree(ctx, path, &tree, &parsed, err, errlen) != 0)
		goto out;
	if ((opts->always_secret || holds_keys(tree)) &&
	    cfg_check_secret_parsed(path, &parsed, err, errlen) != 0)
		goto out;
	rc = extract(tree, arg, path, err, errlen);
out:
	wipe_tree_secrets(tree);
	lyd_free_all(tree);
	ly_ctx_destroy(ctx);
	return rc;
}

int cfg_load_secure(const char *path, cfg_extract_fn extract, void *arg, char *err, size_t errlen)
{
	static const struct cfg_load_opts plain = { 0 };

	return cfg_load(path, &plain, extract, arg, err, errlen);
}
