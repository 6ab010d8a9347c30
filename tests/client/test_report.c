/* Report output: the JSON of every crafted case is valid JSON with the
 * expected values; the table shows one-way delays only with synchronised
 * clocks; microsecond formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "report.h"
#include "report_cases.h"

/* Output of report_json or report_table for case i, malloc'ed. */
static char *render(size_t i, bool json)
{
	struct report_info in;
	struct stats_summary s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	report_case(i, &in, &s);
	if (json)
		report_json(f, &in, &s);
	else
		report_table(f, &in, &s);
	fclose(f);
	return buf;
}

static void has(const char *out, const char *what)
{
	if (!strstr(out, what))
		fail_msg("output lacks '%s':\n%s", what, out);
}

static void lacks(const char *out, const char *what)
{
	if (strstr(out, what))
		fail_msg("output has '%s':\n%s", what, out);
}

static void test_json_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < report_case_count(); i++) {
		char *out = render(i, true);
		size_t where = 0;

		if (!json_valid(out, &where))
			fail_msg("case %zu: invalid JSON at offset %zu:\n%s", i, where, out);
		free(out);
	}
}

static void test_json_values(void **state)
{
	char *out;

	(void)state;
	out = render(0, true);
	has(out, "\"sent\": 5,");
	has(out, "\"received\": 0,");
	has(out, "\"loss_percent\": 100.000000,");
	has(out, "\"rtt_ns\": null");
	has(out, "\"sender_ttl\": null");
	has(out, "\"error\": null");
	has(out, "\"mode\": \"open\"");
	free(out);

	out = render(1, true);
	has(out, "\"rtt_ns\": {\"count\": 7, \"min\": 41234, \"median\": 52000, \"p99\": 98765, "
		 "\"max\": 123456, \"mean\": 55555}");
	has(out, "\"forward_ns\": null");
	has(out, "\"backward_ns\": null");
	has(out, "\"clocks_synchronised\": false");
	has(out, "\"ipdv_ns\": {\"count\": 5, \"mean_abs\": 1500, \"p99_abs\": 4000, \"max_abs\": 4000, "
		 "\"min\": -3000, \"max\": 4000}");
	has(out, "\"sender_ttl\": {\"min\": 250, \"max\": 252}");
	has(out, "\"error\": \"send \\\"x\\\" \\\\ failed\\u000a\\u0009tab \\u0001\"");
	has(out, "\"auth_failures\": 4,");
	has(out, "\"mode\": \"auth\"");
	free(out);

	out = render(2, true);
	has(out, "\"forward_ns\": {\"count\": 7, \"min\": 20000,");
	has(out, "\"backward_ns\": {\"count\": 7, \"min\": 21000,");
	has(out, "\"symmetrical\": true");
	has(out, "\"host\": \"2001:db8::5\"");
	free(out);

	out = render(3, true);
	has(out, "\"min\": -9223372036854775808");
	has(out, "\"max\": 9223372036854775807");
	has(out, "\"port\": 65535");
	free(out);
}

static void test_table(void **state)
{
	char *out;

	(void)state;
	out = render(1, false);
	has(out, "auth mode, 48-octet packets");
	has(out, "sent 10, received 7, lost 3 (30.000 %)");
	has(out, "duplicates 1, reordered 2, auth failures 4, invalid 5");
	has(out, "  round trip        41.2      52.0      98.8       123      55.6\n");
	has(out, "forward     n/a (clocks not synchronised)");
	has(out, "backward    n/a (clocks not synchronised)");
	has(out, "mean |d| 1.50, p99 |d| 4.00, max |d| 4.00 (d from -3.00 to 4.00, 5 pairs)");
	has(out, "250 .. 252");
	has(out, "stopped early: send");
	free(out);

	out = render(2, false);
	has(out, "  forward           20.0      25.0      50.0      60.0      27.0\n");
	lacks(out, "n/a");
	has(out, "symmetrical");
	free(out);

	/* nothing received: dashes, not "n/a" */
	out = render(0, false);
	lacks(out, "n/a");
	has(out, "lost 5 (100.000 %)");
	free(out);
}

static void test_fmt_us(void **state)
{
	static const struct {
		int64_t ns;
		const char *s;
	} cases[] = {
		{ 0, "0.000" }, { 120, "0.120" }, { 1200, "1.20" }, { 45234, "45.2" },
		{ 123456, "123" }, { 1234567, "1235" }, { -45234, "-45.2" }, { 999, "0.999" },
	};
	char b[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		report_fmt_us(b, sizeof(b), cases[i].ns);
		assert_string_equal(b, cases[i].s);
	}
	assert_string_equal(report_mode_name(TW_SEC_OPEN), "open");
	assert_string_equal(report_mode_name(TW_SEC_AUTH), "auth");
	assert_string_equal(report_mode_name(TW_SEC_ENC), "enc");
}

/* The checker itself must reject what is not JSON. */
static void test_json_check(void **state)
{
	static const char *bad[] = {
		"", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "01", "1.", "-", "\"\x01\"",
		"\"\\x\"", "nul", "{\"a\": 1} x", "{a: 1}", "\"\\u12g4\"",
	};
	static const char *good[] = {
		"{}", "[]", " {\"a\": [1, -2.5e3, true, false, null, \"x\\n\\u00b5\"]} ", "0", "-0.5",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (json_valid(bad[i], NULL))
			fail_msg("accepted '%s'", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!json_valid(good[i], NULL))
			fail_msg("rejected '%s'", good[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_check),
		cmocka_unit_test(test_json_valid),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_fmt_us),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
