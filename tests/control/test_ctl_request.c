/* Request-TW-Session validation (control/ctl_request.h), field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_request.h"
#include "ntp_time.h"
#include "session_api.h"
#include "tctl.h"
#include "tw_pkt.h"

static struct ctl_req_ctx ctx4(uint32_t mode)
{
	struct ctl_req_ctx c = { .peer = tip4(10, 99, 1, 1), .local = tip4(10, 99, 1, 2),
				 .mode = mode, .default_timeout_ms = 2000 };

	return c;
}

static uint8_t check(const struct twc_request *r, const struct ctl_req_ctx *c,
		     struct ctl_req_spec *s, const char *why_has)
{
	static char buf[CTL_WHY_LEN];
	const char *why = NULL;
	uint8_t a = ctl_request_check(r, c, s, &why, buf, sizeof(buf));

	assert_non_null(why);
	if (why_has)
		assert_non_null(strstr(why, why_has));
	return a;
}

static void zero_addresses_are_the_connections(void **state)
{
	struct twc_request r = treq_default();
	struct ctl_req_ctx c = ctx4(TWC_MODE_UNAUTH);
	struct ctl_req_spec s;

	(void)state;
	assert_int_equal(check(&r, &c, &s, "ok"), TWC_ACCEPT_OK);
	assert_true(ctl_ip_equal(&s.sender, &c.peer));
	assert_true(ctl_ip_equal(&s.reflector, &c.local));
	assert_int_equal(s.sender_port, 40001);
	assert_int_equal(s.receiver_port, 50000);
	assert_int_equal(s.sec, TW_SEC_OPEN);
	/* the same, spelled out */
	memcpy(r.sender_addr, c.peer.a, 4);
	memcpy(r.receiver_addr, c.local.a, 4);
	assert_int_equal(check(&r, &c, &s, NULL), TWC_ACCEPT_OK);
}

static void sender_other_than_peer(void **state)
{
	struct twc_request r = treq_default();
	struct ctl_req_ctx c = ctx4(TWC_MODE_UNAUTH);
	struct ctl_req_spec s;
	const uint8_t bad[][4] = { { 224, 0, 0, 1 }, { 255, 255, 255, 255 }, { 0, 1, 2, 3 } };

	(void)state;
	memcpy(r.sender_addr, ((uint8_t[]){ 10, 99, 2, 7 }), 4);
	assert_int_equal(check(&r, &c, &s, "not the control peer"), TWC_ACCEPT_FAILURE);
	c.allow_other_peer = true;
	assert_int_equal(check(&r, &c, &s, NULL), TWC_ACCEPT_OK);
	assert_memory_equal(s.sender.a, r.sender_addr, 4);
	for (int i = 0; i < 3; i++) {
		memcpy(r.sender_addr, bad[i], 4);
		assert_int_equal(check(&r, &c, &s, "not a unicast"), TWC_ACCEPT_FAILURE);
	}
}

static void receiver_must_be_local(void **state)
{
	struct twc_request r = treq_default();
	struct ctl_req_ctx c = ctx4(TWC_MODE_UNAUTH);
	struct ctl_req_spec s;

	(void)state;
	memcpy(r.receiver_addr, ((uint8_t[]){ 10, 99, 1, 3 }), 4);
	assert_int_equal(check(&r, &c, &s, "Receiver Address is not the address the control "
			       "connection reached"),
			 TWC_ACCEPT_FAILURE);
}

/* The dataplane ports' addresses, as the configuration lists them: the
 * connection's local address 10.99.1.2 among them, and another port. */
static const struct cfg_prefix port_addrs[] = {
	{ .ipver = 4, .len = 24, .addr = { 10, 99, 1, 2 } },
	{ .ipver = 6, .len = 64, .addr = { 0xfd, 0, 0, 0x99, 0, 1, [15] = 2 } },
	{ .ipver = 4, .len = 24, .addr = { 10, 99, 7, 2 } },
};

/* Control reached a dataplane address (through the exception port). */
static void receiver_among_port_addresses(void **state)
{
	struct twc_request r = treq_default();
	struct ctl_req_ctx c = ctx4(TWC_MODE_UNAUTH);
	struct ctl_req_spec s;

	(void)state;
	c.test_addrs = port_addrs;
	c.ntest_addrs = 3;
	assert_int_equal(check(&r, &c, &s, "ok"), TWC_ACCEPT_OK); /* 0: the local address */
	assert_true(ctl_ip_equal(&s.reflector, &c.local));
	memcpy(r.receiver_addr, ((uint8_t[]){ 10, 99, 7, 2 }), 4);  /* another port's */
	assert_int_equal(check(&r, &c, &s, "ok"), TWC_ACCEPT_OK);
	assert_memory_equal(s.reflector.a, ((uint8_t[]){ 10, 99, 7, 2 }), 4);
	assert_true(ctl_ip_equal(&s.sender, &c.peer));
	/* in a port's prefix is not enough: the port's own address */
	memcpy(r.receiver_addr, ((uint8_t[]){ 10, 99, 1, 3 }), 4);
	assert_int_equal(check(&r, &c, &s,
			       "Receiver Address 10.99.1.3 is not an address of the dataplane ports"),
			 TWC_ACCEPT_FAILURE);
}

