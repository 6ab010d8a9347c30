/* keyagent_proto: encoders and strict decoders of both legs, every rule of
 * the layout in keyagent_proto.h, and the address helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "keyagent_proto.h"

static const uint8_t SPI_I[8] = { 0xec, 0xc0, 0x0c, 0x7b, 0x11, 0x1c, 0xb7, 0xb6 };
static const uint8_t SPI_R[8] = { 0x77, 0x59, 0x34, 0x77, 0x09, 0x74, 0x1a, 0x1b };

static struct ka_request spi_req(void)
{
	struct ka_request r = { .type = KA_LOOKUP_SPI };

	memcpy(r.spi_i, SPI_I, 8);
	memcpy(r.spi_r, SPI_R, 8);
	return r;
}

static struct ka_reply ok_reply(void)
{
	struct ka_reply r = { .type = KA_LOOKUP_SPI, .status = KA_OK, .prf = 5, .key_len = 32 };

	for (int i = 0; i < 32; i++)
		r.key[i] = (uint8_t)(0xa0 + i);
	memcpy(r.spi_i, SPI_I, 8);
	memcpy(r.spi_r, SPI_R, 8);
	ka_addr_parse(&r.local, "10.99.0.1");
	ka_addr_parse(&r.remote, "fd00:99::2");
	r.local_id_type = 1;
	r.remote_id_type = 2;
	strcpy(r.local_id, "10.99.0.1");
	strcpy(r.remote_id, "moon.example.org");
	return r;
}

static void test_request_layout(void **state)
{
	struct ka_request r = spi_req(), d;
	uint8_t buf[KA_REQ_LEN];
	const char *why = "x";

	(void)state;
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, buf), 0);
	assert_memory_equal(buf, "TWKA\x01\x02\x00\x00", 8);
	assert_memory_equal(buf + 8, SPI_I, 8);
	assert_memory_equal(buf + 16, SPI_R, 8);
	for (int i = 24; i < KA_REQ_LEN; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, &why), KA_OK);
	assert_null(why);
	assert_memory_equal(&d, &r, sizeof(r));
	/* the other leg's magic */
	assert_int_equal(ka_request_encode(KA_LEG_PLUGIN, &r, buf), 0);
	assert_memory_equal(buf, "IPPM", 4);
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, &why), KA_MALFORMED);
	assert_string_equal(why, "bad magic");
}

static void test_request_peer_and_ping(void **state)
{
	struct ka_request r = { .type = KA_LOOKUP_PEER }, d;
	uint8_t buf[KA_REQ_LEN];

	(void)state;
	assert_int_equal(ka_addr_parse(&r.peer, "10.99.0.2"), 0);
	assert_int_equal(ka_request_encode(KA_LEG_PLUGIN, &r, buf), 0);
	assert_int_equal(buf[24], 4);
	assert_memory_equal(buf + 28, "\x0a\x63\x00\x02", 4);
	assert_int_equal(ka_request_decode(KA_LEG_PLUGIN, buf, sizeof(buf), &d, NULL), KA_OK);
	assert_true(ka_addr_equal(&d.peer, &r.peer));
	assert_int_equal(ka_addr_parse(&r.peer, "fd00:99::2"), 0);
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, buf), 0);
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_OK);
	assert_int_equal(d.peer.family, 6);
	r = (struct ka_request){ .type = KA_PING };
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, buf), 0);
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_OK);
	assert_int_equal(d.type, KA_PING);
}

static void test_request_encode_refuses(void **state)
{
	struct ka_request r = spi_req();
	uint8_t buf[KA_REQ_LEN];

	(void)state;
	r.spi_r[0] = 0, memset(r.spi_r, 0, 8);
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, buf), -1);
	r = spi_req();
	ka_addr_parse(&r.peer, "10.0.0.1");
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, buf), -1);
	r = (struct ka_request){ .type = KA_LOOKUP_PEER };
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, buf), -1);
	r = (struct ka_request){ .type = 9 };
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, buf), -1);
}

/* Flip each octet of a good request in turn: only the SPI octets may
 * change and still decode (to another lookup). */
static void test_request_every_octet(void **state)
{
	struct ka_request r = spi_req(), d;
	uint8_t good[KA_REQ_LEN], buf[KA_REQ_LEN];

	(void)state;
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, good), 0);
	for (int i = 0; i < KA_REQ_LEN; i++) {
		enum ka_status want = (i >= 8 && i < 24) ? KA_OK : KA_MALFORMED;

		memcpy(buf, good, sizeof(buf));
		buf[i] ^= 0x40;
		if (i == 4)
			want = KA_BAD_VERSION;
		if (ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL) != want)
			fail_msg("octet %d", i);
	}
}

