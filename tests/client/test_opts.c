/* Command line of `twamp-client light`: defaults, every option, and the
 * refusal of bad values with one clear reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"
#include "light_opts.h"

#define MAXARGS 40

/* Parse a NULL-terminated list of arguments after "light". */
static int parse(struct light_opts *o, char *err, const char *first, ...)
{
	char *argv[MAXARGS + 1];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"light";
	va_start(ap, first);
	for (const char *a = first; a && argc < MAXARGS; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return light_opts_parse(argc, argv, o, err, 256);
}

static void expect_error(const char *what, int rc, const char *err)
{
	assert_int_equal(rc, -1);
	if (!strstr(err, what))
		fail_msg("error '%s' does not mention '%s'", err, what);
	assert_null(strchr(err, '\n'));
}

static void test_defaults(void **state)
{
	struct light_opts o;
	char err[256];
	char a[ADDR_STRLEN];

	(void)state;
	assert_int_equal(parse(&o, err, "192.0.2.7", NULL), 0);
	assert_int_equal(o.cfg.count, 100);
	assert_int_equal(o.cfg.interval_ns, 10000000);
	assert_int_equal(o.cfg.timeout_ns, 2000000000ull);
	assert_int_equal(o.cfg.size, 14);
	assert_int_equal(o.cfg.sec, TW_SEC_OPEN);
	assert_int_equal(o.cfg.dscp, -1);
	assert_false(o.cfg.symmetrical);
	assert_false(o.cfg.fill_random);
	assert_false(o.cfg.synced);
	assert_false(o.cfg.has_src);
	assert_false(o.json);
	assert_null(o.key_file);
	assert_int_equal(o.cfg.dst.ss_family, AF_INET);
	assert_int_equal(addr_port(&o.cfg.dst), 862);
	addr_format(&o.cfg.dst, a, sizeof(a));
	assert_string_equal(a, "192.0.2.7");
}

static void test_all_options(void **state)
{
	struct light_opts o;
	char err[256];
	char a[ADDR_STRLEN];

	(void)state;
	assert_int_equal(parse(&o, err, "-p", "8620", "-c", "10000000", "-i", "0", "-s", "9000",
			       "-m", "enc", "--symmetrical", "-k", "/some/key", "--dscp", "46", "-t",
			       "0.25", "--json", "-S", "2001:db8::1", "--src-port", "5000", "--fill",
			       "random", "--synced", "2001:db8::2", NULL), 0);
	assert_int_equal(addr_port(&o.cfg.dst), 8620);
	assert_int_equal(o.cfg.count, 10000000);
	assert_int_equal(o.cfg.interval_ns, 0);
	assert_int_equal(o.cfg.size, 9000);
	assert_int_equal(o.cfg.sec, TW_SEC_ENC);
	assert_true(o.cfg.symmetrical);
	assert_string_equal(o.key_file, "/some/key");
	assert_int_equal(o.cfg.dscp, 46);
	assert_int_equal(o.cfg.timeout_ns, 250000000);
	assert_true(o.json);
	assert_true(o.cfg.has_src);
	assert_int_equal(o.cfg.src.ss_family, AF_INET6);
	assert_int_equal(addr_port(&o.cfg.src), 5000);
	addr_format(&o.cfg.src, a, sizeof(a));
	assert_string_equal(a, "2001:db8::1");
	assert_true(o.cfg.fill_random);
	assert_true(o.cfg.synced);
	assert_int_equal(o.cfg.dst.ss_family, AF_INET6);
}

static void test_mode_sizes(void **state)
{
	struct light_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "-m", "auth", "-k", "k", "10.0.0.1", NULL), 0);
	assert_int_equal(o.cfg.size, 48);
	assert_int_equal(parse(&o, err, "--symmetrical", "10.0.0.1", NULL), 0);
	assert_int_equal(o.cfg.size, 41);
	assert_int_equal(parse(&o, err, "10.0.0.1", "--mode", "enc", "--symmetrical", "--key-file", "k", NULL), 0);
	assert_int_equal(o.cfg.size, 112);
	/* size checked against the mode whatever the order of the options */
	expect_error("below the auth mode minimum of 48", parse(&o, err, "-s", "47", "-m", "auth", "-k", "k",
								  "10.0.0.1", NULL), err);
	expect_error("enc mode symmetrical minimum of 112",
		     parse(&o, err, "-s", "111", "--symmetrical", "-m", "enc", "-k", "k", "10.0.0.1", NULL), err);
	expect_error("open mode minimum of 14", parse(&o, err, "-s", "13", "10.0.0.1", NULL), err);
	expect_error("--size", parse(&o, err, "-s", "9001", "10.0.0.1", NULL), err);
	assert_int_equal(parse(&o, err, "-s", "14", "10.0.0.1", NULL), 0);
}

static void test_src_port_only(void **state)
{
	struct light_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "--src-port", "4000", "::1", NULL), 0);
	assert_true(o.cfg.has_src);
	assert_int_equal(o.cfg.src.ss_family, AF_INET6);
	assert_int_equal(addr_port(&o.cfg.src), 4000);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&o.cfg.src)->sin6_addr));
}

