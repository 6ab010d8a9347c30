/* TWAMP-Test crypto for whole bursts with intel-ipsec-mb's burst API
 * (docs/protocol.md §7.2): AES-128-CBC with IV 0 over [0, enc_len) and
 * HMAC-SHA1 over plaintext [0, mac_len), truncated to 16 octets, with the
 * ipad/opad states precomputed when a session is installed.
 *
 *   verify:  CBC-decrypt burst  ->  HMAC burst over plaintext -> compare
 *   sign:    HMAC burst over plaintext -> CBC-encrypt burst (tag written)
 *
 * Each worker owns one IMB_MGR; nothing here takes a lock. */
#ifndef TWR_CRYPTO_MB_H
#define TWR_CRYPTO_MB_H

#include <stdbool.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>

#include "tw_crypto.h"
#include "tw_pkt.h"

#define MB_MAX_BURST 64

/* Expanded keys of one session (or Light reflector). */
struct mb_keys {
	uint32_t enc_exp[4 * 15] __attribute__((aligned(16)));
	uint32_t dec_exp[4 * 15] __attribute__((aligned(16)));
	uint8_t ipad_state[IMB_SHA1_DIGEST_SIZE_IN_BYTES] __attribute__((aligned(16)));
	uint8_t opad_state[IMB_SHA1_DIGEST_SIZE_IN_BYTES] __attribute__((aligned(16)));
};

/* One packet's crypto: the UDP payload, its layout and keys. */
struct mb_op {
	uint8_t *p;
	const struct tw_layout *l;
	const struct mb_keys *k;
};

IMB_MGR *mb_mgr_new(void);
void mb_mgr_free(IMB_MGR *m);
/* Name of the code path chosen for this CPU (AVX512, AVX2, ...). */
const char *mb_arch_name(const IMB_MGR *m);

void mb_keys_init(IMB_MGR *m, const struct tw_keys *k, struct mb_keys *out);
void mb_keys_wipe(struct mb_keys *k);

/* Decrypt and verify n packets in place; ok[i] = authentic. n <= MB_MAX_BURST.
 * Returns the number of authentic packets. */
unsigned mb_unprotect_burst(IMB_MGR *m, const struct mb_op *ops, unsigned n, bool *ok);
/* MAC and encrypt n plaintext packets in place. Returns 0, -1 on an
 * ipsec-mb error (then the packets must be dropped). */
int mb_protect_burst(IMB_MGR *m, const struct mb_op *ops, unsigned n);

#endif
