/* The TWAMP-Control client state machine (client/ctl_client.h) without
 * sockets.
 *
 * Replays: with the client's random values of the twping captures (mode A
 * from twping_mode_A.keys, mode E recovered from the capture's Token with
 * the passphrase) and the captured server messages fed in, the client must
 * write the captured client messages octet for octet (Set-Up-Response,
 * Request-TW-Session, Start-Sessions, Stop-Sessions) and derive the
 * captured test keys from the SID. Then refusals, tampering, limits, and a
 * server made of common's codecs (fake_ctl_server.c) for what the captures
 * lack: several sessions, RFC 5938 and RFC 6038. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "fake_ctl_server.h"
#include "tdata.h"
#include "twping_ctl.h"

#define KEYID "testuser"
#define PASS "interop-passphrase"

/* The k-th record of direction dir in a control capture. */
static const struct tpkt *rec(const struct tpkt *v, size_t n, char dir, int k)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].dir == dir && k-- == 0)
			return &v[i];
	fail_msg("record %c#%d missing", dir, k);
	return NULL;
}

/* The message the client has to send now: exactly len octets. */
static const uint8_t *out_of(struct ctl_client *c, size_t len)
{
	size_t n;
	const uint8_t *p = ctl_output(c, &n);

	assert_int_equal(n, len);
	assert_non_null(p);
	return p;
}

static void feed(struct ctl_client *c, const uint8_t *msg, size_t len, enum ctl_result want)
{
	assert_int_equal(ctl_need(c), len);
	assert_int_equal(ctl_input(c, msg, len), want);
}

static void base_cfg(struct ctl_cfg *cfg, uint32_t security, unsigned nsessions)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->security = security;
	memcpy(cfg->keyid, KEYID, strlen(KEYID));
	cfg->secret = (const uint8_t *)PASS;
	cfg->secret_len = strlen(PASS);
	cfg->max_count_exp = 20;
	cfg->nsessions = nsessions;
	for (unsigned i = 0; i < nsessions; i++) {
		cfg->req[i].ipvn = 4;
		cfg->req[i].sender_port = (uint16_t)(40000 + i);
		cfg->req[i].padding_len = 27;
		cfg->req[i].timeout = 2ull << 32;
		cfg->req[i].octets_to_reflect = (uint16_t)(0xa5a0 + i);
	}
}

static const struct ctl_random fixed_rnd = {
	.aes = "0123456789abcdef",
	.hmac = "0123456789abcdef0123456789ABCDEF",
	.client_iv = "client-iv-16-oct",
};

/* ---- replays of the twping captures ---------------------------------- */

struct replay {
	const char *name;
	uint32_t security;
	uint16_t port;           /* Sender Port = Receiver Port in the capture */
	uint64_t start_time, timeout;
};

/* The Request-TW-Session fields twping sent (read from the capture). */
static void replay_request(const struct replay *r, struct twc_request *q)
{
	memset(q, 0, sizeof(*q));
	q->ipvn = 4;
	q->sender_port = q->receiver_port = r->port;
	q->sender_addr[0] = q->receiver_addr[0] = 127;
	q->sender_addr[3] = q->receiver_addr[3] = 1;
	q->padding_len = 64;
	q->start_time = r->start_time;
	q->timeout = r->timeout;
}

static void run_replay(const struct replay *r, const struct ctl_random *rnd, const uint8_t sid[16],
		       const struct tw_keys *test_keys)
{
	char file[64];
	struct tpkt *v;
	size_t n;
	struct ctl_cfg cfg;
	struct ctl_client *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	snprintf(file, sizeof(file), "%s.control.hex", r->name);
	n = tdata_load(file, &v);
	base_cfg(&cfg, r->security, 1);
	replay_request(r, &cfg.req[0]);
	assert_int_equal(ctl_init(c, &cfg, rnd), CTL_OK);

	feed(c, rec(v, n, 's', 0)->data, 64, CTL_OK);                 /* greeting */
	assert_memory_equal(out_of(c, 164), rec(v, n, 'c', 0)->data, 164);
	feed(c, rec(v, n, 's', 1)->data, 48, CTL_OK);                 /* Server-Start */
	assert_memory_equal(out_of(c, 112), rec(v, n, 'c', 1)->data, 112);
	feed(c, rec(v, n, 's', 2)->data, 48, CTL_OK);                 /* Accept-Session */
	assert_memory_equal(out_of(c, 32), rec(v, n, 'c', 2)->data, 32);
	feed(c, rec(v, n, 's', 3)->data, 32, CTL_OK);                 /* Start-Ack */
	assert_int_equal(c->state, CTL_TESTING);
	assert_int_equal(ctl_need(c), 0);
	assert_memory_equal(c->sess[0].sid, sid, 16);
	assert_memory_equal(c->sess[0].keys.aes, test_keys->aes, 16);
	assert_memory_equal(c->sess[0].keys.hmac, test_keys->hmac, 32);
	assert_int_equal(ctl_stop(c, 0), CTL_OK);
	assert_memory_equal(out_of(c, 32), rec(v, n, 'c', 3)->data, 32);  /* Stop-Sessions */
	assert_int_equal(c->state, CTL_DONE);
	assert_int_equal(ctl_need(c), 0);
	ctl_free(c);
	assert_memory_equal(c->sess[0].keys.aes, (uint8_t[16]){ 0 }, 16);
	free(c);
	free(v);
}

