/* TWAMP-Control session crypto (see control_crypto.h; docs/protocol.md §5).
 *
 * One direction = two AES-128-CBC contexts keyed once (encrypt and decrypt
 * key schedules) + the chaining block + a running HMAC-SHA1 context. The
 * chaining block is the last ciphertext block of the direction; it is set
 * as the IV of every call, so a direction stays one CBC stream across
 * messages whichever side of it we are on (and tests can replay both).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "control_crypto.h"
#include "kdf.h"
#include "secure_mem.h"

struct twc_stream {
	EVP_CIPHER_CTX *enc, *dec;  /* AES Session-key schedules */
	uint8_t chain[TWC_BLOCK];   /* last ciphertext block = next IV */
	EVP_MAC_CTX *mac;           /* HMAC-SHA1 over plaintext, HMAC Session-key */
};

struct twc_ctl_crypto {
	bool secured;
	struct twc_stream dir[2];   /* indexed by enum twc_dir */
};

bool twc_mode_secured(uint32_t mode)
{
	return (mode & TWC_MODE_SECURED) != 0;
}

bool twc_ctl_crypto_secured(const struct twc_ctl_crypto *c)
{
	return c->secured;
}

/* ---- setup and teardown ---------------------------------------------- */

static EVP_CIPHER_CTX *cbc_ctx(const uint8_t key[16], const uint8_t iv[16], int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (ctx && (EVP_CipherInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv, enc) != 1 ||
		    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

static EVP_MAC_CTX *hmac_ctx(const uint8_t key[32])
{
	char digest[] = "SHA1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;

	EVP_MAC_free(mac); /* the context holds its own reference */
	if (ctx && EVP_MAC_init(ctx, key, 32, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

static int stream_init(struct twc_stream *s, const uint8_t aes[16], const uint8_t hmac[32],
		       const uint8_t iv[16])
{
	s->enc = cbc_ctx(aes, iv, 1);
	s->dec = cbc_ctx(aes, iv, 0);
	s->mac = hmac_ctx(hmac);
	memcpy(s->chain, iv, TWC_BLOCK);
	return s->enc && s->dec && s->mac ? 0 : -1;
}

static void stream_free(struct twc_stream *s)
{
	EVP_CIPHER_CTX_free(s->enc); /* both clear their key material */
	EVP_MAC_CTX_free(s->mac);
	EVP_CIPHER_CTX_free(s->dec);
}

void twc_ctl_crypto_free(struct twc_ctl_crypto *c)
{
	if (!c)
		return;
	stream_free(&c->dir[TWC_C2S]);
	stream_free(&c->dir[TWC_S2C]);
	wipe(c, sizeof(*c));
	free(c);
}

struct twc_ctl_crypto *twc_ctl_crypto_new(uint32_t mode, const uint8_t aes_key[16],
					  const uint8_t hmac_key[32],
					  const uint8_t client_iv[16],
					  const uint8_t server_iv[16])
{
	struct twc_ctl_crypto *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->secured = twc_mode_secured(mode);
	if (!c->secured)
		return c;
	if (!aes_key || !hmac_key || !client_iv || !server_iv ||
	    stream_init(&c->dir[TWC_C2S], aes_key, hmac_key, client_iv) ||
	    stream_init(&c->dir[TWC_S2C], aes_key, hmac_key, server_iv)) {
		twc_ctl_crypto_free(c);
		return NULL;
	}
	return c;
}

/* ---- the Token ------------------------------------------------------- */

static enum twc_err token_key(const uint8_t *secret, size_t secret_len, const uint8_t salt[16],
			      uint32_t count, uint8_t k[16])
{
	if (count < TW_COUNT_MIN || count > INT_MAX)
		return TWC_E_COUNT;
	return tw_token_key(secret, secret_len, salt, count, k) ? TWC_E_CRYPTO : TWC_OK;
}

enum twc_err twc_token_make(const uint8_t *secret, size_t secret_len, const uint8_t salt[16],
			    uint32_t count, const uint8_t challenge[16],
			    const uint8_t aes[16], const uint8_t hmac[32], uint8_t token[64])
{
	uint8_t k[16];
	enum twc_err e = token_key(secret, secret_len, salt, count, k);

	if (e == TWC_OK && tw_token_encrypt(k, challenge, aes, hmac, token))
		e = TWC_E_CRYPTO;
	wipe(k, sizeof(k));
	return e;
}

enum twc_err twc_token_check(const uint8_t *secret, size_t secret_len, const uint8_t salt[16],
			     uint32_t count, const uint8_t token[64],
			     const uint8_t challenge[16], uint8_t aes[16], uint8_t hmac[32])
{
	uint8_t k[16], echoed[16];
	enum twc_err e = token_key(secret, secret_len, salt, count, k);

	if (e == TWC_OK && tw_token_decrypt(k, token, echoed, aes, hmac))
		e = TWC_E_CRYPTO;
	if (e == TWC_OK && !ct_equal(echoed, challenge, sizeof(echoed)))
		e = TWC_E_CHALLENGE;
	if (e != TWC_OK) {
		wipe(aes, 16);
		wipe(hmac, 32);
	}
	wipe(k, sizeof(k));
	wipe(echoed, sizeof(echoed));
	return e;
}

/* ---- block level ----------------------------------------------------- */

static struct twc_stream *stream_of(struct twc_ctl_crypto *c, enum twc_dir d)
{
	return d == TWC_C2S || d == TWC_S2C ? &c->dir[d] : NULL;
}

/* One CBC pass continuing the direction's chain. */
static enum twc_err stream_cipher(struct twc_stream *s, int enc, const uint8_t *in,
				  uint8_t *out, size_t n)
{
	EVP_CIPHER_CTX *ctx = enc ? s->enc : s->dec;
	uint8_t next[TWC_BLOCK];
	int outl = 0;

	if (n % TWC_BLOCK || n > INT_MAX - TWC_BLOCK)
		return TWC_E_BLOCKLEN;
	if (n == 0)
		return TWC_OK;
	if (!enc) /* the next IV, read before an in-place decrypt overwrites it */
		memcpy(next, in + n - TWC_BLOCK, TWC_BLOCK);
	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, s->chain, -1) != 1 ||
	    EVP_CipherUpdate(ctx, out, &outl, in, (int)n) != 1 || (size_t)outl != n)
		return TWC_E_CRYPTO;
	memcpy(s->chain, enc ? out + n - TWC_BLOCK : next, TWC_BLOCK);
	return TWC_OK;
}

static enum twc_err run_cipher(struct twc_ctl_crypto *c, enum twc_dir d, int enc,
			  const uint8_t *in, uint8_t *out, size_t n)
{
	struct twc_stream *s = stream_of(c, d);

	if (!s)
		return TWC_E_CRYPTO;
	if (c->secured)
		return stream_cipher(s, enc, in, out, n);
	if (n % TWC_BLOCK)
		return TWC_E_BLOCKLEN;
	if (in != out && n)
		memmove(out, in, n);
	return TWC_OK;
}

enum twc_err twc_encrypt(struct twc_ctl_crypto *c, enum twc_dir d, const uint8_t *in,
			 uint8_t *out, size_t n)
{
	return run_cipher(c, d, 1, in, out, n);
}

enum twc_err twc_decrypt(struct twc_ctl_crypto *c, enum twc_dir d, const uint8_t *in,
			 uint8_t *out, size_t n)
{
	return run_cipher(c, d, 0, in, out, n);
}

enum twc_err twc_mac_add(struct twc_ctl_crypto *c, enum twc_dir d, const uint8_t *plain, size_t n)
{
	struct twc_stream *s = stream_of(c, d);

	if (!s)
		return TWC_E_CRYPTO;
	if (!c->secured || n == 0)
		return TWC_OK;
	return EVP_MAC_update(s->mac, plain, n) == 1 ? TWC_OK : TWC_E_CRYPTO;
}

/* Digest truncated to 16 octets; the context restarts with the same key. */
static enum twc_err mac_digest(struct twc_stream *s, uint8_t tag[TWC_HMAC_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	int ok = EVP_MAC_final(s->mac, md, &mdlen, sizeof(md)) == 1 && mdlen >= TWC_HMAC_LEN &&
		 EVP_MAC_init(s->mac, NULL, 0, NULL) == 1;

	if (ok)
		memcpy(tag, md, TWC_HMAC_LEN);
	wipe(md, sizeof(md));
	return ok ? TWC_OK : TWC_E_CRYPTO;
}

enum twc_err twc_mac_finish(struct twc_ctl_crypto *c, enum twc_dir d, uint8_t tag[TWC_HMAC_LEN])
{
	struct twc_stream *s = stream_of(c, d);

	if (!s)
		return TWC_E_CRYPTO;
	if (!c->secured) {
		memset(tag, 0, TWC_HMAC_LEN);
		return TWC_OK;
	}
	return mac_digest(s, tag);
}

enum twc_err twc_mac_verify(struct twc_ctl_crypto *c, enum twc_dir d,
			    const uint8_t tag[TWC_HMAC_LEN])
{
	struct twc_stream *s = stream_of(c, d);
	uint8_t mine[TWC_HMAC_LEN];
	enum twc_err e;

	if (!s)
		return TWC_E_CRYPTO;
	if (!c->secured)
		return TWC_OK;
	e = mac_digest(s, mine);
	if (e == TWC_OK && !ct_equal(mine, tag, TWC_HMAC_LEN))
		e = TWC_E_HMAC;
	wipe(mine, sizeof(mine));
	return e;
}

/* ---- whole messages -------------------------------------------------- */

static enum twc_err msg_len_ok(size_t len)
{
	return len >= 2 * TWC_BLOCK && len % TWC_BLOCK == 0 ? TWC_OK : TWC_E_BLOCKLEN;
}

enum twc_err twc_seal(struct twc_ctl_crypto *c, enum twc_dir d, uint8_t *msg, size_t len)
{
	enum twc_err e = msg_len_ok(len);

	if (e == TWC_OK)
		e = twc_mac_add(c, d, msg, len - TWC_HMAC_LEN);
	if (e == TWC_OK)
		e = twc_mac_finish(c, d, msg + len - TWC_HMAC_LEN);
	if (e == TWC_OK)
		e = twc_encrypt(c, d, msg, msg, len);
	return e;
}

enum twc_err twc_verify(struct twc_ctl_crypto *c, enum twc_dir d, const uint8_t *plain,
			size_t len)
{
	enum twc_err e = msg_len_ok(len);

	if (e == TWC_OK)
		e = twc_mac_add(c, d, plain, len - TWC_HMAC_LEN);
	if (e == TWC_OK)
		e = twc_mac_verify(c, d, plain + len - TWC_HMAC_LEN);
	return e;
}

enum twc_err twc_open(struct twc_ctl_crypto *c, enum twc_dir d, uint8_t *msg, size_t len)
{
	enum twc_err e = msg_len_ok(len);

	if (e == TWC_OK)
		e = twc_decrypt(c, d, msg, msg, len);
	if (e == TWC_OK)
		e = twc_verify(c, d, msg, len);
	return e;
}

/* Server-Start octets 32-47: first block of the server stream, folded into
 * the next server HMAC (no HMAC field of its own; docs/protocol.md §5.3). */
enum twc_err twc_seal_server_start(struct twc_ctl_crypto *c, uint8_t ss[TWC_SERVER_START_LEN])
{
	enum twc_err e = twc_mac_add(c, TWC_S2C, ss + 2 * TWC_BLOCK, TWC_BLOCK);

	if (e == TWC_OK)
		e = twc_encrypt(c, TWC_S2C, ss + 2 * TWC_BLOCK, ss + 2 * TWC_BLOCK, TWC_BLOCK);
	return e;
}

enum twc_err twc_open_server_start(struct twc_ctl_crypto *c, uint8_t ss[TWC_SERVER_START_LEN])
{
	enum twc_err e = twc_decrypt(c, TWC_S2C, ss + 2 * TWC_BLOCK, ss + 2 * TWC_BLOCK, TWC_BLOCK);

	if (e == TWC_OK)
		e = twc_mac_add(c, TWC_S2C, ss + 2 * TWC_BLOCK, TWC_BLOCK);
	return e;
}
