/* common/config's typed readers (cfg_read.h): error formatting, leaf
 * lookup, unsigned numbers, booleans and bounded copies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libyang/libyang.h>

#include "cfg_read.h"
#include "cfg_test_tree.h"

#define TOP "/cfg-test:top"

static struct ly_ctx *ctx;
static struct lyd_node *tree;
static char buf[256];
static struct cfg_err e = { .file = "f.json", .buf = buf, .len = sizeof(buf) };

/* The top container of a tree parsed from the members of "top". */
static struct lyd_node *top(const char *members)
{
	char json[512];

	lyd_free_all(tree);
	snprintf(json, sizeof(json), "{\"cfg-test:top\": {%s}}", members);
	tree = tt_tree(ctx, json);
	buf[0] = '\0';
	return tt_node(tree, TOP);
}

static int setup(void **state)
{
	(void)state;
	ctx = tt_ctx_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lyd_free_all(tree);
	ly_ctx_destroy(ctx);
	return 0;
}

static void test_fail_format(void **state)
{
	char small[8];
	struct cfg_err s = { .file = "long-name.json", .buf = small, .len = sizeof(small) };

	(void)state;
	assert_int_equal(cfg_fail(&e, "%s: %d entries", "acl", 3), -1);
	assert_string_equal(buf, "f.json: acl: 3 entries");
	/* no room even for the file name: cut, still a string */
	assert_int_equal(cfg_fail(&s, "x"), -1);
	assert_string_equal(small, "long-na");
	s.file = "f";
	assert_int_equal(cfg_fail(&s, "%s", "a long reason"), -1);
	assert_string_equal(small, "f: a lo");
}

static void test_str(void **state)
{
	struct lyd_node *t = top("\"s\": \"hello\", \"sub\": {\"q\": [\"x\"]}");

	(void)state;
	assert_string_equal(cfg_str(t, "s"), "hello");
	assert_string_equal(cfg_str(t, "sub/q"), "x");
	assert_string_equal(cfg_str(tree, TOP "/s"), "hello");
	assert_null(cfg_str(t, "b"));          /* absent */
	assert_null(cfg_str(t, "sub"));        /* a container has no value */
	assert_null(cfg_str(NULL, "s"));
}

static void test_uint(void **state)
{
	static const struct {
		const char *value;
		unsigned long max;
		long want;  /* -1: refused */
	} cases[] = {
		{ "0", 10, 0 }, { "42", 42, 42 }, { "43", 42, -1 }, { "-1", 42, -1 },
		{ "", 42, -1 }, { "12x", 42, -1 },
		{ "4294967295", UINT32_MAX, 4294967295L },
		{ "99999999999999999999999", UINT32_MAX, -1 }, /* out of unsigned long */
	};
	unsigned long v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char members[64];
		struct lyd_node *t;

		snprintf(members, sizeof(members), "\"s\": \"%s\"", cases[i].value);
		t = top(members);
		v = 12345;
		if (cases[i].want < 0) {
			char want[96];

			assert_int_equal(cfg_uint(t, "s", cases[i].max, &v, &e, "what"), -1);
			snprintf(want, sizeof(want), "f.json: what: s: bad value \"%s\"",
				 cases[i].value);
			assert_string_equal(buf, want);
			assert_int_equal(v, 12345);
		} else {
			assert_int_equal(cfg_uint(t, "s", cases[i].max, &v, &e, "what"), 0);
			assert_int_equal(v, (unsigned long)cases[i].want);
		}
	}
	assert_int_equal(cfg_uint(top(""), "s", 10, &v, &e, "what"), -1);
	assert_string_equal(buf, "f.json: what: s missing");
}

static void test_bool(void **state)
{
	(void)state;
	assert_true(cfg_bool(top("\"b\": true"), "b"));
	assert_false(cfg_bool(top("\"b\": false"), "b"));
	assert_false(cfg_bool(top(""), "b"));
	/* only the canonical "true" counts */
	assert_false(cfg_bool(top("\"s\": \"TRUE\""), "s"));
}

static void test_copy(void **state)
{
	char dst[4];

	(void)state;
	assert_int_equal(cfg_copy(dst, sizeof(dst), "abc"), 0);
	assert_string_equal(dst, "abc");
	assert_int_equal(cfg_copy(dst, sizeof(dst), ""), 0);
	assert_string_equal(dst, "");
	memcpy(dst, "xyz", 4);
	assert_int_equal(cfg_copy(dst, sizeof(dst), "abcd"), -1);
	assert_string_equal(dst, "xyz"); /* untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_format),
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_copy),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
