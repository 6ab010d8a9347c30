/* Extraction of the control server's configuration (ctl_config_load):
 * defaults, every field, the YANG constraints, the limits, the key-chain
 * lookup, wiping and the file security rule. */
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
#include "ctl_config.h"

#define TOP "/twamp-reflector:twamp-reflector"

static char err[1024];
static struct ctl_config cfg;

/* Load a committed file in place (keyless files only). */
static int load_data(const char *name)
{
	char path[TU_PATH_MAX];

	assert_non_null(tu_data(name, path, sizeof(path)));
	err[0] = '\0';
	return ctl_config_load(path, &cfg, err, sizeof(err));
}

/* Load a root-owned 0600 copy, as a file with keys is deployed. */
static int load_secure(const char *name)
{
	char path[TU_PATH_MAX];

	if (!tu_is_root())
		skip();
	assert_non_null(tu_copy_data(name, 0600, 0, path, sizeof(path)));
	err[0] = '\0';
	return ctl_config_load(path, &cfg, err, sizeof(err));
}

/* Load text written to a temporary file (owner: us, mode 0600). */
static int load_text(const char *text)
{
	char path[TU_PATH_MAX];

	assert_non_null(tu_write("ctl-gen.json", text, path, sizeof(path)));
	err[0] = '\0';
	return ctl_config_load(path, &cfg, err, sizeof(err));
}

static void assert_addr(const uint8_t *got, const char *addr)
{
	uint8_t want[16] = { 0 };

	assert_int_equal(inet_pton(strchr(addr, ':') ? AF_INET6 : AF_INET, addr, want), 1);
	assert_memory_equal(got, want, sizeof(want));
}

static void test_defaults(void **state)
{
	const struct ctl_server_cfg *s = &cfg.server;
	const struct ctl_security_cfg *b = &cfg.security;

	(void)state;
	if (load_data("ctl-minimal.json") != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.ntest_addrs, 0); /* no dataplane ports listed */
	assert_true(s->admin_state);
	assert_int_equal(s->tcp_port, 862);
	assert_int_equal(s->nlisten, 0);
	assert_int_equal(s->servwait_s, 900);
	assert_int_equal(s->control_dscp, 0);
	assert_int_equal(s->count, 15);
	assert_int_equal(s->max_count_exponent, 20);
	assert_int_equal(s->modes, 0x7f); /* every bit but IKEv2Derived */
	assert_false(s->allow_other_test_peer);
	assert_int_equal(s->test_port_min, 49152);
	assert_int_equal(s->test_port_max, 65535);
	assert_int_equal(s->test_timeout_ms, 2000);
	assert_int_equal(s->refwait_s, 900);
	assert_int_equal(s->max_connections, 64);
	assert_int_equal(s->max_conn_per_client, 8);
	assert_int_equal(s->max_pending_auth, 64);
	assert_int_equal(s->auth_timeout_s, 30);
	assert_int_equal(s->open_idle_s, 30);
	assert_int_equal(s->max_sessions_per_conn, 64);
	assert_string_equal(s->ka_socket, "/run/twamp-keyagent/agent.sock"); /* KA_AGENT_SOCKET */
	assert_int_equal(s->ka_timeout_ms, 500);
	assert_true(s->ike_check_peer);
	assert_string_equal(s->user, "");
	assert_string_equal(s->group, "");
	assert_int_equal(b->nacl, 0);
	assert_int_equal(b->block_failed_times, 5);
	assert_int_equal(b->block_failed_period_s, 60);
	assert_int_equal(b->block_reactive_s, 300);
	assert_int_equal(b->source_v4_len, 32);
	assert_int_equal(b->source_v6_len, 64);
	assert_int_equal(b->alarm_upper, 20);
	assert_int_equal(b->alarm_lower, 10);
	assert_int_equal(b->alarm_period_s, 300);
	assert_false(b->log_syslog);
	assert_string_equal(b->log_file, "");
	assert_true(b->log_hash_chain);
	assert_int_equal(b->log_key_len, 0);
	assert_string_equal(b->anchor_file, "");
	assert_int_equal(b->anchor_interval_s, 60);
	assert_int_equal(b->log_rate.interval_s, 10);
	assert_int_equal(b->log_rate.per_source, 5);
	assert_int_equal(b->log_rate.per_second, 20);
	assert_int_equal(b->log_rate.burst, 200);
	assert_true(b->require_root_owner);
	assert_int_equal(cfg.nkeys, 0);
}

