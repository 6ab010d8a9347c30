/* Loading the YANG-modelled configuration with libyang, and the file
 * security check for files that hold key material. */
#include "cfg_file.h"
#include "cfg_isolate.h"
#include "cfg_read.h"
#include "secure_mem.h"

#include <dirent.h>
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

/* Where the modules are: TWR_YANG_DIR from the environment (a build tree,
 * the tests), else the installed copy. Never a compiled-in source path: a
 * local user who could create it would choose the defaults root loads. */
static const char *yang_dir(void)
{
	const char *env = getenv("TWR_YANG_DIR");

	return env && *env ? env : TWR_YANG_DIR;
}

/* Owned by root or by us, not writable by group or others. */
static int yang_owner_ok(const char *what, const char *path, const struct stat *st, char *err,
			 size_t errlen)
{
	if ((st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	snprintf(err, errlen,
		 "YANG %s %s: owned by uid %lu with mode %04o; refused (needs owner root or "
		 "uid %lu, not writable by group or others)",
		 what, path, (unsigned long)st->st_uid, (unsigned)(st->st_mode & 07777),
		 (unsigned long)geteuid());
	return -1;
}

static bool is_module_file(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yang") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yin") == 0);
}

#define YANG_DIR_DEPTH 4

/* The directory and, as libyang searches it, its subdirectories and the
 * module files in them (what it would find through a symbolic link is
 * not checked: links are refused). fd is closed. */
static int yang_tree_ok(int fd, const char *path, int depth, char *err, size_t errlen)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "YANG directory %s: not a directory", path);
		close(fd);
		return -1;
	}
	if (yang_owner_ok("directory", path, &st, err, errlen) != 0) {
		close(fd);
		return -1;
	}
	d = fdopendir(fd);
	if (!d) {
		snprintf(err, errlen, "YANG directory %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char sub[4096];
		int cfd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* gone since readdir */
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (S_ISLNK(st.st_mode)) {
			struct stat t;

			/* a link to a module, or to a directory libyang would enter */
			if (is_module_file(de->d_name) ||
			    (fstatat(dirfd(d), de->d_name, &t, 0) == 0 && S_ISDIR(t.st_mode))) {
				snprintf(err, errlen, "YANG file %s: a symbolic link; refused", sub);
				rc = -1;
			}
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= YANG_DIR_DEPTH) {
				snprintf(err, errlen, "YANG directory %s: nested too deep; refused", sub);
				rc = -1;
				break;
			}
			cfd = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = cfd < 0 ? 0 : yang_tree_ok(cfd, sub, depth + 1, err, errlen);
		} else if (is_module_file(de->d_name)) {
			rc = yang_owner_ok("module file", sub, &st, err, errlen);
		}
	}
	closedir(d);
	return rc;
}

/* The modules' directory, checked before libyang reads anything in it:
 * the defaults and constraints of every daemon come from there. */
static int yang_dir_ok(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "YANG directory %s: %s%s", dir, strerror(errno),
			 getenv("TWR_YANG_DIR") ? "" : " (installed modules; TWR_YANG_DIR overrides)");
		return -1;
	}
	return yang_tree_ok(fd, dir, 0, err, errlen);
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

	if (yang_dir_ok(dir, err, errlen) != 0)
		return NULL;
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

/* Clear what libyang holds of the secrets before the tree is freed: each
 * secret leaf's decoded octets (lyd_value_binary). What cannot be cleared
 * here, which is why the daemons load in a child (cfg_load_opts.isolate_size,
 * cfg_isolate.h):
 * - its base64 text, the canonical value: a string in the context's
 *   dictionary, which lydict_remove finds by hashing its content and frees
 *   without wiping (changed in place it is no longer found, and leaks);
 * - a copy the JSON parser makes of a value with escapes (`\/`);
 * - strings XPath builds from it: so no `must` in the modules reads a
 *   secret leaf (the Light key length is checked in dp_config_light.c).
 * The file text is not in the process's memory: libyang maps the file and
 * unmaps it once parsed. */
static void wipe_leaves(struct lyd_node *tree, const char *xpath)
{
	struct ly_set *set = NULL;

	if (!tree || lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return;
	for (uint32_t i = 0; i < set->count; i++) {
		struct lyd_node_term *t = (struct lyd_node_term *)set->dnodes[i];
		struct lyd_value_binary *bin;

		LYD_VALUE_GET(&t->value, bin);
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

/* The load itself, in this process. */
static int load_here(const char *path, const struct cfg_load_opts *opts, cfg_extract_fn extract,
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

struct load_call {
	const char *path;
	const struct cfg_load_opts *opts;
	cfg_extract_fn extract;
};

static int load_call(void *ctx, void *out, char *err, size_t errlen)
{
	const struct load_call *c = ctx;

	return load_here(c->path, c->opts, c->extract, out, err, errlen);
}

int cfg_load(const char *path, const struct cfg_load_opts *opts, cfg_extract_fn extract,
	     void *arg, char *err, size_t errlen)
{
	struct load_call c = { path, opts, extract };

	if (opts->isolate_size == 0 || arg == NULL)
		return load_here(path, opts, extract, arg, err, errlen);
	return cfg_isolated(load_call, &c, arg, opts->isolate_size, err, errlen);
}

int cfg_load_secure(const char *path, cfg_extract_fn extract, void *arg, char *err, size_t errlen)
{
	static const struct cfg_load_opts plain = { 0 };

	return cfg_load(path, &plain, extract, arg, err, errlen);
}
