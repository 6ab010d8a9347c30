/* The control connection state machine (control/ctl_conn.h) driven
 * without sockets: a test Control-Client (tctl.h) on one side, the fake
 * dataplane on the other. Each case checks the octets answered (or the
 * close), the dataplane calls, the counters and the log line. */
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
#include "tw_crypto.h"

static int setup(void **state)
{
	struct tenv *t = malloc(sizeof(*t));

	tenv_init(t);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tenv_fini(*state);
	free(*state);
	return 0;
}

static void start_cmd(uint8_t *buf, uint8_t cmd)
{
	memset(buf, 0, 32);
	buf[0] = cmd;
}

/* ---- set-up ---- */

static void open_session_lifecycle(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_UNAUTH);
	struct twc_request r = treq_default();
	struct twc_accept_session as;
	uint8_t msg[32], ack[32];
	const struct twr_api_session *a;

	r.type_p = TWC_TYPEP(46);
	assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
	assert_int_equal(as.port, 50000);                   /* the requested port, in range */
	assert_memory_equal(as.sid, ((uint8_t[]){ 10, 99, 1, 2 }), 4);
	assert_int_equal(ntp_get(as.sid + 4), t->ntp);
	a = &t->fdp.calls[0].add;
	assert_int_equal(t->fdp.calls[0].op, TWR_OP_ADD);
	assert_memory_equal(a->sid, as.sid, 16);
	assert_int_equal(a->ipver, 4);
	assert_int_equal(a->sec, TW_SEC_OPEN);
	assert_int_equal(a->flags, TWR_SF_DSCP_SET);
	assert_int_equal(a->dscp, 46);
	assert_memory_equal(a->sender_addr, ((uint8_t[]){ 10, 99, 1, 1 }), 4);
	assert_memory_equal(a->reflector_addr, ((uint8_t[]){ 10, 99, 1, 2 }), 4);
	assert_int_equal(a->sender_port, 40001);
	assert_int_equal(a->reflector_port, 50000);
	assert_int_equal(a->timeout_ms, 2000);
	assert_memory_equal(a->aes_key, ((uint8_t[16]){ 0 }), 16);
	assert_true(tenv_log_find(t, "session accepted: peer=10.99.1.1:40000 accept=0 sid=0a630102") >= 0);

	start_cmd(msg, TWC_CMD_START_SESSIONS);
	assert_true(tconn_cmd(c, &tc, msg, 32));
	tconn_take(c, ack, 32);
	assert_int_equal(tclient_open(&tc, ack, 32), TWC_OK);
	assert_int_equal(ack[0], 0);
	assert_int_equal(c->state, CTL_CS_TEST);
	assert_int_equal(t->fdp.calls[1].op, TWR_OP_START);

	start_cmd(msg, TWC_CMD_STOP_SESSIONS);
	msg[7] = 1; /* Number of Sessions */
	assert_true(tconn_cmd(c, &tc, msg, 32));
	assert_int_equal(tconn_pending(c), 0);
	assert_int_equal(t->fdp.calls[2].op, TWR_OP_STOP);
	assert_int_equal(c->state, CTL_CS_REQUEST);
	assert_int_equal(c->nsess, 0);
	assert_int_equal(t->ports->refs[50000], 0);
	assert_int_equal(t->ctr.v[CTL_C_SESS_STOPPED], 1);
	ctl_conn_free(c, "done");
	assert_int_equal(t->fdp.ncalls, 3);                 /* nothing left to remove */
	tclient_free(&tc);
}

static void secured_modes_install_test_keys(void **state)
{
	struct tenv *t = *state;
	const uint32_t modes[] = { TWC_MODE_AUTH, TWC_MODE_ENC, TWC_MODE_MIXED };
	const uint8_t secs[] = { TW_SEC_AUTH, TW_SEC_ENC, TW_SEC_OPEN };

	for (int i = 0; i < 3; i++) {
		struct tclient tc;
		struct ctl_conn *c = tconn_ready(t, &tc, modes[i]);
		struct twc_request r = treq_default();
		struct twc_accept_session as;
		struct tw_keys k = { { 0 }, { 0 } };
		const struct twr_api_session *a;

		r.sender_port = (uint16_t)(41000 + i);
		assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
		a = &t->fdp.calls[t->fdp.ncalls - 1].add;
		assert_int_equal(a->sec, secs[i]);
		if (secs[i] != TW_SEC_OPEN)
			assert_int_equal(tw_keys_derive(as.sid, tc.aes, tc.hmac, &k), 0);
		assert_memory_equal(a->aes_key, k.aes, 16);
		assert_memory_equal(a->hmac_key, k.hmac, 32);
		ctl_conn_free(c, "done");
		tclient_free(&tc);
	}
	assert_int_equal(t->ctr.v[CTL_C_AUTH_OK], 3);
	assert_int_equal(t->ctr.v[CTL_C_SESS_REMOVED], 3);
	assert_int_equal(fake_installed(&t->fdp), 0);
}

