/* The test port policy (common/port_policy.h): every boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "port_policy.h"

static bool permitted(uint16_t port, uint16_t min, uint16_t max, const char **why)
{
	const struct twr_port_range r = { min, max };

	*why = NULL;
	return twr_test_port_permitted(port, &r, why);
}

static void test_never(void **state)
{
	const char *why;

	(void)state;
	/* whatever the range: 0, IKE and IKE NAT traversal */
	assert_false(permitted(0, 0, 65535, &why));
	assert_string_equal(why, "test port 0");
	assert_false(permitted(500, 1, 65535, &why));
	assert_non_null(strstr(why, "IKE"));
	assert_false(permitted(500, 500, 500, &why));
	assert_false(permitted(4500, 1, 65535, &why));
	assert_non_null(strstr(why, "IKE"));
	assert_false(permitted(4500, 4500, 4500, &why));
}

static void test_system_ports_only_in_range(void **state)
{
	static const uint16_t named[] = { 1, 22, 53, 123, 161, 514, 862, 1023 };
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		assert_false(permitted(named[i], 49152, 65535, &why));
		assert_non_null(strstr(why, "below 1024"));
		/* the operator's range opens it (RFC 8545: 862..862) */
		assert_true(permitted(named[i], named[i], named[i], &why));
		assert_true(permitted(named[i], 1, 1023, &why));
	}
	assert_false(permitted(861, 862, 862, &why));
	assert_false(permitted(863, 862, 862, &why));
	assert_true(permitted(862, 862, 862, &why));
	assert_null(why);
}

static void test_unprivileged_ports(void **state)
{
	const char *why;

	(void)state;
	/* 1024 and up, but 4500: whatever the range says (the server picks in
	 * its range; the policy only guards what the kernel must keep) */
	assert_true(permitted(1024, 49152, 65535, &why));
	assert_true(permitted(4499, 49152, 65535, &why));
	assert_true(permitted(4501, 49152, 65535, &why));
	assert_true(permitted(20862, 49152, 65535, &why));
	assert_true(permitted(65535, 1, 2, &why));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never),
		cmocka_unit_test(test_system_ports_only_in_range),
		cmocka_unit_test(test_unprivileged_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
