/* keyagent_client: ka_call and the lookups against a scripted server:
 * what is sent, and every way an answer can go wrong. */
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
#include "keyagent_client.h"

static const uint8_t SPI_I[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t SPI_R[8] = { 9, 10, 11, 12, 13, 14, 15, 16 };

static char dir[64], sock[128];
static struct fake_server fs;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/twr-kaclient-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	memset(&fs, 0, sizeof(fs));
	return fake_start(&fs, sock);
}

static int teardown(void **state)
{
	(void)state;
	fake_stop(&fs);
	return rmdir(dir);
}

static struct ka_reply spi_answer(void)
{
	struct ka_reply r = { .type = KA_LOOKUP_SPI, .status = KA_OK, .prf = 6, .key_len = 48 };

	memset(r.key, 0x5a, 48);
	memcpy(r.spi_i, SPI_I, 8);
	memcpy(r.spi_r, SPI_R, 8);
	ka_addr_parse(&r.local, "10.99.0.2");
	ka_addr_parse(&r.remote, "10.99.0.1");
	strcpy(r.local_id, "sun");
	strcpy(r.remote_id, "moon");
	return r;
}

static void script(const struct ka_reply *r)
{
	fs.mode = FAKE_REPLY;
	fs.reply_len = KA_REPLY_LEN;
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, r, fs.reply), 0);
}

static void test_lookup_spi_ok(void **state)
{
	struct ka_reply want = spi_answer(), out;
	struct ka_request sent = { .type = KA_LOOKUP_SPI };
	uint8_t q[KA_REQ_LEN];

	(void)state;
	script(&want);
	assert_int_equal(ka_lookup_spi(sock, SPI_I, SPI_R, 2000, &out), KA_OK);
	assert_memory_equal(&out, &want, sizeof(out));
	memcpy(sent.spi_i, SPI_I, 8);
	memcpy(sent.spi_r, SPI_R, 8);
	ka_request_encode(KA_LEG_AGENT, &sent, q);
	assert_int_equal(fs.got_len, KA_REQ_LEN);
	assert_memory_equal(fs.got, q, KA_REQ_LEN);
	ka_reply_wipe(&out);
}

static void test_answer_must_match(void **state)
{
	struct ka_reply r = spi_answer(), out;
	struct ka_addr peer;

	(void)state;
	r.spi_r[7] ^= 1; /* another SA's key */
	script(&r);
	assert_int_equal(ka_lookup_spi(sock, SPI_I, SPI_R, 2000, &out), KA_MALFORMED);
	assert_int_equal(out.key_len, 0);
	assert_int_equal(out.key[0], 0);
	r = spi_answer(); /* an SPI answer to a peer lookup */
	script(&r);
	ka_addr_parse(&peer, "10.99.0.1");
	assert_int_equal(ka_lookup_peer(sock, &peer, 2000, &out), KA_MALFORMED);
	r.type = KA_LOOKUP_PEER; /* a peer answer about another peer */
	script(&r);
	ka_addr_parse(&peer, "10.99.0.3");
	assert_int_equal(ka_lookup_peer(sock, &peer, 2000, &out), KA_MALFORMED);
	ka_addr_parse(&peer, "10.99.0.1");
	assert_int_equal(ka_lookup_peer(sock, &peer, 2000, &out), KA_OK);
	assert_int_equal(out.key_len, 48);
	ka_reply_wipe(&out);
}

static void test_statuses(void **state)
{
	static const enum ka_status sts[] = { KA_NO_SA, KA_NOT_PERMITTED, KA_AGENT_DOWN, KA_INTERNAL };
	struct ka_reply r, out;

	(void)state;
	for (size_t i = 0; i < sizeof(sts) / sizeof(sts[0]); i++) {
		ka_reply_error(&r, KA_LOOKUP_SPI, sts[i]);
		script(&r);
		assert_int_equal(ka_lookup_spi(sock, SPI_I, SPI_R, 2000, &out), sts[i]);
		assert_int_equal(out.status, sts[i]);
	}
	ka_reply_error(&r, 0, KA_BAD_VERSION); /* the agent did not understand us */
	script(&r);
	assert_int_equal(ka_lookup_spi(sock, SPI_I, SPI_R, 2000, &out), KA_BAD_VERSION);
	ka_reply_error(&r, KA_PING, KA_AGENT_DOWN);
	script(&r);
	assert_int_equal(ka_ping(sock, 2000), KA_AGENT_DOWN);
	ka_reply_error(&r, KA_PING, KA_OK);
	script(&r);
	assert_int_equal(ka_ping(sock, 2000), KA_OK);
}

static void test_broken_answers(void **state)
{
	struct ka_reply r = spi_answer(), out;

	(void)state;
	script(&r);
	fs.reply_len = 100; /* truncated */
	assert_int_equal(ka_lookup_spi(sock, SPI_I, SPI_R, 2000, &out), KA_MALFORMED);
	script(&r);
	memcpy(fs.reply, "IPPM", 4); /* the plugin leg's magic */
	assert_int_equal(ka_lookup_spi(sock, SPI_I, SPI_R, 2000, &out), KA_MALFORMED);
	fs.mode = FAKE_CLOSE;
	assert_int_equal(ka_lookup_spi(sock, SPI_I, SPI_R, 2000, &out), KA_NO_AGENT);
	fs.mode = FAKE_HANG;
	assert_int_equal(ka_lookup_spi(sock, SPI_I, SPI_R, 200, &out), KA_NO_AGENT);
	assert_int_equal(out.status, KA_NO_AGENT);
}

static void test_no_agent(void **state)
{
	struct ka_reply out;
	char missing[160];
	uint8_t zero[8] = { 0 };

	(void)state;
	snprintf(missing, sizeof(missing), "%s/none.sock", dir);
	assert_int_equal(ka_ping(missing, 500), KA_NO_AGENT);
	assert_int_equal(ka_lookup_spi("", SPI_I, SPI_R, 500, &out), KA_NO_AGENT);
	/* a request that cannot be encoded is not sent */
	fs.connections = 0;
	assert_int_equal(ka_lookup_spi(sock, zero, SPI_R, 500, &out), KA_MALFORMED);
	assert_int_equal(fs.connections, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_spi_ok),
		cmocka_unit_test(test_answer_must_match),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_broken_answers),
		cmocka_unit_test(test_no_agent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
