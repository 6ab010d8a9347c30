/* common/config's address prefixes (cfg_prefix.h): the "address/length"
 * parser and the leaf-list reader every daemon uses. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libyang/libyang.h>

#include "cfg_file.h"
#include "cfg_prefix.h"
#include "cfg_read.h"
#include "cfg_test_tree.h"

#define TOP "/cfg-test:top"
#define MAXP 4

static struct ly_ctx *ctx;
static struct lyd_node *tree;
static char buf[256];
static struct cfg_err e = { .file = "f.json", .buf = buf, .len = sizeof(buf) };
static struct cfg_prefix out[MAXP];
static size_t n;

static const struct cfg_prefix_list prefixes = {
	.xpath = "p", .name = "p", .plural = "p entries", .zero_host = true, .max = MAXP,
};
static const struct cfg_prefix_list addresses = {
	.xpath = "p", .name = "address", .plural = "addresses", .max = MAXP,
};
static const struct cfg_prefix_list needed = {
	.xpath = "sub/q", .name = "q", .plural = "q entries", .zero_host = true,
	.min = 1, .max = 2,
};

static void assert_prefix(const struct cfg_prefix *p, const char *addr, unsigned len)
{
	uint8_t want[16] = { 0 };
	int v4 = strchr(addr, ':') == NULL;

	assert_int_equal(inet_pton(v4 ? AF_INET : AF_INET6, addr, want), 1);
	assert_int_equal(p->ipver, v4 ? 4 : 6);
	assert_int_equal(p->len, len);
	assert_memory_equal(p->addr, want, sizeof(want));
}

/* Read `l` from a cfg-test tree whose "p" (or sub/q) list is `list`. */
static int read_list(const struct cfg_prefix_list *l, const char *list)
{
	char json[512];

	lyd_free_all(tree);
	if (l == &needed)
		snprintf(json, sizeof(json), "{\"cfg-test:top\": {\"sub\": {\"q\": [%s]}}}", list);
	else
		snprintf(json, sizeof(json), "{\"cfg-test:top\": {\"p\": [%s]}}", list);
	tree = tt_tree(ctx, json);
	memset(out, 0xa5, sizeof(out));
	n = 99;
	buf[0] = '\0';
	return cfg_prefixes(tt_node(tree, TOP), l, "ctx 'x'", out, &n, &e);
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

static void test_parse_host_bits(void **state)
{
	struct cfg_prefix p;

	(void)state;
	assert_int_equal(cfg_prefix_parse("10.99.31.255/20", false, &p), 0);
	assert_prefix(&p, "10.99.31.255", 20);
	assert_int_equal(cfg_prefix_parse("10.99.31.255/20", true, &p), 0);
	assert_prefix(&p, "10.99.16.0", 20);
	assert_int_equal(cfg_prefix_parse("fd00:99:1::ff:2/44", true, &p), 0);
	assert_prefix(&p, "fd00:99::", 44);
	assert_int_equal(cfg_prefix_parse("fd00:99:1::ff:2/64", false, &p), 0);
	assert_prefix(&p, "fd00:99:1::ff:2", 64);
	/* the ends of the ranges */
	assert_int_equal(cfg_prefix_parse("192.0.2.1/0", true, &p), 0);
	assert_prefix(&p, "0.0.0.0", 0);
	assert_int_equal(cfg_prefix_parse("192.0.2.1/32", true, &p), 0);
	assert_prefix(&p, "192.0.2.1", 32);
	assert_int_equal(cfg_prefix_parse("2001:db8::1/128", true, &p), 0);
	assert_prefix(&p, "2001:db8::1", 128);
}

static void test_parse_refused(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0/33", "2001:db8::/129", "10.0.0.0", "10.0.0.0/", "10.0.0.0/+8",
		"10.0.0.0/-8", "10.0.0.0/8x", "10.0.0/8", "fe80::1%eth0/64", "host/8", "/8",
		"1111:2222:3333:4444:5555:6666:123.123.123.123:1/8", /* too long for an address */
		"10.0.0.0/99999999999999999999999",
	};
	struct cfg_prefix p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cfg_prefix_parse(bad[i], true, &p) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
	/* an IPv6 prefix may be longer than 32 */
	assert_int_equal(cfg_prefix_parse("2001:db8::/33", true, &p), 0);
}