static void test_replay_mode_A(void **state)
{
	const struct replay r = { "twping_mode_A", TWC_MODE_AUTH, 0x234d,
				  0xeead0688c9b1c866ull, 0x0000000200a15982ull };
	struct ctl_random rnd;
	struct tw_keys k;
	uint8_t sid[16];

	(void)state;
	tdata_key("twping_mode_A.keys", "aes_session_key", rnd.aes, 16, NULL);
	tdata_key("twping_mode_A.keys", "hmac_session_key", rnd.hmac, 32, NULL);
	tdata_key("twping_mode_A.keys", "client_iv", rnd.client_iv, 16, NULL);
	tdata_key("twping_mode_A.keys", "sid", sid, 16, NULL);
	tdata_key("twping_mode_A.keys", "test_aes_key", k.aes, 16, NULL);
	tdata_key("twping_mode_A.keys", "test_hmac_key", k.hmac, 32, NULL);
	run_replay(&r, &rnd, sid, &k);
}

static void test_replay_mode_E(void **state)
{
	const struct replay r = { "twping_mode_E", TWC_MODE_ENC, 0x2270,
				  0xeead068f13ac4f7dull, 0x0000000200635a42ull };
	struct twping_ctl t;
	struct ctl_random rnd;

	(void)state;
	twping_ctl_replay("twping_mode_E", &t);  /* keys from the Token */
	memcpy(rnd.aes, t.aes_sess, 16);
	memcpy(rnd.hmac, t.hmac_sess, 32);
	memcpy(rnd.client_iv, t.client_iv, 16);
	run_replay(&r, &rnd, t.sid, &t.test);
}

/* Mode A capture with one octet of a server message flipped: the client
 * must stop at that message with a protocol error naming the HMAC. */
static void tampered_A(int server_rec, size_t off, enum ctl_state fails_in)
{
	struct tpkt *v;
	size_t n = tdata_load("twping_mode_A.control.hex", &v);
	struct ctl_cfg cfg;
	struct ctl_client *c = calloc(1, sizeof(*c));
	const struct replay r = { "twping_mode_A", TWC_MODE_AUTH, 0x234d,
				  0xeead0688c9b1c866ull, 0x0000000200a15982ull };
	struct ctl_random rnd;
	enum ctl_result got = CTL_OK;
	enum ctl_state state_before = CTL_GREETING;

	assert_non_null(c);
	tdata_key("twping_mode_A.keys", "aes_session_key", rnd.aes, 16, NULL);
	tdata_key("twping_mode_A.keys", "hmac_session_key", rnd.hmac, 32, NULL);
	tdata_key("twping_mode_A.keys", "client_iv", rnd.client_iv, 16, NULL);
	base_cfg(&cfg, TWC_MODE_AUTH, 1);
	replay_request(&r, &cfg.req[0]);
	assert_int_equal(ctl_init(c, &cfg, &rnd), CTL_OK);
	((struct tpkt *)rec(v, n, 's', server_rec))->data[off] ^= 0x01;
	for (int i = 0; i < 4 && got == CTL_OK; i++) {
		const struct tpkt *m = rec(v, n, 's', i);
		size_t len;

		ctl_output(c, &len);
		state_before = c->state;
		got = ctl_input(c, m->data, m->len);
	}
	assert_int_equal(got, CTL_PROTOCOL);
	assert_int_equal(state_before, fails_in);
	assert_int_equal(c->state, CTL_FAILED);
	assert_non_null(strstr(ctl_error(c), "HMAC"));
	/* a failed machine stays failed */
	assert_int_equal(ctl_input(c, rec(v, n, 's', 0)->data, 64), CTL_PROTOCOL);
	assert_int_equal(ctl_stop(c, 0), CTL_PROTOCOL);
	ctl_free(c);
	free(c);
	free(v);
}

static void test_tampered_accept_hmac(void **state)
{
	(void)state;
	tampered_A(2, 40, CTL_ACCEPT);  /* in the encrypted HMAC field */
}

static void test_tampered_accept_body(void **state)
{
	(void)state;
	tampered_A(2, 5, CTL_ACCEPT);   /* in the SID */
}

