/* Extraction of the dataplane configuration (dp_config_load): every field,
 * every default, the limits, the key-chain and the file security rule. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg_test_util.h"
#include "dp_config.h"

#define TOP "/twamp-reflector:twamp-reflector"

static char err[1024];
static struct dp_config cfg;

/* Load a committed file in place (keyless files only). */
static int load_data(const char *name)
{
	char path[TU_PATH_MAX];

	assert_non_null(tu_data(name, path, sizeof(path)));
	err[0] = '\0';
	return dp_config_load(path, &cfg, err, sizeof(err));
}

/* Load a root-owned 0600 copy, as a file with keys is deployed. */
static int load_secure(const char *name)
{
	char path[TU_PATH_MAX];

	if (!tu_is_root())
		skip();
	assert_non_null(tu_copy_data(name, 0600, 0, path, sizeof(path)));
	err[0] = '\0';
	return dp_config_load(path, &cfg, err, sizeof(err));
}

static void assert_prefix(const struct cfg_prefix *p, const char *addr, unsigned len)
{
	uint8_t want[16] = { 0 };
	int v4 = strchr(addr, ':') == NULL;

	assert_int_equal(inet_pton(v4 ? AF_INET : AF_INET6, addr, want), 1);
	assert_int_equal(p->ipver, v4 ? 4 : 6);
	assert_int_equal(p->len, len);
	assert_memory_equal(p->addr, want, sizeof(want));
}

static void test_minimal(void **state)
{
	(void)state;
	assert_int_equal(load_data("minimal.json"), 0);
	assert_int_equal(cfg.nports, 1);
	assert_string_equal(cfg.ports[0].name, "net_af_packet0");
	assert_int_equal(cfg.nlight, 0);
}

static void test_defaults(void **state)
{
	const struct dp_light_cfg *l = &cfg.light[0];
	const struct dp_port_cfg *p = &cfg.ports[0];
	static const uint8_t zero[sizeof(l->keys)];

	(void)state;
	assert_int_equal(load_data("defaults.json"), 0);
	assert_int_equal(cfg.nworkers, 0);
	assert_int_equal(cfg.max_sessions, 65536);
	assert_int_equal(cfg.burst, 32);
	assert_int_equal(cfg.mbufs, 8191);
	assert_false(cfg.stage_cycles);
	assert_string_equal(cfg.session_socket, "/run/twamp-reflector/session.sock");
	assert_string_equal(cfg.session_socket_group, "");
	assert_int_equal(cfg.api_idle_s, 300);
	assert_int_equal(cfg.test_port_min, 49152); /* the port policy's range: server's defaults */
	assert_int_equal(cfg.test_port_max, 65535);
	assert_int_equal(cfg.refwait_s, 900);
	assert_false(cfg.clock_synced);
	assert_true(cfg.clock_error_s > 0.000999 && cfg.clock_error_s < 0.001001);
	assert_int_equal(p->rx_queues, 1);
	assert_int_equal(p->rx_desc, 1024);
	assert_int_equal(p->tx_desc, 1024);
	assert_string_equal(p->tap_name, "");
	assert_int_equal(p->naddrs, 0);
	assert_int_equal(cfg.nlight, 1);
	assert_string_equal(l->name, "plain");
	assert_int_equal(l->port, 862);
	assert_int_equal(l->sec, TW_SEC_OPEN);
	assert_false(l->symmetrical);
	assert_int_equal(l->state, DP_LIGHT_STATELESS);
	assert_int_equal(l->dscp, -1);
	assert_int_equal(l->refwait_s, 900);
	assert_int_equal(l->nallowed, 0);
	assert_string_equal(l->key_id, "");
	assert_memory_equal(&l->keys, zero, sizeof(zero));
}

