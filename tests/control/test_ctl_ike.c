/* IKEv2Derived set-ups (control/ctl_conn_ike.c, RFC 7717) on the control
 * connection state machine, with a fake key agent (tctl.h): what the
 * greeting offers, the SPIs the server asks for, the key it uses, every
 * refusal with its Accept, counter and log line, and that a connection
 * never asks again once set up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tctl.h"
#include "tw_crypto.h"

/* prf(SK_d, "IPPM") for HMAC-SHA2-256 and SK_d = 00..1f (docs/protocol.md §11.5) */
static const uint8_t KEY[32] = {
	0x3d, 0xe7, 0x21, 0xe3, 0xb5, 0x78, 0xc7, 0x26, 0x86, 0x38, 0xca, 0x7d, 0x70, 0xc7, 0xb0, 0x78,
	0x1d, 0x58, 0x8c, 0xca, 0x6f, 0x7a, 0x6f, 0x99, 0xec, 0x9a, 0x5c, 0xb1, 0xf5, 0x9b, 0xd5, 0x1f,
};
static const uint8_t SPI_I[8] = { 0x1d, 0x2c, 0x3b, 0x4a, 0x59, 0x68, 0x77, 0x66 };
static const uint8_t SPI_R[8] = { 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
#define SPIS "1d2c3b4a59687766:8899aabbccddeeff"

static int setup(void **state)
{
	struct tenv *t = malloc(sizeof(*t));

	tenv_init(t);
	t->cfg.server.modes = TWC_MODE_UNAUTH | TWC_MODE_AUTH | TWC_MODE_ENC | TWC_MODE_MIXED |
			      TWC_MODE_IKEV2;
	t->cfg.server.ike_check_peer = true;
	tenv_ike(t, KEY, sizeof(KEY));
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tenv_fini(*state);
	free(*state);
	return 0;
}

static uint32_t greeting_modes(const uint8_t g[TWC_GREETING_LEN])
{
	return (uint32_t)g[12] << 24 | (uint32_t)g[13] << 16 | (uint32_t)g[14] << 8 | g[15];
}

/* KeyID: SPIi, SPIr, then 64 octets the server must ignore */
static void keyid_of(uint8_t id[TWC_KEYID_LEN], const uint8_t *spi_i, const uint8_t *spi_r)
{
	memset(id, 0xee, TWC_KEYID_LEN);
	memcpy(id, spi_i, 8);
	memcpy(id + 8, spi_r, 8);
}

/* Greeting, Set-Up-Response (mode, SPIs, key); returns the Accept. */
static uint8_t handshake(struct tenv *t, struct ctl_conn *c, struct tclient *tc, uint32_t mode,
			 const uint8_t *key, size_t key_len)
{
	uint8_t greet[TWC_GREETING_LEN], setup[TWC_SETUP_LEN], ss[TWC_SERVER_START_LEN], id[80];

	(void)t;
	tconn_take(c, greet, sizeof(greet));
	keyid_of(id, SPI_I, SPI_R);
	tclient_setup_raw(tc, greet, mode, id, key, key_len, setup);
	ctl_conn_input(c, setup, sizeof(setup));
	tconn_take(c, ss, sizeof(ss));
	if (ss[15] != 0) { /* a refusal is all zero but Accept */
		static const uint8_t zero[TWC_SERVER_START_LEN];

		assert_memory_equal(ss, zero, 15);
		assert_memory_equal(ss + 16, zero, 32);
	}
	return tclient_server_start(tc, ss);
}

static void greeting_offers_ikev2_while_the_agent_answers(void **state)
{
	struct tenv *t = *state;
	uint8_t greet[TWC_GREETING_LEN];
	struct ctl_conn *c;

	c = tconn_new(t);
	tconn_take(c, greet, sizeof(greet));
	assert_int_equal(greeting_modes(greet), 0x8f);
	ctl_conn_free(c, "done");

	t->agent.up = false;
	c = tconn_new(t);
	tconn_take(c, greet, sizeof(greet));
	assert_int_equal(greeting_modes(greet), 0x0f);
	ctl_conn_free(c, "done");

	/* configured, but no key agent link at all */
	t->agent.up = true;
	t->env.ike_lookup = NULL;
	c = tconn_new(t);
	tconn_take(c, greet, sizeof(greet));
	assert_int_equal(greeting_modes(greet), 0x0f);
	ctl_conn_free(c, "done");

	/* not configured: never offered, never asked */
	tenv_ike(t, KEY, sizeof(KEY));
	t->cfg.server.modes = TWC_MODE_AUTH;
	c = tconn_new(t);
	tconn_take(c, greet, sizeof(greet));
	assert_int_equal(greeting_modes(greet), TWC_MODE_AUTH);
	ctl_conn_free(c, "done");

	/* nothing it could replace the secret of */
	t->cfg.server.modes = TWC_MODE_UNAUTH | TWC_MODE_IKEV2;
	c = tconn_new(t);
	tconn_take(c, greet, sizeof(greet));
	assert_int_equal(greeting_modes(greet), TWC_MODE_UNAUTH);
	ctl_conn_free(c, "done");
	assert_int_equal(t->agent.lookups, 0);
}

/* Authenticated and encrypted: the SA's key in PBKDF2, sessions keyed
 * from the Token; later lookups would fail, but nothing asks again. */
static void sessions_with_the_sa_key(void **state)
{
	struct tenv *t = *state;
	const uint32_t modes[] = { TWC_MODE_AUTH, TWC_MODE_ENC, TWC_MODE_MIXED };
	const uint8_t secs[] = { TW_SEC_AUTH, TW_SEC_ENC, TW_SEC_OPEN };

	for (int i = 0; i < 3; i++) {
		struct ctl_conn *c = tconn_new(t);
		struct twc_request r = treq_default();
		struct twc_accept_session as;
		struct tclient tc;
		struct tw_keys k = { { 0 }, { 0 } };
		const struct twr_api_session *a;
		uint8_t msg[32] = { TWC_CMD_START_SESSIONS }, ack[32];

		t->agent.status = KA_OK;
		assert_int_equal(handshake(t, c, &tc, modes[i] | TWC_MODE_IKEV2, KEY, sizeof(KEY)), 0);
		assert_int_equal(c->state, CTL_CS_REQUEST);
		assert_int_equal(c->mode, modes[i] | TWC_MODE_IKEV2);
		assert_memory_equal(t->agent.spi_i, SPI_I, 8);
		assert_memory_equal(t->agent.spi_r, SPI_R, 8);
		assert_string_equal(c->keyid, "");
		assert_true(c->ike);
		assert_string_equal(c->ike_remote_id, "client.test");
		/* the SA goes away (rekey, delete): this connection does not care */
		t->agent.status = KA_NO_SA;
		t->agent.up = i != 1;
		r.sender_port = (uint16_t)(41000 + i);
		assert_int_equal(tconn_request(c, &tc, &r, &as), 0);
		a = &t->fdp.calls[t->fdp.ncalls - 1].add;
		assert_int_equal(a->sec, secs[i]);
		if (secs[i] != TW_SEC_OPEN)
			assert_int_equal(tw_keys_derive(as.sid, tc.aes, tc.hmac, &k), 0);
		assert_memory_equal(a->aes_key, k.aes, 16);
		assert_memory_equal(a->hmac_key, k.hmac, 32);
		assert_true(tconn_cmd(c, &tc, msg, sizeof(msg)));
		tconn_take(c, ack, sizeof(ack));
		assert_int_equal(tclient_open(&tc, ack, sizeof(ack)), TWC_OK);
		assert_int_equal(ack[0], 0);
		assert_int_equal(t->agent.lookups, (unsigned)i + 1);
		ctl_conn_free(c, "done");
		tclient_free(&tc);
		t->agent.up = true;
	}
	assert_int_equal(t->ctr.v[CTL_C_AUTH_OK], 3);
	assert_int_equal(t->ctr.v[CTL_C_IKE_OK], 3);
	assert_int_equal(t->auth_ok, 3);
	assert_true(tenv_log_find(t, "authentication ok: peer=10.99.1.1:40000 ikev2 spi=" SPIS
				     " ike-peer=10.99.1.1 ike-id=\"client.test\" prf=HMAC_SHA2_256 "
				     "mode=0x82") >= 0);
}

/* Every answer of the agent that gives no key: Accept, counter, log. */
static void refusals(void **state)
{
	struct tenv *t = *state;
	static const struct {
		enum ka_status st;
		uint8_t accept;
		enum ctl_ctr ctr;
		bool auth_failure;
		const char *log;
	} cases[] = {
		{ KA_NO_SA, 6, CTL_C_IKE_NO_SA, true, "agent=NO_SA: no established IKEv2 SA" },
		{ KA_NOT_PERMITTED, 6, CTL_C_IKE_NOT_PERMITTED, false, "agent=NOT_PERMITTED" },
		{ KA_AGENT_DOWN, 6, CTL_C_IKE_AGENT_DOWN, false, "agent=AGENT_DOWN" },
		{ KA_NO_AGENT, 6, CTL_C_IKE_AGENT_DOWN, false, "agent=NO_AGENT" },
		{ KA_INTERNAL, 2, CTL_C_IKE_AGENT_ERROR, false, "agent=INTERNAL" },
		{ KA_MALFORMED, 2, CTL_C_IKE_AGENT_ERROR, false, "agent=MALFORMED" },
		{ KA_BAD_VERSION, 2, CTL_C_IKE_AGENT_ERROR, false, "agent=VERSION" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_conn *c = tconn_new(t);
		struct tclient tc;
		unsigned failed = t->auth_fail;
		uint64_t before = t->ctr.v[cases[i].ctr], auth = t->ctr.v[CTL_C_AUTH_FAILED];
		char line[200];

		t->agent.status = cases[i].st;
		assert_int_equal(handshake(t, c, &tc, TWC_MODE_ENC | TWC_MODE_IKEV2, KEY, sizeof(KEY)),
				 cases[i].accept);
		assert_true(ctl_conn_closing(c));
		assert_false(ctl_conn_set_up(c));
		assert_int_equal(t->ctr.v[cases[i].ctr], before + 1);
		assert_int_equal(t->ctr.v[CTL_C_AUTH_FAILED], auth + cases[i].auth_failure);
		assert_int_equal(t->auth_fail, failed + cases[i].auth_failure);
		snprintf(line, sizeof(line),
			 "ikev2 set-up refused: peer=10.99.1.1:40000 spi=" SPIS " mode=0x84 %s",
			 cases[i].log);
		if (tenv_log_find(t, line) < 0)
			fail_msg("no log line \"%s\"", line);
		ctl_conn_free(c, "done");
	}
	assert_int_equal(t->ctr.v[CTL_C_AUTH_OK], 0);
	assert_int_equal(fake_installed(&t->fdp), 0);
}

/* A zero SPI names no SA: refused without asking the agent. */
static void zero_spi(void **state)
{
	struct tenv *t = *state;
	uint8_t greet[64], setup[164], ss[48], id[80];
	const uint8_t zero[8] = { 0 };
	struct tclient tc;

	for (int i = 0; i < 2; i++) {
		struct ctl_conn *c = tconn_new(t);

		tconn_take(c, greet, sizeof(greet));
		keyid_of(id, i ? SPI_I : zero, i ? zero : SPI_R);
		tclient_setup_raw(&tc, greet, TWC_MODE_AUTH | TWC_MODE_IKEV2, id, KEY, sizeof(KEY), setup);
		assert_false(ctl_conn_input(c, setup, sizeof(setup)));
		tconn_take(c, ss, sizeof(ss));
		assert_int_equal(ss[15], TWC_ACCEPT_NO_SA);
		ctl_conn_free(c, "done");
	}
	assert_int_equal(t->agent.lookups, 0);
	assert_int_equal(t->ctr.v[CTL_C_IKE_NO_SA], 2);
	assert_true(tenv_log_find(t, "spi=0000000000000000:8899aabbccddeeff mode=0x82 agent=NO_SA: "
				     "an SPI is zero (Accept 6)") >= 0);
}

/* The SA's peer is not the control peer. */
static void peer_address_check(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_new(t);

	t->agent.rep.remote = (struct ka_addr){ .family = 4, .a = { 10, 99, 1, 9 } };
	assert_int_equal(handshake(t, c, &tc, TWC_MODE_AUTH | TWC_MODE_IKEV2, KEY, sizeof(KEY)),
			 TWC_ACCEPT_NO_SA);
	assert_int_equal(t->ctr.v[CTL_C_IKE_PEER_MISMATCH], 1);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_FAILED], 1);
	assert_int_equal(t->auth_fail, 1);
	assert_true(tenv_log_find(t, "agent=OK: the connection does not come from the IKE SA's "
				     "peer 10.99.1.9 (Accept 6)") >= 0);
	ctl_conn_free(c, "done");

	/* the same SA for an IPv6 peer of the same octets: still another peer */
	t->agent.rep.remote = (struct ka_addr){ .family = 6, .a = { 10, 99, 1, 1 } };
	c = tconn_new(t);
	assert_int_equal(handshake(t, c, &tc, TWC_MODE_AUTH | TWC_MODE_IKEV2, KEY, sizeof(KEY)),
			 TWC_ACCEPT_NO_SA);
	ctl_conn_free(c, "done");

	/* check off: the key is used */
	t->cfg.server.ike_check_peer = false;
	c = tconn_new(t);
	assert_int_equal(handshake(t, c, &tc, TWC_MODE_AUTH | TWC_MODE_IKEV2, KEY, sizeof(KEY)), 0);
	assert_int_equal(t->ctr.v[CTL_C_IKE_OK], 1);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

/* The client used another key than the SA's: Accept 1. */
static void wrong_key(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c = tconn_new(t);
	uint8_t other[32];

	memcpy(other, KEY, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(handshake(t, c, &tc, TWC_MODE_AUTH | TWC_MODE_IKEV2, other, sizeof(other)),
			 TWC_ACCEPT_FAILURE);
	assert_true(ctl_conn_closing(c));
	assert_int_equal(t->ctr.v[CTL_C_AUTH_FAILED], 1);
	assert_int_equal(t->ctr.v[CTL_C_IKE_OK], 0);
	assert_int_equal(t->auth_fail, 1);
	assert_true(tenv_log_find(t, "authentication failed: peer=10.99.1.1:40000 ikev2 spi=" SPIS
				     " mode=0x82: token does not carry the challenge") >= 0);
	ctl_conn_free(c, "done");

	/* a key of another length (an SA with HMAC-SHA2-384) works the same */
	c = tconn_new(t);
	t->agent.rep.key_len = 48;
	t->agent.rep.prf = 6;
	for (int i = 0; i < 48; i++)
		t->agent.rep.key[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(handshake(t, c, &tc, TWC_MODE_ENC | TWC_MODE_IKEV2, t->agent.rep.key, 48), 0);
	ctl_conn_free(c, "done");
	tclient_free(&tc);

	/* an OK without a key is the agent's error */
	c = tconn_new(t);
	t->agent.rep.key_len = 0;
	assert_int_equal(handshake(t, c, &tc, TWC_MODE_ENC | TWC_MODE_IKEV2, KEY, sizeof(KEY)),
			 TWC_ACCEPT_INTERNAL);
	assert_int_equal(t->ctr.v[CTL_C_IKE_AGENT_ERROR], 1);
	ctl_conn_free(c, "done");
}

/* Mode bits: not offered when the greeting did not offer it, even if the
 * agent came back since; never with the open mode. */
static void mode_checks(void **state)
{
	struct tenv *t = *state;
	struct tclient tc;
	struct ctl_conn *c;
	uint8_t greet[64], setup[164] = { 0 }, ss[48];

	t->agent.up = false;
	c = tconn_new(t);
	t->agent.up = true;
	assert_int_equal(handshake(t, c, &tc, TWC_MODE_AUTH | TWC_MODE_IKEV2, KEY, sizeof(KEY)),
			 TWC_ACCEPT_NOT_SUPPORTED);
	assert_int_equal(t->ctr.v[CTL_C_MODE_REFUSED], 1);
	ctl_conn_free(c, "done");

	/* open mode plus IKEv2Derived: the decoder refuses it */
	c = tconn_new(t);
	tconn_take(c, greet, sizeof(greet));
	setup[3] = TWC_MODE_UNAUTH | TWC_MODE_IKEV2;
	assert_false(ctl_conn_input(c, setup, sizeof(setup)));
	tconn_take(c, ss, sizeof(ss));
	assert_int_equal(ss[15], TWC_ACCEPT_NOT_SUPPORTED);
	ctl_conn_free(c, "done");

	/* offered, and the agent went away before the Set-Up-Response */
	c = tconn_new(t);
	t->agent.up = false;
	t->agent.status = KA_NO_AGENT;
	assert_int_equal(handshake(t, c, &tc, TWC_MODE_AUTH | TWC_MODE_IKEV2, KEY, sizeof(KEY)),
			 TWC_ACCEPT_NO_SA);
	ctl_conn_free(c, "done");

	/* a key-chain client meanwhile: unaffected */
	c = tconn_ready(t, &tc, TWC_MODE_AUTH);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
	assert_int_equal(t->agent.lookups, 1);
	assert_int_equal(t->ctr.v[CTL_C_AUTH_OK], 1);
}

/* The IKE peer chooses its identity: it is logged escaped, so a quote or a
 * line break cannot forge fields or lines. */
static void remote_id_escaped(void **state)
{
	struct tenv *t = *state;
	struct ctl_conn *c = tconn_new(t);
	struct tclient tc;

	strcpy(t->agent.rep.remote_id, "evil\" ok=\"1\nauthentication ok: peer=10.0.0.9\\");
	assert_int_equal(handshake(t, c, &tc, TWC_MODE_AUTH | TWC_MODE_IKEV2, KEY, sizeof(KEY)), 0);
	assert_true(tenv_log_find(t, "ike-id=\"evil\\x22 ok=\\x221\\x0aauthentication ok: "
				     "peer=10.0.0.9\\x5c\" prf=") >= 0);
	assert_true(tenv_log_find(t, "ike-id=\"evil\" ") < 0);
	ctl_conn_free(c, "done");
	tclient_free(&tc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(greeting_offers_ikev2_while_the_agent_answers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sessions_with_the_sa_key, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_spi, setup, teardown),
		cmocka_unit_test_setup_teardown(peer_address_check, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(mode_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(remote_id_escaped, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
