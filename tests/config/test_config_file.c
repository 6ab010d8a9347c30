/* The libyang loader (cfg_ctx_new, cfg_load_tree, cfg_str) and the file
 * security check (cfg_check_secret_file). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libyang/libyang.h>

#include "cfg_file.h"
#include "cfg_read.h"
#include "cfg_test_util.h"
#include "twr_build_config.h"

#define TOP "/twamp-reflector:twamp-reflector"

static char err[1024];

/* Load tests/config/data/<name> straight from the source tree. */
static int load_data(const char *name, struct lyd_node **tree)
{
	char path[TU_PATH_MAX];
	struct ly_ctx *ctx = cfg_ctx_new(err, sizeof(err));
	int rc;

	assert_non_null(ctx);
	assert_non_null(tu_data(name, path, sizeof(path)));
	err[0] = '\0';
	rc = cfg_load_tree(ctx, path, tree, NULL, err, sizeof(err));
	if (rc != 0)
		assert_null(*tree);
	lyd_free_all(*tree);
	*tree = NULL;
	ly_ctx_destroy(ctx);
	return rc;
}

static void test_ctx_loads_module(void **state)
{
	struct ly_ctx *ctx = cfg_ctx_new(err, sizeof(err));
	const struct lys_module *mod;

	(void)state;
	assert_non_null(ctx);
	mod = ly_ctx_get_module_implemented(ctx, "twamp-reflector");
	assert_non_null(mod);
	assert_string_equal(mod->revision, "2026-11-22");
	assert_string_equal(mod->ns, "urn:twamp-reflector:yang:twamp-reflector");
	ly_ctx_destroy(ctx);
}

static void test_ctx_env_override(void **state)
{
	char empty[TU_PATH_MAX];
	struct ly_ctx *ctx;

	(void)state;
	/* a directory without the module: the override is used, and fails */
	assert_non_null(tu_tmp_path("empty-yang", empty, sizeof(empty)));
	assert_int_equal(mkdir(empty, 0700), 0);
	setenv("TWR_YANG_DIR", empty, 1);
	ctx = cfg_ctx_new(err, sizeof(err));
	assert_null(ctx);
	assert_contains(err, empty);
	assert_contains(err, "twamp-reflector");
	/* the source tree's modules through the override */
	setenv("TWR_YANG_DIR", TWR_YANG_SRCDIR, 1);
	ctx = cfg_ctx_new(err, sizeof(err));
	assert_non_null(ctx);
	ly_ctx_destroy(ctx);
	rmdir(empty);
}

/* A copy of the source tree's modules in the temporary directory, as
 * `dir` (mode 0755). */
static void yang_copy(const char *dir, char *path, size_t len)
{
	char f[TU_PATH_MAX], name[TU_PATH_MAX];

	assert_non_null(tu_tmp_path(dir, path, len));
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(chmod(path, 0755), 0); /* whatever the umask */
	snprintf(name, sizeof(name), "%s/twamp-reflector.yang", dir);
	assert_non_null(tu_copy(TWR_YANG_SRCDIR "/twamp-reflector.yang", name, 0644, 0, f,
				sizeof(f)));
}

static struct ly_ctx *ctx_from(const char *dir)
{
	setenv("TWR_YANG_DIR", dir, 1);
	err[0] = '\0';
	return cfg_ctx_new(err, sizeof(err));
}

/* The modules' directory and files: owner root (or us), no group or other
 * write, no links; else refused with the file named. */
