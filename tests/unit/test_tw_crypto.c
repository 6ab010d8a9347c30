/* TWAMP-Test crypto: HMAC-SHA1 (RFC 2202), the docs/protocol.md §11.4 packet
 * KATs, tamper detection, and every authenticated/encrypted packet of the
 * twping captures (keys re-derived from the passphrase). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdata.h"
#include "tw_crypto.h"
#include "twping_ctl.h"

static void expect_hex(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[256];

	assert_int_equal(hex2bin(hex, want, sizeof(want)), n);
	assert_memory_equal(got, want, n);
}

/* §11.3 session keys and SID, giving the §11.4 test keys */
static void kat_keys(struct tw_keys *k)
{
	uint8_t aes[16], hmac[32];

	for (int i = 0; i < 16; i++)
		aes[i] = (uint8_t)i;
	for (int i = 0; i < 32; i++)
		hmac[i] = (uint8_t)(0x10 + i);
	assert_int_equal(tw_keys_derive((const uint8_t *)"this is the SID!", aes, hmac, k), 0);
}

/* ---- HMAC-SHA1, RFC 2202 §3 (first 16 of 20 octets) -------------------- */
static void test_hmac_rfc2202(void **state)
{
	uint8_t key[80], data[80], mac[TW_HMAC_LEN];
	static const char big_key_msg[] = "Test Using Larger Than Block-Size Key - Hash Key First";

	(void)state;
	memset(key, 0x0b, 20);
	assert_int_equal(tw_hmac16(key, 20, (const uint8_t *)"Hi There", 8, mac), 0);
	expect_hex(mac, 16, "b617318655057264e28bc0b6fb378c8e");

	assert_int_equal(tw_hmac16((const uint8_t *)"Jefe", 4,
				   (const uint8_t *)"what do ya want for nothing?", 28, mac), 0);
	expect_hex(mac, 16, "effcdf6ae5eb2fa2d27416d5f184df9c");

	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	assert_int_equal(tw_hmac16(key, 20, data, 50, mac), 0);
	expect_hex(mac, 16, "125d7342b9ac11cd91a39af48aa17b4f");

	memset(key, 0xaa, 80);
	assert_int_equal(tw_hmac16(key, 80, (const uint8_t *)big_key_msg, strlen(big_key_msg), mac), 0);
	expect_hex(mac, 16, "aa4ae5e15272d00e95705637ce8a3b55");
}

/* ---- §11.4 KATs ---------------------------------------------------------- */
static const struct tw_sender_fields KAT_FIELDS = {
	.seq = 1, .ts = 0xe800000080000000ull, .errest = 0x8001,
};

static void kat_packet(enum tw_sec sec, const char *hex)
{
	const struct tw_layout *l = tw_sender_layout(sec, false);
	struct tw_keys k;
	struct tw_sender_fields f;
	uint8_t p[48];

	kat_keys(&k);
	memset(p, 0xa5, sizeof(p));
	tw_sender_write(p, l, &KAT_FIELDS);
	assert_int_equal(tw_protect(p, sizeof(p), l, &k), 0);
	expect_hex(p, 48, hex);

	assert_int_equal(tw_unprotect(p, sizeof(p), l, &k), 0);
	tw_sender_read(p, l, &f);
	assert_int_equal(f.seq, KAT_FIELDS.seq);
	assert_true(f.ts == KAT_FIELDS.ts);
	assert_int_equal(f.errest, KAT_FIELDS.errest);
}

static void test_kat_auth_sender(void **state)
{
	(void)state;
	kat_packet(TW_SEC_AUTH, "585885d9d6aae2cad674f209f469b2e2"
				"e8000000800000008001000000000000"
				"5eb4c3e5ee9e073cc9c0e7de7c14345e");
}

static void test_kat_enc_sender(void **state)
{
	(void)state;
	kat_packet(TW_SEC_ENC, "585885d9d6aae2cad674f209f469b2e2"
			       "07c1d189c97b05e365fab0e9b83fa3b6"
			       "a9cb77ec86036139ce9b30650d1a5363");
}

/* The captured-or-KAT wire bytes of a protected packet verify, and so
 * does nothing else: flipping any bit of the encrypted region or of the
 * HMAC field fails; bits outside them (authenticated-mode timestamps,
 * padding) are not covered, by design (docs/protocol.md §7.2). */
