/* The local log's keys, derived from log-key with HKDF-SHA-256 (RFC 5869)
 * through OpenSSL 3's EVP_KDF (see ctl_hashlog.h). The labels keep the
 * chain key, the anchor key and any other use of log-key apart. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "ctl_hashlog.h"
#include "secure_mem.h"

int ctl_hashlog_derive(const uint8_t *log_key, size_t len, const char *label,
		       uint8_t out[CTL_HASHLOG_KEY])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[4];
	int rc = -1;

	if (ctx && log_key && len > 0) {
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
		p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)log_key, len);
		p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label,
							 strlen(label));
		p[3] = OSSL_PARAM_construct_end();
		if (EVP_KDF_derive(ctx, out, CTL_HASHLOG_KEY, p) == 1)
			rc = 0;
	}
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	if (rc != 0)
		wipe(out, CTL_HASHLOG_KEY);
	return rc;
}

int ctl_hashlog_keys(const uint8_t *log_key, size_t len, struct ctl_hashlog_keys *k)
{
	if (ctl_hashlog_derive(log_key, len, CTL_HASHLOG_LABEL_CHAIN, k->chain) == 0 &&
	    ctl_hashlog_derive(log_key, len, CTL_HASHLOG_LABEL_ANCHOR, k->anchor) == 0)
		return 0;
	wipe(k, sizeof(*k));
	return -1;
}
