/* Session-Sender packets: building them in the order the security mode needs
 * and opening the reflector's replies. Pure (OpenSSL crypto only), no I/O.
 *
 * Sending one packet:
 *   spkt_prepare(seq)     fields, padding, and in authenticated mode the
 *                         crypto of block 0 (the timestamp is not covered)
 *   t1 = now
 *   spkt_finish(t1)       timestamp, and in encrypted mode the crypto (the
 *                         timestamp is covered, so it must be in place first)
 * so the timestamp is taken as late as the mode allows (docs/protocol.md §7.3).
 */
#ifndef TWCLI_SENDER_PKT_H
#define TWCLI_SENDER_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "tw_crypto.h"
#include "tw_pkt.h"

#define SPKT_MAX_SIZE 9000

struct spkt {
	const struct tw_layout *snd, *refl;
	const struct tw_keys *keys;  /* NULL in open mode */
	uint16_t size;               /* UDP payload octets, >= snd->base_len */
	uint16_t errest;             /* our Error Estimate */
	bool fill_random;
	bool ts_protected;           /* the timestamp lies inside the crypto */
	uint64_t prng;               /* padding generator state */
	bool put_server_octets;      /* RFC 6038 Reflect Octets */
	uint16_t server_octets;
};

enum spkt_reply {
	SPKT_REPLY_OK = 0,
	SPKT_REPLY_SHORT,       /* shorter than the reflector's base length */
	SPKT_REPLY_AUTH_FAIL,   /* HMAC mismatch */
};

/* Returns 0, or -1 if size is out of range or keys are missing for a
 * protected mode. keys must outlive the context. */
int spkt_init(struct spkt *c, enum tw_sec sec, bool symmetrical, const struct tw_keys *keys,
	      uint16_t size, uint16_t errest, bool fill_random, uint64_t seed);

/* RFC 6038 Reflect Octets: the Server Octets of Accept-Session go at the
 * start of every packet's padding (when it has room for them), for the
 * reflector to copy back. */
void spkt_set_server_octets(struct spkt *c, uint16_t server_octets);

/* Smallest sender packet of a mode (the default size). */
uint16_t spkt_min_size(enum tw_sec sec, bool symmetrical);

/* buf holds c->size octets. Returns 0, or -1 on a crypto failure. */
int spkt_prepare(struct spkt *c, uint8_t *buf, uint32_t seq);
int spkt_finish(struct spkt *c, uint8_t *buf, uint64_t t1);

/* Verify and decode a reply of len octets in place (buf is garbage after an
 * authentication failure). */
enum spkt_reply spkt_open_reply(const struct spkt *c, uint8_t *buf, size_t len,
				struct tw_reflector_fields *f);

/* The statistics sample of a verified reply: t1 our transmit timestamp of
 * that sequence number, t4 the receive timestamp (NTP format). */
void spkt_sample(const struct spkt *c, const struct tw_reflector_fields *f, uint64_t t1,
		 uint64_t t4, int reply_ttl, struct stats_reply *out);

#endif
