/* Session API request validation (session_api.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "session_api.h"

#define HDR sizeof(struct twr_api_hdr)

struct add_msg {
	struct twr_api_hdr h;
	struct twr_api_session s;
};

static void hdr_init(struct twr_api_hdr *h, uint16_t op, size_t len)
{
	memset(h, 0, sizeof(*h));
	h->version = TWR_API_VERSION;
	h->op = op;
	h->len = (uint32_t)len;
	h->seq = 77;
}

static void add_init(struct add_msg *m)
{
	memset(m, 0, sizeof(*m));
	hdr_init(&m->h, TWR_OP_ADD, sizeof(*m));
	memset(m->s.sid, 0x11, 16);
	m->s.ipver = 4;
	m->s.sec = 1;
	m->s.reflector_addr[0] = 10, m->s.reflector_addr[1] = 99, m->s.reflector_addr[3] = 1;
	m->s.sender_addr[0] = 10, m->s.sender_addr[1] = 99, m->s.sender_addr[3] = 2;
	m->s.reflector_port = 862;
	m->s.sender_port = 50000;
	m->s.timeout_ms = 2000;
	m->s.refwait_s = 900;
	memset(m->s.aes_key, 0xa5, 16);
	memset(m->s.hmac_key, 0x5a, 32);
}

static enum twr_api_status check(const void *m, size_t n)
{
	const char *why = NULL;
	enum twr_api_status st = twr_api_check_req(m, n, &why);

	assert_non_null(why);
	return st;
}

static void test_req_len(void **state)
{
	(void)state;
	assert_int_equal(twr_api_req_len(TWR_OP_ADD), HDR + sizeof(struct twr_api_session));
	assert_int_equal(twr_api_req_len(TWR_OP_START), HDR + 16);
	assert_int_equal(twr_api_req_len(TWR_OP_STOP), HDR + 16);
	assert_int_equal(twr_api_req_len(TWR_OP_REMOVE), HDR + 16);
	assert_int_equal(twr_api_req_len(TWR_OP_COUNTERS), HDR + 16);
	assert_int_equal(twr_api_req_len(TWR_OP_FLUSH), HDR);
	assert_int_equal(twr_api_req_len(TWR_OP_INFO), HDR);
	assert_int_equal(twr_api_req_len(0), 0);
	assert_int_equal(twr_api_req_len(8), 0);
	assert_int_equal(twr_api_req_len(0xffff), 0);
	for (uint16_t op = TWR_OP_ADD; op <= TWR_OP_INFO; op++)
		assert_true(twr_api_req_len(op) <= TWR_API_MAX_MSG);
}

/* every op at its exact length is accepted; one octet more or less is not */
static void test_every_op(void **state)
{
	_Alignas(8) uint8_t buf[TWR_API_MAX_MSG + 1];

	(void)state;
	for (uint16_t op = TWR_OP_ADD; op <= TWR_OP_INFO; op++) {
		size_t n = twr_api_req_len(op);

		memset(buf, 0, sizeof(buf));
		if (op == TWR_OP_ADD) {
			add_init((struct add_msg *)(void *)buf);
		} else {
			hdr_init((struct twr_api_hdr *)(void *)buf, op, n);
			memset(buf + HDR, 0x42, n - HDR); /* SIDs are opaque */
		}
		assert_int_equal(check(buf, n), TWR_API_OK);
		assert_int_equal(check(buf, n - 1), TWR_API_EINVAL);
		assert_int_equal(check(buf, n + 1), TWR_API_EINVAL);
		((struct twr_api_hdr *)(void *)buf)->len = (uint32_t)(n + 1);
		assert_int_equal(check(buf, n + 1), TWR_API_EINVAL);
	}
}

static void test_header_fields(void **state)
{
	struct twr_api_hdr h;

	(void)state;
	hdr_init(&h, TWR_OP_FLUSH, HDR);
	assert_int_equal(check(&h, HDR), TWR_API_OK);
	assert_int_equal(twr_api_check_req(&h, HDR, NULL), TWR_API_OK); /* why optional */
	assert_int_equal(check(&h, 0), TWR_API_EINVAL);
	assert_int_equal(check(&h, HDR - 1), TWR_API_EINVAL);
	h.version = 0;
	assert_int_equal(check(&h, HDR), TWR_API_EINVAL);
	h.version = TWR_API_VERSION + 1;
	assert_int_equal(check(&h, HDR), TWR_API_EINVAL);
	hdr_init(&h, 0, HDR);
	assert_int_equal(check(&h, HDR), TWR_API_EINVAL);
	hdr_init(&h, 99, HDR);
	assert_int_equal(check(&h, HDR), TWR_API_EINVAL);
	hdr_init(&h, TWR_OP_FLUSH, HDR - 1); /* len field disagrees with n */
	assert_int_equal(check(&h, HDR), TWR_API_EINVAL);
	hdr_init(&h, TWR_OP_FLUSH, HDR);
	h.reserved = 1;
	assert_int_equal(check(&h, HDR), TWR_API_EINVAL);
	assert_int_equal(twr_api_check_req(&h, HDR, NULL), TWR_API_EINVAL);
}

