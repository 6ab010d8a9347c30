/* libyang trees for the tests of common/config's readers, parsed from JSON
 * text: against tests/config/data/cfg-test.yang (loose types, so the
 * readers' own checks are reached) or the project's modules. */
#ifndef TWR_CFG_TEST_TREE_H
#define TWR_CFG_TEST_TREE_H

struct ly_ctx;
struct lyd_node;

/* A context with the cfg-test module; fails the test if it cannot load. */
struct ly_ctx *tt_ctx_new(void);

/* Parse and validate json in ctx; fails the test on an error. */
struct lyd_node *tt_tree(struct ly_ctx *ctx, const char *json);

/* The node at the absolute path in tree; fails the test if absent. */
struct lyd_node *tt_node(struct lyd_node *tree, const char *path);

#endif