static void check_full_server(void)
{
	const struct ctl_server_cfg *s = &cfg.server;

	assert_false(s->admin_state);
	assert_int_equal(s->tcp_port, 8620);
	assert_int_equal(s->nlisten, 2);
	assert_int_equal(s->listen[0].ipver, 4);
	assert_addr(s->listen[0].addr, "10.99.0.2");
	assert_int_equal(s->listen[1].ipver, 6);
	assert_addr(s->listen[1].addr, "fd00:99::2");
	assert_int_equal(s->servwait_s, 120);
	assert_int_equal(s->control_dscp, 46);
	assert_int_equal(s->count, 12);
	assert_int_equal(s->max_count_exponent, 16);
	assert_int_equal(s->modes, CTL_MODE_AUTH | CTL_MODE_ENCRYPTED | CTL_MODE_IKEV2);
	assert_true(s->allow_other_test_peer);
	assert_int_equal(s->test_port_min, 50000);
	assert_int_equal(s->test_port_max, 50100);
	assert_int_equal(s->test_timeout_ms, 5000);
	assert_int_equal(s->refwait_s, 600);
	assert_int_equal(s->max_connections, 100);
	assert_int_equal(s->max_conn_per_client, 4);
	assert_int_equal(s->max_pending_auth, 10);
	assert_int_equal(s->auth_timeout_s, 15);
	assert_int_equal(s->open_idle_s, 0);
	assert_int_equal(s->max_sessions_per_conn, 256);
	assert_string_equal(s->ka_socket, "/run/twr-test/agent.sock");
	assert_int_equal(s->ka_timeout_ms, 250);
	assert_false(s->ike_check_peer);
	assert_string_equal(s->user, "twamp-controld");
	assert_string_equal(s->group, "twamp");
}