static void close_removes_sessions(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_ENC);
	struct twc_request r = treq_default();
	struct twc_accept_session as;

	for (int i = 0; i < 3; i++) {
		r.sender_port = (uint16_t)(42000 + i);
		assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
	}
	assert_int_equal(fake_installed(&t->fdp), 3);
	assert_int_equal(t->ports->refs[50000], 1);
	assert_int_equal(t->ports->refs[49152], 1);
	ctl_conn_free(c, "peer closed");
	assert_int_equal(fake_installed(&t->fdp), 0);
	assert_int_equal(t->ctr.v[CTL_C_SESS_REMOVED], 3);
	assert_int_equal(t->ports->refs[50000] + t->ports->refs[49152] + t->ports->refs[49153], 0);
	assert_true(tenv_log_find(t, "connection closed: peer=10.99.1.1:40000 state=request sessions-removed=3 reason=peer closed") >= 0);
	tclient_free(&tc);
}

/* An unknown KeyID answers exactly like a wrong secret. */
static void unknown_keyid_like_wrong_secret(void **state)
{
	struct tenv *t = *state;
	uint8_t out[2][48];
	const char *ids[2] = { "nobody", "testuser" };
	const char *secrets[2] = { "interop-passphrase", "wrong" };

	for (int i = 0; i < 2; i++) {
		struct ctl_conn *c = tconn_new(t);
		uint8_t greet[64], setup[164];
		struct tclient tc;

		tconn_take(c, greet, 64);
		tclient_setup(&tc, greet, TWC_MODE_AUTH, ids[i], secrets[i], setup);
		assert_false(ctl_conn_input(c, setup, sizeof(setup)));
		tconn_take(c, out[i], 48);
		ctl_conn_free(c, "done");
	}
	assert_memory_equal(out[0], out[1], 48);
	assert_int_equal(out[0][15], 1);
	assert_memory_equal(out[0] + 16, ((uint8_t[32]){ 0 }), 32);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_FAILED], 2);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_UNKNOWN_KEY], 1);
	assert_int_equal(t->auth_fail, 2);
	assert_true(tenv_log_find(t, "key-id=\"nobody\" mode=0x2: unknown KeyID (Accept 1)") >= 0);
	assert_true(tenv_log_find(t, "key-id=\"testuser\" mode=0x2: token does not carry the challenge") >= 0);
}

static void keyid_escaped_in_log(void **state)
{
	struct tenv *t = *state;
	struct ctl_conn *c = tconn_new(t);
	uint8_t greet[64], setup[164];
	struct tclient tc;

	tconn_take(c, greet, 64);
	tclient_setup(&tc, greet, TWC_MODE_AUTH, "a\nb\"c", "x", setup);
	ctl_conn_input(c, setup, sizeof(setup));
	assert_true(tenv_log_find(t, "key-id=\"a\\x0ab\\x22c\"") >= 0);
	ctl_conn_free(c, "done");
}

