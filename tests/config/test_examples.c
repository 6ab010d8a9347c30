/* The example configurations in dpdk-configs/ load with the real loader
 * (through root-owned 0600 copies, as files with keys are deployed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg_test_util.h"
#include "dp_config.h"

static char err[1024];
static struct dp_config cfg;

static void load_example(const char *name)
{
	char src[TU_PATH_MAX], path[TU_PATH_MAX];

	if (!tu_is_root())
		skip();
	snprintf(src, sizeof(src), "%s/%s", EXAMPLES_DIR, name);
	assert_non_null(tu_copy(src, name, 0600, 0, path, sizeof(path)));
	if (dp_config_load(path, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void test_af_packet(void **state)
{
	(void)state;
	load_example("af_packet.json");
	assert_int_equal(cfg.nports, 1);
	assert_string_equal(cfg.ports[0].name, "net_af_packet0");
	assert_int_equal(cfg.ports[0].rx_queues, 1);
	assert_string_equal(cfg.ports[0].tap_name, "tw0");
	assert_int_equal(cfg.ports[0].naddrs, 1);
	assert_int_equal(cfg.ports[0].addrs[0].ipver, 4);
	assert_int_equal(cfg.ports[0].addrs[0].len, 24);
	assert_memory_equal(cfg.ports[0].addrs[0].addr, "\x0a\x63\x00\x02", 4);
	assert_int_equal(cfg.nlight, 1);
	assert_int_equal(cfg.light[0].port, 862);
	assert_int_equal(cfg.light[0].sec, TW_SEC_OPEN);
}

static void test_memif(void **state)
{
	(void)state;
	load_example("memif.json");
	assert_string_equal(cfg.ports[0].name, "net_memif0");
	assert_int_equal(cfg.ports[0].naddrs, 2);
	assert_int_equal(cfg.ports[0].addrs[1].ipver, 6);
	assert_true(cfg.light[0].symmetrical);
}

static void test_nic_2q(void **state)
{
	static const uint8_t zero[sizeof(struct tw_keys)];

	(void)state;
	load_example("nic-2q.json");
	assert_string_equal(cfg.ports[0].name, "0000:3b:00.0");
	assert_int_equal(cfg.ports[0].rx_queues, 2);
	assert_int_equal(cfg.nworkers, 2);
	assert_int_equal(cfg.worker_lcores[0], 2);
	assert_int_equal(cfg.worker_lcores[1], 3);
	assert_int_equal(cfg.ports[0].naddrs, 2);
	assert_int_equal(cfg.ports[0].addrs[0].ipver, 4);
	assert_int_equal(cfg.ports[0].addrs[1].ipver, 6);
	assert_int_equal(cfg.nlight, 2);
	assert_int_equal(cfg.light[0].sec, TW_SEC_AUTH);
	assert_int_equal(cfg.light[0].state, DP_LIGHT_STATEFUL);
	assert_int_equal(cfg.light[0].refwait_s, 60);
	assert_int_equal(cfg.light[0].nallowed, 2);
	assert_memory_not_equal(&cfg.light[0].keys, zero, sizeof(zero));
	assert_true(cfg.clock_synced);
	dp_config_wipe(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_af_packet),
		cmocka_unit_test(test_memif),
		cmocka_unit_test(test_nic_2q),
	};

	/* the source tree's modules, whatever the environment says */
	setenv("TWR_YANG_DIR", TWR_YANG_SRCDIR, 1);
	return cmocka_run_group_tests(tests, tu_setup, tu_teardown);
}
