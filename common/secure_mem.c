/* Constant-time comparison and wiping, on OpenSSL's primitives. */
#include <openssl/crypto.h>

#include "secure_mem.h"

bool ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
