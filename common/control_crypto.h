/* TWAMP-Control session crypto (RFC 4656 §3.1-§3.4, RFC 5357 §3;
 * docs/protocol.md §5). No I/O.
 *
 * In the secured modes (Authenticated 2, Encrypted 4, Mixed 8: the control
 * plane is the same in all three) each direction is one AES-128-CBC stream
 * keyed by the AES Session-key, starting at the Client-IV (client->server)
 * or the Server-IV (server->client); every block's IV is the previous
 * ciphertext block of that direction, across messages. Each direction also
 * has a running HMAC-SHA1 (HMAC Session-key, truncated to 16 octets) over
 * the plaintext it carries: every block except HMAC fields is added, and an
 * HMAC field takes the digest and starts the context afresh. So:
 *
 *   Request-TW-Session    HMAC at 96 covers its octets 0-95
 *   Accept-Session        HMAC at 32 covers its octets 0-31, and the first
 *                         server message also Server-Start octets 32-47
 *   Start-Sessions, Start-Ack, Stop-Sessions   HMAC at 16 covers 0-15
 *   RFC 5938 N-messages   the trailing HMAC covers every octet before it
 *
 * Server-Start octets 32-47 (Start-Time, MBZ) are the first block of the
 * server->client stream and have no HMAC of their own: twc_seal_server_start
 * / twc_open_server_start encrypt or decrypt them and fold them into the
 * next server HMAC. Greeting, Set-Up-Response and Server-Start 0-31 are
 * clear.
 *
 * Unauthenticated mode (1): nothing is encrypted, HMAC fields are sent as
 * zeros and ignored on receipt (like MBZ).
 *
 * Which side sends on which direction is the caller's: a server seals on
 * TWC_S2C and opens on TWC_C2S, a client the reverse. A message must be
 * processed whole, in order; after TWC_E_HMAC the connection is to be
 * dropped (the stream state is still consistent, but the peer is not).
 */
#ifndef TWR_CONTROL_CRYPTO_H
#define TWR_CONTROL_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control_msg.h"

enum twc_dir {
	TWC_C2S = 0,   /* client -> server, IV = Client-IV */
	TWC_S2C = 1,   /* server -> client, IV = Server-IV */
};

struct twc_ctl_crypto;

/* true if `mode` (a Set-Up-Response Mode) protects the control stream */
bool twc_mode_secured(uint32_t mode);

/* Both directions of one control connection. For a secured mode the keys
 * and IVs are required (they are copied into OpenSSL contexts; the caller
 * wipes its own copies); for open mode they are ignored and may be NULL.
 * Returns NULL on allocation or OpenSSL failure. */
struct twc_ctl_crypto *twc_ctl_crypto_new(uint32_t mode, const uint8_t aes_key[16],
					  const uint8_t hmac_key[32],
					  const uint8_t client_iv[16],
					  const uint8_t server_iv[16]);
/* Wipes every key and chaining value. NULL is allowed. */
void twc_ctl_crypto_free(struct twc_ctl_crypto *c);
bool twc_ctl_crypto_secured(const struct twc_ctl_crypto *c);

/* ---- Token (Set-Up-Response; kdf.h underneath) ----
 * Client: K = PBKDF2(secret, salt, count), Token = AES-CBC_K(challenge ‖
 * aes ‖ hmac). Server: the same K, decrypt, compare the echoed challenge in
 * constant time (TWC_E_CHALLENGE); on any error aes and hmac are zeroed.
 * A server with no secret for the KeyID should still run this with a
 * dummy secret, so that timing does not tell the two failures apart (PS,
 * docs/protocol.md §4.9). Both:
 * TWC_E_COUNT for a count outside 1024..2^31-1 (the caller caps it lower,
 * max-count-exponent), TWC_E_CRYPTO on an OpenSSL failure. K is wiped. */
enum twc_err twc_token_make(const uint8_t *secret, size_t secret_len, const uint8_t salt[16],
			    uint32_t count, const uint8_t challenge[16],
			    const uint8_t aes[16], const uint8_t hmac[32], uint8_t token[64]);
enum twc_err twc_token_check(const uint8_t *secret, size_t secret_len, const uint8_t salt[16],
			     uint32_t count, const uint8_t token[64],
			     const uint8_t challenge[16], uint8_t aes[16], uint8_t hmac[32]);

/* ---- Whole messages, in place (len a multiple of 16, >= 32; the HMAC
 * field is the last 16 octets) ---- */
/* plaintext -> wire: HMAC over msg[0, len-16) into the field, encrypt */
enum twc_err twc_seal(struct twc_ctl_crypto *c, enum twc_dir d, uint8_t *msg, size_t len);
/* wire -> plaintext: decrypt, check the HMAC (TWC_E_HMAC) */
enum twc_err twc_open(struct twc_ctl_crypto *c, enum twc_dir d, uint8_t *msg, size_t len);
/* For a message whose blocks were decrypted as they arrived (twc_decrypt
 * on the first block to peek, then on the rest): check its HMAC only. */
enum twc_err twc_verify(struct twc_ctl_crypto *c, enum twc_dir d, const uint8_t *plain,
			size_t len);

/* Server-Start (48 octets), in place, octets 32-47 only. Call only when
 * Accept is 0: otherwise they go in clear (PS sends them zeroed). */
enum twc_err twc_seal_server_start(struct twc_ctl_crypto *c, uint8_t ss[TWC_SERVER_START_LEN]);
enum twc_err twc_open_server_start(struct twc_ctl_crypto *c, uint8_t ss[TWC_SERVER_START_LEN]);

/* ---- Block level (n a multiple of 16; in == out allowed) ---- */
enum twc_err twc_encrypt(struct twc_ctl_crypto *c, enum twc_dir d, const uint8_t *in,
			 uint8_t *out, size_t n);
enum twc_err twc_decrypt(struct twc_ctl_crypto *c, enum twc_dir d, const uint8_t *in,
			 uint8_t *out, size_t n);
/* add plaintext to the direction's running HMAC */
enum twc_err twc_mac_add(struct twc_ctl_crypto *c, enum twc_dir d, const uint8_t *plain, size_t n);
/* write the digest (zeros in open mode) and start afresh */
enum twc_err twc_mac_finish(struct twc_ctl_crypto *c, enum twc_dir d, uint8_t tag[TWC_HMAC_LEN]);
/* compare with the digest in constant time and start afresh; TWC_E_HMAC
 * on a mismatch (always TWC_OK in open mode) */
enum twc_err twc_mac_verify(struct twc_ctl_crypto *c, enum twc_dir d,
			    const uint8_t tag[TWC_HMAC_LEN]);

#endif
