/* ka_handle: one request through policy and a scripted plugin. Checks the
 * answers, that the plugin is not asked when policy already says no, and
 * that neither a refused reply nor the audit line carries the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_server.h"
#include "ka_handle.h"

static const uint8_t SPI_I[8] = { 0xa1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t SPI_R[8] = { 0xb1, 10, 11, 12, 13, 14, 15, 16 };
static const struct ka_caller CTL = { .pid = 10, .uid = 100, .gid = 100 };

static char dir[64];
static struct fake_server plugin;
static struct ka_config cfg;

static struct cfg_prefix net24(uint8_t third)
{
	struct cfg_prefix p = { .ipver = 4, .len = 24, .addr = { 10, 99, third, 0 } };

	return p;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/twr-kahandle-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cfg.plugin_socket, sizeof(cfg.plugin_socket), "%s/ippm.sock", dir);
	cfg.plugin_timeout_ms = 1000;
	cfg.policy.nrules = 1;
	cfg.policy.rules[0] = (struct ka_rule){ .name = "ctl", .has_uid = true, .uid = 100,
						.allow_spi = true, .allow_peer = true, .nprefixes = 1 };
	cfg.policy.rules[0].prefixes[0] = net24(0);
	memset(&plugin, 0, sizeof(plugin));
	return fake_start(&plugin, cfg.plugin_socket);
}

static int teardown(void **state)
{
	(void)state;
	fake_stop(&plugin);
	return rmdir(dir);
}

/* The plugin finds an SA with that remote address. */
static void plugin_finds(const char *remote)
{
	struct ka_reply r = { .type = KA_LOOKUP_SPI, .status = KA_OK, .prf = 5, .key_len = 32 };

	memset(r.key, 0xc3, 32);
	memcpy(r.spi_i, SPI_I, 8);
	memcpy(r.spi_r, SPI_R, 8);
	ka_addr_parse(&r.local, "10.99.0.1");
	ka_addr_parse(&r.remote, remote);
	strcpy(r.remote_id, "peer \"two\"");
	plugin.mode = FAKE_REPLY;
	plugin.reply_len = KA_REPLY_LEN;
	assert_int_equal(ka_reply_encode(KA_LEG_PLUGIN, &r, plugin.reply), 0);
}

static void spi_request(uint8_t buf[KA_REQ_LEN])
{
	struct ka_request q = { .type = KA_LOOKUP_SPI };

	memcpy(q.spi_i, SPI_I, 8);
	memcpy(q.spi_r, SPI_R, 8);
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &q, buf), 0);
}

static void assert_no_key(const struct ka_reply *rep, const struct ka_audit_rec *rec)
{
	char line[1024];
	size_t n = ka_audit_format(rec, line, sizeof(line));

	for (int i = 0; i < KA_KEY_MAX; i++)
		assert_int_equal(rep->key[i], 0);
	assert_null(memmem(line, n, "\xc3\xc3\xc3\xc3", 4));
	assert_null(strstr(line, "c3c3c3c3"));
	assert_null(strstr(line, "C3C3C3C3"));
}

static void test_spi_ok(void **state)
{
	uint8_t q[KA_REQ_LEN], sent[KA_REQ_LEN];
	struct ka_audit_rec rec;
	struct ka_reply rep;
	char line[1024];

	(void)state;
	plugin_finds("10.99.0.2");
	spi_request(q);
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_OK);
	assert_int_equal(rep.key_len, 32);
	assert_int_equal(rep.key[31], 0xc3);
	assert_int_equal(rec.status, KA_OK);
	assert_string_equal(rec.rule, "ctl");
	/* forwarded as the same request on the plugin leg */
	memcpy(sent, q, sizeof(sent));
	memcpy(sent, "IPPM", 4);
	assert_int_equal(plugin.got_len, KA_REQ_LEN);
	assert_memory_equal(plugin.got, sent, KA_REQ_LEN);
	ka_reply_wipe(&rep);
	assert_no_key(&rep, &rec);
	ka_audit_format(&rec, line, sizeof(line));
	assert_non_null(strstr(line, "remote-id=\"peer \\\"two\\\"\""));
}

