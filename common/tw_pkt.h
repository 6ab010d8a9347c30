/* TWAMP-Test packet formats: the UDP payload of Session-Sender and
 * Session-Reflector packets (RFC 4656 §4.1.2, RFC 5357 §4.2.1, RFC 6038,
 * erratum EID 5045). All integers big-endian. No I/O, no DPDK.
 *
 * Session-Sender, open/mixed (14 + P)     Session-Sender, auth/enc (48 + P)
 *  0               4              12  14    0     4            16       24 26   32         48
 *  +---------------+---------------+---+    +-----+------------+--------+--+----+----------+
 *  | Seq           | Timestamp     |EE |    | Seq | MBZ (12)   | TS     |EE|MBZ | HMAC(16) | pad
 *  +---------------+---------------+---+    +-----+------------+--------+--+----+----------+
 *  symmetrical (RFC 6038): open adds 27 MBZ (base 41); auth/enc puts MBZ up
 *  to 96 and the HMAC at 96 (base 112, layout inferred: see sender_sym_*).
 *
 * Session-Reflector, open/mixed (41 + P')
 *  0     4        12  14  16       24      28       36  38  40  41
 *  +-----+--------+---+---+--------+-------+--------+---+---+---+
 *  | Seq | TS     |EE |MBZ| RxTS   |SndSeq | SndTS  |SEE|MBZ|TTL| pad
 *  +-----+--------+---+---+--------+-------+--------+---+---+---+
 *
 * Session-Reflector, auth/enc (112 + P')
 *  0     4     16   24 26  32     40  48     52  64     72  74  80  81  96      112
 *  +-----+-----+----+--+---+------+---+------+---+------+---+---+---+---+-------+
 *  | Seq | MBZ | TS |EE|MBZ| RxTS |MBZ|SndSeq|MBZ| SndTS|SEE|MBZ|TTL|MBZ| HMAC  | pad
 *  +-----+-----+----+--+---+------+---+------+---+------+---+---+---+---+-------+
 *
 * Crypto coverage (RFC 4656 §4.1.2, docs/protocol.md §7.2): authenticated mode
 * encrypts and MACs block 0 only; encrypted mode encrypts and MACs every
 * octet before the HMAC field. Padding is never protected.
 */
#ifndef TWR_TW_PKT_H
#define TWR_TW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Security of the TEST plane. Mixed mode (RFC 5618) tests in the open. */
enum tw_sec {
	TW_SEC_OPEN = 0,
	TW_SEC_AUTH = 1,
	TW_SEC_ENC = 2,
};

#define TW_HMAC_LEN 16		/* HMAC-SHA1 truncated to 16 octets */
#define TW_AES_KEY_LEN 16
#define TW_HMAC_KEY_LEN 32
#define TW_MAX_REFLECTOR_BASE 112
#define TW_MAX_SENDER_BASE 112

/* Where each field sits in one packet format. Offsets of absent fields are 0
 * with the matching has_* flag false. */
struct tw_layout {
	uint16_t base_len;   /* minimum packet length = where padding starts */
	uint16_t ts_off;     /* Timestamp */
	uint16_t errest_off; /* Error Estimate */
	uint16_t enc_len;    /* octets [0, enc_len) are AES-CBC (IV 0) encrypted */
	uint16_t mac_len;    /* HMAC covers plaintext octets [0, mac_len) */
	uint16_t hmac_off;   /* HMAC field; meaningful only if mac_len != 0 */
	/* reflector only */
	uint16_t rx_ts_off;
	uint16_t snd_seq_off;
	uint16_t snd_ts_off;
	uint16_t snd_errest_off;
	uint16_t ttl_off;
	bool reflector;
};

const struct tw_layout *tw_sender_layout(enum tw_sec sec, bool symmetrical);
const struct tw_layout *tw_reflector_layout(enum tw_sec sec);

/* Fields the sender sets (NTP timestamps are 64-bit host-order values,
 * seconds in the high half; see ntp_time.h). */
struct tw_sender_fields {
	uint32_t seq;
	uint64_t ts;
	uint16_t errest;
};

struct tw_reflector_fields {
	uint32_t seq;
	uint64_t ts;
	uint16_t errest;
	uint64_t rx_ts;
	struct tw_sender_fields snd;
	uint8_t sender_ttl;
};

/* Read/write the plaintext fields. The buffer must hold l->base_len octets.
 * Writers zero every MBZ octet and the HMAC field of the header. */
void tw_sender_read(const uint8_t *p, const struct tw_layout *l, struct tw_sender_fields *f);
void tw_sender_write(uint8_t *p, const struct tw_layout *l, const struct tw_sender_fields *f);
void tw_reflector_read(const uint8_t *p, const struct tw_layout *l, struct tw_reflector_fields *f);
void tw_reflector_write(uint8_t *p, const struct tw_layout *l, const struct tw_reflector_fields *f);

/* The transmit timestamp, written last (authenticated mode) or before the
 * crypto (encrypted mode). */
void tw_put_ts(uint8_t *p, const struct tw_layout *l, uint64_t ntp);

/* Reply length: as long as the request, never shorter than the reflector's
 * base (PS behaviour, EID 5045). */
static inline size_t tw_reply_len(size_t req_len, const struct tw_layout *refl)
{
	return req_len > refl->base_len ? req_len : refl->base_len;
}

/* What the reflector writes into its reply header; every other field comes
 * from the request. */
struct tw_reply_hdr {
	uint32_t seq;            /* the reflector's Sequence Number */
	bool seq_from_sender;    /* stateless reflector: the sender's instead */
	uint16_t errest;         /* Error Estimate, wire value */
	uint64_t rx_ts;          /* Receive Timestamp, NTP (ntp_time.h) */
	uint8_t sender_ttl;
	/* Reflect Octets (RFC 6038 §4.2): the first reflect_len octets of the
	 * sender's padding go to the start of the reflector's (bounded by both
	 * packets' padding); 0 = none */
	uint16_t reflect_len;
};

/* Build the reply in place. `p` holds the request (plaintext after any
 * decryption) of `req_len` octets in a buffer of `cap` octets. The
 * reflector header overwrites the front, its Timestamp left 0 for
 * tw_put_ts (written last, or before encryption); the sender's padding
 * beyond the reflector header stays where it is; reflect octets are moved
 * into place first. Sets *reply_len to tw_reply_len(req_len, refl).
 * Returns 0, or -1 if req_len < snd->base_len or the reply does not fit
 * in cap (the caller drops and counts). */
int tw_build_reply(uint8_t *p, size_t req_len, size_t cap, const struct tw_layout *snd,
		   const struct tw_layout *refl, const struct tw_reply_hdr *h, size_t *reply_len);

#endif