static void test_request_lengths(void **state)
{
	struct ka_request r = spi_req(), d;
	uint8_t buf[KA_REQ_LEN + 1] = { 0 };
	const char *why;

	(void)state;
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, buf), 0);
	for (size_t n = 0; n < KA_REQ_LEN; n++)
		assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, n, &d, &why), KA_MALFORMED);
	assert_string_equal(why, "truncated");
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, &why), KA_MALFORMED);
	assert_string_equal(why, "oversized");
}

static void test_request_type_rules(void **state)
{
	struct ka_request r = spi_req(), d;
	uint8_t buf[KA_REQ_LEN];

	(void)state;
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, buf), 0);
	buf[5] = KA_PING; /* a ping with SPIs */
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_MALFORMED);
	buf[5] = KA_LOOKUP_PEER; /* a peer lookup with SPIs */
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_MALFORMED);
	buf[5] = 0;
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_MALFORMED);
	/* peer lookup: IPv4 with address padding, family 5 */
	r = (struct ka_request){ .type = KA_LOOKUP_PEER };
	ka_addr_parse(&r.peer, "10.99.0.2");
	assert_int_equal(ka_request_encode(KA_LEG_AGENT, &r, buf), 0);
	buf[40] = 1;
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_MALFORMED);
	buf[40] = 0;
	buf[24] = 5;
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_MALFORMED);
	buf[24] = 0;
	assert_int_equal(ka_request_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_MALFORMED);
}

static void test_reply_roundtrip(void **state)
{
	struct ka_reply r = ok_reply(), d;
	uint8_t buf[KA_REPLY_LEN];

	(void)state;
	assert_int_equal(ka_reply_encode(KA_LEG_PLUGIN, &r, buf), 0);
	assert_memory_equal(buf, "IPPM\x01\x82\x00\x00\x00\x05\x20\x00", 12);
	assert_memory_equal(buf + 72, r.key, 32);
	assert_int_equal(buf[69], 9);
	assert_int_equal(buf[71], 16);
	assert_memory_equal(buf + 392, "moon.example.org", 16);
	assert_int_equal(ka_reply_decode(KA_LEG_PLUGIN, buf, sizeof(buf), &d, NULL), KA_OK);
	assert_memory_equal(&d, &r, sizeof(r));
	ka_reply_wipe(&d);
	assert_int_equal(d.key[0], 0);
}

static void test_reply_every_octet(void **state)
{
	struct ka_reply r = ok_reply(), d;
	uint8_t good[KA_REPLY_LEN], buf[KA_REPLY_LEN];

	(void)state;
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, &r, good), 0);
	for (int i = 0; i < KA_REPLY_LEN; i++) {
		/* the type (0x83 is a peer lookup's), the flags (bit 0 is
		 * known), the SPIs, addresses (IPv6 remote; the IPv4 local's
		 * first 4), ID types, the key and the IDs' characters may change */
		bool free_octet = i == 5 || i == 7 || (i >= 16 && i < 32) || (i >= 34 && i < 40) || (i >= 52 && i < 68) ||
				  (i >= 72 && i < 104) || (i >= 136 && i < 145) || (i >= 392 && i < 408);
		enum ka_status st;

		memcpy(buf, good, sizeof(buf));
		buf[i] ^= 0x01;
		st = ka_reply_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL);
		if (i == 4 ? st != KA_BAD_VERSION : free_octet ? st != KA_OK : st != KA_MALFORMED)
			fail_msg("octet %d: %s", i, ka_status_name(st));
		if (st != KA_OK)
			assert_int_equal(d.key_len, 0);
	}
}

static void test_reply_rules(void **state)
{
	struct ka_reply r = ok_reply(), d;
	uint8_t buf[KA_REPLY_LEN];

	(void)state;
	r.key_len = 20; /* SHA2-256 gives 32 */
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, &r, buf), -1);
	r = ok_reply();
	r.prf = 3; /* TIGER: not accepted */
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, &r, buf), -1);
	r = ok_reply();
	r.remote_id[3] = '\n';
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, &r, buf), -1);
	r = ok_reply();
	r.remote.family = 0;
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, &r, buf), -1);
	/* an error reply carries nothing past octet 7 */
	r = ok_reply();
	r.status = KA_NO_SA;
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, &r, buf), 0);
	for (int i = 8; i < KA_REPLY_LEN; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(ka_reply_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_OK);
	assert_int_equal(d.status, KA_NO_SA);
	buf[100] = 1;
	assert_int_equal(ka_reply_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_MALFORMED);
	buf[100] = 0;
	buf[6] = KA_NO_AGENT; /* local only, never on the wire */
	assert_int_equal(ka_reply_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_MALFORMED);
	buf[6] = KA_NO_SA;
	buf[5] = KA_LOOKUP_SPI; /* a request's type octet */
	assert_int_equal(ka_reply_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_MALFORMED);
	/* an undecodable request's answer: type 0, MALFORMED or VERSION only */
	ka_reply_error(&r, 0, KA_MALFORMED);
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, &r, buf), 0);
	assert_int_equal(buf[5], 0x80);
	assert_int_equal(ka_reply_decode(KA_LEG_AGENT, buf, sizeof(buf), &d, NULL), KA_OK);
	ka_reply_error(&r, 0, KA_NO_SA);
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, &r, buf), -1);
}