static void check_full_dataplane(void)
{
	const struct dp_port_cfg *p = &cfg.ports[0];

	assert_string_equal(cfg.session_socket, "/run/twr-test/session.sock");
	assert_string_equal(cfg.session_socket_group, "twamp");
	assert_int_equal(cfg.api_idle_s, 30);
	assert_int_equal(cfg.max_sessions, 1024);
	assert_int_equal(cfg.burst, 64);
	assert_int_equal(cfg.mbufs, 16383);
	assert_true(cfg.stage_cycles);
	assert_int_equal(cfg.nworkers, 2);
	assert_int_equal(cfg.worker_lcores[0], 3); /* ordered-by user */
	assert_int_equal(cfg.worker_lcores[1], 1);
	assert_int_equal(cfg.refwait_s, 600);
	assert_true(cfg.clock_synced);
	assert_true(cfg.clock_error_s > 0.0000019 && cfg.clock_error_s < 0.0000021);
	assert_int_equal(cfg.nports, 2);
	assert_string_equal(p->name, "0000:3b:00.0");
	assert_int_equal(p->rx_queues, 2);
	assert_int_equal(p->rx_desc, 2048);
	assert_int_equal(p->tx_desc, 512);
	assert_string_equal(p->tap_name, "tw0");
	assert_int_equal(p->naddrs, 2);
	/* interface addresses keep their host bits */
	assert_prefix(&p->addrs[0], "10.99.0.2", 24);
	assert_prefix(&p->addrs[1], "fd00:99::2", 64);
	assert_string_equal(cfg.ports[1].name, "net_af_packet1");
	assert_int_equal(cfg.ports[1].rx_queues, 1);
	assert_string_equal(cfg.ports[1].tap_name, "");
}

static void check_full_light(void)
{
	const struct dp_light_cfg *a = &cfg.light[0], *e = &cfg.light[1], *o = &cfg.light[2];
	uint8_t want[48];
	int i;

	assert_int_equal(cfg.nlight, 3);
	assert_string_equal(a->name, "auth");
	assert_int_equal(a->port, 5000);
	assert_int_equal(a->sec, TW_SEC_AUTH);
	assert_true(a->symmetrical);
	assert_int_equal(a->state, DP_LIGHT_STATEFUL);
	assert_int_equal(a->dscp, 46);
	assert_int_equal(a->refwait_s, 30);
	assert_string_equal(a->key_id, "k-auth");
	for (i = 0; i < 48; i++)
		want[i] = (uint8_t)i;	/* k-auth is octets 0..47 */
	assert_memory_equal(a->keys.aes, want, 16);
	assert_memory_equal(a->keys.hmac, want + 16, 32);
	/* allowed senders are prefixes: host bits cleared */
	assert_int_equal(a->nallowed, 3);
	assert_prefix(&a->allowed[0], "10.99.0.0", 24);
	assert_prefix(&a->allowed[1], "fd00:99::", 64);
	assert_prefix(&a->allowed[2], "192.0.2.1", 32);

	assert_string_equal(e->name, "enc");
	assert_int_equal(e->port, 5001);
	assert_int_equal(e->sec, TW_SEC_ENC);
	assert_int_equal(e->dscp, 0);
	assert_int_equal(e->refwait_s, 600); /* inherited */
	for (i = 0; i < 48; i++)
		want[i] = (uint8_t)(48 + i);	/* k-enc is octets 48..95 */
	assert_memory_equal(e->keys.aes, want, 16);
	assert_memory_equal(e->keys.hmac, want + 16, 32);

	assert_string_equal(o->name, "open");
	assert_int_equal(o->sec, TW_SEC_OPEN);
	assert_int_equal(o->dscp, -1);
	assert_int_equal(o->state, DP_LIGHT_STATELESS);
}

static void test_full(void **state)
{
	(void)state;
	if (load_secure("full.json") != 0)
		fail_msg("%s", err);
	check_full_dataplane();
	check_full_light();
}

static void test_wipe(void **state)
{
	static const uint8_t zero[sizeof(struct tw_keys)];

	(void)state;
	assert_int_equal(load_secure("full.json"), 0);
	assert_memory_not_equal(&cfg.light[0].keys, zero, sizeof(zero));
	dp_config_wipe(&cfg);
	assert_memory_equal(&cfg.light[0].keys, zero, sizeof(zero));
	assert_memory_equal(&cfg.light[1].keys, zero, sizeof(zero));
}

/* One file for both daemons: the control server's full configuration is
 * a dataplane configuration too, with the port address the server reads
 * as its test address (test_ctl_config). */
static void test_ctl_full(void **state)
{
	(void)state;
	if (load_secure("ctl-full.json") != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.nports, 1);
	assert_string_equal(cfg.ports[0].tap_name, "tw0");
	assert_int_equal(cfg.ports[0].naddrs, 1);
	assert_prefix(&cfg.ports[0].addrs[0], "10.99.0.2", 24);
	assert_int_equal(cfg.refwait_s, 600);
	assert_int_equal(cfg.test_port_min, 50000); /* the server's range, same file */
	assert_int_equal(cfg.test_port_max, 50100);
	assert_int_equal(cfg.nlight, 1);
	assert_int_equal(cfg.light[0].sec, TW_SEC_AUTH);
	dp_config_wipe(&cfg);
}