static void mode_refused(void **state)
{
	struct tenv *t = *state;
	const uint32_t asked[] = { TWC_MODE_ENC, TWC_MODE_UNAUTH | TWC_MODE_ISC,
				   TWC_MODE_AUTH | TWC_MODE_ENC, TWC_MODE_UNAUTH | 0x400 };

	t->cfg.server.modes = TWC_MODE_UNAUTH | TWC_MODE_AUTH;
	for (int i = 0; i < 4; i++) {
		struct ctl_conn *c = tconn_new(t);
		uint8_t greet[64], setup[164] = { 0 }, ss[48];

		tconn_take(c, greet, 64);
		assert_int_equal(greet[15], 0x03);
		setup[0] = (uint8_t)(asked[i] >> 24), setup[1] = (uint8_t)(asked[i] >> 16);
		setup[2] = (uint8_t)(asked[i] >> 8), setup[3] = (uint8_t)asked[i];
		assert_false(ctl_conn_input(c, setup, sizeof(setup)));
		tconn_take(c, ss, 48);
		assert_int_equal(ss[15], TWC_ACCEPT_NOT_SUPPORTED);
		ctl_conn_free(c, "done");
	}
	assert_int_equal(t->ctr.v[CTL_C_MODE_REFUSED], 4);
	assert_int_equal(t->auth_fail, 4); /* malformed set-ups count toward ip-block */
	assert_true(tenv_log_find(t, "Mode 0x4 not offered (offered 0x3): Accept 3") >= 0);
}

static void mode_zero_declines(void **state)
{
	struct tenv *t = *state;
	struct ctl_conn *c = tconn_new(t);
	uint8_t greet[64], zero[4] = { 0 };

	tconn_take(c, greet, 64);
	assert_false(ctl_conn_input(c, zero, 4));
	assert_int_equal(tconn_pending(c), 0);
	assert_int_equal(t->ctr.v[CTL_C_MODE_DECLINED], 1);
	assert_int_equal(t->auth_fail, 1); /* counts toward ip-block */
	ctl_conn_free(c, "done");
}

/* A pending connection the peer leaves is an abandoned authentication,
 * counted once; not one that was refused already or is set up. */
static void abandoned_counted_once(void **state)
{
	struct tenv *t = *state;
	struct ctl_conn *c = tconn_new(t);
	uint8_t greet[64], setup[164];
	struct tclient tc;

	tconn_take(c, greet, 64);
	assert_false(c->heard);
	ctl_conn_input(c, (uint8_t[10]){ 0, 0, 0, 2 }, 10); /* ten octets of a Set-Up-Response */
	assert_true(c->heard);
	ctl_conn_abandoned(c, "peer closed the connection before Server-Start");
	ctl_conn_abandoned(c, "again");
	assert_int_equal(t->ctr.v[CTL_C_AUTH_ABANDONED], 1);
	assert_int_equal(t->auth_fail, 1);
	assert_true(tenv_log_find(t, "authentication abandoned: peer=10.99.1.1:40000 state=setup: "
				     "peer closed the connection before Server-Start") >= 0);
	assert_true(tenv_log_find(t, "again") < 0);
	ctl_conn_free(c, "peer closed");
	/* refused (Accept 1), then the peer goes: counted as the failure only */
	c = tconn_new(t);
	tconn_take(c, greet, 64);
	tclient_setup(&tc, greet, TWC_MODE_AUTH, "testuser", "wrong", setup);
	assert_false(ctl_conn_input(c, setup, sizeof(setup)));
	ctl_conn_abandoned(c, "peer closed");
	assert_int_equal(t->auth_fail, 2);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_ABANDONED], 1);
	ctl_conn_free(c, "peer closed");
	/* set up: leaving is no failure */
	c = tconn_ready(t, &tc, TWC_MODE_AUTH);
	ctl_conn_abandoned(c, "peer closed");
	assert_int_equal(t->auth_fail, 2);
	assert_int_equal(t->auth_ok, 1);
	ctl_conn_free(c, "peer closed");
	tclient_free(&tc);
}

static void greeting_modes(void **state)
{
	struct tenv *t = *state;
	uint8_t greet[64];
	struct ctl_conn *c;

	t->cfg.server.modes = CTL_MODES_SUPPORTED | TWC_MODE_DSCP_ECN;
	c = tconn_new(t);
	tconn_take(c, greet, 64);
	/* no key agent hooks: no IKEv2; DSCP-ECN (RFC 7750) is a mode the server never offers */
	assert_int_equal(greet[14] << 8 | greet[15], CTL_MODES_SUPPORTED & ~TWC_MODE_IKEV2);
	assert_int_equal(greet[48] << 24 | greet[49] << 16 | greet[50] << 8 | greet[51], 1024);
	ctl_conn_free(c, "done");

	t->cfg.server.modes = TWC_MODE_ISC; /* no security mode */
	c = tconn_new(t);
	tconn_take(c, greet, 64);
	assert_memory_equal(greet + 12, ((uint8_t[4]){ 0 }), 4);
	assert_true(ctl_conn_closing(c));
	ctl_conn_free(c, "done");
}

