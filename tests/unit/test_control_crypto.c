/* TWAMP-Control session crypto (control_crypto.h): docs/protocol.md §11.3 KATs,
 * the CBC chain and running HMACs against OpenSSL one-shot oracles, and
 * the captured twping/twampd exchanges (modes A and E, wrong passphrase):
 * every control message opened, verified and decoded, then the messages
 * re-encoded and re-sealed from the decoded fields, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control_crypto.h"
#include "control_msg.h"
#include "tdata.h"
#include "tw_crypto.h"
#include "twping_ctl.h"

/* PS unit-test constants (docs/protocol.md §11.3) */
static const char PASS[] = "this is the passphrase";
static const uint8_t *SALT = (const uint8_t *)"some funny saltT";
static const uint8_t *CHALLENGE = (const uint8_t *)"just a challenge";

static void seq_bytes(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void expect_hex(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[128];

	assert_int_equal(hex2bin(hex, want, sizeof(want)), n);
	assert_memory_equal(got, want, n);
}

/* the §11.3 session keys (AES 00..0f, HMAC 10..2f) and two IVs */
struct keys {
	uint8_t aes[16], hmac[32], civ[16], siv[16];
};

static struct keys kat_keys(void)
{
	struct keys k;

	seq_bytes(k.aes, 16, 0x00);
	seq_bytes(k.hmac, 32, 0x10);
	seq_bytes(k.civ, 16, 0x80);
	seq_bytes(k.siv, 16, 0x90);
	return k;
}

static struct twc_ctl_crypto *new_ctl(uint32_t mode, const struct keys *k)
{
	struct twc_ctl_crypto *c = twc_ctl_crypto_new(mode, k->aes, k->hmac, k->civ, k->siv);

	assert_non_null(c);
	return c;
}

static void hmac_oracle(const struct keys *k, const uint8_t *data, size_t n, uint8_t out[16])
{
	assert_int_equal(tw_hmac16(k->hmac, 32, data, n, out), 0);
}

/* ---- KATs ------------------------------------------------------------ */

static void test_token_kat(void **state)
{
	struct keys k = kat_keys();
	uint8_t tok[64], aes[16], hmac[32];
	size_t plen = strlen(PASS);
	const uint8_t *pass = (const uint8_t *)PASS;

	(void)state;
	assert_int_equal(twc_token_make(pass, plen, SALT, 1024, CHALLENGE, k.aes, k.hmac, tok), TWC_OK);
	expect_hex(tok, 64, "b020efef4c59c57eaa2548694e8fd55b1b5948d6a71fe71b260edc55aec4fb18"
			    "7138db3a6ff128e07f37eea83f006a29ff7eefda07726fcb1e9617ba18a1a6b8");
	assert_int_equal(twc_token_check(pass, plen, SALT, 1024, tok, CHALLENGE, aes, hmac), TWC_OK);
	assert_memory_equal(aes, k.aes, 16);
	assert_memory_equal(hmac, k.hmac, 32);

	/* another challenge, passphrase or count: refused, keys zeroed */
	memset(aes, 0xaa, 16);
	memset(hmac, 0xaa, 32);
	assert_int_equal(twc_token_check(pass, plen, SALT, 1024, tok,
					 (const uint8_t *)"just a chaLlenge", aes, hmac), TWC_E_CHALLENGE);
	assert_memory_equal(aes, (uint8_t[16]){ 0 }, 16);
	assert_memory_equal(hmac, (uint8_t[32]){ 0 }, 32);
	assert_int_equal(twc_token_check(pass, plen - 1, SALT, 1024, tok, CHALLENGE, aes, hmac),
			 TWC_E_CHALLENGE);
	assert_int_equal(twc_token_check(pass, plen, SALT, 2048, tok, CHALLENGE, aes, hmac),
			 TWC_E_CHALLENGE);
	assert_int_equal(twc_token_check(pass, plen, SALT, 1023, tok, CHALLENGE, aes, hmac),
			 TWC_E_COUNT);
	assert_int_equal(twc_token_make(pass, plen, SALT, 0x80000000u, CHALLENGE, k.aes, k.hmac, tok),
			 TWC_E_COUNT);
}

/* docs/protocol.md §11.3: Start-Sessions with a fresh context */
static void test_start_sessions_hmac_kat(void **state)
{
	struct keys k = kat_keys();
	struct twc_ctl_crypto *c = new_ctl(TWC_MODE_AUTH, &k);
	uint8_t wire[TWC_START_LEN], plain[TWC_START_LEN];

	(void)state;
	assert_true(twc_ctl_crypto_secured(c));
	assert_int_equal(twc_start_enc(wire, sizeof(wire)), TWC_OK);
	assert_int_equal(twc_seal(c, TWC_C2S, wire, sizeof(wire)), TWC_OK);
	cbc_decrypt(k.aes, k.civ, wire, plain, sizeof(wire));
	assert_int_equal(plain[0], 2);
	assert_memory_equal(plain + 1, (uint8_t[15]){ 0 }, 15);
	expect_hex(plain + 16, 16, "6493444798ad093b8b60650d555bfdbf");
	twc_ctl_crypto_free(c);
}

/* ---- the streams against one-shot oracles ----------------------------- */

/* Request-TW-Session, Start-Sessions, Stop-Sessions sealed one by one are
 * one CBC chain from the Client-IV, each HMAC over its own octets. */
static void test_client_stream(void **state)
{
	struct keys k = kat_keys();
	struct twc_ctl_crypto *tx = new_ctl(TWC_MODE_ENC, &k), *rx = new_ctl(TWC_MODE_ENC, &k);
	struct twc_request rq = { .ipvn = 4, .sender_port = 50001, .receiver_port = 862,
				  .padding_len = 64, .timeout = 2ull << 32 };
	struct twc_stop st = { .nsessions = 1 };
	uint8_t wire[176], plain[176], oracle[176], mac[16];

	(void)state;
	assert_int_equal(twc_request_enc(&rq, plain, 112), TWC_OK);
	assert_int_equal(twc_start_enc(plain + 112, 32), TWC_OK);
	assert_int_equal(twc_stop_enc(&st, plain + 144, 32), TWC_OK);
	memcpy(wire, plain, sizeof(wire));
	assert_int_equal(twc_seal(tx, TWC_C2S, wire, 112), TWC_OK);
	assert_int_equal(twc_seal(tx, TWC_C2S, wire + 112, 32), TWC_OK);
	assert_int_equal(twc_seal(tx, TWC_C2S, wire + 144, 32), TWC_OK);

	cbc_decrypt(k.aes, k.civ, wire, oracle, sizeof(wire));
	assert_memory_equal(oracle, plain, 96);
	hmac_oracle(&k, plain, 96, mac);
	assert_memory_equal(oracle + 96, mac, 16);
	hmac_oracle(&k, plain + 112, 16, mac);
	assert_memory_equal(oracle + 128, mac, 16);
	hmac_oracle(&k, plain + 144, 16, mac);
	assert_memory_equal(oracle + 160, mac, 16);

	assert_int_equal(twc_open(rx, TWC_C2S, wire, 112), TWC_OK);
	assert_int_equal(twc_open(rx, TWC_C2S, wire + 112, 32), TWC_OK);
	assert_int_equal(twc_open(rx, TWC_C2S, wire + 144, 32), TWC_OK);
	assert_memory_equal(wire, oracle, sizeof(wire));
	twc_ctl_crypto_free(tx);
	twc_ctl_crypto_free(rx);
}

/* Server-Start octets 32-47 open the server stream and are folded into the
 * first server HMAC, and only into that one. */
static void test_server_stream_fold(void **state)
{
	struct keys k = kat_keys();
	struct twc_ctl_crypto *tx = new_ctl(TWC_MODE_AUTH, &k), *rx = new_ctl(TWC_MODE_AUTH, &k);
	struct twc_ctl_crypto *nofold = new_ctl(TWC_MODE_AUTH, &k);
	struct twc_server_start ss = { .start_time = 0xe800000080000000ull };
	struct twc_accept_session as = { .port = 0x498a };
	uint8_t ssw[48], wire[80], plain[96], oracle[96], mac[16];

	(void)state;
	memcpy(ss.server_iv, k.siv, 16);
	seq_bytes(as.sid, 16, 0x70);
	assert_int_equal(twc_server_start_enc(&ss, ssw, sizeof(ssw)), TWC_OK);
	memcpy(plain, ssw + 32, 16);
	assert_int_equal(twc_accept_session_enc(&as, plain + 16, 48), TWC_OK);
	assert_int_equal(twc_start_ack_enc(0, plain + 64, 32), TWC_OK);
	memcpy(wire, plain + 16, sizeof(wire));
	assert_int_equal(twc_seal_server_start(tx, ssw), TWC_OK);
	assert_int_equal(twc_seal(tx, TWC_S2C, wire, 48), TWC_OK);
	assert_int_equal(twc_seal(tx, TWC_S2C, wire + 48, 32), TWC_OK);
	assert_memory_equal(ssw + 16, k.siv, 16);            /* clear part untouched */

	memcpy(oracle, ssw + 32, 16);
	memcpy(oracle + 16, wire, sizeof(wire));
	cbc_decrypt(k.aes, k.siv, oracle, oracle, sizeof(oracle));
	assert_memory_equal(oracle, plain, 16 + 32);
	hmac_oracle(&k, plain, 48, mac);                      /* SS block ‖ Accept 0-31 */
	assert_memory_equal(oracle + 48, mac, 16);
	hmac_oracle(&k, plain + 64, 16, mac);                 /* Start-Ack: fresh */
	assert_memory_equal(oracle + 80, mac, 16);

	uint8_t ssr[48], w2[80];

	memcpy(ssr, ssw, 48);
	memcpy(w2, wire, sizeof(w2));
	assert_int_equal(twc_open_server_start(rx, ssr), TWC_OK);
	assert_memory_equal(ssr + 32, plain, 16);
	assert_int_equal(twc_open(rx, TWC_S2C, w2, 48), TWC_OK);
	assert_int_equal(twc_open(rx, TWC_S2C, w2 + 48, 32), TWC_OK);
	assert_memory_equal(w2, oracle + 16, sizeof(w2));

	/* a reader that decrypts the block without folding it fails */
	memcpy(ssr, ssw, 48);
	memcpy(w2, wire, sizeof(w2));
	assert_int_equal(twc_decrypt(nofold, TWC_S2C, ssr + 32, ssr + 32, 16), TWC_OK);
	assert_int_equal(twc_open(nofold, TWC_S2C, w2, 48), TWC_E_HMAC);
	twc_ctl_crypto_free(tx);
	twc_ctl_crypto_free(rx);
	twc_ctl_crypto_free(nofold);
}

/* Any flipped bit in any block of a message, or in the Server-Start block
 * before it, fails the HMAC. */
static void test_tamper(void **state)
{
	struct keys k = kat_keys();
	struct twc_ctl_crypto *tx = new_ctl(TWC_MODE_ENC, &k);
	struct twc_server_start ss = { 0 };
	uint8_t ssw[48], acc[48];

	(void)state;
	memcpy(ss.server_iv, k.siv, 16);
	assert_int_equal(twc_server_start_enc(&ss, ssw, sizeof(ssw)), TWC_OK);
	assert_int_equal(twc_accept_session_enc(&(struct twc_accept_session){ .port = 1 }, acc,
						sizeof(acc)), TWC_OK);
	assert_int_equal(twc_seal_server_start(tx, ssw), TWC_OK);
	assert_int_equal(twc_seal(tx, TWC_S2C, acc, sizeof(acc)), TWC_OK);
	for (size_t i = 32; i < 48 + 48; i++) {
		struct twc_ctl_crypto *rx = new_ctl(TWC_MODE_ENC, &k);
		uint8_t s[48], a[48];

		memcpy(s, ssw, 48);
		memcpy(a, acc, 48);
		if (i < 48)
			s[i] ^= 0x01;
		else
			a[i - 48] ^= 0x80;
		assert_int_equal(twc_open_server_start(rx, s), TWC_OK);
		assert_int_equal(twc_open(rx, TWC_S2C, a, 48), TWC_E_HMAC);
		twc_ctl_crypto_free(rx);
	}
	/* another HMAC key */
	k.hmac[31] ^= 1;
	struct twc_ctl_crypto *rx = new_ctl(TWC_MODE_ENC, &k);

	assert_int_equal(twc_open_server_start(rx, ssw), TWC_OK);
	assert_int_equal(twc_open(rx, TWC_S2C, acc, 48), TWC_E_HMAC);
	twc_ctl_crypto_free(rx);
	twc_ctl_crypto_free(tx);
}

/* The running context: pieces add up, every finish/verify starts afresh
 * (also after a failed verify). */
static void test_mac_running(void **state)
{
	struct keys k = kat_keys();
	struct twc_ctl_crypto *c = new_ctl(TWC_MODE_MIXED, &k);
	uint8_t empty[16], abc[16], tag[16];

	(void)state;
	hmac_oracle(&k, (const uint8_t *)"", 0, empty);
	hmac_oracle(&k, (const uint8_t *)"abcdef", 6, abc);
	assert_int_equal(twc_mac_finish(c, TWC_S2C, tag), TWC_OK);
	assert_memory_equal(tag, empty, 16);
	assert_int_equal(twc_mac_add(c, TWC_S2C, (const uint8_t *)"abc", 3), TWC_OK);
	assert_int_equal(twc_mac_add(c, TWC_S2C, (const uint8_t *)"def", 3), TWC_OK);
	assert_int_equal(twc_mac_finish(c, TWC_S2C, tag), TWC_OK);
	assert_memory_equal(tag, abc, 16);
	assert_int_equal(twc_mac_finish(c, TWC_S2C, tag), TWC_OK);
	assert_memory_equal(tag, empty, 16);

	/* the other direction has its own context */
	assert_int_equal(twc_mac_add(c, TWC_C2S, (const uint8_t *)"abcdef", 6), TWC_OK);
	assert_int_equal(twc_mac_verify(c, TWC_S2C, empty), TWC_OK);
	assert_int_equal(twc_mac_verify(c, TWC_C2S, abc), TWC_OK);
	assert_int_equal(twc_mac_verify(c, TWC_C2S, abc), TWC_E_HMAC);
	assert_int_equal(twc_mac_verify(c, TWC_C2S, empty), TWC_OK);
	twc_ctl_crypto_free(c);
}

/* Unauthenticated mode: clear stream, zero HMAC fields, not checked. */
static void test_open_mode(void **state)
{
	struct twc_ctl_crypto *c = twc_ctl_crypto_new(TWC_MODE_UNAUTH | TWC_MODE_ISC, NULL, NULL,
						      NULL, NULL);
	uint8_t m[TWC_START_LEN], want[TWC_START_LEN], ss[48], ss0[48], tag[16];

	(void)state;
	assert_non_null(c);
	assert_false(twc_ctl_crypto_secured(c));
	assert_false(twc_mode_secured(0));
	assert_false(twc_mode_secured(TWC_MODE_UNAUTH | TWC_MODE_REFLECT_OCTETS));
	assert_true(twc_mode_secured(TWC_MODE_MIXED | TWC_MODE_ISC));
	assert_int_equal(twc_start_enc(want, sizeof(want)), TWC_OK);
	memcpy(m, want, sizeof(m));
	memset(m + 16, 0xee, 16);
	assert_int_equal(twc_seal(c, TWC_C2S, m, sizeof(m)), TWC_OK);
	assert_memory_equal(m, want, sizeof(m));             /* HMAC field zeroed */
	memset(m + 16, 0xee, 16);
	assert_int_equal(twc_open(c, TWC_S2C, m, sizeof(m)), TWC_OK);
	assert_int_equal(m[16], 0xee);
	seq_bytes(ss, 48, 1);
	memcpy(ss0, ss, 48);
	assert_int_equal(twc_seal_server_start(c, ss), TWC_OK);
	assert_int_equal(twc_open_server_start(c, ss), TWC_OK);
	assert_memory_equal(ss, ss0, 48);
	assert_int_equal(twc_encrypt(c, TWC_C2S, ss0, ss, 32), TWC_OK);
	assert_memory_equal(ss, ss0, 32);
	memset(tag, 0xee, 16);
	assert_int_equal(twc_mac_finish(c, TWC_C2S, tag), TWC_OK);
	assert_memory_equal(tag, (uint8_t[16]){ 0 }, 16);
	twc_ctl_crypto_free(c);
}

static void test_misuse(void **state)
{
	struct keys k = kat_keys();
	uint8_t m[64] = { 0 };

	(void)state;
	for (int secured = 0; secured < 2; secured++) {
		struct twc_ctl_crypto *c = new_ctl(secured ? TWC_MODE_AUTH : TWC_MODE_UNAUTH, &k);

		assert_int_equal(twc_seal(c, TWC_C2S, m, 16), TWC_E_BLOCKLEN);
		assert_int_equal(twc_seal(c, TWC_C2S, m, 40), TWC_E_BLOCKLEN);
		assert_int_equal(twc_open(c, TWC_S2C, m, 0), TWC_E_BLOCKLEN);
		assert_int_equal(twc_verify(c, TWC_S2C, m, 17), TWC_E_BLOCKLEN);
		assert_int_equal(twc_encrypt(c, TWC_C2S, m, m, 15), TWC_E_BLOCKLEN);
		assert_int_equal(twc_decrypt(c, TWC_C2S, m, m, 33), TWC_E_BLOCKLEN);
		assert_int_equal(twc_encrypt(c, (enum twc_dir)2, m, m, 16), TWC_E_CRYPTO);
		assert_int_equal(twc_mac_add(c, (enum twc_dir)2, m, 16), TWC_E_CRYPTO);
		twc_ctl_crypto_free(c);
	}
	assert_null(twc_ctl_crypto_new(TWC_MODE_AUTH, NULL, k.hmac, k.civ, k.siv));
	assert_null(twc_ctl_crypto_new(TWC_MODE_ENC, k.aes, k.hmac, k.civ, NULL));
	twc_ctl_crypto_free(NULL);
}

/* ---- the captured exchanges ------------------------------------------ */

/* Records of a *.control.hex, in capture order per direction. */
struct capture {
	struct tpkt *v;
	size_t n;
	uint8_t pass[128];
	size_t plen;
};

/* `keys`: the .keys file whose passphrase to use */
static void capture_load(const char *name, const char *keys, struct capture *cap)
{
	char file[128];

	snprintf(file, sizeof(file), "%s.control.hex", name);
	cap->n = tdata_load(file, &cap->v);
	tdata_key(keys, "passphrase", cap->pass, sizeof(cap->pass), &cap->plen);
}

static const struct tpkt *rec(const struct capture *cap, char dir, int k)
{
	for (size_t i = 0; i < cap->n; i++)
		if (cap->v[i].dir == dir && k-- == 0)
			return &cap->v[i];
	fail_msg("control record %c#%d missing", dir, k);
	return NULL;
}

/* Everything decoded from one capture. */
struct replay {
	struct twc_greeting g;
	struct twc_setup su;
	struct twc_server_start ss;
	struct twc_accept_session as;
	uint8_t ack;
	struct twc_request rq;
	struct twc_stop st;
	uint8_t aes[16], hmac[32];
	uint8_t s2c[16 + 48 + 32];        /* server stream plaintext */
	uint8_t c2s[112 + 32 + 32];       /* client stream plaintext */
};

static void open_handshake(const struct capture *cap, uint32_t mode, struct replay *r)
{
	const struct tpkt *g = rec(cap, 's', 0), *su = rec(cap, 'c', 0);

	assert_int_equal(twc_greeting_dec(g->data, g->len, &r->g), TWC_OK);
	assert_int_equal(r->g.count, 2048);
	assert_true(r->g.modes & mode);
	assert_int_equal(twc_setup_dec(su->data, su->len, &r->su), TWC_OK);
	assert_int_equal(r->su.mode, mode);
	assert_memory_equal(r->su.keyid, "testuser", 9);
	assert_memory_equal(r->su.keyid + 9, (uint8_t[TWC_KEYID_LEN]){ 0 }, TWC_KEYID_LEN - 9);
	assert_int_equal(twc_token_check(cap->pass, cap->plen, r->g.salt, r->g.count, r->su.token,
					 r->g.challenge, r->aes, r->hmac), TWC_OK);
}

/* Client side: Server-Start, Accept-Session, Start-Ack. */
static void open_server_stream(struct twc_ctl_crypto *c, const struct capture *cap,
			       struct replay *r)
{
	const struct tpkt *ss = rec(cap, 's', 1), *acc = rec(cap, 's', 2), *ack = rec(cap, 's', 3);
	uint8_t b[48];

	assert_int_equal(ss->len, 48);
	memcpy(b, ss->data, 48);
	assert_int_equal(twc_open_server_start(c, b), TWC_OK);
	assert_int_equal(twc_server_start_dec(b, 48, &r->ss), TWC_OK);
	assert_int_equal(r->ss.accept, TWC_ACCEPT_OK);
	memcpy(r->s2c, b + 32, 16);

	assert_int_equal(acc->len, 48);
	memcpy(r->s2c + 16, acc->data, 48);
	assert_int_equal(twc_open(c, TWC_S2C, r->s2c + 16, 48), TWC_OK);
	assert_int_equal(twc_accept_session_dec(r->s2c + 16, 48, &r->as), TWC_OK);

	assert_int_equal(ack->len, 32);
	memcpy(r->s2c + 64, ack->data, 32);
	assert_int_equal(twc_open(c, TWC_S2C, r->s2c + 64, 32), TWC_OK);
	assert_int_equal(twc_start_ack_dec(r->s2c + 64, 32, &r->ack), TWC_OK);
}

/* Server side, the way a server reads: decrypt the first block, peek at
 * the command and length, decrypt the rest, check the HMAC. */
static void read_command(struct twc_ctl_crypto *c, const struct tpkt *t, uint8_t *out,
			 uint8_t want_cmd)
{
	uint8_t cmd;
	size_t len;

	assert_true(t->len >= 16);
	memcpy(out, t->data, t->len);
	assert_int_equal(twc_decrypt(c, TWC_C2S, out, out, 16), TWC_OK);
	assert_int_equal(twc_peek(out, &cmd, &len), TWC_OK);
	assert_int_equal(cmd, want_cmd);
	assert_int_equal(len, t->len);
	assert_int_equal(twc_decrypt(c, TWC_C2S, out + 16, out + 16, len - 16), TWC_OK);
	assert_int_equal(twc_verify(c, TWC_C2S, out, len), TWC_OK);
}

static void open_client_stream(struct twc_ctl_crypto *c, const struct capture *cap,
			       struct replay *r)
{
	read_command(c, rec(cap, 'c', 1), r->c2s, TWC_CMD_REQUEST_TW_SESSION);
	assert_int_equal(twc_request_dec(r->c2s, 112, &r->rq), TWC_OK);
	read_command(c, rec(cap, 'c', 2), r->c2s + 112, TWC_CMD_START_SESSIONS);
	assert_int_equal(twc_start_dec(r->c2s + 112, 32), TWC_OK);
	read_command(c, rec(cap, 'c', 3), r->c2s + 144, TWC_CMD_STOP_SESSIONS);
	assert_int_equal(twc_stop_dec(r->c2s + 144, 32, &r->st), TWC_OK);
}

/* The plaintexts equal an independent one-shot decryption of each stream. */
static void check_oracle(const struct capture *cap, const struct replay *r)
{
	uint8_t ct[sizeof(r->c2s)], pt[sizeof(r->c2s)];

	memcpy(ct, rec(cap, 's', 1)->data + 32, 16);
	memcpy(ct + 16, rec(cap, 's', 2)->data, 48);
	memcpy(ct + 64, rec(cap, 's', 3)->data, 32);
	cbc_decrypt(r->aes, r->ss.server_iv, ct, pt, sizeof(r->s2c));
	assert_memory_equal(pt, r->s2c, sizeof(r->s2c));
	memcpy(ct, rec(cap, 'c', 1)->data, 112);
	memcpy(ct + 112, rec(cap, 'c', 2)->data, 32);
	memcpy(ct + 144, rec(cap, 'c', 3)->data, 32);
	cbc_decrypt(r->aes, r->su.client_iv, ct, pt, sizeof(r->c2s));
	assert_memory_equal(pt, r->c2s, sizeof(r->c2s));
}

/* What twping asked and twampd answered (both captures, on loopback). */
static void check_fields(const struct replay *r)
{
	static const uint8_t lo[16] = { 127, 0, 0, 1 };

	assert_int_equal(r->rq.ipvn, 4);
	assert_memory_equal(r->rq.sender_addr, lo, 16);
	assert_memory_equal(r->rq.receiver_addr, lo, 16);
	assert_memory_equal(r->rq.sid, (uint8_t[16]){ 0 }, 16);  /* SID 0 from a client */
	assert_int_equal(r->rq.padding_len, 64);
	assert_int_equal(r->rq.type_p, 0);
	assert_int_equal(r->rq.octets_to_reflect, 0);
	assert_int_equal(r->rq.pad_to_reflect, 0);
	assert_true(r->rq.sender_port != 0);
	assert_true(r->rq.timeout != 0);
	assert_int_equal(r->as.accept, TWC_ACCEPT_OK);
	assert_true(r->as.port != 0);
	assert_memory_equal(r->as.sid, lo, 4);                    /* receiver address */
	assert_true(((uint64_t)r->as.sid[4] << 24 | r->as.sid[5] << 16 | r->as.sid[6] << 8 |
		     r->as.sid[7]) >= r->ss.start_time >> 32);      /* made after start */
	assert_int_equal(r->ack, TWC_ACCEPT_OK);
	assert_int_equal(r->st.accept, 0);
	assert_int_equal(r->st.nsessions, 1);
}

static void expect_bytes(const uint8_t *got, const struct tpkt *t, size_t len)
{
	assert_int_equal(t->len, len);
	assert_memory_equal(got, t->data, len);
}

/* Re-encode the server's messages from the decoded fields and seal them
 * with the captured Server-IV: twampd's bytes, with its random values
 * injected. */
static void reproduce_server(const struct capture *cap, const struct replay *r)
{
	struct twc_ctl_crypto *tx = twc_ctl_crypto_new(r->su.mode, r->aes, r->hmac,
						       r->su.client_iv, r->ss.server_iv);
	uint8_t b[TWC_GREETING_LEN];

	assert_non_null(tx);
	assert_int_equal(twc_greeting_enc(&r->g, b, sizeof(b)), TWC_OK);
	expect_bytes(b, rec(cap, 's', 0), TWC_GREETING_LEN);
	assert_int_equal(twc_server_start_enc(&r->ss, b, sizeof(b)), TWC_OK);
	assert_int_equal(twc_seal_server_start(tx, b), TWC_OK);
	expect_bytes(b, rec(cap, 's', 1), TWC_SERVER_START_LEN);
	assert_int_equal(twc_accept_session_enc(&r->as, b, sizeof(b)), TWC_OK);
	assert_int_equal(twc_seal(tx, TWC_S2C, b, TWC_ACCEPT_SESSION_LEN), TWC_OK);
	expect_bytes(b, rec(cap, 's', 2), TWC_ACCEPT_SESSION_LEN);
	assert_int_equal(twc_start_ack_enc(r->ack, b, sizeof(b)), TWC_OK);
	assert_int_equal(twc_seal(tx, TWC_S2C, b, TWC_START_ACK_LEN), TWC_OK);
	expect_bytes(b, rec(cap, 's', 3), TWC_START_ACK_LEN);
	twc_ctl_crypto_free(tx);
}

/* The same for the client: the Token from the passphrase and the session
 * keys, then every command. */
static void reproduce_client(const struct capture *cap, const struct replay *r)
{
	struct twc_ctl_crypto *tx = twc_ctl_crypto_new(r->su.mode, r->aes, r->hmac,
						       r->su.client_iv, r->ss.server_iv);
	struct twc_setup su = r->su;
	uint8_t b[TWC_SETUP_LEN];

	assert_non_null(tx);
	memset(su.token, 0, sizeof(su.token));
	assert_int_equal(twc_token_make(cap->pass, cap->plen, r->g.salt, r->g.count,
					r->g.challenge, r->aes, r->hmac, su.token), TWC_OK);
	assert_int_equal(twc_setup_enc(&su, b, sizeof(b)), TWC_OK);
	expect_bytes(b, rec(cap, 'c', 0), TWC_SETUP_LEN);
	assert_int_equal(twc_request_enc(&r->rq, b, sizeof(b)), TWC_OK);
	assert_int_equal(twc_seal(tx, TWC_C2S, b, TWC_REQUEST_LEN), TWC_OK);
	expect_bytes(b, rec(cap, 'c', 1), TWC_REQUEST_LEN);
	assert_int_equal(twc_start_enc(b, sizeof(b)), TWC_OK);
	assert_int_equal(twc_seal(tx, TWC_C2S, b, TWC_START_LEN), TWC_OK);
	expect_bytes(b, rec(cap, 'c', 2), TWC_START_LEN);
	assert_int_equal(twc_stop_enc(&r->st, b, sizeof(b)), TWC_OK);
	assert_int_equal(twc_seal(tx, TWC_C2S, b, TWC_STOP_LEN), TWC_OK);
	expect_bytes(b, rec(cap, 'c', 3), TWC_STOP_LEN);
	twc_ctl_crypto_free(tx);
}

static void replay(const char *name, uint32_t mode, struct capture *cap, struct replay *r)
{
	struct twc_ctl_crypto *c;
	char keys[128];

	memset(r, 0, sizeof(*r));
	snprintf(keys, sizeof(keys), "%s.keys", name);
	capture_load(name, keys, cap);
	assert_int_equal(cap->n, 8);
	open_handshake(cap, mode, r);
	/* the client learns the Server-IV from Server-Start's clear part */
	c = twc_ctl_crypto_new(r->su.mode, r->aes, r->hmac, r->su.client_iv,
			       rec(cap, 's', 1)->data + 16);
	assert_non_null(c);
	open_server_stream(c, cap, r);
	open_client_stream(c, cap, r);
	twc_ctl_crypto_free(c);
	check_oracle(cap, r);
	check_fields(r);
	reproduce_server(cap, r);
	reproduce_client(cap, r);
}

static void keys_equal(const char *key, const uint8_t *got, size_t n)
{
	uint8_t want[32];

	tdata_key("twping_mode_A.keys", key, want, n, NULL);
	assert_memory_equal(got, want, n);
}

static void test_capture_mode_a(void **state)
{
	struct capture cap;
	struct replay r;

	(void)state;
	replay("twping_mode_A", TWC_MODE_AUTH, &cap, &r);
	keys_equal("challenge", r.g.challenge, 16);
	keys_equal("salt", r.g.salt, 16);
	keys_equal("aes_session_key", r.aes, 16);
	keys_equal("hmac_session_key", r.hmac, 32);
	keys_equal("client_iv", r.su.client_iv, 16);
	keys_equal("server_iv", r.ss.server_iv, 16);
	keys_equal("sid", r.as.sid, 16);
	free(cap.v);
}

static void test_capture_mode_e(void **state)
{
	struct capture cap, cap_a;
	struct replay r, ra;

	(void)state;
	replay("twping_mode_E", TWC_MODE_ENC, &cap, &r);
	replay("twping_mode_A", TWC_MODE_AUTH, &cap_a, &ra);
	assert_memory_not_equal(r.aes, ra.aes, 16);  /* fresh keys per connection */
	assert_memory_not_equal(r.as.sid, ra.as.sid, 16);
	free(cap.v);
	free(cap_a.v);
}

/* The client used another passphrase: the Token's challenge does not match
 * under the right one, and twampd said Accept 1 with octets 16-47 zero and
 * in clear (it falls back to open mode and closes). */
static void test_capture_wrong_passphrase(void **state)
{
	struct capture cap;
	struct twc_greeting g;
	struct twc_setup su;
	struct twc_server_start ss, fail = { .accept = TWC_ACCEPT_FAILURE };
	uint8_t aes[16], hmac[32], b[TWC_SERVER_START_LEN];
	const struct tpkt *t;

	(void)state;
	capture_load("twping_mode_A_wrong_passphrase", "twping_mode_A.keys", &cap);
	assert_int_equal(cap.n, 3);
	t = rec(&cap, 's', 0);
	assert_int_equal(twc_greeting_dec(t->data, t->len, &g), TWC_OK);
	t = rec(&cap, 'c', 0);
	assert_int_equal(twc_setup_dec(t->data, t->len, &su), TWC_OK);
	assert_int_equal(su.mode, TWC_MODE_AUTH);
	memset(aes, 0xaa, sizeof(aes));
	memset(hmac, 0xaa, sizeof(hmac));
	assert_int_equal(twc_token_check(cap.pass, cap.plen, g.salt, g.count, su.token,
					 g.challenge, aes, hmac), TWC_E_CHALLENGE);
	assert_memory_equal(aes, (uint8_t[16]){ 0 }, 16);
	assert_memory_equal(hmac, (uint8_t[32]){ 0 }, 32);

	t = rec(&cap, 's', 1);
	assert_int_equal(twc_server_start_dec(t->data, t->len, &ss), TWC_OK);
	assert_int_equal(ss.accept, TWC_ACCEPT_FAILURE);
	assert_int_equal(ss.start_time, 0);
	assert_int_equal(twc_server_start_enc(&fail, b, sizeof(b)), TWC_OK);
	expect_bytes(b, t, TWC_SERVER_START_LEN);
	free(cap.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_kat),
		cmocka_unit_test(test_start_sessions_hmac_kat),
		cmocka_unit_test(test_client_stream),
		cmocka_unit_test(test_server_stream_fold),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_mac_running),
		cmocka_unit_test(test_open_mode),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_capture_mode_a),
		cmocka_unit_test(test_capture_mode_e),
		cmocka_unit_test(test_capture_wrong_passphrase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