/* Reflector 'a' gets its key, then 'b' is over a limit: the load fails
 * and the key already copied is wiped. */
static void test_failure_leaves_no_keys(void **state)
{
	static const uint8_t zero[sizeof(struct tw_keys)];

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(load_secure("keyed-over-limit.json"), -1);
	assert_contains(err, "light reflector 'b': 33 allowed-sender prefixes");
	assert_memory_equal(&cfg.light[0].keys, zero, sizeof(zero));
	assert_int_equal(cfg.nlight, 0);
}

static void test_xml(void **state)
{
	(void)state;
	assert_int_equal(load_data("minimal.xml"), 0);
	assert_int_equal(cfg.burst, 16);
	assert_string_equal(cfg.ports[0].name, "net_memif0");
	assert_prefix(&cfg.ports[0].addrs[0], "10.99.1.2", 24);
}

static void test_auth_key_errors(void **state)
{
	static const struct {
		const char *file, *path, *msg;
	} cases[] = {
		{ "auth-no-key.json", "/light/reflector[name='auth']/mode", "needs a key-id" },
		{ "auth-unknown-key.json", "/light/reflector[name='auth']/key-id", "nope" },
	};
	/* the length is checked by the extraction, not by a YANG must (whose
	 * XPath would leave copies of the secret's base64 text in freed memory) */
	static const struct {
		const char *file, *msg;
	} lengths[] = {
		{ "auth-key-47.json", "secret-key is 47 octets, must be 48" },
		{ "auth-key-49.json", "secret-key is 49 octets, must be 48" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load_secure(cases[i].file), -1);
		assert_contains(err, cases[i].file);
		assert_contains(err, TOP "/session-reflector");
		assert_contains(err, cases[i].path);
		assert_contains(err, cases[i].msg);
	}
	for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		assert_int_equal(load_secure(lengths[i].file), -1);
		assert_contains(err, lengths[i].file);
		assert_contains(err, "light reflector 'auth'");
		assert_contains(err, lengths[i].msg);
	}
}

static void test_duplicate_port(void **state)
{
	(void)state;
	assert_int_equal(load_data("dup-port.json"), -1);
	assert_contains(err, TOP "/session-reflector/light/reflector[name='b']");
	assert_contains(err, "udp-port");
	/* two reflectors on the default port collide as well */
	assert_int_equal(load_data("dup-port-default.json"), -1);
	assert_contains(err, "udp-port");
}

static void test_no_port(void **state)
{
	char path[TU_PATH_MAX];

	(void)state;
	assert_non_null(tu_write("empty.json", "{}", path, sizeof(path)));
	assert_int_equal(dp_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "empty.json: no twamp-reflector configuration");
	assert_non_null(tu_write("noport.json",
				 "{\"twamp-reflector:twamp-reflector\":{\"dataplane\":{\"burst-size\":8}}}",
				 path, sizeof(path)));
	assert_int_equal(dp_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "noport.json: dataplane: no port configured");
}

/* A configuration with n items of one kind, the rest minimal. */
enum gen_kind { GEN_PORTS, GEN_ADDRS, GEN_ALLOWED, GEN_LIGHT, GEN_WORKERS };

static const char *gen(enum gen_kind kind, unsigned n, char *path, size_t pathlen)
{
	static char text[32768];
	size_t o = 0;
	unsigned i;

#define PUT(...) (o += (size_t)snprintf(text + o, sizeof(text) - o, __VA_ARGS__))
	PUT("{\"twamp-reflector:twamp-reflector\":{\"dataplane\":{");
	if (kind == GEN_WORKERS) {
		PUT("\"worker-lcore\":[");
		for (i = 0; i < n; i++)
			PUT("%s%u", i ? "," : "", i + 1);
		PUT("],");
	}
	PUT("\"port\":[");
	for (i = 0; i < (kind == GEN_PORTS ? n : 1); i++)
		PUT("%s{\"name\":\"net_af_packet%u\"}", i ? "," : "", i);
	if (kind == GEN_ADDRS) {
		o--; /* reopen the port */
		PUT(",\"address\":[");
		for (i = 0; i < n; i++)
			PUT("%s\"10.99.0.%u/24\"", i ? "," : "", i + 1);
		PUT("]}");
	}
	PUT("]}");
	if (kind == GEN_LIGHT || kind == GEN_ALLOWED) {
		PUT(",\"session-reflector\":{\"light\":{\"reflector\":[");
		for (i = 0; i < (kind == GEN_LIGHT ? n : 1); i++)
			PUT("%s{\"name\":\"r%u\",\"udp-port\":%u}", i ? "," : "", i, 5000 + i);
		if (kind == GEN_ALLOWED) {
			o--; /* reopen the last reflector */
			PUT(",\"allowed-sender\":[");
			for (i = 0; i < n; i++)
				PUT("%s\"10.99.%u.0/24\"", i ? "," : "", i);
			PUT("]}");
		}
		PUT("]}}");
	}
	PUT("}}");
#undef PUT
	assert_true(o < sizeof(text));
	return tu_write("gen.json", text, path, pathlen);
}

