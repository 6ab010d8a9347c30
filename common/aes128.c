/* AES-128 ECB / CBC (IV 0), no padding (see aes128.h). */
#include <limits.h>

#include <openssl/evp.h>

#include "aes128.h"

#define AES_BLOCK 16

static int aes128(const EVP_CIPHER *cipher, int enc, const uint8_t key[16],
		  const uint8_t *in, uint8_t *out, size_t n)
{
	static const uint8_t iv0[AES_BLOCK];
	EVP_CIPHER_CTX *ctx;
	int outl = 0, finl = 0, ok;

	if (n % AES_BLOCK || n > INT_MAX - AES_BLOCK)
		return -1;
	if (n == 0)
		return 0;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -1;
	ok = EVP_CipherInit_ex(ctx, cipher, NULL, key, iv0, enc) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_CipherUpdate(ctx, out, &outl, in, (int)n) == 1 &&
	     EVP_CipherFinal_ex(ctx, out + outl, &finl) == 1 &&
	     (size_t)outl + (size_t)finl == n;
	EVP_CIPHER_CTX_free(ctx); /* also clears the key schedule */
	return ok ? 0 : -1;
}

int aes128_ecb(int enc, const uint8_t key[16], const uint8_t *in, uint8_t *out, size_t n)
{
	return aes128(EVP_aes_128_ecb(), enc, key, in, out, n);
}

int aes128_cbc_iv0(int enc, const uint8_t key[16], const uint8_t *in, uint8_t *out, size_t n)
{
	return aes128(EVP_aes_128_cbc(), enc, key, in, out, n);
}
