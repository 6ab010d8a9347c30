/* TWAMP-Test packet layouts and field access (see the diagrams in
 * tw_pkt.h; docs/protocol.md §6.1-§6.4). Crypto is in tw_crypto.c. */
#include <string.h>

#include "byteorder.h"
#include "tw_pkt.h"
#include "ntp_time.h"

/* The sequence number is at offset 0 in every format. */
#define SEQ_OFF 0

/* ---- Session-Sender layouts -------------------------------------------
 *
 *  sec   sym  base  ts  ee   enc  mac  hmac
 *  open  no    14    4  12    -    -    -     RFC 4656 §4.1.2
 *  open  yes   41    4  12    -    -    -     RFC 6038: + 27 MBZ
 *  auth  no    48   16  24   16   16   32     block 0 only
 *  enc   no    48   16  24   32   32   32     blocks 0-1
 *  auth  yes  112   16  24   16   16   96     ⚠ inferred, see below
 *  enc   yes  112   16  24   96   96   96     ⚠ inferred, see below
 */
static const struct tw_layout sender_open = {
	.base_len = 14, .ts_off = 4, .errest_off = 12,
};

static const struct tw_layout sender_open_sym = {
	.base_len = 41, .ts_off = 4, .errest_off = 12,
};

static const struct tw_layout sender_auth = {
	.base_len = 48, .ts_off = 16, .errest_off = 24,
	.enc_len = 16, .mac_len = 16, .hmac_off = 32,
};

static const struct tw_layout sender_enc = {
	.base_len = 48, .ts_off = 16, .errest_off = 24,
	.enc_len = 32, .mac_len = 32, .hmac_off = 32,
};

/* Symmetrical-size sender with crypto (RFC 6038 with RFC 4656 security).
 * ⚠ UNCONFIRMED (docs/protocol.md §6.1): the layout is inferred, not read from
 * RFC 6038. It is the reflector's shape: Seq 4, MBZ 12, TS 8, EE 2, MBZ 70,
 * HMAC at 96, padding from 112. The crypto coverage is inferred the same
 * way: authenticated protects block 0 only (as every authenticated packet),
 * encrypted protects every octet before the HMAC (as the enc reflector).
 * If RFC 6038 says otherwise, only these two tables change. */
static const struct tw_layout sender_auth_sym = {
	.base_len = 112, .ts_off = 16, .errest_off = 24,
	.enc_len = 16, .mac_len = 16, .hmac_off = 96,
};

static const struct tw_layout sender_enc_sym = {
	.base_len = 112, .ts_off = 16, .errest_off = 24,
	.enc_len = 96, .mac_len = 96, .hmac_off = 96,
};

/* ---- Session-Reflector layouts (RFC 5357 §4.2.1, EID 5045) ------------ */
static const struct tw_layout reflector_open = {
	.base_len = 41, .ts_off = 4, .errest_off = 12,
	.rx_ts_off = 16, .snd_seq_off = 24, .snd_ts_off = 28,
	.snd_errest_off = 36, .ttl_off = 40, .reflector = true,
};

static const struct tw_layout reflector_auth = {
	.base_len = 112, .ts_off = 16, .errest_off = 24,
	.enc_len = 16, .mac_len = 16, .hmac_off = 96,
	.rx_ts_off = 32, .snd_seq_off = 48, .snd_ts_off = 64,
	.snd_errest_off = 72, .ttl_off = 80, .reflector = true,
};

static const struct tw_layout reflector_enc = {
	.base_len = 112, .ts_off = 16, .errest_off = 24,
	.enc_len = 96, .mac_len = 96, .hmac_off = 96,
	.rx_ts_off = 32, .snd_seq_off = 48, .snd_ts_off = 64,
	.snd_errest_off = 72, .ttl_off = 80, .reflector = true,
};

const struct tw_layout *tw_sender_layout(enum tw_sec sec, bool symmetrical)
{
	switch (sec) {
	case TW_SEC_AUTH:
		return symmetrical ? &sender_auth_sym : &sender_auth;
	case TW_SEC_ENC:
		return symmetrical ? &sender_enc_sym : &sender_enc;
	case TW_SEC_OPEN:
	default:
		return symmetrical ? &sender_open_sym : &sender_open;
	}
}

const struct tw_layout *tw_reflector_layout(enum tw_sec sec)
{
	switch (sec) {
	case TW_SEC_AUTH:
		return &reflector_auth;
	case TW_SEC_ENC:
		return &reflector_enc;
	case TW_SEC_OPEN:
	default:
		return &reflector_open;
	}
}

/* ---- field access ------------------------------------------------------ */
void tw_sender_read(const uint8_t *p, const struct tw_layout *l, struct tw_sender_fields *f)
{
	f->seq = be32_get(p + SEQ_OFF);
	f->ts = ntp_get(p + l->ts_off);
	f->errest = be16_get(p + l->errest_off);
}