static void test_yang_dir_ownership(void **state)
{
	char dir[TU_PATH_MAX], mod[TU_PATH_MAX + 32], sub[TU_PATH_MAX + 32];
	struct ly_ctx *ctx;

	(void)state;
	yang_copy("yang-own", dir, sizeof(dir));
	snprintf(mod, sizeof(mod), "%s/twamp-reflector.yang", dir);
	ctx = ctx_from(dir);
	assert_non_null(ctx);
	ly_ctx_destroy(ctx);

	/* the directory writable by its group, then by others */
	assert_int_equal(chmod(dir, 0775), 0);
	assert_null(ctx_from(dir));
	assert_contains(err, "YANG directory");
	assert_contains(err, dir);
	assert_contains(err, "mode 0775");
	assert_int_equal(chmod(dir, 0757), 0);
	assert_null(ctx_from(dir));
	assert_contains(err, "mode 0757");
	assert_int_equal(chmod(dir, 0755), 0);

	/* a module file writable by others */
	assert_int_equal(chmod(mod, 0646), 0);
	assert_null(ctx_from(dir));
	assert_contains(err, "YANG module file");
	assert_contains(err, mod);
	assert_contains(err, "mode 0646");
	assert_int_equal(chmod(mod, 0644), 0);

	/* a subdirectory (libyang searches them) writable by its group */
	snprintf(sub, sizeof(sub), "%s/more", dir);
	assert_int_equal(mkdir(sub, 0775), 0);
	assert_int_equal(chmod(sub, 0775), 0);
	assert_null(ctx_from(dir));
	assert_contains(err, sub);
	assert_int_equal(chmod(sub, 0755), 0);

	/* a module that is a symbolic link */
	snprintf(sub, sizeof(sub), "%s/more/twamp-keyagent.yang", dir);
	assert_int_equal(symlink(TWR_YANG_SRCDIR "/twamp-keyagent.yang", sub), 0);
	assert_null(ctx_from(dir));
	assert_contains(err, "symbolic link");
	assert_contains(err, sub);
	assert_int_equal(unlink(sub), 0);

	/* owned by another user (needs root to set up) */
	if (tu_is_root()) {
		assert_int_equal(chown(mod, 4242, 0), 0);
		assert_null(ctx_from(dir));
		assert_contains(err, "uid 4242");
		assert_int_equal(chown(mod, 0, 0), 0);
		assert_int_equal(chown(dir, 4242, 0), 0);
		assert_null(ctx_from(dir));
		assert_contains(err, "YANG directory");
		assert_contains(err, "uid 4242");
		assert_int_equal(chown(dir, 0, 0), 0);
	}
	ctx = ctx_from(dir);
	assert_non_null(ctx);
	ly_ctx_destroy(ctx);
	setenv("TWR_YANG_DIR", TWR_YANG_SRCDIR, 1);
}

static void test_load_minimal(void **state)
{
	struct lyd_node *tree = NULL;

	(void)state;
	assert_int_equal(load_data("minimal.json", &tree), 0);
}

static void test_load_xml(void **state)
{
	char path[TU_PATH_MAX];
	struct ly_ctx *ctx = cfg_ctx_new(err, sizeof(err));
	struct lyd_node *tree = NULL;

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(cfg_load_tree(ctx, tu_data("minimal.xml", path, sizeof(path)),
				       &tree, NULL, err, sizeof(err)), 0);
	assert_string_equal(cfg_str(tree, TOP "/dataplane/burst-size"), "16");
	assert_string_equal(cfg_str(tree, TOP "/dataplane/port/name"), "net_memif0");
	lyd_free_all(tree);
	ly_ctx_destroy(ctx);
}

static void test_cfg_str(void **state)
{
	char path[TU_PATH_MAX];
	struct ly_ctx *ctx = cfg_ctx_new(err, sizeof(err));
	struct lyd_node *tree = NULL, *port = NULL;

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(cfg_load_tree(ctx, tu_data("minimal.json", path, sizeof(path)),
				       &tree, NULL, err, sizeof(err)), 0);
	/* defaults are in the validated tree */
	assert_string_equal(cfg_str(tree, TOP "/dataplane/mbufs"), "8191");
	assert_string_equal(cfg_str(tree, TOP "/session-reflector/refwait"), "900");
	/* relative to a node */
	assert_int_equal(lyd_find_path(tree, TOP "/dataplane/port[name='net_af_packet0']", 0,
				       &port), LY_SUCCESS);
	assert_string_equal(cfg_str(port, "rx-queues"), "1");
	/* absent leaf, a container, no node */
	assert_null(cfg_str(port, "exception-interface"));
	assert_null(cfg_str(tree, TOP "/dataplane"));
	assert_null(cfg_str(NULL, "x"));
	lyd_free_all(tree);
	ly_ctx_destroy(ctx);
}

static void test_invalid_json(void **state)
{
	struct lyd_node *tree = NULL;

	(void)state;
	assert_int_equal(load_data("invalid.json", &tree), -1);
	assert_contains(err, "invalid.json: ");
	assert_contains(err, TOP "/dataplane/port[name='net_af_packet0']: ");
	assert_contains(err, "(line 4)");
	assert_null(strchr(err, '\n'));
}

static void test_unknown_leaf(void **state)
{
	struct lyd_node *tree = NULL;

	(void)state;
	assert_int_equal(load_data("unknown-leaf.json", &tree), -1);
	assert_contains(err, TOP "/dataplane: ");
	assert_contains(err, "bogus-leaf");
}

