/* libFuzzer target: twamp-controld's connection state machine
 * (control/ctl_conn.h) on hostile input, with a fake dataplane that keeps
 * a session table like the real one, fixed random values and clocks.
 *
 * Input: byte 0 selects, the rest is what the client sends.
 *   bits 0-1  security mode: unauthenticated, authenticated, encrypted,
 *             mixed
 *   bit 2     individual session control (RFC 5938)
 *   bit 3     reflect octets, bit 4 symmetrical size (RFC 6038)
 *   bit 5     raw: the rest goes in as it is from the first octet on
 *             (Set-Up-Response included), cut in chunks of (byte % 61) + 1
 *             octets given by the input itself
 *   bit 6     the dataplane refuses or fails now and then
 *   bit 7     raw off: the first Set-Up-Response names an unknown KeyID;
 *             raw on: a key agent is there, so IKEv2Derived (0x80) is
 *             offered; a lookup answers by SPIi octet 0 (mod 8: the key,
 *             the fixed secret, for the SA's peer = the control peer when
 *             SPIi octet 1 is even; or a status NO_SA ... NO_AGENT)
 *
 * Raw off: the harness completes the handshake as a real client would
 * (Token under the fixed secret), then reads the rest as plaintext
 * commands, one after the other, each as long as its first block says
 * (twc_peek; 32 octets for a block that starts no known command; zeros
 * when the input runs out), and seals each (HMAC and CBC, in the secured
 * modes) like a real client before it goes in, so that random plaintext
 * reaches every command handler through an authentic stream.
 *
 * Properties (abort on violation): the server's queued output never
 * exceeds CTL_OUT_MAX; after a sealed record the server either closes or
 * answers with exactly the reply that command calls for, which must open
 * (HMAC verifies) on the client's side; the dataplane never holds a
 * session the server forgot, once the connection is freed (every session
 * is either removed or stopped); the key agent is asked at most once per
 * connection, and only for non-zero SPIs. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control_crypto.h"
#include "control_msg.h"
#include "ctl_conn.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAXS 32

/* ---- fake dataplane ---- */
struct fdp {
	struct ctl_dp dp;
	bool flaky;
	unsigned calls;
	struct {
		bool used;
		uint8_t sid[16];
		uint8_t state;
	} s[MAXS];
};

static int fdp_find(struct fdp *f, const uint8_t *sid)
{
	for (int i = 0; i < MAXS; i++)
		if (f->s[i].used && memcmp(f->s[i].sid, sid, 16) == 0)
			return i;
	return -1;
}

static int fdp_call(struct ctl_dp *dp, uint16_t op, const void *body, size_t blen, void *out,
		    size_t outlen)
{
	struct fdp *f = (struct fdp *)dp;
	int i;

	f->calls++;
	if (f->flaky && f->calls % 5 == 0)
		return f->calls % 10 == 0 ? CTL_DP_DOWN : TWR_API_EAGAIN;
	if (op == TWR_OP_ADD) {
		const struct twr_api_session *a = body;

		CHECK(blen == sizeof(*a));
		if (fdp_find(f, a->sid) >= 0)
			return TWR_API_EEXIST;
		for (i = 0; i < MAXS && f->s[i].used; i++)
			;
		if (i == MAXS)
			return TWR_API_ENOSPC;
		f->s[i].used = true;
		memcpy(f->s[i].sid, a->sid, 16);
		f->s[i].state = TWR_SS_INSTALLED;
		return TWR_API_OK;
	}
	CHECK(blen == 16);
	i = fdp_find(f, body);
	if (i < 0)
		return TWR_API_ENOENT;
	switch (op) {
	case TWR_OP_START: f->s[i].state = TWR_SS_ACTIVE; break;
	case TWR_OP_STOP: f->s[i].state = TWR_SS_STOPPING; break;
	case TWR_OP_REMOVE: f->s[i].used = false; break;
	case TWR_OP_COUNTERS:
		CHECK(outlen == sizeof(struct twr_api_counters));
		memset(out, 0, outlen);
		break;
	default: abort();
	}
	return TWR_API_OK;
}

/* ---- environment ---- */
static uint8_t rnd_ctr;

static void env_random(void *arg, uint8_t *buf, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n; i++)
		buf[i] = ++rnd_ctr;
}

static uint64_t env_ntp(void *arg)
{
	(void)arg;
	return 0xeead068700000000ull;
}

static uint64_t env_mono(void *arg)
{
	(void)arg;
	return 1000;
}

static const char SECRET[] = "interop-passphrase";