/* The Set-Up-Response a byte at a time: exact-length framing. */
static void trickled_input(void **state)
{
	struct tenv *t = *state;
	struct ctl_conn *c = tconn_new(t);
	uint8_t greet[64], setup[164], ss[48];
	struct tclient tc;

	tconn_take(c, greet, 64);
	tclient_setup(&tc, greet, TWC_MODE_ENC, "testuser", "interop-passphrase", setup);
	assert_int_equal(ctl_conn_want(c), 4);
	for (size_t i = 0; i < sizeof(setup); i++) {
		assert_true(ctl_conn_input(c, setup + i, 1));
		if (i == 3)
			assert_int_equal(ctl_conn_want(c), 160);
		if (i < sizeof(setup) - 1)
			assert_int_equal(tconn_pending(c), 0);
	}
	assert_int_equal(ctl_conn_want(c), 16);
	tconn_take(c, ss, 48);
	assert_int_equal(tclient_server_start(&tc, ss), 0);
	assert_true(ctl_conn_set_up(c));
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

/* ---- hostile commands ---- */

static void tampered_hmac_closes(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_AUTH);
	struct twc_request r = treq_default();
	uint8_t msg[112];

	twc_request_enc(&r, msg, sizeof(msg));
	tclient_seal(&tc, msg, sizeof(msg));
	msg[100] ^= 1; /* in the encrypted HMAC block */
	assert_false(ctl_conn_input(c, msg, sizeof(msg)));
	assert_int_equal(tconn_pending(c), 0);
	assert_int_equal(t->ctr.v[CTL_C_HMAC_FAIL], 1);
	assert_int_equal(t->fdp.ncalls, 0);
	assert_true(tenv_log_find(t, "command 5: HMAC does not verify") >= 0);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

static void unknown_command_closes(void **state)
{
	struct tenv *t = *state;
	const uint8_t cmds[] = { 0, 1, 4, 6, 11, 200 };

	for (size_t i = 0; i < sizeof(cmds); i++) {
		struct tclient tc;
		struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_ENC);
		uint8_t msg[32];

		start_cmd(msg, cmds[i]);
		tclient_seal(&tc, msg, 32);
		assert_false(ctl_conn_input(c, msg, 16)); /* refused on its first block */
		ctl_conn_free(c, "done");
		tclient_free(&tc);
	}
	assert_int_equal(t->ctr.v[CTL_C_UNKNOWN_CMD], sizeof(cmds));
	assert_true(tenv_log_find(t, "unknown command 6") >= 0);
}

static void out_of_order_closes(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c;
	uint8_t msg[32];

	/* Stop-Sessions before Start-Sessions */
	c = tconn_ready(t, &tc, TWC_MODE_UNAUTH);
	start_cmd(msg, TWC_CMD_STOP_SESSIONS);
	assert_false(tconn_cmd(c, &tc, msg, 32));
	ctl_conn_free(c, "done");
	tclient_free(&tc);
	/* Start-N-Sessions without individual session control */
	c = tconn_ready(t, &tc, TWC_MODE_UNAUTH);
	start_cmd(msg, TWC_CMD_START_N_SESSIONS);
	assert_false(tconn_cmd(c, &tc, msg, 32));
	ctl_conn_free(c, "done");
	tclient_free(&tc);
	/* an ack sent by a client */
	c = tconn_ready(t, &tc, TWC_MODE_UNAUTH | TWC_MODE_ISC);
	start_cmd(msg, TWC_CMD_STOP_N_ACK);
	assert_false(tconn_cmd(c, &tc, msg, 32));
	ctl_conn_free(c, "done");
	tclient_free(&tc);
	/* Request-TW-Session after Start-Sessions (no RFC 5938) */
	c = tconn_ready(t, &tc, TWC_MODE_UNAUTH);
	start_cmd(msg, TWC_CMD_START_SESSIONS);
	assert_true(tconn_cmd(c, &tc, msg, 32));
	ctl_conn_sent(c, 32);
	uint8_t req[112];
	struct twc_request r = treq_default();

	twc_request_enc(&r, req, sizeof(req));
	assert_false(tconn_cmd(c, &tc, req, sizeof(req)));
	ctl_conn_free(c, "done");
	tclient_free(&tc);
	assert_int_equal(t->ctr.v[CTL_C_OUT_OF_ORDER], 4);
	assert_true(tenv_log_find(t, "command 3 not allowed in state request") >= 0);
	assert_true(tenv_log_find(t, "command 5 not allowed in state test") >= 0);
}