void tw_sender_write(uint8_t *p, const struct tw_layout *l, const struct tw_sender_fields *f)
{
	memset(p, 0, l->base_len); /* MBZ and the HMAC field */
	be32_put(p + SEQ_OFF, f->seq);
	ntp_put(p + l->ts_off, f->ts);
	be16_put(p + l->errest_off, f->errest);
}

void tw_reflector_read(const uint8_t *p, const struct tw_layout *l, struct tw_reflector_fields *f)
{
	f->seq = be32_get(p + SEQ_OFF);
	f->ts = ntp_get(p + l->ts_off);
	f->errest = be16_get(p + l->errest_off);
	f->rx_ts = ntp_get(p + l->rx_ts_off);
	f->snd.seq = be32_get(p + l->snd_seq_off);
	f->snd.ts = ntp_get(p + l->snd_ts_off);
	f->snd.errest = be16_get(p + l->snd_errest_off);
	f->sender_ttl = p[l->ttl_off];
}

static inline void zero16(uint8_t *p)
{
	static const uint8_t z[16];

	memcpy(p, z, sizeof(z));
}

/* MBZ and the HMAC field of a reflector header: the two sizes there are
 * (open, and authenticated / encrypted) as constants. The 112 octets are
 * written as seven 16-octet stores in a row: as a memset, the compiler
 * emits `rep stos`, whose start-up costs more than the stores. */
static void reflector_zero(uint8_t *p, uint16_t len)
{
	_Static_assert(TW_MAX_REFLECTOR_BASE == 7 * 16, "seven 16-octet stores");

	if (len == TW_MAX_REFLECTOR_BASE) {
		zero16(p);
		zero16(p + 16);
		zero16(p + 32);
		zero16(p + 48);
		zero16(p + 64);
		zero16(p + 80);
		zero16(p + 96);
	} else if (len == 41) {
		memset(p, 0, 41);
	} else {
		memset(p, 0, len);
	}
}

void tw_reflector_write(uint8_t *p, const struct tw_layout *l, const struct tw_reflector_fields *f)
{
	reflector_zero(p, l->base_len);
	be32_put(p + SEQ_OFF, f->seq);
	ntp_put(p + l->ts_off, f->ts);
	be16_put(p + l->errest_off, f->errest);
	ntp_put(p + l->rx_ts_off, f->rx_ts);
	be32_put(p + l->snd_seq_off, f->snd.seq);
	ntp_put(p + l->snd_ts_off, f->snd.ts);
	be16_put(p + l->snd_errest_off, f->snd.errest);
	p[l->ttl_off] = f->sender_ttl;
}

void tw_put_ts(uint8_t *p, const struct tw_layout *l, uint64_t ntp)
{
	ntp_put(p + l->ts_off, ntp);
}

/* ---- building the reply -------------------------------------------------
 *
 *  request  |<- snd->base_len ->|<------- sender padding -------->|
 *           | sender header     | R R R R x x x x x x x x x x x x |
 *                                 \
 *  reply    |<---- refl->base_len ---->|<--- reflector padding --->|(0 ..)
 *           | reflector header         | R R R R x x x x x x x x x |
 *
 * R = reflected octets (RFC 6038), moved first; x = the sender's padding
 * left where it is. If the request is shorter than the reflector's base,
 * the reply is the reflector header alone (its MBZ octets zeroed), so no
 * stale buffer octet beyond req_len reaches the wire.
 */
static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

int tw_build_reply(uint8_t *p, size_t req_len, size_t cap, const struct tw_layout *snd,
		   const struct tw_layout *refl, const struct tw_reply_hdr *h, size_t *reply_len)
{
	uint8_t sseq[4], sts[8], serr[2];
	size_t len, n;

	if (req_len < snd->base_len)
		return -1;
	len = tw_reply_len(req_len, refl);
	if (len > cap)
		return -1;
	/* the sender's fields, moved as they are on the wire */
	memcpy(sseq, p + SEQ_OFF, sizeof(sseq));
	memcpy(sts, p + snd->ts_off, sizeof(sts));
	memcpy(serr, p + snd->errest_off, sizeof(serr));
	/* No clearing of [req_len, len) is needed: len > req_len only when
	 * len == refl->base_len, and the header write covers all of that. */
	n = min_sz(h->reflect_len, req_len - snd->base_len);
	n = min_sz(n, len - refl->base_len);
	if (n != 0)
		memmove(p + refl->base_len, p + snd->base_len, n);

	reflector_zero(p, refl->base_len);
	if (h->seq_from_sender)
		memcpy(p + SEQ_OFF, sseq, sizeof(sseq));
	else
		be32_put(p + SEQ_OFF, h->seq);
	be16_put(p + refl->errest_off, h->errest);
	ntp_put(p + refl->rx_ts_off, h->rx_ts);
	memcpy(p + refl->snd_seq_off, sseq, sizeof(sseq));
	memcpy(p + refl->snd_ts_off, sts, sizeof(sts));
	memcpy(p + refl->snd_errest_off, serr, sizeof(serr));
	p[refl->ttl_off] = h->sender_ttl;
	*reply_len = len;
	return 0;
}
