/* SID allocation (ctl_sid.h), reflector port choice (ctl_ports.h),
 * address helpers (ctl_addr.h) and the timer heap (ctl_timer.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "ctl_addr.h"
#include "ctl_ports.h"
#include "ctl_sid.h"
#include "ctl_timer.h"
#include "tctl.h"

static void sid_ipv4(void **state)
{
	struct ctl_ip ip = tip4(192, 0, 2, 7);
	const uint8_t rnd[4] = { 0xde, 0xad, 0xbe, 0xef };
	uint8_t sid[16];
	char hex[33];

	(void)state;
	ctl_sid_make(&ip, 0xeead0687c7e93187ull, rnd, sid);
	ctl_sid_hex(sid, hex);
	assert_string_equal(hex, "c0000207eead0687c7e93187deadbeef");
}

static void sid_ipv6_hash(void **state)
{
	struct ctl_ip a = tip6("fd00:99:1::2"), b = tip6("fd00:99:1::3");
	const uint8_t rnd[4] = { 1, 2, 3, 4 };
	uint8_t sa[16], sb[16], md[32];

	(void)state;
	ctl_sid_make(&a, 1, rnd, sa);
	ctl_sid_make(&b, 1, rnd, sb);
	SHA256(a.a, 16, md);
	assert_memory_equal(sa, md, 4);
	assert_memory_not_equal(sa, sb, 4);
	assert_memory_equal(sa + 4, ((uint8_t[]){ 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 }), 12);
}

static void port_requested_or_lowest(void **state)
{
	struct ctl_ports *t = calloc(1, sizeof(*t));
	uint16_t skip[2] = { 50000, 49152 };

	(void)state;
	assert_int_equal(ctl_port_pick(t, 50000, 49152, 65535, NULL, 0), 50000);
	assert_int_equal(ctl_port_pick(t, 862, 49152, 65535, NULL, 0), 49152); /* out of range */
	assert_int_equal(ctl_port_pick(t, 0, 49152, 65535, NULL, 0), 49152);
	ctl_port_hold(t, 50000);
	assert_int_equal(ctl_port_pick(t, 50000, 49152, 65535, NULL, 0), 49152);
	assert_int_equal(ctl_port_pick(t, 50001, 49152, 65535, skip, 2), 50001);
	assert_int_equal(ctl_port_pick(t, 50000, 49152, 65535, skip, 2), 49153);
	ctl_port_hold(t, 50000);
	ctl_port_release(t, 50000);
	assert_int_equal(t->refs[50000], 1);
	ctl_port_release(t, 50000);
	ctl_port_release(t, 50000); /* never below zero */
	assert_int_equal(t->refs[50000], 0);
	/* a one-port range, full */
	ctl_port_hold(t, 60000);
	assert_int_equal(ctl_port_pick(t, 60000, 60000, 60000, NULL, 0), 0);
	assert_int_equal(ctl_port_pick(t, 1, 0, 0, NULL, 0), 0);          /* port 0 never */
	assert_int_equal(ctl_port_pick(t, 65535, 65535, 65535, NULL, 0), 65535);
	/* never a port the dataplane refuses (common/port_policy.h), whatever the range */
	assert_int_equal(ctl_port_pick(t, 500, 500, 501, NULL, 0), 501);
	assert_int_equal(ctl_port_pick(t, 4500, 4500, 4502, NULL, 0), 4501);
	assert_int_equal(ctl_port_pick(t, 500, 500, 500, NULL, 0), 0);
	assert_int_equal(ctl_port_pick(t, 862, 862, 862, NULL, 0), 862);  /* RFC 8545 */
	free(t);
}

static void addresses(void **state)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(862) };
	struct ctl_ip ip;
	uint16_t port;
	char buf[CTL_ADDR_STR];
	struct cfg_prefix p = { .ipver = 4, .len = 20, .addr = { 10, 99, 0, 0 } };

	(void)state;
	inet_pton(AF_INET6, "::ffff:10.99.1.1", &s6.sin6_addr);
	assert_int_equal(ctl_ip_from_sockaddr((struct sockaddr *)&s6, sizeof(s6), &ip, &port), 0);
	assert_int_equal(ip.ver, 4);                 /* mapped IPv4 becomes IPv4 */
	assert_int_equal(port, 862);
	assert_string_equal(ctl_ipport_str(&ip, port, buf, sizeof(buf)), "10.99.1.1:862");
	assert_true(ctl_prefix_match(&p, &ip));
	ip.a[2] = 16;
	assert_false(ctl_prefix_match(&p, &ip));
	inet_pton(AF_INET6, "fd00:99::1", &s6.sin6_addr);
	ctl_ip_from_sockaddr((struct sockaddr *)&s6, sizeof(s6), &ip, &port);
	assert_int_equal(ip.ver, 6);
	assert_string_equal(ctl_ipport_str(&ip, port, buf, sizeof(buf)), "[fd00:99::1]:862");
	assert_false(ctl_prefix_match(&p, &ip));
	assert_int_equal(ctl_ip_from_sockaddr((struct sockaddr *)&s6, 8, &ip, &port), -1);
}

static int fired[8], nfired;

static void fire(struct ctl_timer *t, uint64_t now)
{
	(void)now;
	fired[nfired++] = (int)t->when;
}

static void timer_heap(void **state)
{
	struct ctl_timers h = { 0 };
	struct ctl_timer t[6];
	const uint64_t when[6] = { 50, 10, 40, 30, 20, 60 };

	(void)state;
	for (int i = 0; i < 6; i++) {
		ctl_timer_init(&t[i], fire);
		assert_int_equal(ctl_timer_arm(&h, &t[i], when[i]), 0);
	}
	assert_int_equal(ctl_timer_next(&h), 10);
	ctl_timer_cancel(&h, &t[3]);               /* 30 */
	ctl_timer_arm(&h, &t[0], 5);               /* 50 -> 5 */
	ctl_timer_run(&h, 45);
	assert_int_equal(nfired, 4);
	assert_int_equal(fired[0], 5);
	assert_int_equal(fired[1], 10);
	assert_int_equal(fired[2], 20);
	assert_int_equal(fired[3], 40);
	assert_int_equal(ctl_timer_next(&h), 60);
	ctl_timer_cancel(&h, &t[5]);
	ctl_timer_cancel(&h, &t[5]);               /* twice: harmless */
	assert_int_equal(ctl_timer_next(&h), UINT64_MAX);
	ctl_timers_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sid_ipv4),
		cmocka_unit_test(sid_ipv6_hash),
		cmocka_unit_test(port_requested_or_lowest),
		cmocka_unit_test(addresses),
		cmocka_unit_test(timer_heap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
