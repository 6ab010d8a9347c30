/* TWAMP-Control key derivation and the Set-Up-Response Token
 * (RFC 4656 §3.1, RFC 5357 §3.1; docs/protocol.md §5.1, KATs in §11.3).
 *
 *   K     = PBKDF2-HMAC-SHA1(shared secret, Salt, Count, dkLen 16)
 *   Token = AES-128-CBC_K, IV 0, no padding
 *             (Challenge 16 ‖ AES Session-key 16 ‖ HMAC Session-key 32)
 *
 * The shared secret is the passphrase bound to a KeyID, or in IKEv2-derived
 * mode prf(SK_d, "IPPM") (docs/protocol.md §8.2). Count comes from the Server
 * Greeting: a client must cap it (max-count-exponent) before calling, since
 * the cost is linear in Count.
 */
#ifndef TWR_KDF_H
#define TWR_KDF_H

#include <stddef.h>
#include <stdint.h>

#define TW_COUNT_MIN 1024u
/* The largest Count exponent that runs: OpenSSL takes the iteration count
 * as an int, so 2^31 is refused (the server's `count` and
 * `max-count-exponent` and the client's --max-count-exponent stop here). */
#define TW_COUNT_MAX_EXP 30u
#define TW_TOKEN_LEN 64

/* Token key K. Returns 0, or -1 if count < 1024 (RFC 4656 §3.1), count or
 * secret_len too large for OpenSSL, or OpenSSL fails (key then zeroed). */
int tw_token_key(const uint8_t *secret, size_t secret_len, const uint8_t salt[16],
		 uint32_t count, uint8_t key[16]);

/* Client side: the 64-octet Token. Returns 0 or -1. */
int tw_token_encrypt(const uint8_t key[16], const uint8_t challenge[16],
		     const uint8_t aes_sess[16], const uint8_t hmac_sess[32],
		     uint8_t token[TW_TOKEN_LEN]);

/* Server side: decrypt the Token into its three parts. The caller compares
 * `challenge` with the one it sent, in constant time (ct_equal). Returns 0,
 * or -1 on an OpenSSL failure (outputs then zeroed). */
int tw_token_decrypt(const uint8_t key[16], const uint8_t token[TW_TOKEN_LEN],
		     uint8_t challenge[16], uint8_t aes_sess[16], uint8_t hmac_sess[32]);

#endif