static void check_full_security(void)
{
	const struct ctl_security_cfg *b = &cfg.security;

	assert_int_equal(b->nacl, 2);
	assert_int_equal(b->acl[0].ipver, 4);
	assert_int_equal(b->acl[0].len, 16);
	assert_addr(b->acl[0].addr, "10.99.0.0");
	assert_int_equal(b->acl[1].ipver, 6);
	assert_int_equal(b->acl[1].len, 64);
	assert_addr(b->acl[1].addr, "fd00:99::");
	assert_int_equal(b->block_failed_times, 3);
	assert_int_equal(b->block_failed_period_s, 120);
	assert_int_equal(b->block_reactive_s, 600);
	assert_int_equal(b->source_v4_len, 24);
	assert_int_equal(b->source_v6_len, 56);
	assert_int_equal(b->alarm_upper, 50);
	assert_int_equal(b->alarm_lower, 25);
	assert_int_equal(b->alarm_period_s, 900);
	assert_true(b->log_syslog);
	assert_string_equal(b->log_file, "/var/log/twamp-reflector/security.log");
	assert_true(b->log_hash_chain);
	assert_int_equal(b->log_key_len, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(b->log_key[i], 0xc0 + i);
	/* the anchor beside the log by default */
	assert_string_equal(b->anchor_file, "/var/log/twamp-reflector/security.log.anchor");
	assert_int_equal(b->anchor_interval_s, 30);
	assert_int_equal(b->log_rate.interval_s, 20);
	assert_int_equal(b->log_rate.per_source, 3);
	assert_int_equal(b->log_rate.per_second, 50);
	assert_int_equal(b->log_rate.burst, 500);
	assert_false(b->require_root_owner);
}

static void check_full_keys(void)
{
	uint8_t want[48];
	int i;

	assert_int_equal(cfg.nkeys, 3);
	assert_string_equal(cfg.keys[0].key_id, "k-auth");
	assert_int_equal(cfg.keys[0].id_len, 6);
	for (i = 0; i < 48; i++)
		want[i] = (uint8_t)i;
	assert_int_equal(cfg.keys[0].secret_len, 48);
	assert_memory_equal(cfg.keys[0].secret, want, 48);
	assert_string_equal(cfg.keys[1].key_id, "k-control");
	assert_int_equal(cfg.keys[1].secret_len, 20);
	assert_memory_equal(cfg.keys[1].secret, "control secret 20 oc", 20);
	assert_string_equal(cfg.keys[2].key_id, "log-key");
	assert_int_equal(cfg.keys[2].secret_len, 32);
	for (i = 0; i < 32; i++)
		want[i] = (uint8_t)(0x80 + i);
	assert_memory_equal(cfg.keys[2].secret, want, 32);
}

static void test_full(void **state)
{
	(void)state;
	if (load_secure("ctl-full.json") != 0)
		fail_msg("%s", err);
	check_full_server();
	check_full_security();
	check_full_keys();
	ctl_config_free(&cfg);
}

/* One file for both daemons: the server's test addresses are the dataplane
 * port's (test_dp_config reads the same file with the dataplane's
 * extractor). */
static void test_test_addrs(void **state)
{
	(void)state;
	if (load_secure("ctl-full.json") != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.server.tcp_port, 8620);
	assert_int_equal(cfg.ntest_addrs, 1);
	assert_int_equal(cfg.test_addrs[0].ipver, 4);
	assert_int_equal(cfg.test_addrs[0].len, 24);
	assert_addr(cfg.test_addrs[0].addr, "10.99.0.2");
	ctl_config_free(&cfg);
}

static void test_key_lookup(void **state)
{
	uint8_t field[80] = { 0 };
	const struct ctl_key *k;

	(void)state;
	assert_int_equal(load_secure("ctl-full.json"), 0);
	/* as received: the 80-octet KeyID field, NUL padded */
	memcpy(field, "k-control", 9);
	k = ctl_config_key(&cfg, field, sizeof(field));
	assert_non_null(k);
	assert_string_equal(k->key_id, "k-control");
	assert_int_equal(k->secret_len, 20);
	assert_ptr_equal(ctl_config_key(&cfg, (const uint8_t *)"log-key", 7), &cfg.keys[2]);
	assert_null(ctl_config_key(&cfg, (const uint8_t *)"k-contro", 8));
	assert_null(ctl_config_key(&cfg, (const uint8_t *)"k-controlx", 10));
	field[20] = 'x'; /* not padding: part of the name */
	assert_null(ctl_config_key(&cfg, field, sizeof(field)));
	assert_null(ctl_config_key(&cfg, field, 0));
	assert_null(ctl_config_key(&cfg, NULL, 9));
	ctl_config_free(&cfg);
}

static void test_free_wipes(void **state)
{
	static const uint8_t zero[CTL_SECRET_MAX];
	size_t i;

	(void)state;
	assert_int_equal(load_secure("ctl-full.json"), 0);
	assert_memory_not_equal(cfg.keys[1].secret, zero, 20);
	ctl_config_free(&cfg);
	for (i = 0; i < 3; i++)
		assert_memory_equal(cfg.keys[i].secret, zero, sizeof(zero));
	assert_int_equal(cfg.nkeys, 0);
	assert_null(ctl_config_key(&cfg, (const uint8_t *)"k-control", 9));
}

static void test_count_over_max(void **state)
{
	(void)state;
	assert_int_equal(load_data("ctl-count.json"), -1);
	assert_contains(err, "ctl-count.json: " TOP "/server/count: ");
	assert_contains(err, "count must not exceed max-count-exponent");
	/* the largest that runs */
	assert_int_equal(load_text("{\"twamp-reflector:twamp-reflector\":{\"server\":"
				   "{\"count\":30,\"max-count-exponent\":30}}}"), 0);
	assert_int_equal(cfg.server.count, 30);
	assert_int_equal(cfg.server.max_count_exponent, 30);
	ctl_config_free(&cfg);
	/* a max-count-exponent below the default count */
	assert_int_equal(load_text("{\"twamp-reflector:twamp-reflector\":{\"server\":{\"max-count-exponent\":12}}}"), -1);
	assert_contains(err, TOP "/server/count: count must not exceed max-count-exponent");
}

static void test_constraints(void **state)
{
	static const struct {
		const char *json, *path, *msg;
	} cases[] = {
		{ "\"server\":{\"test-port-min\":6000,\"test-port-max\":5999}",
		  "/server/test-port-", "must not" },
		{ "\"server\":{\"max-connections\":4}",
		  "/server/max-connections-per-client", "must not exceed max-connections" },
		{ "\"server\":{\"max-connections\":10,\"max-connections-per-client\":2}",
		  "/server/max-pending-authentication", "must not exceed max-connections" },
		{ "\"server\":{\"max-sessions-per-connection\":257}",
		  "/server/max-sessions-per-connection", "257" },
		{ "\"server\":{\"servwait\":0}", "/server/servwait", "0" },
		{ "\"server\":{\"group\":\"twamp\"}", "/server/group", "server group needs server user" },
		{ "\"server\":{\"user\":\"Root\"}", "/server/user", "Root" },
		{ "\"server\":{\"control-packet-dscp\":64}", "/server/control-packet-dscp", "64" },
		{ "\"server\":{\"count\":9}", "/server/count", "9" },
		/* 2^31 iterations cannot run (OpenSSL's int): refused, not accepted and failed */
		{ "\"server\":{\"count\":31}", "/server/count", "31" },
		{ "\"server\":{\"max-count-exponent\":31}", "/server/max-count-exponent", "31" },
		{ "\"server\":{\"modes\":\"authenticated bogus\"}", "/server/modes", "bogus" },
		{ "\"server\":{\"listen-address\":[\"10.99.0.300\"]}", "/server/listen-address",
		  "10.99.0.300" },
		{ "\"server\":{\"ikev2-derived\":{\"key-agent-timeout\":49}}",
		  "/server/ikev2-derived/key-agent-timeout", "49" },
		{ "\"server\":{\"ikev2-derived\":{\"key-agent-timeout\":3001}}",
		  "/server/ikev2-derived/key-agent-timeout", "3001" },
		{ "\"server\":{\"ikev2-derived\":{\"key-agent-socket\":\"agent.sock\"}}",
		  "/server/ikev2-derived/key-agent-socket", "agent.sock" },
		{ "\"server\":{\"modes\":\"unauthenticated IKEv2Derived\"}", "",
		  "server: modes: IKEv2Derived needs authenticated, encrypted or "
		  "unauth-test-encrypt-control" },
		{ "\"security-baseline\":{\"ip-block\":{\"failed-times\":0}}",
		  "/security-baseline/ip-block/failed-times", "0" },
		{ "\"security-baseline\":{\"login-failed-threshold-alarm\":{\"upper-limit\":5}}",
		  "/security-baseline/login-failed-threshold-alarm/lower-limit",
		  "lower-limit must not exceed upper-limit" },
		{ "\"security-baseline\":{\"control-acl\":{\"permit-prefix\":[\"10.99.0.0/33\"]}}",
		  "/security-baseline/control-acl/permit-prefix", "10.99.0.0/33" },
		{ "\"security-baseline\":{\"log-security\":{\"local-log-file\":\"relative.log\"}}",
		  "/security-baseline/log-security/local-log-file", "relative.log" },
		{ "\"security-baseline\":{\"log-security\":{\"hash-chain-key-id\":\"nope\"}}",
		  "", "log-security: hash-chain-key-id is no longer used: a key-chain secret is a login" },
		{ "\"security-baseline\":{\"log-security\":{\"log-key\":\"c2hvcnQ=\"}}",
		  "/security-baseline/log-security/log-key", "" },
		{ "\"security-baseline\":{\"log-security\":{\"anchor-interval\":0}}",
		  "/security-baseline/log-security/anchor-interval", "0" },
		{ "\"security-baseline\":{\"log-security\":{\"rate-limit\":{\"lines-per-second\":0}}}",
		  "/security-baseline/log-security/rate-limit/lines-per-second", "0" },
		{ "\"key-chain\":{\"key\":[{\"key-id\":\"u\",\"secret-key\":"
		  "\"MDEyMzQ1Njc4OWFiY2RlZg==\"}]},\"security-baseline\":{\"log-security\":"
		  "{\"log-key\":\"MDEyMzQ1Njc4OWFiY2RlZg==\"}}",
		  "", "log-key is also the secret-key of key-chain entry 'u'" },
		{ "\"security-baseline\":{\"ip-block-list\":[{\"blocked-ip\":\"10.99.0.9\"}]}",
		  "", "ip-block-list" },
	};
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "{\"twamp-reflector:twamp-reflector\":{%s}}",
			 cases[i].json);
		if (load_text(text) != -1)
			fail_msg("accepted: %s", cases[i].json);
		assert_contains(err, "ctl-gen.json: ");
		if (cases[i].path[0])
			assert_contains(err, TOP);
		assert_contains(err, cases[i].path);
		assert_contains(err, cases[i].msg);
	}
	/* a local log file without hash chain needs no key; an empty modes is
	 * Modes 0 (the server declines every client) */
	assert_int_equal(load_text("{\"twamp-reflector:twamp-reflector\":{\"server\":{\"modes\":\"\"},"
				   "\"security-baseline\":{\"log-security\":{\"hash-chain\":false,"
				   "\"local-log-file\":\"/var/log/twr.log\"}}}}"), 0);
	assert_int_equal(cfg.server.modes, 0);
	assert_string_equal(cfg.security.log_file, "/var/log/twr.log");
	assert_false(cfg.security.log_hash_chain);
	/* IKEv2Derived with the mixed mode alone is enough */
	assert_int_equal(load_text("{\"twamp-reflector:twamp-reflector\":{\"server\":{\"modes\":"
				   "\"unauth-test-encrypt-control IKEv2Derived\"}}}"), 0);
	assert_int_equal(cfg.server.modes, CTL_MODE_MIXED | CTL_MODE_IKEV2);
}