/* ---- fake key agent (raw mode, bit 7) ---- */
static unsigned lookups;

static bool agent_offer(void *arg)
{
	(void)arg;
	return true;
}

static enum ka_status agent_lookup(void *arg, const uint8_t spi_i[KA_SPI_LEN],
				   const uint8_t spi_r[KA_SPI_LEN], struct ka_reply *out)
{
	static const uint8_t zero[KA_SPI_LEN];
	enum ka_status st = (enum ka_status)(spi_i[0] % 8);

	(void)arg;
	lookups++;
	CHECK(memcmp(spi_i, zero, KA_SPI_LEN) && memcmp(spi_r, zero, KA_SPI_LEN));
	ka_reply_error(out, KA_LOOKUP_SPI, st);
	if (st != KA_OK)
		return st;
	out->prf = 5;
	out->key_len = sizeof(SECRET) - 1;
	memcpy(out->key, SECRET, sizeof(SECRET) - 1);
	out->remote = (struct ka_addr){ .family = 4, .a = { 10, 99, 1, (spi_i[1] & 1) ? 9 : 1 } };
	return KA_OK;
}
static const uint8_t DUMMY[32] = { 1 };

static void make_cfg(struct ctl_config *cfg, uint8_t sel)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->server.count = 10;
	cfg->server.modes = CTL_MODES_SUPPORTED;
	cfg->server.test_port_min = 50000;
	cfg->server.test_port_max = 50007;
	cfg->server.test_timeout_ms = 2000;
	cfg->server.refwait_s = 900;
	cfg->server.servwait_s = 900;
	cfg->server.max_sessions_per_conn = (sel & 0x40) ? 3 : 16;
	cfg->server.allow_other_test_peer = sel & 0x10;
	cfg->nkeys = 1;
	memcpy(cfg->keys[0].key_id, "testuser", 8);
	cfg->keys[0].id_len = 8;
	memcpy(cfg->keys[0].secret, SECRET, sizeof(SECRET) - 1);
	cfg->keys[0].secret_len = sizeof(SECRET) - 1;
}

static uint32_t mode_of(uint8_t sel)
{
	static const uint32_t sec[4] = { TWC_MODE_UNAUTH, TWC_MODE_AUTH, TWC_MODE_ENC,
					 TWC_MODE_MIXED };

	return sec[sel & 3] | ((sel & 0x04) ? TWC_MODE_ISC : 0) |
	       ((sel & 0x08) ? TWC_MODE_REFLECT_OCTETS : 0) |
	       ((sel & 0x10) ? TWC_MODE_SYMMETRICAL : 0);
}

/* ---- the client side ---- */
struct client {
	uint32_t mode;
	struct twc_ctl_crypto *cc;
};

static void take(struct ctl_conn *c, uint8_t *out, size_t n)
{
	size_t have;
	const uint8_t *p = ctl_conn_output(c, &have);

	CHECK(have <= CTL_OUT_MAX);
	CHECK(have == n);
	if (n)
		memcpy(out, p, n);
	ctl_conn_sent(c, n);
}

/* Greeting → Set-Up-Response → Server-Start; false if the server closed. */
static bool handshake(struct ctl_conn *c, struct client *cl, uint32_t mode, bool unknown_key)
{
	uint8_t greet[TWC_GREETING_LEN], buf[TWC_SETUP_LEN], ss[TWC_SERVER_START_LEN];
	uint8_t aes[16] = { 1 }, hmac[32] = { 2 }, civ[16] = { 3 };
	struct twc_greeting g;
	struct twc_setup s = { .mode = mode };

	take(c, greet, sizeof(greet));
	CHECK(twc_greeting_dec(greet, sizeof(greet), &g) == TWC_OK);
	memcpy(s.keyid, unknown_key ? "nobody" : "testuser", unknown_key ? 6 : 8);
	if (twc_mode_secured(mode))
		CHECK(twc_token_make((const uint8_t *)SECRET, sizeof(SECRET) - 1, g.salt, g.count,
				     g.challenge, aes, hmac, s.token) == TWC_OK);
	memcpy(s.client_iv, civ, 16);
	CHECK(twc_setup_enc(&s, buf, sizeof(buf)) == TWC_OK);
	ctl_conn_input(c, buf, sizeof(buf));
	take(c, ss, sizeof(ss));
	if (ss[15] != 0) {
		CHECK(ctl_conn_closing(c));
		CHECK(unknown_key);
		return false;
	}
	cl->mode = mode;
	cl->cc = twc_ctl_crypto_new(mode, aes, hmac, civ, ss + 16);
	CHECK(cl->cc);
	if (twc_mode_secured(mode))
		CHECK(twc_open_server_start(cl->cc, ss) == TWC_OK);
	return true;
}

