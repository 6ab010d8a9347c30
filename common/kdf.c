/* Token key and Token (see kdf.h; docs/protocol.md §5.1). */
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

#include "aes128.h"
#include "kdf.h"
#include "secure_mem.h"

#define SALT_LEN 16
#define KEY_LEN 16

int tw_token_key(const uint8_t *secret, size_t secret_len, const uint8_t salt[16],
		 uint32_t count, uint8_t key[16])
{
	static const uint8_t empty[1];

	if (count < TW_COUNT_MIN || count > (1u << TW_COUNT_MAX_EXP) || secret_len > INT_MAX)
		return -1;
	if (PKCS5_PBKDF2_HMAC((const char *)(secret_len ? secret : empty), (int)secret_len,
			      salt, SALT_LEN, (int)count, EVP_sha1(), KEY_LEN, key) != 1) {
		wipe(key, KEY_LEN);
		return -1;
	}
	return 0;
}

int tw_token_encrypt(const uint8_t key[16], const uint8_t challenge[16],
		     const uint8_t aes_sess[16], const uint8_t hmac_sess[32],
		     uint8_t token[TW_TOKEN_LEN])
{
	uint8_t plain[TW_TOKEN_LEN];
	int rc;

	memcpy(plain, challenge, 16);
	memcpy(plain + 16, aes_sess, 16);
	memcpy(plain + 32, hmac_sess, 32);
	rc = aes128_cbc_iv0(1, key, plain, token, TW_TOKEN_LEN);
	wipe(plain, sizeof(plain));
	return rc;
}

int tw_token_decrypt(const uint8_t key[16], const uint8_t token[TW_TOKEN_LEN],
		     uint8_t challenge[16], uint8_t aes_sess[16], uint8_t hmac_sess[32])
{
	uint8_t plain[TW_TOKEN_LEN];
	int rc;

	rc = aes128_cbc_iv0(0, key, token, plain, TW_TOKEN_LEN);
	if (rc)
		wipe(plain, sizeof(plain));
	memcpy(challenge, plain, 16);
	memcpy(aes_sess, plain + 16, 16);
	memcpy(hmac_sess, plain + 32, 32);
	wipe(plain, sizeof(plain));
	return rc;
}