static void test_bad_values(void **state)
{
	struct light_opts o;
	char err[256];

	(void)state;
	expect_error("--count", parse(&o, err, "-c", "0", "10.0.0.1", NULL), err);
	expect_error("--count", parse(&o, err, "-c", "10000001", "10.0.0.1", NULL), err);
	expect_error("--count", parse(&o, err, "-c", "-5", "10.0.0.1", NULL), err);
	expect_error("--count", parse(&o, err, "-c", "12x", "10.0.0.1", NULL), err);
	expect_error("--count", parse(&o, err, "-c", "99999999999999999999999", "10.0.0.1", NULL), err);
	expect_error("--port", parse(&o, err, "-p", "0", "10.0.0.1", NULL), err);
	expect_error("--port", parse(&o, err, "-p", "65536", "10.0.0.1", NULL), err);
	expect_error("--interval", parse(&o, err, "-i", "-1", "10.0.0.1", NULL), err);
	expect_error("--interval", parse(&o, err, "-i", "1e-3", "10.0.0.1", NULL), err);
	expect_error("--interval", parse(&o, err, "-i", "nan", "10.0.0.1", NULL), err);
	expect_error("--interval", parse(&o, err, "-i", "3601", "10.0.0.1", NULL), err);
	expect_error("--timeout", parse(&o, err, "-t", "", "10.0.0.1", NULL), err);
	expect_error("--mode", parse(&o, err, "-m", "mixed", "10.0.0.1", NULL), err);
	expect_error("--dscp", parse(&o, err, "--dscp", "64", "10.0.0.1", NULL), err);
	expect_error("--src-port", parse(&o, err, "--src-port", "70000", "10.0.0.1", NULL), err);
	expect_error("--fill", parse(&o, err, "--fill", "ones", "10.0.0.1", NULL), err);
}

static void test_bad_usage(void **state)
{
	struct light_opts o;
	char err[256];

	(void)state;
	expect_error("missing HOST", parse(&o, err, "-c", "5", NULL), err);
	expect_error("unexpected argument 'b'", parse(&o, err, "10.0.0.1", "b", NULL), err);
	expect_error("unknown option '-x'", parse(&o, err, "-x", "10.0.0.1", NULL), err);
	expect_error("unknown option '--frobnicate'", parse(&o, err, "--frobnicate", "10.0.0.1", NULL), err);
	expect_error("missing value for option", parse(&o, err, "10.0.0.1", "--dscp", NULL), err);
	expect_error("need --key-file", parse(&o, err, "-m", "auth", "10.0.0.1", NULL), err);
	expect_error("only used with", parse(&o, err, "-k", "key", "10.0.0.1", NULL), err);
	expect_error("not the same address family", parse(&o, err, "-S", "::1", "10.0.0.1", NULL), err);
	expect_error("not an IPv4 or IPv6 address", parse(&o, err, "-S", "me", "10.0.0.1", NULL), err);
}

static void test_bad_hosts(void **state)
{
	static const char *bad[] = { "localhost", "10.0.0", "10.0.0.256", "0x0a.1.2.3", "::g", "", "1.2.3.4 " };
	static const char *not_unicast[] = { "0.0.0.0", "255.255.255.255", "239.1.1.1", "::", "ff02::1" };
	struct light_opts o;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("not an IPv4 or IPv6 address", parse(&o, err, bad[i], NULL), err);
	for (size_t i = 0; i < sizeof(not_unicast) / sizeof(not_unicast[0]); i++)
		expect_error("not a unicast address", parse(&o, err, not_unicast[i], NULL), err);
	expect_error("unknown interface", parse(&o, err, "fe80::1%no-such-if0", NULL), err);
	assert_int_equal(parse(&o, err, "fe80::1%1", NULL), 0);
	assert_int_equal(((struct sockaddr_in6 *)&o.cfg.dst)->sin6_scope_id, 1);
}

static void test_help(void **state)
{
	struct light_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "--help", NULL), 0);
	assert_true(o.help);
	assert_int_equal(parse(&o, err, "10.0.0.1", "-h", NULL), 0);
	assert_true(o.help);
}

static void test_parse_uint(void **state)
{
	unsigned long long v = 77;

	(void)state;
	assert_int_equal(opts_parse_uint("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(opts_parse_uint("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(opts_parse_uint("11", 0, 10, &v), -1);
	assert_int_equal(opts_parse_uint("5", 6, 10, &v), -1);
	assert_int_equal(opts_parse_uint("", 0, 10, &v), -1);
	assert_int_equal(opts_parse_uint("+5", 0, 10, &v), -1);
	assert_int_equal(opts_parse_uint(" 5", 0, 10, &v), -1);
	assert_int_equal(opts_parse_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(opts_parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -1);
}

static void test_parse_seconds(void **state)
{
	uint64_t ns = 1;

	(void)state;
	assert_int_equal(opts_parse_seconds("0", 3600, &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(opts_parse_seconds("0.01", 3600, &ns), 0);
	assert_int_equal(ns, 10000000);
	assert_int_equal(opts_parse_seconds(".5", 3600, &ns), 0);
	assert_int_equal(ns, 500000000);
	assert_int_equal(opts_parse_seconds("2", 3600, &ns), 0);
	assert_int_equal(ns, 2000000000ull);
	assert_int_equal(opts_parse_seconds("1.000000001", 3600, &ns), 0);
	assert_int_equal(ns, 1000000001);
	assert_int_equal(opts_parse_seconds("3600", 3600, &ns), 0);
	assert_int_equal(ns, 3600000000000ull);
	assert_int_equal(opts_parse_seconds("3600.000", 3600, &ns), 0);
	assert_int_equal(opts_parse_seconds("3600.001", 3600, &ns), -1);
	assert_int_equal(opts_parse_seconds("0.0000000001", 3600, &ns), -1);
	assert_int_equal(opts_parse_seconds("1.", 3600, &ns), -1);
	assert_int_equal(opts_parse_seconds(".", 3600, &ns), -1);
	assert_int_equal(opts_parse_seconds("", 3600, &ns), -1);
	assert_int_equal(opts_parse_seconds("1,5", 3600, &ns), -1);
	assert_int_equal(opts_parse_seconds("99999999999999999999", 3600, &ns), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_mode_sizes),
		cmocka_unit_test(test_src_port_only),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_usage),
		cmocka_unit_test(test_bad_hosts),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_parse_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