static void test_tampered_server_start(void **state)
{
	(void)state;
	/* the encrypted Start-Time block has no HMAC of its own: it is folded
	 * into the first Accept-Session's, which must then fail */
	tampered_A(1, 33, CTL_ACCEPT);
}

static void test_tampered_start_ack(void **state)
{
	(void)state;
	tampered_A(3, 20, CTL_START_ACK);
}

static void test_wrong_passphrase(void **state)
{
	struct tpkt *v;
	size_t n = tdata_load("twping_mode_A_wrong_passphrase.control.hex", &v);
	struct ctl_cfg cfg;
	struct ctl_client c;

	(void)state;
	base_cfg(&cfg, TWC_MODE_AUTH, 1);
	assert_int_equal(ctl_init(&c, &cfg, &fixed_rnd), CTL_OK);
	feed(&c, rec(v, n, 's', 0)->data, 64, CTL_OK);
	out_of(&c, 164);
	feed(&c, rec(v, n, 's', 1)->data, 48, CTL_REFUSED);
	assert_int_equal(c.state, CTL_FAILED);
	assert_int_equal(c.accept, 1);
	assert_non_null(strstr(ctl_error(&c), "authentication failed (Accept 1)"));
	assert_int_equal(ctl_need(&c), 0);
	ctl_free(&c);
	free(v);
}

/* ---- greeting checks -------------------------------------------------- */

static enum ctl_result greet(struct ctl_client *c, const struct ctl_cfg *cfg, uint32_t modes,
			     uint32_t count)
{
	struct fsrv s = { .modes = modes, .count = 1024 };
	uint8_t g[TWC_GREETING_LEN];

	fsrv_greeting(&s, g);   /* the encoder refuses bad Counts: patch it in */
	g[48] = (uint8_t)(count >> 24);
	g[49] = (uint8_t)(count >> 16);
	g[50] = (uint8_t)(count >> 8);
	g[51] = (uint8_t)count;
	assert_int_equal(ctl_init(c, cfg, &fixed_rnd), CTL_OK);
	return ctl_input(c, g, sizeof(g));
}

/* A failed greeting check answers Mode 0 (decline), all zeros, and then
 * wants nothing more. */
static void expect_decline(struct ctl_client *c)
{
	assert_int_equal(c->state, CTL_FAILED);
	assert_int_equal(ctl_need(c), 0);
	assert_memory_equal(out_of(c, TWC_SETUP_LEN), (uint8_t[TWC_SETUP_LEN]){ 0 }, TWC_SETUP_LEN);
	assert_int_equal(ctl_need(c), 0);
}

static void test_modes_zero(void **state)
{
	struct ctl_cfg cfg;
	struct ctl_client c;
	size_t n;

	(void)state;
	base_cfg(&cfg, TWC_MODE_UNAUTH, 1);
	assert_int_equal(greet(&c, &cfg, 0, 1024), CTL_REFUSED);
	assert_non_null(strstr(ctl_error(&c), "refuses"));
	assert_non_null(strstr(ctl_error(&c), "Modes 0"));
	assert_int_equal(ctl_need(&c), 0);
	assert_null(ctl_output(&c, &n));   /* the server closes: nothing to say */
	/* even when the rest of the greeting is garbage (Count 0) */
	assert_int_equal(greet(&c, &cfg, 0, 0), CTL_REFUSED);
}

static void test_count_limit(void **state)
{
	struct ctl_cfg cfg;
	struct ctl_client c;
	size_t n;

	(void)state;
	base_cfg(&cfg, TWC_MODE_AUTH, 1);
	cfg.max_count_exp = 10;
	assert_int_equal(greet(&c, &cfg, 0xf, 2048), CTL_UNSUPPORTED);
	assert_non_null(strstr(ctl_error(&c), "Count of 2048"));
	assert_non_null(strstr(ctl_error(&c), "--max-count-exponent"));
	expect_decline(&c);
	assert_null(ctl_output(&c, &n));
	/* exactly at the limit is fine */
	assert_int_equal(greet(&c, &cfg, 0xf, 1024), CTL_OK);
	out_of(&c, 164);
	ctl_free(&c);
	/* the default limit, 2^20 */
	cfg.max_count_exp = 20;
	assert_int_equal(greet(&c, &cfg, 0xf, 1u << 21), CTL_UNSUPPORTED);
	/* the limit does not matter in open mode, which has no PBKDF2 */
	base_cfg(&cfg, TWC_MODE_UNAUTH, 1);
	cfg.max_count_exp = 10;
	assert_int_equal(greet(&c, &cfg, 0xf, 1u << 30), CTL_OK);
}

