/* Replays the captured TWAMP-Control exchange of a twping capture (mode A
 * or E) with the library: token key from the passphrase, Token, control
 * CBC streams and HMACs (docs/protocol.md §5), SID and test keys (§7.1). Every
 * step is asserted (challenge echoed, each control HMAC verifies), so the
 * keys returned are those the capture's peers used. */
#ifndef TWR_TWPING_CTL_H
#define TWR_TWPING_CTL_H

#include <stdint.h>

#include "tw_crypto.h"

struct twping_ctl {
	uint8_t challenge[16], salt[16];
	uint32_t count;
	uint8_t token_key[16];
	uint8_t aes_sess[16], hmac_sess[32];
	uint8_t client_iv[16], server_iv[16];
	uint8_t sid[16];
	uint16_t port;            /* Accept-Session Port */
	uint32_t padding_len;     /* Request-TW-Session Padding Length */
	struct tw_keys test;
};

/* `name` is the capture's base name, e.g. "twping_mode_A"; reads
 * <name>.control.hex and the passphrase from <name>.keys. */
void twping_ctl_replay(const char *name, struct twping_ctl *out);

/* AES-128-CBC decrypt with an explicit IV (the control stream); n % 16 == 0 */
void cbc_decrypt(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
		 uint8_t *out, size_t n);

#endif