static void oversized_n_refused(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_UNAUTH | TWC_MODE_ISC);
	uint8_t msg[16] = { TWC_CMD_START_N_SESSIONS };

	msg[12] = 0x7f; /* N = 0x7f000000 */
	assert_false(ctl_conn_input(c, msg, 16));
	assert_int_equal(t->ctr.v[CTL_C_MALFORMED], 1);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

static void output_overflow_closes(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_UNAUTH);
	struct twc_request r = treq_default();
	uint8_t msg[112];
	int i;

	r.sender_port = 0; /* refused: nothing installed, only replies pile up */
	for (i = 0; i < 10000; i++) {
		twc_request_enc(&r, msg, sizeof(msg));
		if (!ctl_conn_input(c, msg, sizeof(msg)))
			break;
	}
	assert_int_equal(i, CTL_OUT_MAX / 48);
	assert_int_equal(t->ctr.v[CTL_C_OUTPUT_OVERFLOW], 1);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

/* ---- Request-TW-Session outcomes ---- */

static void request_refusals(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_AUTH);
	struct twc_request r;
	struct twc_accept_session as;

	r = treq_default(); r.ipvn = 6;
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_NOT_SUPPORTED);
	r = treq_default(); memcpy(r.sender_addr, ((uint8_t[]){ 10, 99, 9, 9 }), 4);
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_FAILURE);
	r = treq_default(); memcpy(r.receiver_addr, ((uint8_t[]){ 10, 99, 1, 3 }), 4);
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_FAILURE);
	r = treq_default(); r.padding_len = 100000;
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_FAILURE);
	assert_int_equal(as.port, 0);
	assert_memory_equal(as.sid, ((uint8_t[16]){ 0 }), 16);
	/* decoder refusals: Type-P not a DSCP (3), Conf-Sender (1) */
	uint8_t msg[112], rep[48];

	r = treq_default();
	twc_request_enc(&r, msg, sizeof(msg));
	msg[84] = 0x40;
	assert_true(tconn_cmd(c, &tc, msg, sizeof(msg)));
	tconn_take(c, rep, 48);
	assert_int_equal(tclient_open(&tc, rep, 48), TWC_OK);
	assert_int_equal(rep[0], TWC_ACCEPT_NOT_SUPPORTED);
	twc_request_enc(&r, msg, sizeof(msg));
	msg[2] = 1;
	assert_true(tconn_cmd(c, &tc, msg, sizeof(msg)));
	tconn_take(c, rep, 48);
	assert_int_equal(tclient_open(&tc, rep, 48), TWC_OK);
	assert_int_equal(rep[0], TWC_ACCEPT_FAILURE);
	assert_int_equal(t->fdp.ncalls, 0);
	assert_int_equal(t->ctr.v[CTL_C_SESS_REFUSED], 6);
	assert_true(tenv_log_find(t, "session refused: peer=10.99.1.1:40000 accept=1: Receiver Address is not the address the control connection reached") >= 0);
	assert_false(ctl_conn_closing(c));
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

/* The connection reached 10.99.1.2, a management address: the dataplane
 * port has 10.99.7.2 only. The session is installed on the address the
 * request names, and its SID carries that address. */