static void test_count_malformed(void **state)
{
	struct ctl_cfg cfg;
	struct ctl_client c;

	(void)state;
	base_cfg(&cfg, TWC_MODE_ENC, 1);
	assert_int_equal(greet(&c, &cfg, 0xf, 3000), CTL_PROTOCOL);
	assert_non_null(strstr(ctl_error(&c), "power of 2"));
	assert_int_equal(greet(&c, &cfg, 0xf, 512), CTL_PROTOCOL);
}

static void test_mode_not_offered(void **state)
{
	struct ctl_cfg cfg;
	struct ctl_client c;

	(void)state;
	base_cfg(&cfg, TWC_MODE_AUTH, 1);
	assert_int_equal(greet(&c, &cfg, TWC_MODE_UNAUTH | TWC_MODE_ENC, 1024), CTL_UNSUPPORTED);
	assert_string_equal(ctl_error(&c), "server does not offer auth mode (it offers: open, enc)");
	expect_decline(&c);
	base_cfg(&cfg, TWC_MODE_MIXED, 1);
	assert_int_equal(greet(&c, &cfg, 0x7, 1024), CTL_UNSUPPORTED);
	assert_non_null(strstr(ctl_error(&c), "mixed mode"));
}

static void test_feature_not_offered(void **state)
{
	struct ctl_cfg cfg;
	struct ctl_client c;

	(void)state;
	base_cfg(&cfg, TWC_MODE_UNAUTH, 1);
	cfg.individual = true;
	cfg.symmetrical = true;
	assert_int_equal(greet(&c, &cfg, 0x2f, 1024), CTL_UNSUPPORTED);
	assert_string_equal(ctl_error(&c), "server does not offer individual-session-control, "
			    "symmetrical-size (it offers: open, auth, enc, mixed, reflect-octets)");
	expect_decline(&c);
}

/* ---- whole exchanges with the fake server ------------------------------ */

struct flow {
	struct fsrv s;
	struct ctl_cfg cfg;
	struct ctl_client c;
	uint8_t buf[TWC_NMSG_LEN(16)];
};

/* Greeting to Server-Start accepted; the first request is pending. */
static void flow_setup(struct flow *f, uint32_t modes)
{
	const uint8_t *p;

	f->s.modes = modes;
	f->s.count = 1024;
	f->s.secret = (const uint8_t *)PASS;
	f->s.secret_len = strlen(PASS);
	fsrv_greeting(&f->s, f->buf);
	assert_int_equal(ctl_init(&f->c, &f->cfg, &fixed_rnd), CTL_OK);
	feed(&f->c, f->buf, TWC_GREETING_LEN, CTL_OK);
	p = out_of(&f->c, TWC_SETUP_LEN);
	fsrv_setup(&f->s, p, TWC_SETUP_LEN);
	fsrv_server_start(&f->s, 0, f->buf);
	feed(&f->c, f->buf, TWC_SERVER_START_LEN, CTL_OK);
}

static void sid_of(unsigned i, uint8_t sid[16])
{
	memset(sid, 0x50 + (int)i, 16);
	sid[0] = 10;
}

/* Answers session i's request. */
static enum ctl_result flow_accept(struct flow *f, unsigned i, uint8_t accept, uint16_t port)
{
	struct twc_accept_session a = { .accept = accept, .port = port,
					.server_octets = (uint16_t)(0x5000 + i) };

	fsrv_request(&f->s, out_of(&f->c, TWC_REQUEST_LEN), TWC_REQUEST_LEN);
	a.reflected_octets = f->s.req[i].octets_to_reflect;
	sid_of(i, a.sid);
	fsrv_accept(&f->s, &a, f->buf);
	return ctl_input(&f->c, f->buf, TWC_ACCEPT_SESSION_LEN);
}

static void test_open_flow(void **state)
{
	struct flow *f = calloc(1, sizeof(*f));

	(void)state;
	assert_non_null(f);
	base_cfg(&f->cfg, TWC_MODE_UNAUTH, 2);
	flow_setup(f, TWC_MODE_UNAUTH);
	assert_int_equal(f->s.mode, TWC_MODE_UNAUTH);
	assert_int_equal(flow_accept(f, 0, 0, 862), CTL_OK);
	assert_int_equal(flow_accept(f, 1, 0, 863), CTL_OK);
	assert_int_equal(f->s.req[1].sender_port, 40001);
	assert_int_equal(f->s.req[0].octets_to_reflect, 0xa5a0);  /* sent as configured */
	assert_int_equal(fsrv_command(&f->s, out_of(&f->c, 32), 32, TWC_CMD_START_SESSIONS), 0);
	fsrv_start_ack(&f->s, 0, f->buf);
	feed(&f->c, f->buf, 32, CTL_OK);
	assert_int_equal(f->c.state, CTL_TESTING);
	assert_int_equal(f->c.sess[1].port, 863);
	assert_int_equal(f->c.sess[1].server_octets, 0);  /* not negotiated */
	assert_memory_equal(&f->c.sess[0].keys, &(struct tw_keys){ 0 }, sizeof(struct tw_keys));
	assert_int_equal(ctl_stop(&f->c, 0), CTL_OK);
	assert_int_equal(fsrv_command(&f->s, out_of(&f->c, 32), 32, TWC_CMD_STOP_SESSIONS), 2);
	assert_int_equal(f->c.state, CTL_DONE);
	ctl_free(&f->c);
	fsrv_free(&f->s);
	free(f);
}