static void test_add_valid_variants(void **state)
{
	struct add_msg m;

	(void)state;
	add_init(&m);
	assert_int_equal(check(&m, sizeof(m)), TWR_API_OK);
	/* open with zero keys, and with non-zero keys */
	m.s.sec = 0;
	assert_int_equal(check(&m, sizeof(m)), TWR_API_OK);
	memset(m.s.aes_key, 0, 16);
	memset(m.s.hmac_key, 0, 32);
	assert_int_equal(check(&m, sizeof(m)), TWR_API_OK);
	m.s.sec = 2;
	m.s.flags = TWR_SF_ALL;
	m.s.dscp = 63;
	m.s.reflect_len = 2;
	assert_int_equal(check(&m, sizeof(m)), TWR_API_OK);
	/* IPv6 */
	add_init(&m);
	m.s.ipver = 6;
	memset(m.s.reflector_addr, 0, 16);
	memset(m.s.sender_addr, 0, 16);
	m.s.reflector_addr[0] = 0xfd, m.s.reflector_addr[15] = 1;
	m.s.sender_addr[0] = 0xfd, m.s.sender_addr[15] = 2;
	assert_int_equal(check(&m, sizeof(m)), TWR_API_OK);
	/* IPv6 address with octets beyond the fourth (legal there) */
	m.s.sender_addr[8] = 0x99;
	assert_int_equal(check(&m, sizeof(m)), TWR_API_OK);
}

/* each invalid field on its own is refused */
static void test_add_invalid_fields(void **state)
{
	struct add_msg m;

	(void)state;
#define REFUSE(stmt)                                                          \
	do {                                                                  \
		add_init(&m);                                                 \
		stmt;                                                         \
		assert_int_equal(check(&m, sizeof(m)), TWR_API_EINVAL);       \
	} while (0)
	REFUSE(m.s.ipver = 0);
	REFUSE(m.s.ipver = 5);
	REFUSE(m.s.ipver = 46);
	REFUSE(m.s.sec = 3);
	REFUSE(m.s.sec = 255);
	REFUSE(m.s.flags = 0x10);
	REFUSE(m.s.flags = 0x80 | TWR_SF_SYMMETRICAL);
	REFUSE(m.s.dscp = 64);
	REFUSE(m.s.dscp = 255);
	REFUSE(m.s.reflector_addr[4] = 1);
	REFUSE(m.s.reflector_addr[15] = 1);
	REFUSE(m.s.sender_addr[8] = 1);
	REFUSE(memset(m.s.sender_addr, 0, 16));
	REFUSE(memset(m.s.reflector_addr, 0, 16));
	REFUSE((m.s.ipver = 6, memset(m.s.sender_addr, 0, 16)));
	REFUSE(m.s.reflector_port = 0);
	REFUSE(m.s.sender_port = 0);
	REFUSE(m.s.reflect_len = 2);              /* without TWR_SF_REFLECT_OCTETS */
	REFUSE(m.s.reserved = 1);
	REFUSE(m.h.reserved = 0x100);
	REFUSE(m.h.version = 2);
	REFUSE(m.h.op = TWR_OP_START);            /* ADD body with the START op */
#undef REFUSE
}

/* the message need not be aligned */
static void test_unaligned(void **state)
{
	uint8_t buf[sizeof(struct add_msg) + 1];
	struct add_msg m;

	(void)state;
	add_init(&m);
	memcpy(buf + 1, &m, sizeof(m));
	assert_int_equal(check(buf + 1, sizeof(m)), TWR_API_OK);
	m.s.sec = 9;
	memcpy(buf + 1, &m, sizeof(m));
	assert_int_equal(check(buf + 1, sizeof(m)), TWR_API_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_len),
		cmocka_unit_test(test_every_op),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_add_valid_variants),
		cmocka_unit_test(test_add_invalid_fields),
		cmocka_unit_test(test_unaligned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