static void check_tamper(const uint8_t *wire, size_t len, const struct tw_layout *l,
			 const struct tw_keys *k)
{
	uint8_t p[TDATA_MAX_PKT];

	memcpy(p, wire, len);
	assert_int_equal(tw_unprotect(p, len, l, k), 0);
	for (size_t bit = 0; bit < len * 8; bit++) {
		size_t i = bit / 8;
		bool covered = i < l->enc_len || i < l->mac_len ||
			       (i >= l->hmac_off && i < l->hmac_off + (size_t)TW_HMAC_LEN);

		memcpy(p, wire, len);
		p[i] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(tw_unprotect(p, len, l, k), covered ? -1 : 0);
	}
}

static void test_tamper_kat(void **state)
{
	const struct tw_layout *l;
	struct tw_keys k;
	uint8_t p[48 + 8];

	(void)state;
	kat_keys(&k);
	for (int sec = TW_SEC_AUTH; sec <= TW_SEC_ENC; sec++) {
		l = tw_sender_layout((enum tw_sec)sec, false);
		memset(p, 0x3c, sizeof(p)); /* 8 octets of padding */
		tw_sender_write(p, l, &KAT_FIELDS);
		assert_int_equal(tw_protect(p, sizeof(p), l, &k), 0);
		check_tamper(p, sizeof(p), l, &k);
	}
}

/* Reflector and symmetrical layouts: protect/unprotect round trip,
 * plaintext restored, tampering detected. */
static void test_roundtrip_all_layouts(void **state)
{
	struct tw_keys k;
	struct tw_reflector_fields rf = {
		.seq = 7, .ts = 0x0123456789abcdefull, .errest = 0x8102, .rx_ts = 0xfedcba9876543210ull,
		.snd = { .seq = 9, .ts = 0x1111222233334444ull, .errest = 0x3fff }, .sender_ttl = 254,
	};
	uint8_t p[112 + 16], plain[sizeof(p)];

	(void)state;
	kat_keys(&k);
	for (int sec = TW_SEC_AUTH; sec <= TW_SEC_ENC; sec++) {
		const struct tw_layout *ls[3] = {
			tw_reflector_layout((enum tw_sec)sec),
			tw_sender_layout((enum tw_sec)sec, true),
			tw_sender_layout((enum tw_sec)sec, false),
		};

		for (int j = 0; j < 3; j++) {
			const struct tw_layout *l = ls[j];
			size_t len = l->base_len + 16u;

			memset(p, 0x77, sizeof(p));
			if (l->reflector)
				tw_reflector_write(p, l, &rf);
			else
				tw_sender_write(p, l, &rf.snd);
			memcpy(plain, p, sizeof(p));
			assert_int_equal(tw_protect(p, len, l, &k), 0);
			/* the encrypted region changed, the rest did not */
			assert_memory_not_equal(p, plain, l->enc_len);
			assert_memory_equal(p + l->enc_len, plain + l->enc_len,
					    l->hmac_off - l->enc_len);
			assert_memory_equal(p + l->base_len, plain + l->base_len, 16);
			check_tamper(p, len, l, &k);
			assert_int_equal(tw_unprotect(p, len, l, &k), 0);
			/* the HMAC field holds the MAC now; all else is the plaintext */
			assert_memory_equal(p, plain, l->hmac_off);
			assert_memory_equal(p + l->base_len, plain + l->base_len, 16);
		}
	}
}

static void test_open_and_short(void **state)
{
	struct tw_keys k;
	uint8_t p[112], q[112];
	const struct tw_layout *open = tw_sender_layout(TW_SEC_OPEN, false);
	const struct tw_layout *auth = tw_reflector_layout(TW_SEC_AUTH);

	(void)state;
	kat_keys(&k);
	memset(p, 0x42, sizeof(p));
	memcpy(q, p, sizeof(p));
	assert_int_equal(tw_protect(p, 14, open, &k), 0);
	assert_int_equal(tw_unprotect(p, 14, open, &k), 0);
	assert_memory_equal(p, q, sizeof(p)); /* no crypto, untouched */
	assert_int_equal(tw_protect(p, 111, auth, &k), -1);
	assert_int_equal(tw_unprotect(p, 111, auth, &k), -1);
	assert_memory_equal(p, q, sizeof(p)); /* refused before touching it */
	assert_int_equal(tw_protect(p, 112, auth, &k), 0);
	assert_int_equal(tw_unprotect(p, 112, auth, &k), 0);
}

/* ---- the twping captures ------------------------------------------------ */