/* Three sessions, encrypted control, RFC 5938 and RFC 6038 (both). */
static void test_individual_reflect_enc(void **state)
{
	struct flow *f = calloc(1, sizeof(*f));
	struct twc_nmsg *ack = calloc(1, sizeof(*ack));
	struct tw_keys k;
	size_t len;

	(void)state;
	assert_non_null(f);
	assert_non_null(ack);
	base_cfg(&f->cfg, TWC_MODE_ENC, 3);
	f->cfg.individual = f->cfg.reflect_octets = f->cfg.symmetrical = true;
	flow_setup(f, 0x7f);
	assert_int_equal(f->s.mode, TWC_MODE_ENC | TWC_MODE_ISC | TWC_MODE_REFLECT_OCTETS |
			 TWC_MODE_SYMMETRICAL);
	assert_memory_equal(f->s.keyid, KEYID, sizeof(KEYID));
	assert_memory_equal(f->s.aes, fixed_rnd.aes, 16);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(flow_accept(f, i, 0, (uint16_t)(20000 + i)), CTL_OK);
	fsrv_read_nmsg(&f->s, out_of(&f->c, TWC_NMSG_LEN(3)), TWC_NMSG_LEN(3),
		       TWC_CMD_START_N_SESSIONS);
	assert_int_equal(f->s.nmsg.n, 3);
	*ack = f->s.nmsg;
	ack->cmd = TWC_CMD_START_N_ACK;
	len = fsrv_nmsg(&f->s, ack, f->buf, sizeof(f->buf));
	feed(&f->c, f->buf, 16, CTL_OK);             /* first block, then the rest */
	feed(&f->c, f->buf + 16, len - 16, CTL_OK);
	assert_int_equal(f->c.state, CTL_TESTING);
	for (unsigned i = 0; i < 3; i++) {
		uint8_t sid[16];

		sid_of(i, sid);
		assert_memory_equal(f->c.sess[i].sid, sid, 16);
		assert_memory_equal(f->s.nmsg.sid[i], sid, 16);
		assert_int_equal(f->c.sess[i].port, 20000 + i);
		assert_int_equal(f->c.sess[i].server_octets, 0x5000 + i);
		assert_int_equal(tw_keys_derive(sid, fixed_rnd.aes, fixed_rnd.hmac, &k), 0);
		assert_memory_equal(&f->c.sess[i].keys, &k, sizeof(k));
	}
	/* the control session keys are wiped once the sessions run */
	assert_memory_equal(f->c.rnd.aes, (uint8_t[16]){ 0 }, 16);
	assert_int_equal(ctl_stop(&f->c, 0), CTL_OK);
	fsrv_read_nmsg(&f->s, out_of(&f->c, TWC_NMSG_LEN(3)), TWC_NMSG_LEN(3),
		       TWC_CMD_STOP_N_SESSIONS);
	ack->cmd = TWC_CMD_STOP_N_ACK;
	len = fsrv_nmsg(&f->s, ack, f->buf, sizeof(f->buf));
	feed(&f->c, f->buf, 16, CTL_OK);
	feed(&f->c, f->buf + 16, len - 16, CTL_OK);
	assert_int_equal(f->c.state, CTL_DONE);
	ctl_free(&f->c);
	fsrv_free(&f->s);
	free(ack);
	free(f);
}

static void test_mixed_has_no_test_keys(void **state)
{
	struct flow *f = calloc(1, sizeof(*f));

	(void)state;
	assert_non_null(f);
	base_cfg(&f->cfg, TWC_MODE_MIXED, 1);
	flow_setup(f, 0xf);
	assert_int_equal(f->s.mode, TWC_MODE_MIXED);
	assert_int_equal(flow_accept(f, 0, 0, 862), CTL_OK);
	assert_memory_equal(&f->c.sess[0].keys, &(struct tw_keys){ 0 }, sizeof(struct tw_keys));
	ctl_free(&f->c);
	fsrv_free(&f->s);
	free(f);
}