/* The reply length a command the server took calls for (0: none). */
static size_t reply_len(const uint8_t *plain, size_t len)
{
	switch (plain[0]) {
	case TWC_CMD_REQUEST_TW_SESSION: return TWC_ACCEPT_SESSION_LEN;
	case TWC_CMD_START_SESSIONS: return TWC_START_ACK_LEN;
	case TWC_CMD_START_N_SESSIONS:
	case TWC_CMD_STOP_N_SESSIONS: return len;
	default: return 0;
	}
}

static void sealed_records(struct ctl_conn *c, struct client *cl, const uint8_t *d, size_t n)
{
	static uint8_t msg[TWC_NMSG_MAX_LEN], reply[TWC_NMSG_MAX_LEN];

	while (n > 0 && !ctl_conn_closing(c)) {
		size_t len = 2 * TWC_BLOCK, k, want;
		uint8_t cmd;

		memset(msg, 0, sizeof(msg));
		memcpy(msg, d, n < TWC_BLOCK ? n : TWC_BLOCK);
		if (twc_peek(msg, &cmd, &len) != TWC_OK)
			len = 2 * TWC_BLOCK;
		k = n < len ? n : len;
		memcpy(msg, d, k);
		d += k, n -= k;
		want = reply_len(msg, len);
		CHECK(twc_seal(cl->cc, TWC_C2S, msg, len) == TWC_OK);
		ctl_conn_input(c, msg, len);
		if (ctl_conn_closing(c))
			return;
		take(c, reply, want); /* exactly the reply, which must open */
		if (want)
			CHECK(twc_open(cl->cc, TWC_S2C, reply, want) == TWC_OK);
	}
}

static void raw_chunks(struct ctl_conn *c, const uint8_t *d, size_t n)
{
	while (n > 0 && !ctl_conn_closing(c)) {
		size_t k = (size_t)(d[0] % 61) + 1, have;

		if (k > n)
			k = n;
		ctl_conn_input(c, d, k);
		d += k, n -= k;
		ctl_conn_output(c, &have);
		CHECK(have <= CTL_OUT_MAX);
		ctl_conn_sent(c, have);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_config cfg;
	static struct ctl_ports ports;
	struct ctl_counters ctr = { { 0 } };
	struct fdp f = { .dp.call = fdp_call };
	struct ctl_conn_env env = {
		.cfg = &cfg, .dp = &f.dp, .ports = &ports, .ctr = &ctr, .log = NULL,
		.start_time = 1, .dummy_secret = DUMMY, .dummy_len = sizeof(DUMMY),
		.random = env_random, .ntp_now = env_ntp, .mono_ms = env_mono, .arg = NULL,
	};
	struct ctl_ip peer = { .ver = 4, .a = { 10, 99, 1, 1 } }, local = { .ver = 4, .a = { 10, 99, 1, 2 } };
	struct client cl = { 0 };
	struct ctl_conn *c;
	uint8_t sel;

	if (size < 1)
		return 0;
	sel = data[0];
	make_cfg(&cfg, sel);
	memset(&ports, 0, sizeof(ports));
	f.flaky = sel & 0x40;
	rnd_ctr = 0;
	lookups = 0;
	if ((sel & 0x20) && (sel & 0x80)) {
		cfg.server.ike_check_peer = true;
		env.ike_offer = agent_offer;
		env.ike_lookup = agent_lookup;
	}
	c = ctl_conn_new(&env, &peer, 40000, &local, 862);
	CHECK(c);
	if (sel & 0x20) {
		raw_chunks(c, data + 1, size - 1);
		CHECK(lookups <= 1);
	} else if (handshake(c, &cl, mode_of(sel), sel & 0x80)) {
		sealed_records(c, &cl, data + 1, size - 1);
		/* the server's view: every session it holds is in the dataplane */
		for (size_t i = 0; i < c->nsess; i++)
			CHECK(fdp_find(&f, c->sess[i].sid) >= 0 || f.flaky);
	}
	ctl_conn_free(c, "fuzz");
	for (int i = 0; i < MAXS; i++) /* nothing left but stopping sessions */
		CHECK(!f.s[i].used || f.s[i].state == TWR_SS_STOPPING || f.flaky);
	for (uint32_t p = 0; p < 65536; p++)
		CHECK(ports.refs[p] == 0);
	twc_ctl_crypto_free(cl.cc);
	return 0;
}
