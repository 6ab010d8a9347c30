/* Command line of `twamp-client twamp`: defaults, HOST[:PORT] forms, every
 * option, and the refusal of bad values and combinations with one clear
 * reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>

#include "control_msg.h"
#include "twamp_opts.h"

#define MAXARGS 40

/* Parse a NULL-terminated list of arguments after "twamp". */
static int parse(struct twamp_opts *o, char *err, const char *first, ...)
{
	char *argv[MAXARGS + 1];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"twamp";
	va_start(ap, first);
	for (const char *a = first; a && argc < MAXARGS; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return twamp_opts_parse(argc, argv, o, err, 256);
}

static void expect_error(const char *what, int rc, const char *err)
{
	assert_int_equal(rc, -1);
	if (!strstr(err, what))
		fail_msg("error '%s' does not mention '%s'", err, what);
	assert_null(strchr(err, '\n'));
}

static void test_ikev2(void **state)
{
	struct twamp_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "--ikev2", "-m", "enc", "10.99.1.2", NULL), 0);
	assert_true(o.ikev2);
	assert_int_equal(o.security, TWC_MODE_ENC);
	assert_string_equal(o.keyagent_socket, "/run/twamp-keyagent/agent.sock");
	assert_null(o.key_id);
	assert_int_equal(parse(&o, err, "-m", "mixed", "--ikev2", "--keyagent-socket",
			       "/tmp/a/agent.sock", "10.99.1.2", NULL), 0);
	assert_string_equal(o.keyagent_socket, "/tmp/a/agent.sock");
	expect_error("--ikev2 needs --mode auth, enc or mixed",
		     parse(&o, err, "--ikev2", "10.99.1.2", NULL), err);
	expect_error("--key-id and --secret-file are not used with --ikev2",
		     parse(&o, err, "--ikev2", "-m", "auth", "--key-id", "k", "h", NULL), err);
	expect_error("--key-id and --secret-file are not used with --ikev2",
		     parse(&o, err, "--ikev2", "-m", "auth", "--secret-file", "/f", "h", NULL), err);
	expect_error("--keyagent-socket is only used with --ikev2",
		     parse(&o, err, "-m", "auth", "--key-id", "k", "--keyagent-socket", "/s", "h",
			   NULL), err);
	expect_error("--keyagent-socket must be an absolute path",
		     parse(&o, err, "--ikev2", "-m", "auth", "--keyagent-socket", "agent.sock", "h",
			   NULL), err);
	expect_error("--keyagent-socket must be an absolute path",
		     parse(&o, err, "--ikev2", "-m", "auth", "--keyagent-socket",
			   "/0123456789012345678901234567890123456789012345678901234567890123456789"
			   "012345678901234567890123456789012345678", "h", NULL), err);
	expect_error("missing value", parse(&o, err, "--ikev2", "-m", "auth", "h",
					    "--keyagent-socket", NULL), err);
}

static void test_defaults(void **state)
{
	struct twamp_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "server.example", NULL), 0);
	assert_false(o.ikev2);
	assert_string_equal(o.host, "server.example");
	assert_int_equal(o.port, 862);
	assert_int_equal(o.security, TWC_MODE_UNAUTH);
	assert_null(o.key_id);
	assert_null(o.secret_file);
	assert_int_equal(o.max_count_exp, 20);
	assert_int_equal(o.control_timeout_ns, 10000000000ull);
	assert_int_equal(o.sessions, 1);
	assert_int_equal(o.count, 100);
	assert_int_equal(o.interval_ns, 10000000);
	assert_int_equal(o.timeout_ns, 2000000000ull);
	assert_int_equal(o.size, 14);
	assert_int_equal(o.dscp, -1);
	assert_int_equal(o.sender_port, 0);
	assert_int_equal(o.receiver_port, 0);
	assert_int_equal(o.receiver_family, 0);
	assert_null(o.receiver_arg);
	assert_false(o.reflect_octets || o.symmetrical || o.individual || o.fill_random ||
		     o.synced || o.json || o.help);
	assert_int_equal(twamp_padding_len(&o), 0);
}

static void expect_host(const char *arg, const char *host, uint16_t port)
{
	char h[TWAMP_HOST_MAX + 1], err[256];
	uint16_t p;

	assert_int_equal(twamp_parse_hostport(arg, h, sizeof(h), &p, err, sizeof(err)), 0);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
}

static void expect_bad_host(const char *arg, const char *what)
{
	char h[TWAMP_HOST_MAX + 1], err[256] = "";
	uint16_t p;

	expect_error(what, twamp_parse_hostport(arg, h, sizeof(h), &p, err, sizeof(err)), err);
}