static void management_connection(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c;
	struct twc_request r = treq_default();
	struct twc_accept_session as;
	const struct twr_api_session *a;

	t->cfg.test_addrs[0] = (struct cfg_prefix){ .ipver = 4, .len = 24, .addr = { 10, 99, 7, 2 } };
	t->cfg.ntest_addrs = 1;
	c = tconn_ready(t, &tc, TWC_MODE_AUTH);
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_FAILURE);
	assert_true(tenv_log_find(t, "session refused: peer=10.99.1.1:40000 accept=1: the control "
				  "connection's address 10.99.1.2 is not served by the dataplane: "
				  "the request must name a Receiver Address") >= 0);
	memcpy(r.receiver_addr, ((uint8_t[]){ 10, 99, 1, 2 }), 4);
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_FAILURE);
	assert_true(tenv_log_find(t, "accept=1: Receiver Address 10.99.1.2 is not an address of "
				  "the dataplane ports") >= 0);
	assert_int_equal(t->fdp.ncalls, 0);
	assert_int_equal(t->ctr.v[CTL_C_SESS_REFUSED], 2);
	memcpy(r.receiver_addr, ((uint8_t[]){ 10, 99, 7, 2 }), 4);
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_OK);
	assert_memory_equal(as.sid, ((uint8_t[]){ 10, 99, 7, 2 }), 4);
	a = &t->fdp.calls[0].add;
	assert_int_equal(t->fdp.calls[0].op, TWR_OP_ADD);
	assert_memory_equal(a->reflector_addr, ((uint8_t[]){ 10, 99, 7, 2 }), 4);
	assert_memory_equal(a->sender_addr, ((uint8_t[]){ 10, 99, 1, 1 }), 4);
	assert_int_equal(t->ctr.v[CTL_C_SESS_ACCEPTED], 1);
	assert_true(tenv_log_find(t, "reflector=10.99.7.2:") >= 0);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

static void dataplane_statuses(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_UNAUTH);
	struct twc_request r = treq_default();
	struct twc_accept_session as;

	t->fdp.down = true;
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_INTERNAL);
	assert_int_equal(t->ctr.v[CTL_C_DP_UNREACHABLE], 1);
	assert_true(tenv_log_find(t, "accept=2: dataplane unreachable") >= 0);
	t->fdp.down = false;
	t->fdp.script[0] = TWR_API_ENOSPC, t->fdp.nscript = 1;
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_PERMANENT);
	t->fdp.script[0] = TWR_API_EAGAIN, t->fdp.nscript = 1;
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_TEMPORARY);
	t->fdp.script[0] = TWR_API_EINVAL, t->fdp.nscript = 1;
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_INTERNAL);
	/* EEXIST: another port (the lowest free one) and another SID */
	t->fdp.script[0] = TWR_API_EEXIST, t->fdp.nscript = 1;
	t->fdp.ncalls = 0;
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_OK);
	assert_int_equal(as.port, 49152);
	assert_int_equal(t->fdp.ncalls, 2);
	assert_int_equal(t->fdp.calls[0].add.reflector_port, 50000);
	assert_memory_not_equal(t->fdp.calls[0].sid, t->fdp.calls[1].sid, 16);
	assert_memory_equal(t->fdp.calls[1].sid, as.sid, 16);
	assert_int_equal(t->ctr.v[CTL_C_SESS_ACCEPTED], 1);
	assert_int_equal(t->ctr.v[CTL_C_SESS_REFUSED], 4);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

static void session_and_port_limits(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_UNAUTH);
	struct twc_request r = treq_default();
	struct twc_accept_session as;

	for (int i = 0; i < 4; i++) {
		r.sender_port = (uint16_t)(43000 + i);
		assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
	}
	r.sender_port = 43010;
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_TEMPORARY);
	assert_true(tenv_log_find(t, "accept=5: max-sessions-per-connection reached") >= 0);
	ctl_conn_free(c, "done");
	tclient_free(&tc);

	t->cfg.server.test_port_min = t->cfg.server.test_port_max = 50000;
	c = tconn_ready(t, &tc, TWC_MODE_UNAUTH);
	assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
	r.sender_port = 43011;
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_TEMPORARY);
	assert_true(tenv_log_find(t, "accept=5: no free test port") >= 0);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

