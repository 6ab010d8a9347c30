/* Test support for the control state machine (see tctl.h). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tctl.h"

/* ---- fake dataplane ---- */

static int fake_find(struct fake_dp *f, const uint8_t sid[16])
{
	for (int i = 0; i < FAKE_MAX_SESS; i++)
		if (f->sess[i].used && memcmp(f->sess[i].s.sid, sid, 16) == 0)
			return i;
	return -1;
}

static bool same_tuple(const struct twr_api_session *a, const struct twr_api_session *b)
{
	return a->ipver == b->ipver && a->reflector_port == b->reflector_port &&
	       a->sender_port == b->sender_port &&
	       memcmp(a->reflector_addr, b->reflector_addr, 16) == 0 &&
	       memcmp(a->sender_addr, b->sender_addr, 16) == 0;
}

static int fake_add(struct fake_dp *f, const struct twr_api_session *s)
{
	int free_slot = -1;

	if (fake_find(f, s->sid) >= 0)
		return TWR_API_EEXIST;
	for (int i = 0; i < FAKE_MAX_SESS; i++) {
		if (f->sess[i].used && same_tuple(&f->sess[i].s, s))
			return TWR_API_EEXIST;
		if (!f->sess[i].used && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return TWR_API_ENOSPC;
	f->sess[free_slot].used = true;
	f->sess[free_slot].s = *s;
	f->sess[free_slot].state = (s->flags & TWR_SF_START_NOW) ? TWR_SS_ACTIVE : TWR_SS_INSTALLED;
	return TWR_API_OK;
}

static int fake_op(struct fake_dp *f, uint16_t op, const uint8_t *sid, void *out, size_t outlen)
{
	int i = fake_find(f, sid);

	if (i < 0)
		return TWR_API_ENOENT;
	switch (op) {
	case TWR_OP_START: f->sess[i].state = TWR_SS_ACTIVE; break;
	case TWR_OP_STOP: f->sess[i].state = TWR_SS_STOPPING; break;
	case TWR_OP_REMOVE: f->sess[i].used = false; break;
	case TWR_OP_COUNTERS: {
		struct twr_api_counters c = { .state = f->sess[i].state };

		assert_int_equal(outlen, sizeof(c));
		memcpy(out, &c, sizeof(c));
		break;
	}
	default: return TWR_API_EINVAL;
	}
	return TWR_API_OK;
}

static int fake_call(struct ctl_dp *dp, uint16_t op, const void *body, size_t blen, void *out,
		     size_t outlen)
{
	struct fake_dp *f = (struct fake_dp *)dp;
	struct fake_call *rec = f->ncalls < FAKE_MAX_CALLS ? &f->calls[f->ncalls++] : NULL;

	if (rec) {
		memset(rec, 0, sizeof(*rec));
		rec->op = op;
		if (op == TWR_OP_ADD) {
			assert_int_equal(blen, sizeof(rec->add));
			memcpy(&rec->add, body, sizeof(rec->add));
			memcpy(rec->sid, rec->add.sid, 16);
		} else if (blen >= 16) {
			memcpy(rec->sid, body, 16);
		}
	}
	if (f->down)
		return CTL_DP_DOWN;
	if (f->nscript > 0) {
		int st = f->script[0];

		memmove(f->script, f->script + 1, --f->nscript * sizeof(int));
		return st;
	}
	if (op == TWR_OP_ADD)
		return fake_add(f, body);
	if (op == TWR_OP_FLUSH) {
		memset(f->sess, 0, sizeof(f->sess));
		return TWR_API_OK;
	}
	return fake_op(f, op, body, out, outlen);
}

size_t fake_installed(const struct fake_dp *f)
{
	size_t n = 0;

	for (int i = 0; i < FAKE_MAX_SESS; i++)
		n += f->sess[i].used;
	return n;
}

/* ---- environment ---- */

static void env_random(void *arg, uint8_t *buf, size_t n)
{
	struct tenv *t = arg;

	for (size_t i = 0; i < n; i++)
		buf[i] = t->rnd_off < t->rnd_len ? t->rnd[t->rnd_off++] : ++t->rnd_next;
}

static uint64_t env_ntp(void *arg)
{
	return ((struct tenv *)arg)->ntp;
}

static uint64_t env_mono(void *arg)
{
	return ((struct tenv *)arg)->mono;
}

static void env_auth(void *arg, const struct ctl_ip *peer, bool ok)
{
	struct tenv *t = arg;

	(void)peer;
	if (ok)
		t->auth_ok++;
	else
		t->auth_fail++;
}

static void log_hook(void *arg, int level, const char *text)
{
	struct tenv *t = arg;

	(void)level;
	if (t->nlines < TENV_MAX_LINES)
		snprintf(t->lines[t->nlines++], CTL_LOG_TEXT_MAX, "%s", text);
}

static bool agent_offer(void *arg)
{
	return ((struct tenv *)arg)->agent.up;
}

static enum ka_status agent_lookup(void *arg, const uint8_t spi_i[KA_SPI_LEN],
				   const uint8_t spi_r[KA_SPI_LEN], struct ka_reply *out)
{
	struct fake_agent *a = &((struct tenv *)arg)->agent;

	a->lookups++;
	memcpy(a->spi_i, spi_i, KA_SPI_LEN);
	memcpy(a->spi_r, spi_r, KA_SPI_LEN);
	ka_reply_error(out, KA_LOOKUP_SPI, a->status);
	if (a->status != KA_OK)
		return a->status;
	*out = a->rep;
	memcpy(out->spi_i, spi_i, KA_SPI_LEN);
	memcpy(out->spi_r, spi_r, KA_SPI_LEN);
	return KA_OK;
}

void tenv_ike(struct tenv *t, const uint8_t *key, size_t len)
{
	struct fake_agent *a = &t->agent;

	assert_true(len <= KA_KEY_MAX);
	memset(a, 0, sizeof(*a));
	a->up = true;
	a->status = KA_OK;
	a->rep.type = KA_LOOKUP_SPI;
	a->rep.prf = 5; /* PRF_HMAC_SHA2_256 */
	a->rep.key_len = (uint8_t)len;
	memcpy(a->rep.key, key, len);
	a->rep.local = (struct ka_addr){ .family = 4, .a = { 10, 99, 1, 2 } };
	a->rep.remote = (struct ka_addr){ .family = 4, .a = { 10, 99, 1, 1 } };
	strcpy(a->rep.remote_id, "client.test");
	t->env.ike_offer = agent_offer;
	t->env.ike_lookup = agent_lookup;
}

static const uint8_t DUMMY[32] = { 0xd0, 0xd1 };

void tenv_init(struct tenv *t)
{
	struct ctl_server_cfg *sv = &t->cfg.server;

	memset(t, 0, sizeof(*t));
	sv->admin_state = true;
	sv->tcp_port = 862;
	sv->servwait_s = 900;
	sv->count = 10;
	sv->max_count_exponent = 20;
	sv->modes = CTL_MODES_SUPPORTED;
	sv->test_port_min = 49152;
	sv->test_port_max = 65535;
	sv->test_timeout_ms = 2000;
	sv->refwait_s = 900;
	sv->max_connections = 64;
	sv->max_conn_per_client = 8;
	sv->max_pending_auth = 16;
	sv->auth_timeout_s = 30;
	sv->max_sessions_per_conn = 4;
	t->cfg.nkeys = 1;
	strcpy(t->cfg.keys[0].key_id, "testuser");
	t->cfg.keys[0].id_len = 8;
	memcpy(t->cfg.keys[0].secret, "interop-passphrase", 18);
	t->cfg.keys[0].secret_len = 18;
	t->ports = calloc(1, sizeof(*t->ports));
	assert_non_null(t->ports);
	t->fdp.dp.call = fake_call;
	t->log.hook = log_hook;
	t->log.hook_arg = t;
	t->ntp = 0xeead068700000000ull;
	t->mono = 1000000;
	t->env = (struct ctl_conn_env){
		.cfg = &t->cfg, .dp = &t->fdp.dp, .ports = t->ports, .ctr = &t->ctr, .log = &t->log,
		.start_time = 0xeead066086ecaeeaull, .dummy_secret = DUMMY,
		.dummy_len = sizeof(DUMMY), .random = env_random, .ntp_now = env_ntp,
		.mono_ms = env_mono, .auth_result = env_auth, .arg = t,
	};
}

void tenv_fini(struct tenv *t)
{
	free(t->ports);
	t->ports = NULL;
}

void tenv_random(struct tenv *t, const uint8_t *p, size_t n)
{
	if (t->rnd_len > sizeof(t->rnd) || n > sizeof(t->rnd) - t->rnd_len) {
		fail_msg("tenv_random: %zu more octets do not fit", n);
		return; /* (fail_msg does not return; this tells the compiler) */
	}
	memcpy(t->rnd + t->rnd_len, p, n);
	t->rnd_len += n;
}

int tenv_log_find(const struct tenv *t, const char *s)
{
	for (size_t i = 0; i < t->nlines; i++)
		if (strstr(t->lines[i], s))
			return (int)i;
	return -1;
}

struct ctl_ip tip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ctl_ip ip = { .ver = 4, .a = { a, b, c, d } };

	return ip;
}

struct ctl_ip tip6(const char *text)
{
	struct ctl_ip ip = { .ver = 6 };

	assert_int_equal(inet_pton(AF_INET6, text, ip.a), 1);
	return ip;
}

struct ctl_conn *tconn_new(struct tenv *t)
{
	struct ctl_ip peer = tip4(10, 99, 1, 1), local = tip4(10, 99, 1, 2);
	struct ctl_conn *c = ctl_conn_new(&t->env, &peer, 40000, &local, 862);

	assert_non_null(c);
	return c;
}

size_t tconn_pending(const struct ctl_conn *c)
{
	size_t n;

	ctl_conn_output(c, &n);
	return n;
}

void tconn_take(struct ctl_conn *c, uint8_t *out, size_t n)
{
	size_t have;
	const uint8_t *p = ctl_conn_output(c, &have);

	assert_int_equal(have, n);
	memcpy(out, p, n);
	ctl_conn_sent(c, n);
}

/* ---- client ---- */

void tclient_setup(struct tclient *tc, const uint8_t greeting[TWC_GREETING_LEN], uint32_t mode,
		   const char *keyid, const char *secret, uint8_t out[TWC_SETUP_LEN])
{
	uint8_t id[TWC_KEYID_LEN] = { 0 };

	if (keyid)
		memcpy(id, keyid, strlen(keyid));
	tclient_setup_raw(tc, greeting, mode, id, (const uint8_t *)secret,
			  secret ? strlen(secret) : 0, out);
}

void tclient_setup_raw(struct tclient *tc, const uint8_t greeting[TWC_GREETING_LEN],
		       uint32_t mode, const uint8_t keyid[TWC_KEYID_LEN], const uint8_t *secret,
		       size_t secret_len, uint8_t out[TWC_SETUP_LEN])
{
	struct twc_greeting g;
	struct twc_setup s = { .mode = mode };

	memset(tc, 0, sizeof(*tc));
	tc->mode = mode;
	assert_int_equal(twc_greeting_dec(greeting, TWC_GREETING_LEN, &g), TWC_OK);
	for (int i = 0; i < 16; i++)
		tc->aes[i] = (uint8_t)(0x40 + i), tc->civ[i] = (uint8_t)(0x60 + i);
	for (int i = 0; i < 32; i++)
		tc->hmac[i] = (uint8_t)(0x80 + i);
	memcpy(s.keyid, keyid, TWC_KEYID_LEN);
	if (twc_mode_secured(mode))
		assert_int_equal(twc_token_make(secret, secret_len, g.salt, g.count, g.challenge,
						tc->aes, tc->hmac, s.token),
				 TWC_OK);
	memcpy(s.client_iv, tc->civ, 16);
	assert_int_equal(twc_setup_enc(&s, out, TWC_SETUP_LEN), TWC_OK);
}

uint8_t tclient_server_start(struct tclient *tc, uint8_t ss[TWC_SERVER_START_LEN])
{
	struct twc_server_start m;

	if (ss[15] != 0)
		return ss[15];
	tc->cc = twc_ctl_crypto_new(tc->mode, tc->aes, tc->hmac, tc->civ, ss + 16);
	assert_non_null(tc->cc);
	if (twc_mode_secured(tc->mode))
		assert_int_equal(twc_open_server_start(tc->cc, ss), TWC_OK);
	assert_int_equal(twc_server_start_dec(ss, TWC_SERVER_START_LEN, &m), TWC_OK);
	return m.accept;
}

void tclient_seal(struct tclient *tc, uint8_t *msg, size_t len)
{
	assert_int_equal(twc_seal(tc->cc, TWC_C2S, msg, len), TWC_OK);
}

int tclient_open(struct tclient *tc, uint8_t *msg, size_t len)
{
	return twc_open(tc->cc, TWC_S2C, msg, len);
}

void tclient_free(struct tclient *tc)
{
	twc_ctl_crypto_free(tc->cc);
	tc->cc = NULL;
}

struct ctl_conn *tconn_ready(struct tenv *t, struct tclient *tc, uint32_t mode)
{
	uint8_t greet[TWC_GREETING_LEN], setup[TWC_SETUP_LEN], ss[TWC_SERVER_START_LEN];
	struct ctl_conn *c = tconn_new(t);

	tconn_take(c, greet, sizeof(greet));
	tclient_setup(tc, greet, mode, "testuser", "interop-passphrase", setup);
	assert_true(ctl_conn_input(c, setup, sizeof(setup)));
	tconn_take(c, ss, sizeof(ss));
	assert_int_equal(tclient_server_start(tc, ss), 0);
	assert_int_equal(c->state, CTL_CS_REQUEST);
	return c;
}

bool tconn_cmd(struct ctl_conn *c, struct tclient *tc, uint8_t *msg, size_t len)
{
	tclient_seal(tc, msg, len);
	return ctl_conn_input(c, msg, len);
}

struct twc_request treq_default(void)
{
	struct twc_request r = { .ipvn = 4, .sender_port = 40001, .receiver_port = 50000,
				 .padding_len = 64 };

	return r;
}

uint8_t tconn_request(struct ctl_conn *c, struct tclient *tc, const struct twc_request *r,
		      struct twc_accept_session *as)
{
	uint8_t msg[TWC_REQUEST_LEN], rep[TWC_ACCEPT_SESSION_LEN];

	assert_int_equal(twc_request_enc(r, msg, sizeof(msg)), TWC_OK);
	assert_true(tconn_cmd(c, tc, msg, sizeof(msg)));
	tconn_take(c, rep, sizeof(rep));
	assert_int_equal(tclient_open(tc, rep, sizeof(rep)), TWC_OK);
	assert_int_equal(twc_accept_session_dec(rep, sizeof(rep), as), TWC_OK);
	return as->accept;
}
