/* Session-Sender packets: see sender_pkt.h for the order of operations and
 * tw_pkt.h for the layouts. */
#include "sender_pkt.h"

#include <string.h>

#include "error_estimate.h"
#include "ntp_time.h"

uint16_t spkt_min_size(enum tw_sec sec, bool symmetrical)
{
	return tw_sender_layout(sec, symmetrical)->base_len;
}

int spkt_init(struct spkt *c, enum tw_sec sec, bool symmetrical, const struct tw_keys *keys,
	      uint16_t size, uint16_t errest, bool fill_random, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->snd = tw_sender_layout(sec, symmetrical);
	c->refl = tw_reflector_layout(sec);
	if (!c->snd || !c->refl || size < c->snd->base_len || size > SPKT_MAX_SIZE)
		return -1;
	if (sec != TW_SEC_OPEN && !keys)
		return -1;
	c->keys = sec == TW_SEC_OPEN ? NULL : keys;
	c->size = size;
	c->errest = errest;
	c->fill_random = fill_random;
	c->ts_protected = c->keys && (c->snd->enc_len > c->snd->ts_off || c->snd->mac_len > c->snd->ts_off);
	c->prng = seed;
	return 0;
}

/* splitmix64: padding only needs to be unpredictable enough not to
 * compress, not to be secret (it is sent in the clear). */
static uint64_t prng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill_padding(struct spkt *c, uint8_t *pad, size_t n)
{
	if (!c->fill_random) {
		memset(pad, 0, n);
		return;
	}
	while (n) {
		uint64_t r = prng_next(&c->prng);
		size_t k = n < sizeof(r) ? n : sizeof(r);

		memcpy(pad, &r, k);
		pad += k;
		n -= k;
	}
}

void spkt_set_server_octets(struct spkt *c, uint16_t server_octets)
{
	c->put_server_octets = true;
	c->server_octets = server_octets;
}

int spkt_prepare(struct spkt *c, uint8_t *buf, uint32_t seq)
{
	struct tw_sender_fields f = { .seq = seq, .ts = 0, .errest = c->errest };
	uint8_t *pad = buf + c->snd->base_len;
	size_t pad_len = c->size - c->snd->base_len;

	tw_sender_write(buf, c->snd, &f);
	fill_padding(c, pad, pad_len);
	if (c->put_server_octets && pad_len >= 2) {
		pad[0] = (uint8_t)(c->server_octets >> 8);
		pad[1] = (uint8_t)c->server_octets;
	}
	if (c->keys && !c->ts_protected)
		return tw_protect(buf, c->size, c->snd, c->keys);
	return 0;
}

int spkt_finish(struct spkt *c, uint8_t *buf, uint64_t t1)
{
	tw_put_ts(buf, c->snd, t1);
	if (c->ts_protected)
		return tw_protect(buf, c->size, c->snd, c->keys);
	return 0;
}

enum spkt_reply spkt_open_reply(const struct spkt *c, uint8_t *buf, size_t len,
				struct tw_reflector_fields *f)
{
	if (len < c->refl->base_len)
		return SPKT_REPLY_SHORT;
	if (c->keys && tw_unprotect(buf, len, c->refl, c->keys) != 0)
		return SPKT_REPLY_AUTH_FAIL;
	tw_reflector_read(buf, c->refl, f);
	return SPKT_REPLY_OK;
}

/* T2 = f->rx_ts, T3 = f->ts. Reflector timestamps are read in NTP format
 * (Z bit 0), the only one TWAMP Light without RFC 8186 negotiation uses. */
void spkt_sample(const struct spkt *c, const struct tw_reflector_fields *f, uint64_t t1,
		 uint64_t t4, int reply_ttl, struct stats_reply *out)
{
	int64_t resid = ntp_diff_ns(f->ts, f->rx_ts);

	memset(out, 0, sizeof(*out));
	out->seq = f->snd.seq;
	out->resid_ns = resid;
	out->rtt_ns = ntp_diff_ns(t4, t1) - resid;
	out->fwd_ns = ntp_diff_ns(f->rx_ts, t1);
	out->bwd_ns = ntp_diff_ns(t4, f->ts);
	out->synced = (c->errest & ERREST_S) && (f->errest & ERREST_S);
	out->sender_ttl = f->sender_ttl;
	out->reply_ttl = reply_ttl;
}
