/* The control server's state machine against the captured perfSONAR
 * twping/twampd exchanges (tests/data/twping_mode_{A,E}.control.hex and
 * the wrong-passphrase capture): with twampd's random values injected
 * (Challenge, Salt, Server-IV, the SID's random part), its clock
 * (Start-Time, the SID's timestamp) and its port, the server must answer
 * the captured client messages with the captured server messages, octet
 * for octet, and install the session with the test keys the capture's
 * peers used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ntp_time.h"
#include "tctl.h"
#include "tdata.h"
#include "twping_ctl.h"

/* the k-th record of a direction */
static const struct tpkt *rec(const struct tpkt *v, size_t n, char dir, int k)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].dir == dir && k-- == 0)
			return &v[i];
	fail_msg("record %c#%d missing", dir, k);
	return NULL;
}

static void expect_output(struct ctl_conn *c, const struct tpkt *want)
{
	uint8_t got[TDATA_MAX_PKT];

	tconn_take(c, got, want->len);
	assert_memory_equal(got, want->data, want->len);
}

/* Server-Start Start-Time: the first block of the server stream */
static uint64_t capture_start_time(const struct tpkt *ss, const struct twping_ctl *k)
{
	uint8_t pt[16];

	cbc_decrypt(k->aes_sess, k->server_iv, ss->data + 32, pt, 16);
	return ntp_get(pt);
}

/* The Request-TW-Session in plaintext */
static void capture_request(const struct tpkt *req, const struct twping_ctl *k, uint8_t pt[112])
{
	cbc_decrypt(k->aes_sess, k->client_iv, req->data, pt, 112);
}

static uint32_t timeout_ms(const uint8_t req[112])
{
	uint64_t ns = ntp_duration_to_ns(ntp_get(req + 76));

	return (uint32_t)((ns + 999999) / 1000000);
}

static void replay(const char *name)
{
	struct twping_ctl k;
	struct tenv t;
	struct tpkt *v;
	size_t n;
	char file[64];
	uint8_t req[112];
	struct ctl_conn *c;
	struct ctl_ip ip;

	twping_ctl_replay(name, &k);
	snprintf(file, sizeof(file), "%s.control.hex", name);
	n = tdata_load(file, &v);
	capture_request(rec(v, n, 'c', 1), &k, req);

	tenv_init(&t);
	t.cfg.server.modes = 0x0f;            /* twampd's greeting */
	t.cfg.server.count = 11;              /* 2048 */
	assert_int_equal(k.count, 2048);
	t.cfg.server.test_port_min = t.cfg.server.test_port_max = k.port;
	t.env.start_time = capture_start_time(rec(v, n, 's', 1), &k);
	t.ntp = ntp_get(k.sid + 4);           /* the SID's timestamp */
	tenv_random(&t, k.challenge, 16);
	tenv_random(&t, k.salt, 16);
	tenv_random(&t, k.server_iv, 16);
	tenv_random(&t, k.sid + 12, 4);

	ip = tip4(k.sid[0], k.sid[1], k.sid[2], k.sid[3]); /* twping on loopback */
	c = ctl_conn_new(&t.env, &ip, 40000, &ip, 862);
	assert_non_null(c);
	expect_output(c, rec(v, n, 's', 0));                          /* greeting */
	assert_true(ctl_conn_input(c, rec(v, n, 'c', 0)->data, rec(v, n, 'c', 0)->len));
	expect_output(c, rec(v, n, 's', 1));                          /* Server-Start */
	assert_true(ctl_conn_input(c, rec(v, n, 'c', 1)->data, rec(v, n, 'c', 1)->len));
	expect_output(c, rec(v, n, 's', 2));                          /* Accept-Session */
	assert_true(ctl_conn_input(c, rec(v, n, 'c', 2)->data, rec(v, n, 'c', 2)->len));
	expect_output(c, rec(v, n, 's', 3));                          /* Start-Ack */
	assert_true(ctl_conn_input(c, rec(v, n, 'c', 3)->data, rec(v, n, 'c', 3)->len));
	assert_int_equal(tconn_pending(c), 0);                        /* Stop: no reply */
	assert_int_equal(c->state, CTL_CS_REQUEST);

	/* the dataplane saw ADD (with the capture's test keys), START, STOP */
	assert_int_equal(t.fdp.ncalls, 3);
	const struct twr_api_session *a = &t.fdp.calls[0].add;

	assert_int_equal(t.fdp.calls[0].op, TWR_OP_ADD);
	assert_memory_equal(a->sid, k.sid, 16);
	assert_int_equal(a->sec, name[12] == 'A' ? TW_SEC_AUTH : TW_SEC_ENC);
	assert_int_equal(a->reflector_port, k.port);
	assert_int_equal(a->sender_port, (uint16_t)(req[12] << 8 | req[13]));
	assert_memory_equal(a->sender_addr, req + 16, 4);
	assert_memory_equal(a->reflector_addr, req + 32, 4);
	assert_memory_equal(a->aes_key, k.test.aes, 16);
	assert_memory_equal(a->hmac_key, k.test.hmac, 32);
	assert_int_equal(a->timeout_ms, timeout_ms(req));
	assert_int_equal(a->refwait_s, 900);
	assert_int_equal(t.fdp.calls[1].op, TWR_OP_START);
	assert_int_equal(t.fdp.calls[2].op, TWR_OP_STOP);
	assert_memory_equal(t.fdp.calls[2].sid, k.sid, 16);
	assert_int_equal(t.ctr.v[CTL_C_AUTH_OK], 1);
	assert_int_equal(t.auth_ok, 1);
	assert_true(tenv_log_find(&t, "authentication ok: peer=127.0.0.1:40000 key-id=\"testuser\"") >= 0);

	ctl_conn_free(c, "test done");
	assert_int_equal(fake_installed(&t.fdp), 1); /* stopping: the dataplane's now */
	free(v);
	tenv_fini(&t);
}