/* Control reached a management address, which the dataplane does not
 * serve: the request must name a port address. */
static void management_connection(void **state)
{
	struct twc_request r = treq_default();
	struct ctl_req_ctx c = ctx4(TWC_MODE_AUTH);
	struct ctl_req_spec s;

	(void)state;
	c.local = tip4(10, 99, 101, 2);
	c.peer = tip4(10, 99, 101, 1);
	c.test_addrs = port_addrs;
	c.ntest_addrs = 3;
	assert_int_equal(check(&r, &c, &s,
			       "the control connection's address 10.99.101.2 is not served by the "
			       "dataplane: the request must name a Receiver Address"),
			 TWC_ACCEPT_FAILURE);
	memcpy(r.receiver_addr, ((uint8_t[]){ 10, 99, 1, 2 }), 4);
	assert_int_equal(check(&r, &c, &s, "ok"), TWC_ACCEPT_OK);
	assert_memory_equal(s.reflector.a, ((uint8_t[]){ 10, 99, 1, 2 }), 4);
	assert_true(ctl_ip_equal(&s.sender, &c.peer));             /* still the control peer */
	memcpy(r.receiver_addr, c.local.a, 4);                    /* the management address */
	assert_int_equal(check(&r, &c, &s,
			       "Receiver Address 10.99.101.2 is not an address of the dataplane ports"),
			 TWC_ACCEPT_FAILURE);
	/* IPv6: the same, and an IPv4 port address never matches IPv6 octets */
	r = treq_default();
	r.ipvn = 6;
	c.local = tip6("fd00:99:101::2");
	c.peer = tip6("fd00:99:101::1");
	assert_int_equal(check(&r, &c, &s, "fd00:99:101::2 is not served by the dataplane"),
			 TWC_ACCEPT_FAILURE);
	memcpy(r.receiver_addr, port_addrs[1].addr, 16);
	assert_int_equal(check(&r, &c, &s, "ok"), TWC_ACCEPT_OK);
	assert_int_equal(s.reflector.ver, 6);
	assert_memory_equal(s.reflector.a, port_addrs[1].addr, 16);
	memset(r.receiver_addr, 0, 16);
	memcpy(r.receiver_addr, ((uint8_t[]){ 10, 99, 1, 2 }), 4);
	assert_int_equal(check(&r, &c, &s, "Receiver Address a63:102:: is not an address"),
			 TWC_ACCEPT_FAILURE);
}

static void ip_version(void **state)
{
	struct twc_request r = treq_default();
	struct ctl_req_ctx c = ctx4(TWC_MODE_UNAUTH);
	struct ctl_req_spec s;

	(void)state;
	r.ipvn = 6;
	assert_int_equal(check(&r, &c, &s, "IPVN"), TWC_ACCEPT_NOT_SUPPORTED);
	/* an IPv6 connection */
	c.peer = tip6("fd00:99:1::1");
	c.local = tip6("fd00:99:1::2");
	assert_int_equal(check(&r, &c, &s, NULL), TWC_ACCEPT_OK);
	assert_int_equal(s.reflector.ver, 6);
	assert_memory_equal(s.reflector.a, c.local.a, 16);
	r.ipvn = 4;
	assert_int_equal(check(&r, &c, &s, "IPVN"), TWC_ACCEPT_NOT_SUPPORTED);
}

static void sender_port_zero(void **state)
{
	struct twc_request r = treq_default();
	struct ctl_req_ctx c = ctx4(TWC_MODE_UNAUTH);
	struct ctl_req_spec s;

	(void)state;
	r.sender_port = 0;
	assert_int_equal(check(&r, &c, &s, "Sender Port"), TWC_ACCEPT_FAILURE);
}