static void test_session_refused(void **state)
{
	struct flow *f = calloc(1, sizeof(*f));

	(void)state;
	assert_non_null(f);
	base_cfg(&f->cfg, TWC_MODE_AUTH, 2);
	flow_setup(f, 0xf);
	assert_int_equal(flow_accept(f, 0, 0, 862), CTL_OK);
	assert_int_equal(flow_accept(f, 1, 4, 0), CTL_REFUSED);
	assert_string_equal(ctl_error(&f->c), "session 2 refused (Accept 4: permanent resource limitation)");
	assert_int_equal(f->c.accept, 4);
	ctl_free(&f->c);
	fsrv_free(&f->s);
	free(f);
}

static void test_accept_session_checks(void **state)
{
	struct flow *f = calloc(1, sizeof(*f));
	struct twc_accept_session a = { .port = 862 };

	(void)state;
	assert_non_null(f);
	base_cfg(&f->cfg, TWC_MODE_AUTH, 1);
	flow_setup(f, 0xf);
	assert_int_equal(flow_accept(f, 0, 0, 0), CTL_PROTOCOL);
	assert_non_null(strstr(ctl_error(&f->c), "port 0"));
	ctl_free(&f->c);
	fsrv_free(&f->s);

	/* RFC 6038: Reflected Octets must echo what we sent */
	memset(f, 0, sizeof(*f));
	base_cfg(&f->cfg, TWC_MODE_UNAUTH, 1);
	f->cfg.reflect_octets = true;
	flow_setup(f, 0x21);
	fsrv_request(&f->s, out_of(&f->c, TWC_REQUEST_LEN), TWC_REQUEST_LEN);
	a.reflected_octets = 0x1234;
	fsrv_accept(&f->s, &a, f->buf);
	feed(&f->c, f->buf, 48, CTL_PROTOCOL);
	assert_non_null(strstr(ctl_error(&f->c), "Reflected Octets 0x1234"));
	ctl_free(&f->c);
	fsrv_free(&f->s);
	free(f);
}

static void test_start_refused(void **state)
{
	struct flow *f = calloc(1, sizeof(*f));

	(void)state;
	assert_non_null(f);
	base_cfg(&f->cfg, TWC_MODE_ENC, 1);
	flow_setup(f, 0xf);
	assert_int_equal(flow_accept(f, 0, 0, 862), CTL_OK);
	fsrv_command(&f->s, out_of(&f->c, 32), 32, TWC_CMD_START_SESSIONS);
	fsrv_start_ack(&f->s, 2, f->buf);
	feed(&f->c, f->buf, 32, CTL_REFUSED);
	assert_string_equal(ctl_error(&f->c), "server refused to start the sessions (Accept 2: internal error)");
	ctl_free(&f->c);
	fsrv_free(&f->s);
	free(f);
}

/* A Start-N-Ack for fewer sessions than we have, and a refused Stop-N. */
static void test_nack_checks(void **state)
{
	struct flow *f = calloc(1, sizeof(*f));
	struct twc_nmsg *ack = calloc(1, sizeof(*ack));
	size_t len;

	(void)state;
	assert_non_null(f);
	assert_non_null(ack);
	base_cfg(&f->cfg, TWC_MODE_AUTH, 2);
	f->cfg.individual = true;
	flow_setup(f, 0x1f);
	assert_int_equal(flow_accept(f, 0, 0, 862), CTL_OK);
	assert_int_equal(flow_accept(f, 1, 0, 862), CTL_OK);
	fsrv_read_nmsg(&f->s, out_of(&f->c, TWC_NMSG_LEN(2)), TWC_NMSG_LEN(2),
		       TWC_CMD_START_N_SESSIONS);
	*ack = f->s.nmsg;
	ack->cmd = TWC_CMD_START_N_ACK;
	ack->n = 1;
	fsrv_nmsg(&f->s, ack, f->buf, sizeof(f->buf));
	feed(&f->c, f->buf, 16, CTL_PROTOCOL);
	assert_string_equal(ctl_error(&f->c), "Start-N-Ack names 1 sessions, we have 2");
	ctl_free(&f->c);
	fsrv_free(&f->s);

	memset(f, 0, sizeof(*f));
	base_cfg(&f->cfg, TWC_MODE_AUTH, 1);
	f->cfg.individual = true;
	flow_setup(f, 0x1f);
	assert_int_equal(flow_accept(f, 0, 0, 862), CTL_OK);
	fsrv_read_nmsg(&f->s, out_of(&f->c, TWC_NMSG_LEN(1)), TWC_NMSG_LEN(1),
		       TWC_CMD_START_N_SESSIONS);
	*ack = f->s.nmsg;
	ack->cmd = TWC_CMD_START_N_ACK;
	len = fsrv_nmsg(&f->s, ack, f->buf, sizeof(f->buf));
	feed(&f->c, f->buf, 16, CTL_OK);
	feed(&f->c, f->buf + 16, len - 16, CTL_OK);
	assert_int_equal(ctl_stop(&f->c, 0), CTL_OK);
	fsrv_read_nmsg(&f->s, out_of(&f->c, TWC_NMSG_LEN(1)), TWC_NMSG_LEN(1),
		       TWC_CMD_STOP_N_SESSIONS);
	ack->cmd = TWC_CMD_STOP_N_ACK;
	ack->accept = 5;
	len = fsrv_nmsg(&f->s, ack, f->buf, sizeof(f->buf));
	feed(&f->c, f->buf, 16, CTL_OK);
	feed(&f->c, f->buf + 16, len - 16, CTL_REFUSED);
	assert_non_null(strstr(ctl_error(&f->c), "Stop-N-Sessions (Accept 5"));
	ctl_free(&f->c);
	fsrv_free(&f->s);
	free(ack);
	free(f);
}