static void test_wrong_type(void **state)
{
	struct lyd_node *tree = NULL;

	(void)state;
	assert_int_equal(load_data("wrong-type.json", &tree), -1);
	assert_contains(err, TOP "/dataplane/burst-size: ");
	assert_contains(err, "many");
}

static void test_missing_mandatory(void **state)
{
	struct lyd_node *tree = NULL;

	(void)state;
	assert_int_equal(load_data("secret-missing.json", &tree), -1);
	assert_contains(err, TOP "/key-chain/key/secret-key");
	assert_contains(err, "Mandatory");
}

/* Out-of-range and malformed values, each with the path libyang names. */
static void test_out_of_range(void **state)
{
	static const struct {
		const char *json, *path;
	} cases[] = {
		{ "\"dataplane\":{\"burst-size\":0}", "/dataplane/burst-size" },
		{ "\"dataplane\":{\"burst-size\":65}", "/dataplane/burst-size" },
		{ "\"dataplane\":{\"max-sessions\":1048577}", "/dataplane/max-sessions" },
		{ "\"dataplane\":{\"mbufs\":100}", "/dataplane/mbufs" },
		{ "\"dataplane\":{\"stage-cycles\":\"yes\"}", "/dataplane/stage-cycles" },
		{ "\"dataplane\":{\"session-socket\":\"relative.sock\"}", "/dataplane/session-socket" },
		{ "\"dataplane\":{\"worker-lcore\":[70000]}", "/dataplane/worker-lcore" },
		{ "\"dataplane\":{\"clock\":{\"error-estimate\":\"-1\"}}", "/dataplane/clock/error-estimate" },
		{ "\"dataplane\":{\"port\":[{\"name\":\"p\",\"rx-queues\":33}]}", "/dataplane/port[name='p']/rx-queues" },
		{ "\"dataplane\":{\"port\":[{\"name\":\"p\",\"rx-descriptors\":32}]}", "/dataplane/port[name='p']/rx-descriptors" },
		{ "\"dataplane\":{\"port\":[{\"name\":\"p\",\"exception-interface\":\"sixteen-chars-xx\"}]}", "/dataplane/port[name='p']/exception-interface" },
		{ "\"dataplane\":{\"port\":[{\"name\":\"p\",\"exception-interface\":\"a/b\"}]}", "/dataplane/port[name='p']/exception-interface" },
		{ "\"dataplane\":{\"port\":[{\"name\":\"p\",\"address\":[\"10.99.0.2/33\"]}]}", "/dataplane/port[name='p']/address" },
		{ "\"dataplane\":{\"port\":[{\"name\":\"p\",\"address\":[\"10.99.0.2\"]}]}", "/dataplane/port[name='p']/address" },
		{ "\"dataplane\":{\"port\":[{\"name\":\"p\",\"address\":[\"fd00:99::2/129\"]}]}", "/dataplane/port[name='p']/address" },
		{ "\"session-reflector\":{\"refwait\":0}", "/session-reflector/refwait" },
		{ "\"session-reflector\":{\"refwait\":604801}", "/session-reflector/refwait" },
		{ "\"session-reflector\":{\"light\":{\"reflector\":[{\"name\":\"r\",\"udp-port\":0}]}}", "/light/reflector[name='r']/udp-port" },
		{ "\"session-reflector\":{\"light\":{\"reflector\":[{\"name\":\"r\",\"udp-port\":65536}]}}", "/light/reflector[name='r']/udp-port" },
		{ "\"session-reflector\":{\"light\":{\"reflector\":[{\"name\":\"r\",\"dscp\":64}]}}", "/light/reflector[name='r']/dscp" },
		{ "\"session-reflector\":{\"light\":{\"reflector\":[{\"name\":\"r\",\"dscp\":\"copy\"}]}}", "/light/reflector[name='r']/dscp" },
		{ "\"session-reflector\":{\"light\":{\"reflector\":[{\"name\":\"r\",\"mode\":\"mixed\"}]}}", "/light/reflector[name='r']/mode" },
		{ "\"session-reflector\":{\"light\":{\"reflector\":[{\"name\":\"r\",\"allowed-sender\":[\"10.99.0.300/24\"]}]}}", "/light/reflector[name='r']/allowed-sender" },
		{ "\"session-reflector\":{\"light\":{\"reflector\":[{\"name\":\"r\",\"refwait\":0}]}}", "/light/reflector[name='r']/refwait" },
		{ "\"session-reflector\":{\"light\":{\"reflector\":[{\"name\":\"r s\"}]}}", "/light/reflector" },
		{ "\"key-chain\":{\"key\":[{\"key-id\":\"k\",\"secret-key\":\"not base64!\"}]}", "/key-chain/key[key-id='k']/secret-key" },
	};
	struct ly_ctx *ctx = cfg_ctx_new(err, sizeof(err));
	char path[TU_PATH_MAX], text[512];
	size_t i;

	(void)state;
	assert_non_null(ctx);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lyd_node *tree = NULL;

		snprintf(text, sizeof(text), "{\"twamp-reflector:twamp-reflector\":{%s}}",
			 cases[i].json);
		assert_non_null(tu_write("range.json", text, path, sizeof(path)));
		if (cfg_load_tree(ctx, path, &tree, NULL, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", cases[i].json);
		assert_null(tree);
		assert_contains(err, cases[i].path);
		assert_contains(err, "range.json: " TOP);
	}
	ly_ctx_destroy(ctx);
}

static void test_missing_file(void **state)
{
	struct ly_ctx *ctx = cfg_ctx_new(err, sizeof(err));
	struct lyd_node *tree = NULL;
	char path[TU_PATH_MAX];

	(void)state;
	assert_non_null(ctx);
	tu_tmp_path("does-not-exist.json", path, sizeof(path));
	assert_int_equal(cfg_load_tree(ctx, path, &tree, NULL, err, sizeof(err)), -1);
	assert_contains(err, "does-not-exist.json: No such file");
	/* a directory is not a configuration file */
	assert_int_equal(cfg_load_tree(ctx, "/tmp", &tree, NULL, err, sizeof(err)), -1);
	assert_contains(err, "/tmp: not a regular file");
	ly_ctx_destroy(ctx);
}

static void test_secret_file_ok(void **state)
{
	char path[TU_PATH_MAX];

	(void)state;
	if (!tu_is_root())
		skip();
	assert_non_null(tu_copy_data("light-auth.json", 0600, 0, path, sizeof(path)));
	assert_int_equal(cfg_check_secret_file(path, err, sizeof(err)), 0);
	/* group access is allowed (a daemon's group may read it) */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(cfg_check_secret_file(path, err, sizeof(err)), 0);
}

static void test_secret_file_refused(void **state)
{
	static const struct {
		mode_t mode;
		uid_t uid;
		const char *why;
	} cases[] = {
		{ 0644, 0, "mode 0644" },
		{ 0604, 0, "mode 0604" },
		{ 0602, 0, "mode 0602" },
		{ 0601, 0, "mode 0601" },
		{ 0620, 0, "mode 0620" },
		{ 0600, 65534, "uid 65534" },
	};
	char path[TU_PATH_MAX];
	size_t i;

	(void)state;
	if (!tu_is_root())
		skip();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(tu_copy_data("light-auth.json", cases[i].mode, cases[i].uid,
					     path, sizeof(path)));
		assert_int_equal(cfg_check_secret_file(path, err, sizeof(err)), -1);
		assert_contains(err, path);
		assert_contains(err, cases[i].why);
	}
}