/* The sender packet fits a 1500-octet IP packet, and no more. */
static void padding_bound(void **state)
{
	const struct {
		uint32_t mode;
		uint8_t ipver;
		uint32_t max;
	} cases[] = {
		{ TWC_MODE_UNAUTH, 4, 1500 - 28 - 14 },
		{ TWC_MODE_UNAUTH | TWC_MODE_SYMMETRICAL, 4, 1500 - 28 - 41 },
		{ TWC_MODE_AUTH, 4, 1500 - 28 - 48 },
		{ TWC_MODE_ENC | TWC_MODE_SYMMETRICAL, 4, 1500 - 28 - 112 },
		{ TWC_MODE_MIXED, 6, 1500 - 48 - 14 },
		{ TWC_MODE_ENC, 6, 1500 - 48 - 48 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct twc_request r = treq_default();
		struct ctl_req_ctx c = ctx4(cases[i].mode);
		struct ctl_req_spec s;

		if (cases[i].ipver == 6) {
			c.peer = tip6("fd00::1");
			c.local = tip6("fd00::2");
			r.ipvn = 6;
		}
		r.padding_len = cases[i].max;
		assert_int_equal(check(&r, &c, &s, NULL), TWC_ACCEPT_OK);
		r.padding_len++;
		assert_int_equal(check(&r, &c, &s, "Padding Length"), TWC_ACCEPT_FAILURE);
	}
}

static void dscp_and_timeout(void **state)
{
	struct twc_request r = treq_default();
	struct ctl_req_ctx c = ctx4(TWC_MODE_AUTH);
	struct ctl_req_spec s;

	(void)state;
	r.type_p = TWC_TYPEP(34);
	r.timeout = ntp_from_duration_ns(1500000001ull);
	r.start_time = 0x1234; /* any Start Time */
	assert_int_equal(check(&r, &c, &s, NULL), TWC_ACCEPT_OK);
	assert_int_equal(s.dscp, 34);
	assert_int_equal(s.flags, TWR_SF_DSCP_SET);
	assert_int_equal(s.timeout_ms, 1501); /* rounded up */
	assert_int_equal(s.sec, TW_SEC_AUTH);
	r.timeout = 0;
	assert_int_equal(check(&r, &c, &s, NULL), TWC_ACCEPT_OK);
	assert_int_equal(s.timeout_ms, 2000);
	r.timeout = (uint64_t)700000 << 32; /* 700000 s */
	assert_int_equal(check(&r, &c, &s, NULL), TWC_ACCEPT_OK);
	assert_int_equal(s.timeout_ms, CTL_MAX_TIMEOUT_MS);
}

static void reflect_octets(void **state)
{
	struct twc_request r = treq_default();
	struct ctl_req_ctx c = ctx4(TWC_MODE_ENC | TWC_MODE_REFLECT_OCTETS);
	struct ctl_req_spec s;

	(void)state;
	r.octets_to_reflect = 0x1234;
	r.pad_to_reflect = 64;
	assert_int_equal(check(&r, &c, &s, NULL), TWC_ACCEPT_OK);
	assert_int_equal(s.reflected_octets, 0x1234);
	assert_int_equal(s.reflect_len, 64);
	assert_true(s.flags & TWR_SF_REFLECT_OCTETS);
	r.pad_to_reflect = 65;
	assert_int_equal(check(&r, &c, &s, "Length of Padding to Reflect"), TWC_ACCEPT_FAILURE);
	c.mode = TWC_MODE_ENC; /* not negotiated: ignored */
	assert_int_equal(check(&r, &c, &s, NULL), TWC_ACCEPT_OK);
	assert_int_equal(s.reflect_len, 0);
	assert_int_equal(s.reflected_octets, 0);
	assert_false(s.flags & TWR_SF_REFLECT_OCTETS);
}

static void mode_test_security(void **state)
{
	(void)state;
	assert_int_equal(ctl_mode_test_sec(TWC_MODE_UNAUTH), TW_SEC_OPEN);
	assert_int_equal(ctl_mode_test_sec(TWC_MODE_MIXED | TWC_MODE_ISC), TW_SEC_OPEN);
	assert_int_equal(ctl_mode_test_sec(TWC_MODE_AUTH), TW_SEC_AUTH);
	assert_int_equal(ctl_mode_test_sec(TWC_MODE_ENC | TWC_MODE_SYMMETRICAL), TW_SEC_ENC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_addresses_are_the_connections),
		cmocka_unit_test(sender_other_than_peer),
		cmocka_unit_test(receiver_must_be_local),
		cmocka_unit_test(receiver_among_port_addresses),
		cmocka_unit_test(management_connection),
		cmocka_unit_test(ip_version),
		cmocka_unit_test(sender_port_zero),
		cmocka_unit_test(padding_bound),
		cmocka_unit_test(dscp_and_timeout),
		cmocka_unit_test(reflect_octets),
		cmocka_unit_test(mode_test_security),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
