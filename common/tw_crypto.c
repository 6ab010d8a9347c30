/* TWAMP-Test crypto on OpenSSL 3 (see tw_crypto.h, docs/protocol.md §7.1-§7.2).
 *
 * Every cipher use here is AES-128 with a zero IV and no padding on whole
 * 16-octet blocks; the HMAC is HMAC-SHA1 truncated to 16 octets. The packet
 * layouts (which octets are encrypted and MACed) come from tw_pkt.c.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "aes128.h"
#include "secure_mem.h"
#include "tw_crypto.h"

/* HMAC-SHA1 as a context with its digest already set, fetched once per
 * process: fetching the algorithms by name on every call costs more than
 * the MAC of a test packet. Each call works on its own copy. */
static EVP_MAC_CTX *hmac_sha1_template;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_sha1_fetch(void)
{
	char digest[] = "SHA1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

	if (mac == NULL)
		return;
	hmac_sha1_template = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* the context holds its own reference */
	if (hmac_sha1_template != NULL && EVP_MAC_CTX_set_params(hmac_sha1_template, params) != 1) {
		EVP_MAC_CTX_free(hmac_sha1_template);
		hmac_sha1_template = NULL;
	}
}

int tw_hmac16(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
	      uint8_t out[TW_HMAC_LEN])
{
	static const uint8_t empty[1];
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	EVP_MAC_CTX *ctx = NULL;
	int ok = 0;

	if (pthread_once(&hmac_once, hmac_sha1_fetch) == 0 && hmac_sha1_template != NULL)
		ctx = EVP_MAC_CTX_dup(hmac_sha1_template);
	if (ctx)
		ok = EVP_MAC_init(ctx, key_len ? key : empty, key_len, NULL) == 1 &&
		     EVP_MAC_update(ctx, len ? data : empty, len) == 1 &&
		     EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) == 1 &&
		     mdlen >= TW_HMAC_LEN;
	if (ok)
		memcpy(out, md, TW_HMAC_LEN);
	wipe(md, sizeof(md));
	EVP_MAC_CTX_free(ctx); /* also clears the key */
	return ok ? 0 : -1;
}

int tw_keys_derive(const uint8_t sid[16], const uint8_t aes_session_key[16],
		   const uint8_t hmac_session_key[32], struct tw_keys *out)
{
	if (aes128_ecb(1, sid, aes_session_key, out->aes, TW_AES_KEY_LEN) ||
	    aes128_cbc_iv0(1, sid, hmac_session_key, out->hmac, TW_HMAC_KEY_LEN)) {
		wipe(out, sizeof(*out));
		return -1;
	}
	return 0;
}

static bool has_crypto(const struct tw_layout *l)
{
	return l->enc_len != 0 || l->mac_len != 0;
}

/* Sender and reflector alike (PS order for one call): MAC the plaintext,
 * then encrypt. Callers that must stamp the time after the crypto in
 * authenticated mode write the timestamp afterwards: it is not covered. */
int tw_protect(uint8_t *p, size_t len, const struct tw_layout *l, const struct tw_keys *k)
{
	if (!has_crypto(l))
		return 0;
	if (len < l->base_len)
		return -1;
	if (tw_hmac16(k->hmac, TW_HMAC_KEY_LEN, p, l->mac_len, p + l->hmac_off))
		return -1;
	return aes128_cbc_iv0(1, k->aes, p, p, l->enc_len);
}

int tw_unprotect(uint8_t *p, size_t len, const struct tw_layout *l, const struct tw_keys *k)
{
	uint8_t mac[TW_HMAC_LEN];

	if (!has_crypto(l))
		return 0;
	if (len < l->base_len)
		return -1;
	if (aes128_cbc_iv0(0, k->aes, p, p, l->enc_len))
		return -1;
	if (tw_hmac16(k->hmac, TW_HMAC_KEY_LEN, p, l->mac_len, mac))
		return -1;
	return ct_equal(mac, p + l->hmac_off, TW_HMAC_LEN) ? 0 : -1;
}