static void rfc6038_fields(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c;
	struct twc_request r = treq_default();
	struct twc_accept_session as;
	const struct twr_api_session *a;

	r.octets_to_reflect = 0xabcd;
	r.pad_to_reflect = 8;
	/* negotiated: echoed, reflected */
	c = tconn_ready(t, &tc, TWC_MODE_AUTH | TWC_MODE_REFLECT_OCTETS | TWC_MODE_SYMMETRICAL);
	assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
	assert_int_equal(as.reflected_octets, 0xabcd);
	assert_int_equal(as.server_octets, 0);
	a = &t->fdp.calls[t->fdp.ncalls - 1].add;
	assert_int_equal(a->flags, TWR_SF_DSCP_SET | TWR_SF_REFLECT_OCTETS | TWR_SF_SYMMETRICAL);
	assert_int_equal(a->reflect_len, 8);
	r.pad_to_reflect = 65;  /* more than Padding Length (64) */
	r.sender_port++;
	assert_int_equal(tconn_request(c, &tc, &r, &as), TWC_ACCEPT_FAILURE);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
	/* not negotiated: MBZ, ignored */
	c = tconn_ready(t, &tc, TWC_MODE_AUTH);
	assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
	assert_int_equal(as.reflected_octets, 0);
	a = &t->fdp.calls[t->fdp.ncalls - 1].add;
	assert_int_equal(a->flags, TWR_SF_DSCP_SET);
	assert_int_equal(a->reflect_len, 0);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

static uint8_t n_command(struct ctl_conn *c, struct tclient *tc, uint8_t cmd, const uint8_t (*sids)[16],
			 uint32_t n, struct twc_nmsg *ack)
{
	struct twc_nmsg *m = calloc(1, sizeof(*m));
	uint8_t buf[TWC_NMSG_MAX_LEN];
	size_t len = TWC_NMSG_LEN(n);

	m->cmd = cmd;
	m->n = n;
	memcpy(m->sid, sids, 16 * n);
	assert_int_equal(twc_nmsg_enc(m, buf, sizeof(buf)), TWC_OK);
	assert_true(tconn_cmd(c, tc, buf, len));
	tconn_take(c, buf, len);
	assert_int_equal(tclient_open(tc, buf, len), TWC_OK);
	assert_int_equal(twc_nmsg_dec(buf, len, (uint8_t)(cmd + 1), ack), TWC_OK);
	assert_int_equal(ack->n, n);
	assert_memory_equal(ack->sid, sids, 16 * n);
	free(m);
	return ack->accept;
}

static void individual_session_control(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_ENC | TWC_MODE_ISC);
	struct twc_request r = treq_default();
	struct twc_accept_session as;
	struct twc_nmsg *ack = malloc(sizeof(*ack));
	uint8_t sids[2][16], bogus[1][16] = { { 9 } };

	for (int i = 0; i < 2; i++) {
		r.sender_port = (uint16_t)(44000 + i);
		assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
		memcpy(sids[i], as.sid, 16);
	}
	size_t before = t->fdp.ncalls;

	assert_int_equal(n_command(c, &tc, TWC_CMD_START_N_SESSIONS, bogus, 1, ack), TWC_ACCEPT_FAILURE);
	assert_int_equal(t->fdp.ncalls, before);              /* nothing started */
	assert_int_equal(n_command(c, &tc, TWC_CMD_START_N_SESSIONS, sids, 1, ack), 0);
	assert_int_equal(t->fdp.calls[before].op, TWR_OP_START);
	assert_memory_equal(t->fdp.calls[before].sid, sids[0], 16);
	assert_int_equal(c->state, CTL_CS_TEST);
	/* RFC 5938: more requests while sessions run */
	r.sender_port = 44002;
	assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
	assert_int_equal(n_command(c, &tc, TWC_CMD_STOP_N_SESSIONS, sids, 1, ack), 0);
	assert_int_equal(c->state, CTL_CS_REQUEST);            /* no session running */
	assert_int_equal(c->nsess, 2);
	assert_null(ctl_conn_find_sess(c, sids[0]));
	ctl_conn_free(c, "done");
	assert_int_equal(fake_installed(&t->fdp), 1);          /* the stopped one */
	assert_true(tenv_log_find(t, "start-n sessions: peer=10.99.1.1:40000 sessions=1 accept=1") >= 0);
	free(ack);
	tclient_free(&tc);
}

static void timeouts(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_UNAUTH);
	struct twc_request r = treq_default();
	struct twc_accept_session as;
	const uint64_t durations[] = { 0, ntp_from_duration_ns(5500000000ull),
				       ntp_from_duration_ns(1), 0xffffffff00000000ull };
	const uint32_t want[] = { 2000, 5500, 1, 604800000u };

	for (int i = 0; i < 4; i++) {
		r.timeout = durations[i];
		r.sender_port = (uint16_t)(45000 + i);
		assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
		assert_int_equal(t->fdp.calls[t->fdp.ncalls - 1].add.timeout_ms, want[i]);
	}
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

