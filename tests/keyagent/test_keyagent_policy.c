/* twamp-keyagent's policy decisions, configuration loading (libyang,
 * file security) and audit line format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg_test_util.h"
#include "ka_audit.h"
#include "ka_config.h"
#include "ka_policy.h"

static struct cfg_prefix prefix(uint8_t ipver, uint8_t len, const char *addr)
{
	struct cfg_prefix p = { .ipver = ipver, .len = len };
	struct ka_addr a;

	ka_addr_parse(&a, addr);
	memcpy(p.addr, a.a, 16);
	return p;
}

static struct ka_addr addr(const char *s)
{
	struct ka_addr a;

	assert_int_equal(ka_addr_parse(&a, s), 0);
	return a;
}

static void test_prefix_contains(void **state)
{
	struct cfg_prefix p = prefix(4, 25, "10.99.0.0");
	struct ka_addr a;

	(void)state;
	a = addr("10.99.0.127");
	assert_true(ka_prefix_contains(&p, &a));
	a = addr("10.99.0.128");
	assert_false(ka_prefix_contains(&p, &a));
	a = addr("fd00:99::1");
	assert_false(ka_prefix_contains(&p, &a));
	p = prefix(4, 0, "0.0.0.0");
	a = addr("192.0.2.1");
	assert_true(ka_prefix_contains(&p, &a));
	p = prefix(6, 64, "fd00:99::");
	a = addr("fd00:99::ffff:1");
	assert_true(ka_prefix_contains(&p, &a));
	a = addr("fd00:98::1");
	assert_false(ka_prefix_contains(&p, &a));
	a = addr("10.99.0.1");
	assert_false(ka_prefix_contains(&p, &a));
	p = prefix(4, 33, "10.99.0.1"); /* impossible length */
	assert_false(ka_prefix_contains(&p, &a));
	p = prefix(4, 32, "10.99.0.1");
	assert_true(ka_prefix_contains(&p, &a));
}

static struct ka_policy policy(void)
{
	struct ka_policy pol = { .nrules = 3 };

	pol.rules[0] = (struct ka_rule){ .name = "ctl", .has_uid = true, .uid = 100,
					 .allow_spi = true, .nprefixes = 1 };
	pol.rules[0].prefixes[0] = prefix(4, 24, "10.99.0.0");
	pol.rules[1] = (struct ka_rule){ .name = "clients", .has_gid = true, .gid = 200,
					 .allow_peer = true, .nprefixes = 2 };
	pol.rules[1].prefixes[0] = prefix(4, 24, "10.99.1.0");
	pol.rules[1].prefixes[1] = prefix(6, 64, "fd00:99:1::");
	pol.rules[2] = (struct ka_rule){ .name = "both", .has_uid = true, .uid = 300, .has_gid = true,
					 .gid = 300, .allow_spi = true, .allow_peer = true,
					 .nprefixes = 1 };
	pol.rules[2].prefixes[0] = prefix(4, 0, "0.0.0.0");
	return pol;
}

static const char *who(const struct ka_policy *pol, uid_t uid, gid_t gid, uint8_t type,
		       const char *peer)
{
	struct ka_addr a;
	const struct ka_rule *r;

	if (peer)
		a = addr(peer);
	r = ka_policy_permits(pol, uid, gid, type, peer ? &a : NULL);
	return r ? r->name : "-";
}

static void test_policy(void **state)
{
	struct ka_policy pol = policy();

	(void)state;
	/* uid rule: spi only, its prefix only */
	assert_string_equal(who(&pol, 100, 5, KA_LOOKUP_SPI, NULL), "ctl");
	assert_string_equal(who(&pol, 100, 5, KA_LOOKUP_SPI, "10.99.0.9"), "ctl");
	assert_string_equal(who(&pol, 100, 5, KA_LOOKUP_SPI, "10.99.1.9"), "-");
	assert_string_equal(who(&pol, 100, 5, KA_LOOKUP_PEER, "10.99.0.9"), "-");
	assert_string_equal(who(&pol, 100, 5, KA_PING, NULL), "ctl");
	/* gid rule: any uid with that primary gid */
	assert_string_equal(who(&pol, 7, 200, KA_LOOKUP_PEER, "fd00:99:1::2"), "clients");
	assert_string_equal(who(&pol, 7, 200, KA_LOOKUP_PEER, "10.99.1.2"), "clients");
	assert_string_equal(who(&pol, 7, 200, KA_LOOKUP_SPI, NULL), "-");
	assert_string_equal(who(&pol, 7, 201, KA_PING, NULL), "-");
	/* both ids needed; IPv4 /0 does not cover IPv6 */
	assert_string_equal(who(&pol, 300, 300, KA_LOOKUP_PEER, "192.0.2.7"), "both");
	assert_string_equal(who(&pol, 300, 301, KA_LOOKUP_PEER, "192.0.2.7"), "-");
	assert_string_equal(who(&pol, 300, 300, KA_LOOKUP_PEER, "2001:db8::1"), "-");
	/* unknown callers and kinds */
	assert_string_equal(who(&pol, 0, 0, KA_PING, NULL), "-");
	assert_string_equal(who(&pol, 100, 5, 9, NULL), "-");
	/* a rule with neither id matches nobody */
	pol.rules[0].has_uid = false;
	assert_string_equal(who(&pol, 100, 5, KA_PING, NULL), "-");
}

