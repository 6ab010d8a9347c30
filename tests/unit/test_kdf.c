/* Control-plane key derivation: docs/protocol.md §11.3 and §11.5 KATs, and the
 * captured twping control exchanges against vectors/README.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "kdf.h"
#include "tdata.h"
#include "tw_crypto.h"
#include "twping_ctl.h"

/* PS unit-test constants (docs/protocol.md §11.3) */
static const char PASS[] = "this is the passphrase";
static const uint8_t *SALT = (const uint8_t *)"some funny saltT";
static const uint8_t *CHALLENGE = (const uint8_t *)"just a challenge";
static const uint8_t *SID = (const uint8_t *)"this is the SID!";

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

static void test_pbkdf2_kat(void **state)
{
	uint8_t k[16];

	(void)state;
	assert_int_equal(tw_token_key((const uint8_t *)PASS, strlen(PASS), SALT, 1024, k), 0);
	expect_hex(k, 16, "ad30bef5c168ca886c9df26838a331b5");
}

/* RFC 3962 Appendix B, iteration count 1: the PRF and KDF primitive the
 * token key is built on (tw_token_key refuses c < 1024, checked below). */
static void test_pbkdf2_rfc3962(void **state)
{
	static const char salt[] = "ATHENA.MIT.EDUraeburn";
	uint8_t k[16];

	(void)state;
	assert_int_equal(PKCS5_PBKDF2_HMAC("password", 8, (const uint8_t *)salt, (int)strlen(salt),
					   1, EVP_sha1(), 16, k), 1);
	expect_hex(k, 16, "cdedb5281bb2f801565a1122b2563515");
}

static void test_count_limits(void **state)
{
	uint8_t k[16], k2[16];

	(void)state;
	memset(k, 0x5a, sizeof(k));
	assert_int_equal(tw_token_key((const uint8_t *)PASS, strlen(PASS), SALT, 1, k), -1);
	assert_int_equal(tw_token_key((const uint8_t *)PASS, strlen(PASS), SALT, 1023, k), -1);
	assert_int_equal(tw_token_key((const uint8_t *)PASS, strlen(PASS), SALT, 0x80000000u, k), -1);
	/* above 2^TW_COUNT_MAX_EXP: refused at once (2^30 itself would run, for minutes) */
	assert_int_equal(tw_token_key((const uint8_t *)PASS, strlen(PASS), SALT,
				      (1u << TW_COUNT_MAX_EXP) + 1, k), -1);
	assert_int_equal(TW_COUNT_MAX_EXP, 30);
	assert_int_equal(tw_token_key((const uint8_t *)PASS, strlen(PASS), SALT, 2048, k), 0);
	assert_int_equal(tw_token_key((const uint8_t *)PASS, strlen(PASS), SALT, 1024, k2), 0);
	assert_memory_not_equal(k, k2, 16); /* the count matters */
}

static void test_token_kat(void **state)
{
	uint8_t k[16], aes[16], hmac[32], tok[TW_TOKEN_LEN];
	uint8_t ch2[16], aes2[16], hmac2[32];

	(void)state;
	seq_bytes(aes, 16, 0x00);
	seq_bytes(hmac, 32, 0x10);
	hex2bin("ad30bef5c168ca886c9df26838a331b5", k, 16);
	assert_int_equal(tw_token_encrypt(k, CHALLENGE, aes, hmac, tok), 0);
	expect_hex(tok, 64, "b020efef4c59c57eaa2548694e8fd55b1b5948d6a71fe71b260edc55aec4fb18"
			    "7138db3a6ff128e07f37eea83f006a29ff7eefda07726fcb1e9617ba18a1a6b8");
	assert_int_equal(tw_token_decrypt(k, tok, ch2, aes2, hmac2), 0);
	assert_memory_equal(ch2, CHALLENGE, 16);
	assert_memory_equal(aes2, aes, 16);
	assert_memory_equal(hmac2, hmac, 32);

	/* a wrong key does not give the challenge back */
	k[0] ^= 1;
	assert_int_equal(tw_token_decrypt(k, tok, ch2, aes2, hmac2), 0);
	assert_memory_not_equal(ch2, CHALLENGE, 16);
}

static void test_test_keys_kat(void **state)
{
	uint8_t aes[16], hmac[32];
	struct tw_keys tk;

	(void)state;
	seq_bytes(aes, 16, 0x00);
	seq_bytes(hmac, 32, 0x10);
	assert_int_equal(tw_keys_derive(SID, aes, hmac, &tk), 0);
	expect_hex(tk.aes, 16, "bc11e3b5541462d6b16bd93b6ca04bae");
	expect_hex(tk.hmac, 32, "cb182ea6f510d6b2fa328627db38849fa6f8799bdc247a0b51147705979acd76");
}