static void test_log_needs_key(void **state)
{
	(void)state;
	assert_int_equal(load_data("ctl-log-no-key.json"), -1);
	assert_contains(err, TOP "/security-baseline/log-security/local-log-file: ");
	assert_contains(err, "needs a log-key");
}

static void test_no_config(void **state)
{
	(void)state;
	assert_int_equal(load_text("{}"), -1);
	assert_contains(err, "ctl-gen.json: no twamp-reflector configuration");
}

static void test_zone_refused(void **state)
{
	(void)state;
	assert_int_equal(load_text("{\"twamp-reflector:twamp-reflector\":{\"server\":"
				   "{\"listen-address\":[\"fe80::1%eth0\"]}}}"), -1);
	assert_contains(err, "listen-address \"fe80::1%eth0\": zones are not supported");
}

/* A configuration with n items of one kind. */
enum gen_kind { GEN_LISTEN, GEN_ACL, GEN_KEYS };

static int load_gen(enum gen_kind kind, unsigned n)
{
	static char text[65536];
	size_t o = 0;
	unsigned i;

#define PUT(...) (o += (size_t)snprintf(text + o, sizeof(text) - o, __VA_ARGS__))
	PUT("{\"twamp-reflector:twamp-reflector\":{");
	if (kind == GEN_LISTEN) {
		PUT("\"server\":{\"listen-address\":[");
		for (i = 0; i < n; i++)
			PUT("%s\"10.99.0.%u\"", i ? "," : "", i + 1);
		PUT("]}");
	} else if (kind == GEN_ACL) {
		PUT("\"security-baseline\":{\"control-acl\":{\"permit-prefix\":[");
		for (i = 0; i < n; i++)
			PUT("%s\"10.%u.0.0/16\"", i ? "," : "", i);
		PUT("]}}");
	} else {
		PUT("\"key-chain\":{\"key\":[");
		for (i = 0; i < n; i++)
			PUT("%s{\"key-id\":\"k%u\",\"secret-key\":\"c2VjcmV0\"}", i ? "," : "", i);
		PUT("]}");
	}
	PUT("}}");
#undef PUT
	assert_true(o < sizeof(text));
	return load_text(text);
}