static void test_hostport(void **state)
{
	char longname[TWAMP_HOST_MAX + 2];

	(void)state;
	expect_host("192.0.2.1", "192.0.2.1", 862);
	expect_host("192.0.2.1:4000", "192.0.2.1", 4000);
	expect_host("twamp.example.net:65535", "twamp.example.net", 65535);
	expect_host("fd00:99::2", "fd00:99::2", 862);      /* bare IPv6: no port */
	expect_host("[fd00:99::2]", "fd00:99::2", 862);
	expect_host("[fd00:99::2]:1", "fd00:99::2", 1);
	expect_host("[fe80::1%eth0]:862", "fe80::1%eth0", 862);
	expect_bad_host("host:0", "invalid TCP port");
	expect_bad_host("host:65536", "invalid TCP port");
	expect_bad_host("host:", "invalid TCP port");
	expect_bad_host("host:x1", "invalid TCP port");
	expect_bad_host(":862", "1 to");
	expect_bad_host("", "1 to");
	expect_bad_host("[fd00::1", "expected [IPv6-address]");
	expect_bad_host("[fd00::1]x", "expected [IPv6-address]");
	expect_bad_host("[fd00::1]:", "expected [IPv6-address]");
	expect_bad_host("[]:862", "1 to");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	expect_bad_host(longname, "1 to 255");
}

static void test_every_option(void **state)
{
	struct twamp_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "-m", "enc", "--key-id", "alice", "--secret-file", "/s",
			       "--max-count-exponent", "15", "--control-timeout", "2.5", "-n", "16",
			       "-c", "7", "-i", "0.25", "-s", "200", "-t", "1.5", "--dscp", "46",
			       "--sender-port", "50000", "--receiver-port", "862",
			       "--reflect-octets", "4", "--symmetrical", "--individual",
			       "--fill", "random", "--synced", "--json", "[2001:db8::1]:9862", NULL), 0);
	assert_int_equal(o.security, TWC_MODE_ENC);
	assert_string_equal(o.key_id, "alice");
	assert_string_equal(o.secret_file, "/s");
	assert_int_equal(o.max_count_exp, 15);
	assert_int_equal(o.control_timeout_ns, 2500000000ull);
	assert_int_equal(o.sessions, 16);
	assert_int_equal(o.count, 7);
	assert_int_equal(o.interval_ns, 250000000ull);
	assert_int_equal(o.size, 200);
	assert_int_equal(o.timeout_ns, 1500000000ull);
	assert_int_equal(o.dscp, 46);
	assert_int_equal(o.sender_port, 50000);
	assert_int_equal(o.receiver_port, 862);
	assert_true(o.reflect_octets);
	assert_int_equal(o.reflect_len, 4);
	assert_true(o.symmetrical && o.individual && o.fill_random && o.synced && o.json);
	assert_string_equal(o.host, "2001:db8::1");
	assert_int_equal(o.port, 9862);
	assert_int_equal(twamp_padding_len(&o), 200 - 112);   /* enc, symmetrical */
	assert_int_equal(twamp_test_sec(o.security), TW_SEC_ENC);
}

static void test_mode_sizes(void **state)
{
	struct twamp_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "-m", "auth", "--key-id", "k", "h", NULL), 0);
	assert_int_equal(o.size, 48);
	assert_int_equal(twamp_test_sec(o.security), TW_SEC_AUTH);
	/* mixed mode tests in the open: open sizes */
	assert_int_equal(parse(&o, err, "-m", "mixed", "--key-id", "k", "h", NULL), 0);
	assert_int_equal(o.size, 14);
	assert_int_equal(twamp_test_sec(o.security), TW_SEC_OPEN);
	assert_int_equal(parse(&o, err, "-m", "mixed", "--key-id", "k", "--symmetrical", "h", NULL), 0);
	assert_int_equal(o.size, 41);
	assert_int_equal(parse(&o, err, "-m", "open", "-s", "100", "h", NULL), 0);
	assert_int_equal(twamp_padding_len(&o), 86);
	assert_int_equal(parse(&o, err, "-h", NULL), 0);
	assert_true(o.help);
}