/* the sender packet whose (plaintext) Seq is seq */
static const uint8_t *find_request(uint8_t (*plain)[TDATA_MAX_PKT], const struct tpkt *v,
				   size_t n, uint32_t seq, size_t *len)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t s = (uint32_t)plain[i][0] << 24 | (uint32_t)plain[i][1] << 16 |
			     (uint32_t)plain[i][2] << 8 | plain[i][3];

		if (v[i].dir == 's' && s == seq) {
			*len = v[i].len;
			return plain[i];
		}
	}
	fail_msg("no request with seq %u", seq);
	return NULL;
}

/* Verify every packet, then rebuild each reply from its plaintext request
 * and the reply's own reflector fields: protected, it must equal the
 * captured reply octet for octet (twampd's replies are exactly the
 * reflector base long here, so every octet is determined by our rule). */
static void check_capture(const char *name, enum tw_sec sec)
{
	char file[128];
	struct twping_ctl c;
	struct tpkt *v;
	size_t n, nreq = 0, nrep = 0;
	const struct tw_layout *ls = tw_sender_layout(sec, false), *lr = tw_reflector_layout(sec);
	uint8_t (*plain)[TDATA_MAX_PKT];

	twping_ctl_replay(name, &c);
	snprintf(file, sizeof(file), "%s.test.hex", name);
	n = tdata_load(file, &v);
	plain = calloc(n, TDATA_MAX_PKT);
	assert_non_null(plain);

	for (size_t i = 0; i < n; i++) {
		const struct tw_layout *l = v[i].dir == 's' ? ls : lr;

		check_tamper(v[i].data, v[i].len, l, &c.test);
		memcpy(plain[i], v[i].data, v[i].len);
		assert_int_equal(tw_unprotect(plain[i], v[i].len, l, &c.test), 0);
		if (v[i].dir == 's')
			assert_int_equal(v[i].len, ls->base_len + c.padding_len);
	}
	for (size_t i = 0; i < n; i++) {
		struct tw_reflector_fields r;
		struct tw_reply_hdr h;
		uint8_t buf[TDATA_MAX_PKT];
		size_t req_len = 0, rlen = 0;
		const uint8_t *req;

		if (v[i].dir != 'r') {
			nreq++;
			continue;
		}
		nrep++;
		tw_reflector_read(plain[i], lr, &r);
		req = find_request(plain, v, n, r.snd.seq, &req_len);
		memcpy(buf, req, req_len);
		h = (struct tw_reply_hdr){ .seq = r.seq, .errest = r.errest, .rx_ts = r.rx_ts,
					   .sender_ttl = r.sender_ttl };
		assert_int_equal(tw_build_reply(buf, req_len, sizeof(buf), ls, lr, &h, &rlen), 0);
		tw_put_ts(buf, lr, r.ts);
		assert_int_equal(rlen, v[i].len);
		assert_int_equal(tw_protect(buf, rlen, lr, &c.test), 0);
		assert_memory_equal(buf, v[i].data, rlen);
	}
	assert_int_equal(nreq, 20);
	assert_int_equal(nrep, 20);
	free(plain);
	free(v);
}

static void test_capture_mode_a(void **state)
{
	(void)state;
	check_capture("twping_mode_A", TW_SEC_AUTH);
}

static void test_capture_mode_e(void **state)
{
	(void)state;
	check_capture("twping_mode_E", TW_SEC_ENC);
}

/* keys of one capture do not verify the other's packets */
static void test_capture_wrong_keys(void **state)
{
	struct twping_ctl a;
	struct tpkt *v;
	size_t n;

	(void)state;
	twping_ctl_replay("twping_mode_A", &a);
	n = tdata_load("twping_mode_E.test.hex", &v);
	for (size_t i = 0; i < n; i++) {
		const struct tw_layout *l = v[i].dir == 's' ? tw_sender_layout(TW_SEC_ENC, false)
							     : tw_reflector_layout(TW_SEC_ENC);

		assert_int_equal(tw_unprotect(v[i].data, v[i].len, l, &a.test), -1);
	}
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_rfc2202),
		cmocka_unit_test(test_kat_auth_sender),
		cmocka_unit_test(test_kat_enc_sender),
		cmocka_unit_test(test_tamper_kat),
		cmocka_unit_test(test_roundtrip_all_layouts),
		cmocka_unit_test(test_open_and_short),
		cmocka_unit_test(test_capture_mode_a),
		cmocka_unit_test(test_capture_mode_e),
		cmocka_unit_test(test_capture_wrong_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