static void servwait(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_UNAUTH);
	struct twc_request r = treq_default();
	struct twc_accept_session as;
	uint8_t msg[32];

	t->cfg.server.servwait_s = 10;
	assert_int_equal(ctl_conn_servwait_left(c, t->mono + 4000), 6000);
	assert_int_equal(ctl_conn_servwait_left(c, t->mono + 10000), 0);
	t->mono += 9000;
	assert_int_equal(tconn_request(c, &tc, &r, &as), 0);   /* activity */
	assert_int_equal(ctl_conn_servwait_left(c, t->mono + 1000), 9000);
	start_cmd(msg, TWC_CMD_START_SESSIONS);
	assert_true(tconn_cmd(c, &tc, msg, 32));
	ctl_conn_sent(c, 32);
	/* suspended while sessions run */
	assert_int_equal(ctl_conn_servwait_left(c, t->mono + 100000), 10000);
	/* the dataplane dropped the session (REFWAIT): monitoring resumes */
	memset(t->fdp.sess, 0, sizeof(t->fdp.sess));
	assert_int_equal(ctl_conn_servwait_left(c, t->mono + 200000), 10000);
	assert_int_equal(c->state, CTL_CS_REQUEST);
	assert_int_equal(c->nsess, 0);
	assert_int_equal(t->ctr.v[CTL_C_SESS_EXPIRED], 1);
	assert_int_equal(ctl_conn_servwait_left(c, t->mono + 210000), 0);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

/* open-idle-timeout: an unauthenticated connection without started
 * sessions, from its accept or the end of its last started sessions. */
static void open_idle(void **state)
{
	struct tenv *t = *state;
	struct tclient tc, ta;
	uint64_t t0 = t->mono;
	struct ctl_conn *c = tconn_ready(t, &tc, TWC_MODE_UNAUTH), *a;
	struct twc_request r = treq_default();
	struct twc_accept_session as;
	uint8_t msg[32];

	t->cfg.server.open_idle_s = 30;
	assert_int_equal(ctl_conn_open_idle_deadline(c), t0 + 30000);
	assert_int_equal(ctl_conn_open_idle_left(c, t0 + 10000), 20000);
	assert_int_equal(ctl_conn_open_idle_left(c, t0 + 30000), 0);
	t->mono = t0 + 20000;
	assert_int_equal(tconn_request(c, &tc, &r, &as), 0); /* a message is not a session */
	assert_int_equal(ctl_conn_open_idle_deadline(c), t0 + 30000);
	start_cmd(msg, TWC_CMD_START_SESSIONS);
	assert_true(tconn_cmd(c, &tc, msg, 32));
	ctl_conn_sent(c, 32);
	assert_int_equal(ctl_conn_open_idle_deadline(c), UINT64_MAX); /* running */
	t->mono = t0 + 100000;
	start_cmd(msg, TWC_CMD_STOP_SESSIONS);
	msg[7] = 1;
	assert_true(tconn_cmd(c, &tc, msg, 32));
	assert_int_equal(c->state, CTL_CS_REQUEST);
	assert_int_equal(ctl_conn_open_idle_deadline(c), t0 + 130000);
	t->cfg.server.open_idle_s = 0; /* never */
	assert_int_equal(ctl_conn_open_idle_deadline(c), UINT64_MAX);
	t->cfg.server.open_idle_s = 30;
	a = tconn_ready(t, &ta, TWC_MODE_AUTH); /* secured: not concerned */
	assert_int_equal(ctl_conn_open_idle_deadline(a), UINT64_MAX);
	ctl_conn_free(a, "done");
	ctl_conn_free(c, "done");
	tclient_free(&tc);
	tclient_free(&ta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open_session_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(secured_modes_install_test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(close_removes_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_keyid_like_wrong_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(keyid_escaped_in_log, setup, teardown),
		cmocka_unit_test_setup_teardown(mode_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(mode_zero_declines, setup, teardown),
		cmocka_unit_test_setup_teardown(abandoned_counted_once, setup, teardown),
		cmocka_unit_test_setup_teardown(greeting_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(trickled_input, setup, teardown),
		cmocka_unit_test_setup_teardown(tampered_hmac_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_command_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_order_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(oversized_n_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(output_overflow_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(request_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(management_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(dataplane_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(session_and_port_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(rfc6038_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(individual_session_control, setup, teardown),
		cmocka_unit_test_setup_teardown(timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(servwait, setup, teardown),
		cmocka_unit_test_setup_teardown(open_idle, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