static void test_secret_file_not_regular(void **state)
{
	char path[TU_PATH_MAX], link[TU_PATH_MAX];

	(void)state;
	if (!tu_is_root())
		skip();
	assert_non_null(tu_copy_data("light-auth.json", 0600, 0, path, sizeof(path)));
	assert_non_null(tu_tmp_path("link.json", link, sizeof(link)));
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(cfg_check_secret_file(link, err, sizeof(err)), -1);
	assert_contains(err, "symbolic link");
	assert_int_equal(cfg_check_secret_file("/tmp", err, sizeof(err)), -1);
	assert_contains(err, "not a regular file");
	tu_tmp_path("absent.json", path, sizeof(path));
	assert_int_equal(cfg_check_secret_file(path, err, sizeof(err)), -1);
	assert_contains(err, "absent.json: No such file");
}

static int extracted;

static int count_extract(const struct lyd_node *tree, void *arg, const char *path, char *e,
			 size_t elen)
{
	(void)tree;
	(void)arg;
	(void)path;
	(void)e;
	(void)elen;
	extracted++;
	return 0;
}

/* cfg_load's options: another module in the context, and the file-security
 * rule for a file without keys. */
static void test_load_options(void **state)
{
	static const struct cfg_load_opts ka = { .module = "twamp-keyagent" };
	static const struct cfg_load_opts secret = { .always_secret = true };
	static const struct cfg_load_opts nosuch = { .module = "no-such-module" };
	char path[TU_PATH_MAX];

	(void)state;
	if (!tu_is_root())
		skip();
	assert_non_null(tu_write("ka.json", "{\"twamp-keyagent:twamp-keyagent\": {}}", path,
				 sizeof(path)));
	extracted = 0;
	assert_int_equal(cfg_load_secure(path, count_extract, NULL, err, sizeof(err)), -1);
	assert_contains(err, "twamp-keyagent");
	assert_int_equal(cfg_load(path, &ka, count_extract, NULL, err, sizeof(err)), 0);
	assert_int_equal(extracted, 1);
	assert_int_equal(cfg_load(path, &nosuch, count_extract, NULL, err, sizeof(err)), -1);
	assert_contains(err, "YANG module no-such-module: ");
	/* keyless, readable by others: fine unless file security is asked for */
	assert_non_null(tu_copy_data("minimal.json", 0644, 0, path, sizeof(path)));
	assert_int_equal(cfg_load_secure(path, count_extract, NULL, err, sizeof(err)), 0);
	assert_int_equal(extracted, 2);
	assert_int_equal(cfg_load(path, &secret, count_extract, NULL, err, sizeof(err)), -1);
	assert_contains(err, "mode 0644");
	assert_int_equal(extracted, 2);
}