static void test_limits(void **state)
{
	static const struct {
		enum gen_kind kind;
		unsigned max;
		const char *msg;
	} cases[] = {
		{ GEN_LISTEN, CTL_MAX_LISTEN, "server: 17 listen-address entries, at most 16" },
		{ GEN_ACL, CTL_MAX_PREFIXES, "control-acl: 65 permit-prefix entries, at most 64" },
		{ GEN_KEYS, CTL_MAX_KEYS, "key-chain: 65 keys, at most 64" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].kind == GEN_KEYS && !tu_is_root())
			continue; /* a file with keys must be root's */
		if (load_gen(cases[i].kind, cases[i].max) != 0)
			fail_msg("%u at the limit refused: %s", cases[i].max, err);
		assert_int_equal(load_gen(cases[i].kind, cases[i].max + 1), -1);
		assert_contains(err, "ctl-gen.json: ");
		assert_contains(err, cases[i].msg);
	}
	/* at the limits, everything was extracted */
	assert_int_equal(load_gen(GEN_ACL, CTL_MAX_PREFIXES), 0);
	assert_int_equal(cfg.security.nacl, CTL_MAX_PREFIXES);
	assert_int_equal(cfg.security.acl[CTL_MAX_PREFIXES - 1].addr[1], CTL_MAX_PREFIXES - 1);
	if (!tu_is_root())
		return;
	assert_int_equal(load_gen(GEN_KEYS, CTL_MAX_KEYS), 0);
	assert_int_equal(cfg.nkeys, CTL_MAX_KEYS);
	assert_string_equal(cfg.keys[CTL_MAX_KEYS - 1].key_id, "k63");
	assert_memory_equal(cfg.keys[CTL_MAX_KEYS - 1].secret, "secret", 6);
	ctl_config_free(&cfg);
}