static void test_limits(void **state)
{
	static const struct {
		enum gen_kind kind;
		unsigned max;
		const char *msg;
	} cases[] = {
		{ GEN_PORTS, DP_MAX_PORTS, "ports, at most" },
		{ GEN_ADDRS, DP_MAX_ADDRS, "port 'net_af_packet0': 17 addresses, at most 16" },
		{ GEN_ALLOWED, DP_MAX_PREFIXES, "light reflector 'r0': 33 allowed-sender prefixes, at most 32" },
		{ GEN_LIGHT, DP_MAX_LIGHT, "light reflectors, at most" },
		{ GEN_WORKERS, DP_MAX_WORKERS, "worker lcores, at most" },
	};
	char path[TU_PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(gen(cases[i].kind, cases[i].max, path, sizeof(path)));
		if (dp_config_load(path, &cfg, err, sizeof(err)) != 0)
			fail_msg("%u at the limit refused: %s", cases[i].max, err);
		assert_non_null(gen(cases[i].kind, cases[i].max + 1, path, sizeof(path)));
		assert_int_equal(dp_config_load(path, &cfg, err, sizeof(err)), -1);
		assert_contains(err, "gen.json: ");
		assert_contains(err, cases[i].msg);
	}
	/* at the limits, everything was extracted */
	assert_non_null(gen(GEN_LIGHT, DP_MAX_LIGHT, path, sizeof(path)));
	assert_int_equal(dp_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nlight, DP_MAX_LIGHT);
	assert_int_equal(cfg.light[DP_MAX_LIGHT - 1].port, 5000 + DP_MAX_LIGHT - 1);
}

/* A file with keys must be root's and closed to others; one without may be
 * anything readable. */
static void test_file_security(void **state)
{
	char path[TU_PATH_MAX], good[TU_PATH_MAX], link[TU_PATH_MAX];

	(void)state;
	if (!tu_is_root())
		skip();
	assert_non_null(tu_copy_data("light-auth.json", 0644, 0, path, sizeof(path)));
	assert_int_equal(dp_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "light-auth.json: holds keys");
	assert_contains(err, "mode 0644");

	assert_non_null(tu_copy_data("light-auth.json", 0600, 65534, path, sizeof(path)));
	assert_int_equal(dp_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "uid 65534");

	assert_non_null(tu_copy_data("light-auth.json", 0600, 0, good, sizeof(good)));
	assert_int_equal(dp_config_load(good, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.light[0].sec, TW_SEC_AUTH);
	assert_non_null(tu_tmp_path("light-link.json", link, sizeof(link)));
	unlink(link);
	assert_int_equal(symlink(good, link), 0);
	assert_int_equal(dp_config_load(link, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "symbolic link");

	assert_non_null(tu_copy_data("minimal.json", 0644, 0, path, sizeof(path)));
	assert_int_equal(dp_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_non_null(tu_copy_data("minimal.json", 0644, 65534, path, sizeof(path)));
	assert_int_equal(dp_config_load(path, &cfg, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_ctl_full),
		cmocka_unit_test(test_failure_leaves_no_keys),
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_auth_key_errors),
		cmocka_unit_test(test_duplicate_port),
		cmocka_unit_test(test_no_port),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_file_security),
	};

	/* the source tree's modules, whatever the environment says */
	setenv("TWR_YANG_DIR", TWR_YANG_SRCDIR, 1);
	return cmocka_run_group_tests(tests, tu_setup, tu_teardown);
}