#define AGENT_MIN                                                                          \
	"{\"twamp-keyagent:twamp-keyagent\": {\"user\": \"nobody\", \"client\": "          \
	"[{\"name\": \"ctl\", \"uid\": 100, \"lookup\": [\"spi\"], \"peer-prefix\": "      \
	"[\"10.99.0.7/24\"]}]}}"

static int load(const char *name, const char *text, struct ka_config *cfg, char *err)
{
	char path[TU_PATH_MAX];

	assert_non_null(tu_write(name, text, path, sizeof(path)));
	return ka_config_load(path, cfg, err, 512);
}

static void test_config_minimal(void **state)
{
	static struct ka_config cfg;
	char err[512] = "";

	(void)state;
	if (!tu_is_root())
		skip(); /* the file must be owned by root */
	if (load("min.json", AGENT_MIN, &cfg, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.socket, "/run/twamp-keyagent/agent.sock");
	assert_string_equal(cfg.plugin_socket, "/run/strongswan/ippm.sock");
	assert_int_equal(cfg.plugin_timeout_ms, 2000);
	assert_int_equal(cfg.request_timeout_ms, 1000);
	assert_int_equal(cfg.max_clients, 16);
	assert_string_equal(cfg.user, "nobody");
	assert_string_equal(cfg.group, "");
	assert_string_equal(cfg.socket_group, "");
	assert_string_equal(cfg.audit_log, "");
	assert_int_equal(cfg.policy.nrules, 1);
	assert_true(cfg.policy.rules[0].has_uid);
	assert_false(cfg.policy.rules[0].has_gid);
	assert_true(cfg.policy.rules[0].allow_spi);
	assert_false(cfg.policy.rules[0].allow_peer);
	assert_int_equal(cfg.policy.rules[0].nprefixes, 1);
	assert_int_equal(cfg.policy.rules[0].prefixes[0].len, 24);
	assert_memory_equal(cfg.policy.rules[0].prefixes[0].addr, "\x0a\x63\x00\x00", 4);
}

static void test_config_full(void **state)
{
	static struct ka_config cfg;
	char err[512] = "";

	(void)state;
	if (!tu_is_root())
		skip();
	if (load("full.json",
		 "{\"twamp-keyagent:twamp-keyagent\": {\"socket\": \"/run/ka/a.sock\", "
		 "\"socket-group\": \"twamp\", \"plugin-socket\": \"/run/sw/ippm.sock\", "
		 "\"plugin-timeout\": 500, \"request-timeout\": 300, \"max-clients\": 4, "
		 "\"user\": \"twamp-keyagent\", \"group\": \"twamp\", "
		 "\"audit-log\": \"/var/log/ka.log\", \"client\": ["
		 "{\"name\": \"a\", \"gid\": 7, \"lookup\": [\"spi\", \"peer\"], "
		 "\"peer-prefix\": [\"0.0.0.0/0\", \"::/0\"]},"
		 "{\"name\": \"b\", \"uid\": 8, \"gid\": 9, \"lookup\": [\"peer\"], "
		 "\"peer-prefix\": [\"fd00:99::/64\"]}]}}",
		 &cfg, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.socket, "/run/ka/a.sock");
	assert_string_equal(cfg.socket_group, "twamp");
	assert_string_equal(cfg.plugin_socket, "/run/sw/ippm.sock");
	assert_int_equal(cfg.plugin_timeout_ms, 500);
	assert_int_equal(cfg.request_timeout_ms, 300);
	assert_int_equal(cfg.max_clients, 4);
	assert_string_equal(cfg.audit_log, "/var/log/ka.log");
	assert_string_equal(cfg.user, "twamp-keyagent");
	assert_string_equal(cfg.group, "twamp");
	assert_int_equal(cfg.policy.nrules, 2);
	assert_true(cfg.policy.rules[0].allow_spi && cfg.policy.rules[0].allow_peer);
	assert_int_equal(cfg.policy.rules[0].nprefixes, 2);
	assert_int_equal(cfg.policy.rules[1].uid, 8);
	assert_int_equal(cfg.policy.rules[1].gid, 9);
	assert_int_equal(cfg.policy.rules[1].prefixes[0].ipver, 6);
}

static void test_config_example(void **state)
{
	static struct ka_config cfg;
	char err[512] = "", path[TU_PATH_MAX];

	(void)state;
	if (!tu_is_root())
		skip();
	assert_non_null(tu_copy(KA_EXAMPLE, "example.json", 0640, 0, path, sizeof(path)));
	if (ka_config_load(path, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.policy.nrules, 2);
	assert_string_equal(cfg.policy.rules[0].name, "twamp-controld");
	assert_true(cfg.policy.rules[0].allow_spi && !cfg.policy.rules[0].allow_peer);
	assert_true(cfg.policy.rules[1].has_gid && !cfg.policy.rules[1].has_uid);
	assert_string_equal(cfg.audit_log, "/var/log/twamp-keyagent/audit.log");
}

static void test_config_refused(void **state)
{
	static struct ka_config cfg;
	char err[512], path[TU_PATH_MAX];

	(void)state;
	if (!tu_is_root())
		skip();
	assert_int_equal(load("noid.json",
			      "{\"twamp-keyagent:twamp-keyagent\": {\"client\": [{\"name\": \"x\", "
			      "\"lookup\": [\"spi\"], \"peer-prefix\": [\"10.0.0.0/8\"]}]}}",
			      &cfg, err), -1);
	assert_contains(err, "a client needs a uid or a gid");
	assert_int_equal(load("noprefix.json",
			      "{\"twamp-keyagent:twamp-keyagent\": {\"client\": [{\"name\": \"x\", "
			      "\"uid\": 1, \"lookup\": [\"spi\"]}]}}", &cfg, err), -1);
	assert_contains(err, "peer-prefix");
	assert_int_equal(load("unknown.json",
			      "{\"twamp-keyagent:twamp-keyagent\": {\"colour\": \"red\"}}", &cfg,
			      err), -1);
	assert_int_equal(load("same.json",
			      "{\"twamp-keyagent:twamp-keyagent\": {\"socket\": \"/run/x.sock\", "
			      "\"plugin-socket\": \"/run/x.sock\"}}", &cfg, err), -1);
	assert_contains(err, "same file");
	assert_int_equal(load("relative.json",
			      "{\"twamp-keyagent:twamp-keyagent\": {\"socket\": \"run/x.sock\"}}",
			      &cfg, err), -1);
	/* file security: the policy decides who gets keys */
	assert_non_null(tu_write("loose.json", AGENT_MIN, path, sizeof(path)));
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(ka_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "refused");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(chown(path, 1, 0), 0);
	assert_int_equal(ka_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "owned by uid 1");
	assert_int_equal(cfg.policy.nrules, 0);
}

static void test_audit_format(void **state)
{
	struct ka_audit_rec rec = {
		.caller = { .pid = 812, .uid = 998, .gid = 997 },
		.type = KA_LOOKUP_SPI,
		.has_spis = true,
		.spi_i = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef },
		.spi_r = { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 },
		.status = KA_OK,
		.rule = "ctl",
		.prf = 5,
		.reason = NULL,
	};
	char line[1024], tiny[40];
	size_t n;

	(void)state;
	rec.remote = addr("10.99.0.2");
	strcpy(rec.remote_id, "C=CH, O=\"q\\x\"");
	n = ka_audit_format(&rec, line, sizeof(line));
	assert_int_equal(n, strlen(line));
	assert_contains(line, "Z pid=812 uid=998 gid=997 request=spi "
			      "spi=0123456789abcdef:fedcba9876543210 status=OK client=ctl "
			      "prf=HMAC_SHA2_256 remote=10.99.0.2 remote-id=\"C=CH, O=\\\"q\\\\x\\\"\"\n");
	assert_ptr_equal(strchr(line, '\n'), line + n - 1);
	rec.status = KA_NOT_PERMITTED;
	rec.reason = "peer outside the caller's policy";
	rec.remote.family = 0;
	rec.type = KA_LOOKUP_PEER;
	rec.has_spis = false;
	rec.peer = addr("fd00:99::3");
	ka_audit_format(&rec, line, sizeof(line));
	assert_contains(line, "request=peer peer=fd00:99::3 status=NOT_PERMITTED client=ctl "
			      "reason=\"peer outside the caller's policy\"\n");
	/* cut short, still one line */
	n = ka_audit_format(&rec, tiny, sizeof(tiny));
	assert_int_equal(n, sizeof(tiny) - 1);
	assert_int_equal(tiny[n - 1], '\n');
	assert_ptr_equal(strchr(tiny, '\n'), tiny + n - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_contains),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_config_minimal),
		cmocka_unit_test(test_config_full),
		cmocka_unit_test(test_config_example),
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_audit_format),
	};

	return cmocka_run_group_tests(tests, tu_setup, tu_teardown);
}