static void test_reply_identity_limits(void **state)
{
	struct ka_reply r = ok_reply(), d;
	uint8_t buf[KA_REPLY_LEN + 1];

	(void)state;
	memset(r.remote_id, 'x', KA_ID_MAX);
	r.remote_id[KA_ID_MAX] = '\0';
	r.flags = KA_FLAG_REMOTE_ID_TRUNCATED;
	assert_int_equal(ka_reply_encode(KA_LEG_AGENT, &r, buf), 0);
	assert_int_equal(ka_reply_decode(KA_LEG_AGENT, buf, KA_REPLY_LEN, &d, NULL), KA_OK);
	assert_int_equal(strlen(d.remote_id), KA_ID_MAX);
	assert_int_equal(d.flags, KA_FLAG_REMOTE_ID_TRUNCATED);
	/* a length past the field */
	buf[70] = 1;
	buf[71] = 0;
	assert_int_equal(ka_reply_decode(KA_LEG_AGENT, buf, KA_REPLY_LEN, &d, NULL), KA_MALFORMED);
	assert_int_equal(ka_reply_decode(KA_LEG_AGENT, buf, KA_REPLY_LEN + 1, &d, NULL), KA_MALFORMED);
	assert_int_equal(ka_reply_decode(KA_LEG_AGENT, buf, KA_REPLY_LEN - 1, &d, NULL), KA_MALFORMED);
}

static void test_prf_names(void **state)
{
	(void)state;
	assert_string_equal(ka_prf_name(2), "HMAC_SHA1");
	assert_string_equal(ka_prf_name(6), "HMAC_SHA2_384");
	assert_int_equal(ka_prf_len(5), 32);
	assert_int_equal(ka_prf_len(7), 64);
	assert_int_equal(ka_prf_len(8), 16);
	assert_null(ka_prf_name(1024));
	assert_int_equal(ka_prf_len(0), 0);
	assert_string_equal(ka_status_name(KA_AGENT_DOWN), "AGENT_DOWN");
	assert_string_equal(ka_status_name(KA_NO_AGENT), "NO_AGENT");
	assert_string_equal(ka_status_name(99), "UNKNOWN");
	assert_string_equal(ka_status_name(-1), "UNKNOWN");
}

static void test_addr_helpers(void **state)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct ka_addr a, b;
	char txt[64];

	(void)state;
	inet_pton(AF_INET6, "::ffff:10.99.0.2", &s6.sin6_addr);
	assert_int_equal(ka_addr_from_sockaddr(&a, (struct sockaddr *)&s6, sizeof(s6)), 0);
	assert_int_equal(a.family, 4);
	inet_pton(AF_INET, "10.99.0.2", &s4.sin_addr);
	assert_int_equal(ka_addr_from_sockaddr(&b, (struct sockaddr *)&s4, sizeof(s4)), 0);
	assert_true(ka_addr_equal(&a, &b));
	assert_int_equal(ka_addr_from_sockaddr(&b, (struct sockaddr *)&s4, 4), -1);
	assert_int_equal(ka_addr_parse(&b, "::ffff:10.99.0.2"), 0);
	assert_true(ka_addr_equal(&a, &b));
	assert_string_equal(ka_addr_format(&b, txt, sizeof(txt)), "10.99.0.2");
	assert_int_equal(ka_addr_parse(&b, "fd00:99::1"), 0);
	assert_string_equal(ka_addr_format(&b, txt, sizeof(txt)), "fd00:99::1");
	assert_int_equal(ka_addr_parse(&b, "10.99.0.256"), -1);
	assert_int_equal(b.family, 0);
	assert_string_equal(ka_addr_format(&b, txt, sizeof(txt)), "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_layout),
		cmocka_unit_test(test_request_peer_and_ping),
		cmocka_unit_test(test_request_encode_refuses),
		cmocka_unit_test(test_request_every_octet),
		cmocka_unit_test(test_request_lengths),
		cmocka_unit_test(test_request_type_rules),
		cmocka_unit_test(test_reply_roundtrip),
		cmocka_unit_test(test_reply_every_octet),
		cmocka_unit_test(test_reply_rules),
		cmocka_unit_test(test_reply_identity_limits),
		cmocka_unit_test(test_prf_names),
		cmocka_unit_test(test_addr_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
