/* libyang trees from JSON text for the reader tests (see cfg_test_tree.h). */
#include "cfg_test_tree.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <libyang/libyang.h>

static const char *ly_msg(const struct ly_ctx *ctx)
{
	const struct ly_err_item *e = ly_err_last(ctx);

	return e && e->msg ? e->msg : "?";
}

struct ly_ctx *tt_ctx_new(void)
{
	struct ly_ctx *ctx = NULL;

	ly_log_options(LY_LOSTORE_LAST);
	if (ly_ctx_new(TEST_DATA_DIR, LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx) != LY_SUCCESS)
		fail_msg("libyang context on %s", TEST_DATA_DIR);
	if (!ly_ctx_load_module(ctx, "cfg-test", NULL, NULL))
		fail_msg("module cfg-test: %s", ly_msg(ctx));
	return ctx;
}

struct lyd_node *tt_tree(struct ly_ctx *ctx, const char *json)
{
	struct lyd_node *tree = NULL;

	if (lyd_parse_data_mem(ctx, json, LYD_JSON, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
			       LYD_VALIDATE_PRESENT, &tree) != LY_SUCCESS)
		fail_msg("%s: %s", json, ly_msg(ctx));
	return tree;
}

struct lyd_node *tt_node(struct lyd_node *tree, const char *path)
{
	struct lyd_node *n = NULL;

	if (lyd_find_path(tree, path, 0, &n) != LY_SUCCESS || !n)
		fail_msg("no %s", path);
	return n;
}