static void test_start_sessions_hmac_kat(void **state)
{
	uint8_t hmac[32], msg[16] = { 2 }, mac[TW_HMAC_LEN];

	(void)state;
	seq_bytes(hmac, 32, 0x10);
	assert_int_equal(tw_hmac16(hmac, sizeof(hmac), msg, sizeof(msg), mac), 0);
	expect_hex(mac, 16, "6493444798ad093b8b60650d555bfdbf");
}

/* docs/protocol.md §11.5: PBKDF2 of prf(SK_d, "IPPM") as the shared secret */
static void test_ikev2_secret_kat(void **state)
{
	uint8_t secret[32], k[16];

	(void)state;
	hex2bin("4e3056d3e8add3f5602d47b6a6d310ce9348f628", secret, 20);
	assert_int_equal(tw_token_key(secret, 20, SALT, 1024, k), 0);
	expect_hex(k, 16, "0c9c1a7fa1004553c13cb34eb41874e7");
	hex2bin("3de721e3b578c7268638ca7d70c7b0781d588cca6f7a6f99ec9a5cb1f59bd51f", secret, 32);
	assert_int_equal(tw_token_key(secret, 32, SALT, 1024, k), 0);
	expect_hex(k, 16, "df2e8add6af6ee71c1af6bc3843f8785");
}

static void readme_key(const char *name, uint8_t *out, size_t n)
{
	tdata_key("twping_mode_A.keys", name, out, n, NULL);
}

/* vectors/README.md: every value re-derived from the passphrase */
static void test_capture_mode_a(void **state)
{
	struct twping_ctl c;
	uint8_t v[32];

	(void)state;
	twping_ctl_replay("twping_mode_A", &c);
	readme_key("challenge", v, 16);
	assert_memory_equal(c.challenge, v, 16);
	readme_key("salt", v, 16);
	assert_memory_equal(c.salt, v, 16);
	assert_int_equal(c.count, 2048);
	readme_key("token_key", v, 16);
	assert_memory_equal(c.token_key, v, 16);
	readme_key("aes_session_key", v, 16);
	assert_memory_equal(c.aes_sess, v, 16);
	readme_key("hmac_session_key", v, 32);
	assert_memory_equal(c.hmac_sess, v, 32);
	readme_key("client_iv", v, 16);
	assert_memory_equal(c.client_iv, v, 16);
	readme_key("server_iv", v, 16);
	assert_memory_equal(c.server_iv, v, 16);
	readme_key("sid", v, 16);
	assert_memory_equal(c.sid, v, 16);
	readme_key("test_aes_key", v, 16);
	assert_memory_equal(c.test.aes, v, 16);
	readme_key("test_hmac_key", v, 32);
	assert_memory_equal(c.test.hmac, v, 32);
}

/* Mode E: no published values; the replay itself asserts that the
 * challenge comes back and that every control HMAC verifies. */
static void test_capture_mode_e(void **state)
{
	struct twping_ctl a, e;

	(void)state;
	twping_ctl_replay("twping_mode_E", &e);
	twping_ctl_replay("twping_mode_A", &a);
	assert_int_equal(e.count, 2048);
	assert_memory_not_equal(e.sid, a.sid, 16);
	assert_memory_not_equal(e.test.aes, a.test.aes, 16);
}

/* The client of this capture used another passphrase: with the right one
 * the Token does not give the Challenge back, and the server said Accept 1. */
static void test_capture_wrong_passphrase(void **state)
{
	struct tpkt *v;
	size_t n, plen;
	uint8_t pass[64], k[16], ch[16], aes[16], hmac[32];

	(void)state;
	n = tdata_load("twping_mode_A_wrong_passphrase.control.hex", &v);
	assert_true(n >= 3);
	assert_int_equal(v[0].dir, 's');
	assert_int_equal(v[1].dir, 'c');
	assert_int_equal(v[2].dir, 's');
	tdata_key("twping_mode_A.keys", "passphrase", pass, sizeof(pass), &plen);
	assert_int_equal(tw_token_key(pass, plen, v[0].data + 32,
				      (uint32_t)v[0].data[48] << 24 | (uint32_t)v[0].data[49] << 16 |
				      (uint32_t)v[0].data[50] << 8 | v[0].data[51], k), 0);
	assert_int_equal(tw_token_decrypt(k, v[1].data + 84, ch, aes, hmac), 0);
	assert_memory_not_equal(ch, v[0].data + 16, 16);
	assert_int_equal(v[2].len, 48);
	assert_int_equal(v[2].data[15], 1); /* Server-Start Accept */
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pbkdf2_kat),
		cmocka_unit_test(test_pbkdf2_rfc3962),
		cmocka_unit_test(test_count_limits),
		cmocka_unit_test(test_token_kat),
		cmocka_unit_test(test_test_keys_kat),
		cmocka_unit_test(test_start_sessions_hmac_kat),
		cmocka_unit_test(test_ikev2_secret_kat),
		cmocka_unit_test(test_capture_mode_a),
		cmocka_unit_test(test_capture_mode_e),
		cmocka_unit_test(test_capture_wrong_passphrase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
