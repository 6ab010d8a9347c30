/* Loading a YANG-modelled configuration file with libyang: JSON (or XML, by
 * extension), parsed strictly and validated against the project's modules
 * before anything uses it. File security (the management-plane security
 * baseline): a file holding key material must be a regular file owned by
 * root and not readable or writable by others, or it is refused. */
#ifndef TWR_CFG_FILE_H
#define TWR_CFG_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/stat.h>

struct ly_ctx;
struct lyd_node;

/* The top container of the twamp-reflector module, which cfg_ctx_new loads. */
#define CFG_TOP "/twamp-reflector:twamp-reflector"

/* A libyang context with the project's modules (yang/ in the source tree,
 * or the installed copy; TWR_YANG_DIR in the environment overrides).
 * Returns NULL and writes err on failure. */
struct ly_ctx *cfg_ctx_new(char *err, size_t errlen);

/* Parse and validate `path` into *tree. On failure returns -1 and writes
 * "path: libyang-path: message" into err; *tree is NULL. If `parsed` is not
 * NULL it receives the fstat of the file that was read. */
int cfg_load_tree(struct ly_ctx *ctx, const char *path, struct lyd_node **tree,
		  struct stat *parsed, char *err, size_t errlen);

/* A file holding keys: a regular file (not a symbolic link), owner root
 * (uid 0), no permission bits for others, not group-writable.
 * Returns 0, or -1 with the reason in err. */
int cfg_check_secret_file(const char *path, char *err, size_t errlen);

/* The same for a configuration already read by cfg_load_tree: judged on the
 * fstat of what was parsed, and refused if the name now points elsewhere. */
int cfg_check_secret_parsed(const char *path, const struct stat *parsed, char *err, size_t errlen);

/* The whole secure load of a configuration file: parse and validate `path`;
 * if it holds key material (a key-chain key or the log-key), refuse it unless it passes
 * cfg_check_secret_parsed; call extract(tree, arg, path, err, errlen); then
 * clear the decoded secrets libyang holds and free everything. Returns
 * extract's result, or -1 with the reason in err. */
typedef int (*cfg_extract_fn)(const struct lyd_node *tree, void *arg, const char *path,
			      char *err, size_t errlen);
int cfg_load_secure(const char *path, cfg_extract_fn extract, void *arg, char *err, size_t errlen);

/* The same with options: another of the project's modules loaded in the
 * context (the file's data is of that module), and file security required
 * whatever the file holds (a file that decides who gets keys). A module that
 * does not load: -1 with "YANG module NAME: reason". */
struct cfg_load_opts {
	const char *module;  /* NULL: only twamp-reflector */
	bool always_secret;
	/* > 0: the whole load runs in a child process (cfg_isolate.h), arg
	 * being a struct of this many octets, without pointers, that comes
	 * back: libyang's unwipeable copies of the secrets die with the child.
	 * 0: in this process (extract may then keep pointers, count, ...) */
	size_t isolate_size;
};
int cfg_load(const char *path, const struct cfg_load_opts *opts, cfg_extract_fn extract,
	     void *arg, char *err, size_t errlen);

#endif