static void twping_mode_A(void **state)
{
	(void)state;
	replay("twping_mode_A");
}

static void twping_mode_E(void **state)
{
	(void)state;
	replay("twping_mode_E");
}

/* A wrong passphrase: Server-Start all zero but Accept 1, then close. */
static void twping_wrong_passphrase(void **state)
{
	struct tenv t;
	struct tpkt *v;
	size_t n = tdata_load("twping_mode_A_wrong_passphrase.control.hex", &v);
	struct ctl_ip ip = tip4(127, 0, 0, 1);
	struct ctl_conn *c;

	(void)state;
	tenv_init(&t);
	t.cfg.server.modes = 0x0f;
	t.cfg.server.count = 11;
	tenv_random(&t, rec(v, n, 's', 0)->data + 16, 32); /* Challenge, Salt */
	c = ctl_conn_new(&t.env, &ip, 40000, &ip, 862);
	expect_output(c, rec(v, n, 's', 0));
	assert_false(ctl_conn_input(c, rec(v, n, 'c', 0)->data, rec(v, n, 'c', 0)->len));
	expect_output(c, rec(v, n, 's', 1));
	assert_true(ctl_conn_closing(c));
	assert_int_equal(t.ctr.v[CTL_C_AUTH_FAILED], 1);
	assert_int_equal(t.ctr.v[CTL_C_AUTH_UNKNOWN_KEY], 0);
	assert_int_equal(t.auth_fail, 1);
	assert_true(tenv_log_find(&t, "authentication failed: peer=127.0.0.1:40000 key-id=\"testuser\"") >= 0);
	assert_int_equal(t.fdp.ncalls, 0);
	ctl_conn_free(c, "test done");
	free(v);
	tenv_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(twping_mode_A),
		cmocka_unit_test(twping_mode_E),
		cmocka_unit_test(twping_wrong_passphrase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
