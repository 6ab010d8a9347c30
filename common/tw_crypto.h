/* TWAMP-Test crypto, reference implementation on OpenSSL (RFC 4656 §4.1.2,
 * RFC 5357 §4.1.2/§4.2.1, docs/protocol.md §7.1-§7.2). The dataplane does the same
 * with intel-ipsec-mb in bursts; this one is for the client, the control
 * server (key derivation) and as the oracle in tests.
 */
#ifndef TWR_TW_CRYPTO_H
#define TWR_TW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "tw_pkt.h"

struct tw_keys {
	uint8_t aes[TW_AES_KEY_LEN];   /* test AES key */
	uint8_t hmac[TW_HMAC_KEY_LEN]; /* test HMAC key */
};

/* Per-session test keys from the control session keys and the SID:
 *   test AES key  = AES-128-ECB_{SID}(AES Session-key)
 *   test HMAC key = AES-128-CBC_{SID, IV 0}(HMAC Session-key)
 * Returns 0, -1 on an OpenSSL failure. */
int tw_keys_derive(const uint8_t sid[16], const uint8_t aes_session_key[16],
		   const uint8_t hmac_session_key[32], struct tw_keys *out);

/* Protect a plaintext packet in place: HMAC-SHA1 over plaintext
 * [0, mac_len) truncated to 16 into hmac_off, then AES-128-CBC (IV 0) over
 * [0, enc_len). No-op for layouts without crypto. Returns 0 or -1. */
int tw_protect(uint8_t *p, size_t len, const struct tw_layout *l, const struct tw_keys *k);

/* Decrypt [0, enc_len) in place and verify the HMAC in constant time.
 * Returns 0 if authentic, -1 if not (or too short); the buffer then holds
 * garbage. No-op (0) for layouts without crypto. */
int tw_unprotect(uint8_t *p, size_t len, const struct tw_layout *l, const struct tw_keys *k);

/* HMAC-SHA1(key, data) truncated to 16 octets (also used by control). */
int tw_hmac16(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
	      uint8_t out[TW_HMAC_LEN]);

#endif