static void test_list_v4_v6(void **state)
{
	(void)state;
	assert_int_equal(read_list(&prefixes, "\"10.99.7.9/24\", \"fd00:99::7/48\", \"0.0.0.0/0\""),
			 0);
	assert_int_equal(n, 3);
	assert_prefix(&out[0], "10.99.7.0", 24);
	assert_prefix(&out[1], "fd00:99::", 48);
	assert_prefix(&out[2], "0.0.0.0", 0);
	/* interface addresses keep the host bits */
	assert_int_equal(read_list(&addresses, "\"10.99.7.9/24\", \"fd00:99::7/48\""), 0);
	assert_int_equal(n, 2);
	assert_prefix(&out[0], "10.99.7.9", 24);
	assert_prefix(&out[1], "fd00:99::7", 48);
}

static void test_list_bad_entry(void **state)
{
	(void)state;
	assert_int_equal(read_list(&prefixes, "\"10.0.0.0/8\", \"10.0.0.0/33\""), -1);
	assert_string_equal(buf, "f.json: ctx 'x': p \"10.0.0.0/33\" is not a prefix");
	assert_int_equal(n, 99); /* no count on failure */
	assert_int_equal(read_list(&addresses, "\"fd00::1/64\", \"fd00::1\""), -1);
	assert_string_equal(buf, "f.json: ctx 'x': address \"fd00::1\" is not an address/length");
	assert_int_equal(read_list(&prefixes, "\"fe80::1%eth0/64\""), -1);
	assert_string_equal(buf, "f.json: ctx 'x': p \"fe80::1%eth0/64\" is not a prefix");
}

static void test_list_counts(void **state)
{
	(void)state;
	/* empty: none configured, fine unless a minimum is set */
	assert_int_equal(read_list(&prefixes, ""), 0);
	assert_int_equal(n, 0);
	assert_int_equal(read_list(&needed, ""), -1);
	assert_string_equal(buf, "f.json: ctx 'x': 0 q entries (1 to 2)");
	assert_int_equal(read_list(&needed, "\"10.0.0.0/8\", \"10.1.0.0/16\", \"10.2.0.0/16\""),
			 -1);
	assert_string_equal(buf, "f.json: ctx 'x': 3 q entries (1 to 2)");
	assert_int_equal(read_list(&needed, "\"10.1.0.0/16\", \"10.2.0.0/16\""), 0);
	assert_int_equal(n, 2);
	/* the maximum fills out[] exactly; one more is refused before parsing */
	assert_int_equal(read_list(&prefixes, "\"1.0.0.0/8\", \"2.0.0.0/8\", \"3.0.0.0/8\", "
					      "\"4.0.0.0/8\""), 0);
	assert_int_equal(n, MAXP);
	assert_prefix(&out[MAXP - 1], "4.0.0.0", 8);
	assert_int_equal(read_list(&addresses, "\"1.0.0.1/8\", \"2.0.0.1/8\", \"3.0.0.1/8\", "
					       "\"4.0.0.1/8\", \"5.0.0.1/8\""), -1);
	assert_string_equal(buf, "f.json: ctx 'x': 5 addresses, at most 4");
	assert_int_equal(n, 99);
}

/* Duplicates are not refused: entries equal once the host bits are
 * cleared are kept, in order (libyang refuses equal strings). */
static void test_list_duplicates(void **state)
{
	(void)state;
	assert_int_equal(read_list(&prefixes, "\"10.1.2.3/8\", \"10.9.9.9/8\""), 0);
	assert_int_equal(n, 2);
	assert_prefix(&out[0], "10.0.0.0", 8);
	assert_prefix(&out[1], "10.0.0.0", 8);
}

/* The reader on the project's module: a control-acl as the server reads
 * it, values already canonical from libyang's inet types. */
static void test_list_project_module(void **state)
{
	static const struct cfg_prefix_list acl = {
		.xpath = "security-baseline/control-acl/permit-prefix", .name = "permit-prefix",
		.plural = "permit-prefix entries", .zero_host = true, .max = MAXP,
	};
	struct ly_ctx *pctx;
	struct lyd_node *t;
	char err[256];

	(void)state;
	pctx = cfg_ctx_new(err, sizeof(err));
	if (!pctx)
		fail_msg("%s", err);
	t = tt_tree(pctx, "{\"twamp-reflector:twamp-reflector\": {\"security-baseline\": "
			  "{\"control-acl\": {\"permit-prefix\": [\"192.0.2.0/24\", "
			  "\"2001:db8:1::/48\"]}}}}");
	assert_int_equal(cfg_prefixes(tt_node(t, CFG_TOP), &acl, "control-acl", out, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_prefix(&out[0], "192.0.2.0", 24);
	assert_prefix(&out[1], "2001:db8:1::", 48);
	lyd_free_all(t);
	ly_ctx_destroy(pctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_host_bits),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_list_v4_v6),
		cmocka_unit_test(test_list_bad_entry),
		cmocka_unit_test(test_list_counts),
		cmocka_unit_test(test_list_duplicates),
		cmocka_unit_test(test_list_project_module),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