/* What an isolated load's extract writes: it comes back to the parent. */
struct child_out {
	long pid;
	char burst[16];
	int mode;   /* 0: extract; 1: fail with a reason; 2: exit 3; 3: SIGKILL */
};

static int child_extract(const struct lyd_node *tree, void *arg, const char *path, char *e,
			 size_t elen)
{
	struct child_out *o = arg;
	const char *b = cfg_str(tree, TOP "/dataplane/burst-size");

	o->pid = (long)getpid();
	snprintf(o->burst, sizeof(o->burst), "%s", b ? b : "");
	if (o->mode == 1) {
		snprintf(e, elen, "%s: refused by the extraction", path);
		return -1;
	}
	if (o->mode == 2)
		_exit(3);
	if (o->mode == 3)
		raise(SIGKILL);
	return 0;
}

/* cfg_load_opts.isolate_size: the load runs in a child, whose result,
 * failure or death comes back; nothing of it runs in this process. */
static void test_load_isolated(void **state)
{
	static const struct cfg_load_opts iso = { .isolate_size = sizeof(struct child_out) };
	struct child_out o = { 0 };
	char path[TU_PATH_MAX];

	(void)state;
	assert_non_null(tu_data("minimal.json", path, sizeof(path)));
	assert_int_equal(cfg_load(path, &iso, child_extract, &o, err, sizeof(err)), 0);
	assert_true(o.pid > 0 && o.pid != (long)getpid());
	assert_string_equal(o.burst, "32"); /* the default, from the module */
	/* the extraction's refusal, and libyang's, with their reasons */
	o = (struct child_out){ .mode = 1 };
	assert_int_equal(cfg_load(path, &iso, child_extract, &o, err, sizeof(err)), -1);
	assert_contains(err, "refused by the extraction");
	assert_int_equal(cfg_load("/nonexistent/x.json", &iso, child_extract, &o, err,
				  sizeof(err)), -1);
	assert_contains(err, "/nonexistent/x.json: No such file or directory");
	/* a loader that exits or dies: an error, not the caller's end */
	o = (struct child_out){ .mode = 2 };
	assert_int_equal(cfg_load(path, &iso, child_extract, &o, err, sizeof(err)), -1);
	assert_contains(err, "configuration loader exited with status 3");
	o = (struct child_out){ .mode = 3 };
	assert_int_equal(cfg_load(path, &iso, child_extract, &o, err, sizeof(err)), -1);
	assert_contains(err, "configuration loader died of signal 9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_loads_module),
		cmocka_unit_test(test_ctx_env_override),
		cmocka_unit_test(test_yang_dir_ownership),
		cmocka_unit_test(test_load_minimal),
		cmocka_unit_test(test_load_xml),
		cmocka_unit_test(test_cfg_str),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_unknown_leaf),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_missing_mandatory),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_secret_file_ok),
		cmocka_unit_test(test_secret_file_refused),
		cmocka_unit_test(test_secret_file_not_regular),
		cmocka_unit_test(test_load_options),
		cmocka_unit_test(test_load_isolated),
	};

	/* the source tree's modules, whatever the environment says */
	setenv("TWR_YANG_DIR", TWR_YANG_SRCDIR, 1);
	return cmocka_run_group_tests(tests, tu_setup, tu_teardown);
}
