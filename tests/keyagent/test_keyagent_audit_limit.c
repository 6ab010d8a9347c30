/* The key agent's audit log under the rate limit (keyagent/ka_audit_limit.h)
 * with an injected clock: a key handed out is always written; refusals of
 * one caller and outcome are aggregated into a summary line; other callers
 * and outcomes are windows of their own; the budget holds the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ka_audit_limit.h"

static int tmpfile_fd(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/twr-ka-audit-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	return fd;
}

static size_t count(const char *path, const char *needle)
{
	char buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n, k = 0;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (const char *p = buf; (p = strstr(p, needle)) != NULL; p++)
		k++;
	return k;
}

static struct ka_audit_rec rec(uid_t uid, uint8_t type, uint8_t status, const char *reason)
{
	struct ka_audit_rec r = { .caller = { .pid = 42, .uid = uid, .gid = uid }, .type = type,
				  .status = status, .reason = reason };

	return r;
}

static void keys_always_refusals_aggregated(void **state)
{
	const struct ka_audit_rate rate = { 10, 3, 1000, 1000 };
	char path[64];
	int fd = tmpfile_fd(path, sizeof(path));
	struct ka_audit *a = ka_audit_new(fd, &rate, 0);
	struct ka_audit_rec ok = rec(998, KA_LOOKUP_SPI, KA_OK, NULL);
	struct ka_audit_rec nosa = rec(998, KA_LOOKUP_SPI, KA_NO_SA, NULL);
	struct ka_audit_rec other = rec(1000, KA_LOOKUP_SPI, KA_NO_SA, NULL);
	struct ka_audit_rec ping = rec(998, KA_PING, KA_OK, NULL);

	(void)state;
	assert_non_null(a);
	for (int i = 0; i < 10; i++) {
		ka_audit_record(a, &ok, (uint64_t)i);
		ka_audit_record(a, &nosa, (uint64_t)i);
		ka_audit_record(a, &ping, (uint64_t)i);
	}
	ka_audit_record(a, &other, 20);
	/* every key handed out; 3 refusals and 3 pings of uid 998 */
	assert_int_equal(count(path, "uid=998 gid=998 request=spi status=OK"), 10);
	assert_int_equal(count(path, "uid=998 gid=998 request=spi status=NO_SA"), 3);
	assert_int_equal(count(path, "request=ping"), 3);
	assert_int_equal(count(path, "uid=1000 gid=1000 request=spi status=NO_SA"), 1);
	ka_audit_tick(a, 9999);
	assert_int_equal(count(path, "more '"), 0);
	ka_audit_tick(a, 10000);
	assert_int_equal(count(path, "Z uid=998: 7 more 'request=spi status=NO_SA reason=-' "
				     "in the last 10 s\n"), 1);
	assert_int_equal(count(path, "Z uid=998: 7 more 'request=ping status=OK reason=-' "
				     "in the last 10 s\n"), 1);
	ka_audit_free(a, 10001);
	close(fd);
	unlink(path);
}

static void budget_holds_refusals_not_keys(void **state)
{
	const struct ka_audit_rate rate = { 10, 1000, 1, 2 };
	char path[64];
	int fd = tmpfile_fd(path, sizeof(path));
	struct ka_audit *a = ka_audit_new(fd, &rate, 0);
	struct ka_audit_rec ok = rec(998, KA_LOOKUP_PEER, KA_OK, NULL);
	struct ka_audit_rec bad = rec(998, 0, KA_MALFORMED, "truncated request");

	(void)state;
	for (int i = 0; i < 6; i++)
		ka_audit_record(a, &bad, 0);
	for (int i = 0; i < 4; i++)
		ka_audit_record(a, &ok, 0);
	assert_int_equal(count(path, "status=MALFORMED"), 2);
	assert_int_equal(count(path, "request=peer status=OK"), 4);
	/* at shutdown: the budget line */
	ka_audit_free(a, 500);
	assert_int_equal(count(path, "Z log budget: 4 lines suppressed in the last 1 s "
				     "(at most 1 lines/s, burst 2)\n"), 1);
	close(fd);
	unlink(path);
}

static void bad_rate_refused(void **state)
{
	const struct ka_audit_rate rate = { 10, 0, 1, 2 };

	(void)state;
	assert_null(ka_audit_new(2, &rate, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_always_refusals_aggregated),
		cmocka_unit_test(budget_holds_refusals_not_keys),
		cmocka_unit_test(bad_rate_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