/* A key-chain entry whose secret or key-id does not fit is refused, and a
 * failed load leaves no key material behind. */
static void test_key_sizes(void **state)
{
	static const uint8_t zero[CTL_SECRET_MAX];
	static char text[4096];
	char secret[2 * CTL_SECRET_MAX], id[128];
	size_t o = 0;
	int i;

	(void)state;
	if (!tu_is_root())
		skip();
	/* 257 octets of zeros: 343 base64 'A' and one '=' */
	memset(secret, 'A', 343);
	memcpy(secret + 343, "=", 2);
	snprintf(text, sizeof(text), "{\"twamp-reflector:twamp-reflector\":{\"key-chain\":"
		 "{\"key\":[{\"key-id\":\"ok\",\"secret-key\":\"c2VjcmV0\"},"
		 "{\"key-id\":\"big\",\"secret-key\":\"%s\"}]}}}", secret);
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(load_text(text), -1);
	assert_contains(err, "key 'big': secret-key is 257 octets, at most 256");
	assert_int_equal(cfg.nkeys, 0);
	assert_memory_equal(cfg.keys[0].secret, zero, sizeof(zero));

	/* 41 two-octet characters: 41 characters for YANG, 82 octets here */
	for (i = 0; i < 41; i++)
		o += (size_t)snprintf(id + o, sizeof(id) - o, "\xc3\xa9");
	snprintf(text, sizeof(text), "{\"twamp-reflector:twamp-reflector\":{\"key-chain\":"
		 "{\"key\":[{\"key-id\":\"%s\",\"secret-key\":\"c2VjcmV0\"}]}}}", id);
	assert_int_equal(load_text(text), -1);
	assert_contains(err, "is 82 octets, at most 80");
	/* 40 of them fit exactly */
	id[80] = '\0';
	snprintf(text, sizeof(text), "{\"twamp-reflector:twamp-reflector\":{\"key-chain\":"
		 "{\"key\":[{\"key-id\":\"%s\",\"secret-key\":\"c2VjcmV0\"}]}}}", id);
	if (load_text(text) != 0)
		fail_msg("%s", err);
	assert_non_null(ctl_config_key(&cfg, (const uint8_t *)id, 80));
	ctl_config_free(&cfg);
}

/* A file with keys must be root's and closed to others; one without may be
 * anything readable. */
static void test_file_security(void **state)
{
	char path[TU_PATH_MAX];

	(void)state;
	if (!tu_is_root())
		skip();
	assert_non_null(tu_copy_data("ctl-full.json", 0644, 0, path, sizeof(path)));
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "ctl-full.json: holds keys");
	assert_contains(err, "mode 0644");
	assert_int_equal(cfg.nkeys, 0);

	assert_non_null(tu_copy_data("ctl-full.json", 0600, 65534, path, sizeof(path)));
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "uid 65534");

	assert_non_null(tu_copy_data("ctl-full.json", 0640, 0, path, sizeof(path)));
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), 0);
	ctl_config_free(&cfg);

	/* a log-key alone is key material too */
	assert_non_null(tu_copy_data("ctl-log-key-only.json", 0644, 0, path, sizeof(path)));
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "ctl-log-key-only.json: holds keys");
	assert_int_equal(cfg.security.log_key_len, 0);
	assert_non_null(tu_copy_data("ctl-log-key-only.json", 0600, 0, path, sizeof(path)));
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.security.log_key_len, 16);
	ctl_config_free(&cfg);

	/* no keys: the file-security rule does not apply */
	assert_non_null(tu_copy_data("ctl-minimal.json", 0644, 65534, path, sizeof(path)));
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_test_addrs),
		cmocka_unit_test(test_key_lookup),
		cmocka_unit_test(test_free_wipes),
		cmocka_unit_test(test_count_over_max),
		cmocka_unit_test(test_constraints),
		cmocka_unit_test(test_log_needs_key),
		cmocka_unit_test(test_no_config),
		cmocka_unit_test(test_zone_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_key_sizes),
		cmocka_unit_test(test_file_security),
	};

	/* the source tree's modules, whatever the environment says */
	setenv("TWR_YANG_DIR", TWR_YANG_SRCDIR, 1);
	return cmocka_run_group_tests(tests, tu_setup, tu_teardown);
}