static void test_spi_peer_outside_policy(void **state)
{
	uint8_t q[KA_REQ_LEN];
	struct ka_audit_rec rec;
	struct ka_reply rep;

	(void)state;
	plugin_finds("10.99.7.2"); /* the SA exists, with a peer this caller may not ask about */
	spi_request(q);
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_NOT_PERMITTED);
	assert_int_equal(rec.status, KA_NOT_PERMITTED);
	assert_string_equal(rec.reason, "IKE peer outside the caller's policy");
	assert_int_equal(rec.remote.a[2], 7); /* the operator sees which peer */
	assert_no_key(&rep, &rec);
}

static void test_refused_before_asking(void **state)
{
	struct ka_caller stranger = { .pid = 11, .uid = 101, .gid = 101 };
	struct ka_request peer = { .type = KA_LOOKUP_PEER };
	uint8_t q[KA_REQ_LEN];
	struct ka_audit_rec rec;
	struct ka_reply rep;

	(void)state;
	plugin_finds("10.99.0.2");
	plugin.connections = 0;
	spi_request(q);
	ka_handle(&cfg, &stranger, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_NOT_PERMITTED);
	assert_string_equal(rec.reason, "caller not in policy");
	ka_addr_parse(&peer.peer, "10.99.5.2");
	ka_request_encode(KA_LEG_AGENT, &peer, q);
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_NOT_PERMITTED);
	assert_string_equal(rec.reason, "peer outside the caller's policy");
	cfg.policy.rules[0].allow_peer = false;
	ka_addr_parse(&peer.peer, "10.99.0.2");
	ka_request_encode(KA_LEG_AGENT, &peer, q);
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	cfg.policy.rules[0].allow_peer = true;
	assert_int_equal(rep.status, KA_NOT_PERMITTED);
	assert_string_equal(rec.reason, "lookup kind not allowed for this caller");
	assert_int_equal(plugin.connections, 0);
}

static void test_bad_requests(void **state)
{
	uint8_t q[KA_REQ_LEN];
	struct ka_audit_rec rec;
	struct ka_reply rep;

	(void)state;
	plugin.connections = 0;
	spi_request(q);
	ka_handle(&cfg, &CTL, q, sizeof(q), "oversized request", &rep, &rec);
	assert_int_equal(rep.status, KA_MALFORMED);
	assert_int_equal(rep.type, 0);
	assert_string_equal(rec.reason, "oversized request");
	q[4] = 2;
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_BAD_VERSION);
	spi_request(q);
	q[47] = 1;
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_MALFORMED);
	assert_string_equal(rec.reason, "MBZ field not zero");
	assert_int_equal(rec.type, KA_LOOKUP_SPI);
	assert_int_equal(plugin.connections, 0);
}

static void test_plugin_troubles(void **state)
{
	struct ka_config down = cfg;
	uint8_t q[KA_REQ_LEN];
	struct ka_audit_rec rec;
	struct ka_reply rep, r;

	(void)state;
	spi_request(q);
	snprintf(down.plugin_socket, sizeof(down.plugin_socket), "%s/gone.sock", dir);
	ka_handle(&down, &CTL, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_AGENT_DOWN);
	ka_reply_error(&r, KA_LOOKUP_SPI, KA_NO_SA);
	ka_reply_encode(KA_LEG_PLUGIN, &r, plugin.reply);
	plugin.mode = FAKE_REPLY;
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_NO_SA);
	plugin.reply[0] = 'X';
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_INTERNAL);
	plugin.mode = FAKE_CLOSE;
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_AGENT_DOWN);
}

static void test_ping(void **state)
{
	struct ka_request p = { .type = KA_PING };
	uint8_t q[KA_REQ_LEN];
	struct ka_audit_rec rec;
	struct ka_reply rep, r;

	(void)state;
	ka_request_encode(KA_LEG_AGENT, &p, q);
	ka_reply_error(&r, KA_PING, KA_OK);
	ka_reply_encode(KA_LEG_PLUGIN, &r, plugin.reply);
	plugin.mode = FAKE_REPLY;
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	assert_int_equal(rep.status, KA_OK);
	assert_int_equal(rep.type, KA_PING);
	plugin.mode = FAKE_HANG;
	cfg.plugin_timeout_ms = 200;
	ka_handle(&cfg, &CTL, q, sizeof(q), NULL, &rep, &rec);
	cfg.plugin_timeout_ms = 1000;
	assert_int_equal(rep.status, KA_AGENT_DOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spi_ok),
		cmocka_unit_test(test_spi_peer_outside_policy),
		cmocka_unit_test(test_refused_before_asking),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_plugin_troubles),
		cmocka_unit_test(test_ping),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
