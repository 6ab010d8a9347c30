/* Replies: a quick check of every frame, and a full check of one reply in N
 * that also gives a residence time sample. The per-reply work is the same
 * for a reflector and for an echo, so a run the generator limits compares
 * them on equal terms.
 *
 * Reply from a TWAMP reflector (IPv4, no VLAN), the offsets the quick check reads:
 *   0      12    14   23      26    30    34     36     42
 *   +------+-----+----+-------+-----+-----+------+------+--------------------
 *   | MACs |0800 |45  |proto17| src | dst |sport |dport | reflector packet
 *   +------+-----+----+-------+-----+-----+------+------+--------------------
 *                                          = the reflector's port (--dst-port) */
#include <string.h>

#include "lg_run.h"
#include "net_parse.h"
#include "ntp_time.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void residence(struct lg_run *r, uint64_t t3, uint64_t t2)
{
	int64_t ns = ntp_diff_ns(t3, t2);

	if (ns < 0)
		r->st.residence_negative++;
	else
		lg_hist_add(&r->st.residence, (uint64_t)ns);
}

/* Addresses and ports of a reply to pool entry `flow`'s sender. */
static bool headers_ok(const struct lg_run *r, const uint8_t *f, const struct np_info *in)
{
	const struct lg_opts *o = r->o;

	return in->ipver == 4 && memcmp(f, r->pool->src_mac.addr_bytes, 6) == 0 &&
	       memcmp(f + 6, o->dst_mac.addr_bytes, 6) == 0 && memcmp(in->src, o->dst_ip, 4) == 0 &&
	       memcmp(in->dst, o->src_ip, 4) == 0 && in->sport == o->dst_port &&
	       in->dport >= o->src_port && in->dport - o->src_port < o->flows &&
	       np_udp_csum_ok(f, in);
}

/* Full check of a reflector's reply: headers, checksum, length, HMAC (and
 * decryption), and the sender fields it echoes against what was sent. */
static bool verify_reply(struct lg_run *r, const uint8_t *f, uint16_t len)
{
	uint8_t buf[LG_MAX_PAYLOAD + TW_MAX_REFLECTOR_BASE];
	struct tw_reflector_fields h;
	struct np_info in;
	uint32_t i;

	if (np_parse(f, len, &in) != NP_UDP || !headers_ok(r, f, &in) ||
	    in.payload_len != r->reply_len || in.payload_len > sizeof(buf))
		return false;
	memcpy(buf, f + in.payload_off, in.payload_len);
	if (tw_unprotect(buf, in.payload_len, r->refl, &r->o->keys) != 0)
		return false;
	tw_reflector_read(buf, r->refl, &h);
	i = h.snd.seq;
	if (i >= LG_POOL_SIZE || h.snd.ts != r->pool->ts[i] || h.snd.errest != r->pool->errest ||
	    h.sender_ttl != LG_SENDER_TTL || in.dport != r->o->src_port + i % r->o->flows)
		return false;
	residence(r, h.ts, h.rx_ts);
	return true;
}

/* Full check of an echo (MAC swapper): the frame we sent, MACs swapped.
 * The IP identification names the pool entry. */
static bool verify_echo(const struct lg_run *r, const uint8_t *f, uint16_t len)
{
	const struct lg_pool *p = r->pool;
	uint32_t i;

	if (len < LG_HDR_LEN || len < p->frame_len)
		return false;
	i = get16(f + 18);
	if (i >= LG_POOL_SIZE)
		return false;
	return memcmp(f, p->src_mac.addr_bytes, 6) == 0 &&
	       memcmp(f + 6, r->o->dst_mac.addr_bytes, 6) == 0 &&
	       memcmp(f + 12, lg_pool_frame(p, i) + 12, p->frame_len - 12u) == 0;
}

static bool quick_ok(const struct lg_run *r, const uint8_t *f, uint16_t len)
{
	uint16_t need = (uint16_t)(LG_HDR_LEN + (r->o->peer == LG_PEER_ECHO ? r->o->size : r->reply_len));

	if (len < need || get16(f + 12) != 0x0800 || f[14] != 0x45 || f[23] != 17)
		return false;
	if (r->o->peer == LG_PEER_ECHO)
		return get16(f + 36) == r->o->dst_port;
	return get16(f + 34) == r->o->dst_port;
}

void lg_rx_frame(struct lg_run *r, const uint8_t *f, uint16_t len)
{
	bool ok;

	r->st.rx++;
	if (!quick_ok(r, f, len)) {
		r->st.rx_other++;
		return;
	}
	r->st.replies++;
	if (++r->verify_ctr < r->o->verify_every)
		return;
	r->verify_ctr = 0;
	ok = r->o->peer == LG_PEER_ECHO ? verify_echo(r, f, len) : verify_reply(r, f, len);
	if (ok)
		r->st.verified_ok++;
	else
		r->st.verified_bad++;
}