static void test_refusals(void **state)
{
	struct twamp_opts o;
	char err[256];
	char key81[82];

	(void)state;
	memset(key81, 'k', 81);
	key81[81] = '\0';
	expect_error("--mode", parse(&o, err, "-m", "x", "h", NULL), err);
	expect_error("needs --key-id", parse(&o, err, "-m", "auth", "h", NULL), err);
	expect_error("needs --key-id", parse(&o, err, "-m", "mixed", "h", NULL), err);
	expect_error("1 to 80", parse(&o, err, "-m", "enc", "--key-id", key81, "h", NULL), err);
	expect_error("1 to 80", parse(&o, err, "-m", "enc", "--key-id", "", "h", NULL), err);
	expect_error("only used with", parse(&o, err, "--secret-file", "f", "h", NULL), err);
	expect_error("--sessions", parse(&o, err, "-n", "0", "h", NULL), err);
	expect_error("--sessions", parse(&o, err, "-n", "17", "h", NULL), err);
	expect_error("--count", parse(&o, err, "-c", "0", "h", NULL), err);
	expect_error("--max-count-exponent", parse(&o, err, "--max-count-exponent", "9", "h", NULL), err);
	expect_error("--max-count-exponent", parse(&o, err, "--max-count-exponent", "32", "h", NULL), err);
	/* 2^31 cannot run: refused as the server's count is */
	expect_error("--max-count-exponent (10..30)",
		     parse(&o, err, "--max-count-exponent", "31", "h", NULL), err);
	assert_int_equal(parse(&o, err, "--max-count-exponent", "30", "h", NULL), 0);
	assert_int_equal(o.max_count_exp, 30);
	expect_error("--control-timeout", parse(&o, err, "--control-timeout", "0", "h", NULL), err);
	expect_error("--control-timeout", parse(&o, err, "--control-timeout", "3601", "h", NULL), err);
	expect_error("--dscp", parse(&o, err, "--dscp", "64", "h", NULL), err);
	expect_error("--sender-port", parse(&o, err, "--sender-port", "65536", "h", NULL), err);
	expect_error("--receiver-port", parse(&o, err, "--receiver-port", "-1", "h", NULL), err);
	expect_error("--fill", parse(&o, err, "--fill", "ones", "h", NULL), err);
	expect_error("--reflect-octets", parse(&o, err, "--reflect-octets", "0", "h", NULL), err);
	expect_error("below the minimum of 48", parse(&o, err, "-m", "enc", "--key-id", "k", "-s", "47",
						     "h", NULL), err);
	expect_error("below the minimum of 112", parse(&o, err, "-m", "auth", "--key-id", "k",
						      "--symmetrical", "-s", "100", "h", NULL), err);
	expect_error("exceeds the 6 octets of padding", parse(&o, err, "-s", "20", "--reflect-octets",
							      "7", "h", NULL), err);
	expect_error("no room for 3 sessions", parse(&o, err, "--sender-port", "65534", "-n", "3",
						     "h", NULL), err);
	expect_error("unknown option", parse(&o, err, "--frobnicate", "h", NULL), err);
	expect_error("missing value", parse(&o, err, "h", "--count", NULL), err);
	expect_error("missing HOST", parse(&o, err, "-c", "3", NULL), err);
	expect_error("unexpected argument", parse(&o, err, "h", "i", NULL), err);
	expect_error("invalid TCP port", parse(&o, err, "h:99999", NULL), err);
	/* at the edges: accepted */
	assert_int_equal(parse(&o, err, "--sender-port", "65533", "-n", "3", "-s", "20",
			       "--reflect-octets", "6", "h", NULL), 0);
}

static void test_receiver_address(void **state)
{
	static const char *const bad[] = { "0.0.0.0", "224.0.0.1", "255.255.255.255", "0.1.2.3",
					   "::", "ff02::1", "fe80::1%eth0", "[fd00::2]", "10.99.1",
					   "gateway.example", "" };
	struct twamp_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "--receiver-address", "10.99.1.2", "10.99.101.2", NULL), 0);
	assert_int_equal(o.receiver_family, AF_INET);
	assert_memory_equal(o.receiver_addr, ((uint8_t[16]){ 10, 99, 1, 2 }), 16);
	assert_string_equal(o.receiver_arg, "10.99.1.2");
	assert_int_equal(parse(&o, err, "--receiver-address", "fd00:99:1::2", "[fd00:99:65::2]:8620",
			       NULL), 0);
	assert_int_equal(o.receiver_family, AF_INET6);
	assert_memory_equal(o.receiver_addr,
			    ((uint8_t[16]){ 0xfd, 0, 0, 0x99, 0, 1, [15] = 2 }), 16);
	assert_int_equal(o.port, 8620);
	/* a name as HOST: its family is checked once connected */
	assert_int_equal(parse(&o, err, "--receiver-address", "fd00:99:1::2", "mgmt.example", NULL),
			 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("invalid value", parse(&o, err, "--receiver-address", bad[i], "h", NULL),
			     err);
	expect_error("--receiver-address (an IPv4 or IPv6 address",
		     parse(&o, err, "--receiver-address", "ff02::1", "h", NULL), err);
	expect_error("--receiver-address fd00:99:1::2 is IPv6 but the server 10.99.101.2 is IPv4",
		     parse(&o, err, "--receiver-address", "fd00:99:1::2", "10.99.101.2", NULL), err);
	expect_error("--receiver-address 10.99.1.2 is IPv4 but the server fd00:99:65::2 is IPv6",
		     parse(&o, err, "--receiver-address", "10.99.1.2", "fd00:99:65::2", NULL), err);
	expect_error("missing value", parse(&o, err, "h", "--receiver-address", NULL), err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_mode_sizes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_ikev2),
		cmocka_unit_test(test_receiver_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