/* ---- RFC 7717 IKEv2-derived keys ----------------------------------------- */

static const uint8_t SPI_I[8] = { 0x1d, 0x2c, 0x3b, 0x4a, 0x59, 0x68, 0x77, 0x66 };
static const uint8_t SPI_R[8] = { 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

/* an HMAC-SHA2-384 SA's prf(SK_d, "IPPM"): 48 octets, NULs included */
static void ike_cfg(struct ctl_cfg *cfg, uint32_t security, uint8_t key[48])
{
	base_cfg(cfg, security, 1);
	for (int i = 0; i < 48; i++)
		key[i] = (uint8_t)(i * 7);
	cfg->ikev2 = true;
	ctl_ike_keyid(cfg->keyid, SPI_I, SPI_R);
	cfg->secret = key;
	cfg->secret_len = 48;
}

/* Greeting with 0x80 to the Set-Up-Response: Mode, KeyID = SPIs, Token
 * under the SA's key; then a session keyed from the Token. */
static void test_ikev2_setup(void **state)
{
	struct flow *f = calloc(1, sizeof(*f));
	uint8_t key[48], want[TWC_KEYID_LEN] = { 0 };
	struct tw_keys k;

	(void)state;
	assert_non_null(f);
	ike_cfg(&f->cfg, TWC_MODE_ENC, key);
	f->s.modes = 0x8f;
	f->s.count = 1024;
	f->s.secret = key;
	f->s.secret_len = sizeof(key);
	fsrv_greeting(&f->s, f->buf);
	assert_int_equal(ctl_init(&f->c, &f->cfg, &fixed_rnd), CTL_OK);
	feed(&f->c, f->buf, TWC_GREETING_LEN, CTL_OK);
	fsrv_setup(&f->s, out_of(&f->c, TWC_SETUP_LEN), TWC_SETUP_LEN); /* Token under key */
	assert_int_equal(f->s.mode, TWC_MODE_ENC | TWC_MODE_IKEV2);
	memcpy(want, SPI_I, 8);
	memcpy(want + 8, SPI_R, 8);
	assert_memory_equal(f->s.keyid, want, TWC_KEYID_LEN);
	fsrv_server_start(&f->s, 0, f->buf);
	feed(&f->c, f->buf, TWC_SERVER_START_LEN, CTL_OK);
	assert_int_equal(flow_accept(f, 0, 0, 862), CTL_OK);
	assert_int_equal(tw_keys_derive(f->c.sess[0].sid, fixed_rnd.aes, fixed_rnd.hmac, &k), 0);
	assert_memory_equal(&f->c.sess[0].keys, &k, sizeof(k));
	ctl_free(&f->c);
	assert_null(f->c.cfg.secret);
	fsrv_free(&f->s);
	free(f);
}

static void test_ikev2_not_offered(void **state)
{
	struct ctl_cfg cfg;
	struct ctl_client c;
	uint8_t key[48];

	(void)state;
	ike_cfg(&cfg, TWC_MODE_AUTH, key);
	assert_int_equal(greet(&c, &cfg, 0x7f, 1024), CTL_UNSUPPORTED);
	assert_string_equal(ctl_error(&c), "server does not offer IKEv2-derived keys (mode 0x80; "
			    "it offers: open, auth, enc, mixed, individual-session-control, "
			    "reflect-octets, symmetrical-size)");
	expect_decline(&c);
	/* the security mode is checked first */
	assert_int_equal(greet(&c, &cfg, 0x85, 1024), CTL_UNSUPPORTED);
	assert_non_null(strstr(ctl_error(&c), "does not offer auth mode"));
	/* the open mode has no secret to replace */
	base_cfg(&cfg, TWC_MODE_UNAUTH, 1);
	cfg.ikev2 = true;
	assert_int_equal(ctl_init(&c, &cfg, &fixed_rnd), CTL_INTERNAL);
	assert_string_equal(ctl_error(&c), "IKEv2-derived keys need auth, enc or mixed mode");
}

/* Server-Start Accept 6 (no SA for the SPIs) and Accept 1, in words. */
static void test_ikev2_refused(void **state)
{
	struct flow *f = calloc(1, sizeof(*f));
	uint8_t key[48];

	(void)state;
	assert_non_null(f);
	for (uint8_t accept = 1; accept <= 6; accept += 5) {
		memset(f, 0, sizeof(*f));
		ike_cfg(&f->cfg, TWC_MODE_AUTH, key);
		f->s.modes = 0x86;
		f->s.count = 1024;
		f->s.secret = key;
		f->s.secret_len = sizeof(key);
		fsrv_greeting(&f->s, f->buf);
		assert_int_equal(ctl_init(&f->c, &f->cfg, &fixed_rnd), CTL_OK);
		feed(&f->c, f->buf, TWC_GREETING_LEN, CTL_OK);
		fsrv_setup(&f->s, out_of(&f->c, TWC_SETUP_LEN), TWC_SETUP_LEN);
		fsrv_server_start(&f->s, accept, f->buf);
		feed(&f->c, f->buf, TWC_SERVER_START_LEN, CTL_REFUSED);
		assert_int_equal(f->c.accept, accept);
		assert_string_equal(ctl_error(&f->c), accept == 6
				    ? "server has no IKEv2 SA 1d2c3b4a59687766:8899aabbccddeeff for us "
				      "(Accept 6)"
				    : "authentication failed (Accept 1): the server did not accept the "
				      "IKEv2 SA's key");
		ctl_free(&f->c);
		fsrv_free(&f->s);
	}
	free(f);
}

/* ---- API misuse and text ----------------------------------------------- */

static void test_misuse(void **state)
{
	struct ctl_cfg cfg;
	struct ctl_client c;
	uint8_t g[64] = { 0 };

	(void)state;
	base_cfg(&cfg, TWC_MODE_AUTH | TWC_MODE_ENC, 1);
	assert_int_equal(ctl_init(&c, &cfg, &fixed_rnd), CTL_INTERNAL);
	base_cfg(&cfg, TWC_MODE_UNAUTH, 0);
	assert_int_equal(ctl_init(&c, &cfg, &fixed_rnd), CTL_INTERNAL);
	base_cfg(&cfg, TWC_MODE_AUTH, 1);
	cfg.secret_len = 0;
	assert_int_equal(ctl_init(&c, &cfg, &fixed_rnd), CTL_INTERNAL);
	base_cfg(&cfg, TWC_MODE_UNAUTH, 1);
	assert_int_equal(ctl_init(&c, &cfg, &fixed_rnd), CTL_OK);
	assert_int_equal(ctl_input(&c, g, 63), CTL_INTERNAL);
	assert_int_equal(ctl_init(&c, &cfg, &fixed_rnd), CTL_OK);
	assert_int_equal(ctl_stop(&c, 0), CTL_INTERNAL);
}

static void test_text(void **state)
{
	char buf[256];

	(void)state;
	assert_string_equal(ctl_accept_text(1), "failure, reason unspecified");
	assert_string_equal(ctl_accept_text(5), "temporary resource limitation");
	assert_string_equal(ctl_accept_text(200), "unknown Accept value");
	assert_string_equal(ctl_accept_text(6), "no IKEv2 SA for the KeyID");
	ctl_modes_text(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	ctl_modes_text(0x80000011, buf, sizeof(buf));
	assert_string_equal(buf, "open, individual-session-control, 0x80000000");
	ctl_modes_text(0x3ff, buf, 12);  /* truncated, still terminated */
	assert_int_equal(strlen(buf), 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_mode_A),
		cmocka_unit_test(test_replay_mode_E),
		cmocka_unit_test(test_tampered_accept_hmac),
		cmocka_unit_test(test_tampered_accept_body),
		cmocka_unit_test(test_tampered_server_start),
		cmocka_unit_test(test_tampered_start_ack),
		cmocka_unit_test(test_wrong_passphrase),
		cmocka_unit_test(test_modes_zero),
		cmocka_unit_test(test_count_limit),
		cmocka_unit_test(test_count_malformed),
		cmocka_unit_test(test_mode_not_offered),
		cmocka_unit_test(test_feature_not_offered),
		cmocka_unit_test(test_open_flow),
		cmocka_unit_test(test_individual_reflect_enc),
		cmocka_unit_test(test_mixed_has_no_test_keys),
		cmocka_unit_test(test_session_refused),
		cmocka_unit_test(test_accept_session_checks),
		cmocka_unit_test(test_start_refused),
		cmocka_unit_test(test_nack_checks),
		cmocka_unit_test(test_ikev2_setup),
		cmocka_unit_test(test_ikev2_not_offered),
		cmocka_unit_test(test_ikev2_refused),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
