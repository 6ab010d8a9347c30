/* The fast lane: the requests nearly all test traffic consists of,
 * reflected with fixed offsets and fewer passes over the burst than the
 * general path (classify.c, reflect.c) makes.
 *
 * A frame takes the lane when it is, all checked here:
 *  - one segment, unicast to the port's MAC, Ethernet II untagged or with
 *    one or two 802.1Q / 802.1ad tags (kept in the reply);
 *  - IPv4 without options, not a fragment, with a valid header checksum, or
 *    IPv6 without extension headers; UDP to one of the port's addresses,
 *    the UDP length filling the IP payload;
 *  - a controlled session of its 5-tuple, installed and started, without
 *    reflected octets (RFC 6038); or, if no session matches, a TWAMP Light
 *    reflector on the destination port that allows the sender;
 *  - a UDP checksum that verifies (and no NIC verdict against it), and a
 *    request at least as long as the reflector's header, so that the reply
 *    is as long as the request.
 * Everything else (including whatever must be counted as an error) goes to
 * the general path untouched, which decides and counts it there. A lane
 * reply is byte for byte the one the general path would send. The frame's
 * layout is np_parse_plain's (common/net_parse.c).
 *
 * Passes: take (parse, classify, verify the checksum) -> decrypt and verify
 * the authenticated and encrypted ones as one ipsec-mb burst -> build the
 * replies, then sign (authenticated: block 0 reused or signed; encrypted:
 * stamped, then signed and encrypted whole) as one burst -> sum each reply,
 * then stamp the transmit time of the others and store each checksum with
 * the timestamp's delta added -> transmit.
 * The order of each mode is reflect.c's.
 */
#include <string.h>

#include <rte_prefetch.h>

#include "byteorder.h"
#include "dp_clock.h"
#include "worker.h"

#define LANE_AHEAD 4u

struct lane_pkt {
	struct rte_mbuf *m;
	uint8_t *frame;
	uint8_t *pl;             /* the TWAMP-Test packet (UDP payload) */
	/* what reflects it: a session (s, and its counters sc) or a Light
	 * reflector (l), and their parameters, copied once (see params) */
	const struct dp_session *s;
	struct dp_scounters *sc;
	const struct dp_light *l;
	const struct tw_layout *snd_l, *refl_l;
	const struct mb_keys *keys;
	uint8_t sec;
	int8_t dscp;
	struct np_info info;
	uint16_t pre;            /* payload octets the reply rewrites */
	uint64_t carry;          /* the checksum of everything else; then (stamp)
				  * the reply's sum, its timestamp still zero */
	/* authenticated: block 0 of the request as received, and decrypted */
	uint8_t blk0_ct[16];
	uint8_t blk0_tag[TW_HMAC_LEN];
	uint8_t blk0_pt[16];
};

/* The session of the 5-tuple, as classify_udp finds it, or none (*found).
 * Returns false if the packet is the general path's: a session not started,
 * or reflecting octets. */
static bool by_session(struct dp_worker *w, struct lane_pkt *p, bool *found)
{
	struct dp_session *s = session_lookup(&p->info);

	*found = s != NULL;
	if (s == NULL)
		return true;
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == TWR_SS_INSTALLED ||
	    s->reflect_len != 0)
		return false;
	p->s = s;
	p->sc = &w->sc[sessions_slot(s)];
	return true;
}

static bool by_light(struct lane_pkt *p)
{
	const struct dp_light *l = light_for_port(p->info.dport);

	if (l == NULL || !light_sender_allowed(l, p->info.ipver, p->info.src))
		return false;
	p->l = l;
	return true;
}

/* The reflector's parameters, from the session or the Light reflector,
 * copied into *p: every pass reads them, and one branch here spares one
 * in each read. */
static inline void params(struct lane_pkt *p)
{
	if (p->s != NULL) {
		p->snd_l = p->s->snd_l;
		p->refl_l = p->s->refl_l;
		p->keys = &p->s->keys;
		p->sec = p->s->sec;
		p->dscp = p->s->dscp;
	} else {
		p->snd_l = p->l->snd_l;
		p->refl_l = p->l->refl_l;
		p->keys = &p->l->keys;
		p->sec = p->l->sec;
		p->dscp = p->l->dscp;
	}
}

/* Whether the lane reflects this frame; fills *p if so. */
static bool take(struct dp_worker *w, struct rte_mbuf *m, struct lane_pkt *p, uint64_t now)
{
	const struct tw_layout *rl;
	bool session;

	p->frame = rte_pktmbuf_mtod(m, uint8_t *);
	if (m->nb_segs != 1 ||
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
	    !rte_is_same_ether_addr((const struct rte_ether_addr *)p->frame, &w->port->mac) ||
	    !np_parse_plain(p->frame, m->data_len, &p->info) || p->info.udp_csum == 0)
		return false;
	/* sessions first, as classify_udp */
	session = false;
	p->s = NULL;
	p->sc = NULL;
	p->l = NULL;
	if (dp_sess.count != 0 && !by_session(w, p, &session))
		return false;
	if (!session &&
	    (!dp_port_is_local(w->port, p->info.ipver, p->info.dst) || !by_light(p)))
		return false;
	p->pl = p->frame + p->info.payload_off;
	params(p);
	rl = p->refl_l;
	if (p->info.payload_len < p->snd_l->base_len || p->info.payload_len < rl->base_len)
		return false;
	/* even, so that the rest starts on a word; or all of an odd payload
	 * that ends inside the header's last word (nothing after it) */
	p->pre = (uint16_t)RTE_MIN(RTE_ALIGN_CEIL(rl->base_len, 2), p->info.payload_len);
	if (!np_udp_csum_verify_carry(p->frame, &p->info, p->pre, &p->carry))
		return false;
	if (p->sc != NULL) { /* counted here, once the lane has it */
		p->sc->rx++;
		p->sc->last_rx_tsc = now;
	}
	p->m = m;
	return true;
}

/* With intent to write: the lane rewrites these lines in place, and on
 * memif they were last written by the peer's core, so asking for them
 * owned spares a second trip to that core when the reply is written. */
static inline void prefetch_frame(const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

	rte_prefetch0_write(f);
	rte_prefetch0_write(f + RTE_CACHE_LINE_SIZE);
	rte_prefetch0_write(f + 2 * RTE_CACHE_LINE_SIZE);
}

static void drop(struct lane_pkt *p)
{
	rte_pktmbuf_free(p->m);
	p->m = NULL;
}

/* Decrypt and verify the authenticated and encrypted requests; drop and
 * count failures. */
static void authenticate(struct dp_worker *w, struct lane_pkt *ps, unsigned n)
{
	struct mb_op ops[DP_MAX_BURST];
	unsigned idx[DP_MAX_BURST], nops = 0;
	bool ok[DP_MAX_BURST];

	for (unsigned i = 0; i < n; i++) {
		struct lane_pkt *p = &ps[i];
		uint8_t *pl = p->pl;

		if (p->sec == TW_SEC_OPEN)
			continue;
		if (p->sec == TW_SEC_AUTH) { /* as received, for the reply's block 0 */
			memcpy(p->blk0_ct, pl, 16);
			memcpy(p->blk0_tag, pl + p->snd_l->hmac_off, TW_HMAC_LEN);
		}
		ops[nops] = (struct mb_op){ pl, p->snd_l, p->keys };
		idx[nops++] = i;
	}
	if (nops == 0)
		return;
	if (mb_unprotect_burst(w->mb, ops, nops, ok) != nops) {
		for (unsigned j = 0; j < nops; j++) {
			struct lane_pkt *p = &ps[idx[j]];

			if (ok[j])
				continue;
			w->gc->auth_failures++;
			if (p->sc != NULL)
				p->sc->auth_fail++;
			drop(p);
		}
	}
	for (unsigned j = 0; j < nops; j++) {
		struct lane_pkt *p = &ps[idx[j]];

		if (p->m != NULL && p->sec == TW_SEC_AUTH)
			memcpy(p->blk0_pt, p->pl, 16);
	}
}

/* The reflector's sequence number in network order: the session's own
 * counter, the sender's (stateless Light: NULL), or the per-sender counter
 * (stateful Light), in *buf. Returns false to drop. */
static bool lane_seq(struct dp_worker *w, const struct lane_pkt *p, uint64_t now, uint8_t *buf,
		     const uint8_t **seq_be)
{
	int64_t seq;

	*seq_be = buf;
	if (p->sc != NULL) {
		be32_put(buf, p->sc->seq++);
		return true;
	}
	*seq_be = NULL;
	if (p->l->stateless)
		return true;
	seq = light_next_seq(&w->light, p->l, p->info.ipver, p->info.src, p->info.sport,
			     be32_get(p->pl), now);
	if (seq < 0) {
		w->gc->light_state_full++;
		return false;
	}
	be32_put(buf, (uint32_t)seq);
	*seq_be = buf;
	return true;
}

/* The transmit timestamp of the encrypted replies among ps[idx[0..n)], as
 * late as their encryption allows: just before it. */
static void stamp_encrypted(struct lane_pkt *ps, const unsigned *idx, unsigned n)
{
	uint64_t tx_ntp = dp_clock_now();

	for (unsigned j = 0; j < n; j++) {
		struct lane_pkt *p = &ps[idx[j]];

		if (p->sec == TW_SEC_ENC)
			tw_put_ts(p->pl, p->refl_l, tx_ntp);
	}
}

/* Replies in place; authenticated ones get the request's block 0 back when
 * theirs is the same (see reflect.c), else join the signing burst, as the
 * encrypted ones do once stamped (their timestamp is encrypted). */
static void build(struct dp_worker *w, struct lane_pkt *ps, unsigned n, uint64_t now)
{
	uint64_t rx_be = rte_cpu_to_be_64(dp_clock_ntp(now));
	struct mb_op ops[DP_MAX_BURST];
	unsigned idx[DP_MAX_BURST], nops = 0, nenc = 0;

	for (unsigned i = 0; i < n; i++) {
		struct lane_pkt *p = &ps[i];
		uint8_t *pl = p->pl, buf[4];
		const uint8_t *seq_be;

		if (p->m == NULL)
			continue;
		if (!lane_seq(w, p, now, buf, &seq_be)) {
			drop(p);
			continue;
		}
		tw_reflect_light(pl, p->snd_l, p->refl_l, seq_be, w->errest, rx_be, p->info.ttl);
		/* the frame ends where the IP packet does (no trailing octets) */
		p->m->data_len = p->m->pkt_len =
			(uint16_t)np_make_reply_plain(p->frame, &p->info, p->dscp);
		if (p->sec == TW_SEC_OPEN)
			continue;
		if (p->sec == TW_SEC_AUTH && memcmp(pl, p->blk0_pt, 16) == 0) {
			memcpy(pl, p->blk0_ct, 16);
			memcpy(pl + p->refl_l->hmac_off, p->blk0_tag, TW_HMAC_LEN);
			continue;
		}
		nenc += p->sec == TW_SEC_ENC;
		ops[nops] = (struct mb_op){ pl, p->refl_l, p->keys };
		idx[nops++] = i;
	}
	if (nenc != 0)
		stamp_encrypted(ps, idx, nops);
	if (nops == 0 || mb_protect_burst(w->mb, ops, nops) == 0)
		return;
	for (unsigned j = 0; j < nops; j++) { /* ipsec-mb refused: send nothing unsigned */
		w->gc->tx_drops++;
		drop(&ps[idx[j]]);
	}
}

/* The replies' sums (their transmit timestamps still zero), then the
 * timestamp of open and authenticated replies and each checksum with the
 * timestamp's delta added (encrypted ones were stamped before encryption). */
static void stamp(struct lane_pkt *ps, unsigned n)
{
	uint64_t ts_be, delta;

	for (unsigned i = 0; i < n; i++)
		if (ps[i].m != NULL)
			ps[i].carry = np_udp_csum_reply_acc(ps[i].frame, &ps[i].info, ps[i].pre,
							    ps[i].carry);
	ts_be = tx_stamp(&delta);
	for (unsigned i = 0; i < n; i++) {
		struct lane_pkt *p = &ps[i];

		if (p->m == NULL)
			continue;
		if (p->sec == TW_SEC_ENC) {
			np_udp_csum_store_acc(p->frame, &p->info, p->carry, 0);
			continue;
		}
		memcpy(p->pl + p->refl_l->ts_off, &ts_be, sizeof(ts_be));
		np_udp_csum_store_acc(p->frame, &p->info, p->carry, delta);
	}
}

static void transmit(struct dp_worker *w, struct lane_pkt *ps, unsigned n)
{
	struct rte_mbuf *out[DP_MAX_BURST];
	struct dp_scounters *sc[DP_MAX_BURST];
	unsigned nout = 0;

	for (unsigned i = 0; i < n; i++) {
		if (ps[i].m == NULL)
			continue;
		sc[nout] = ps[i].sc;
		out[nout++] = ps[i].m;
	}
	tx_replies(w, out, sc, nout);
}

unsigned lane_burst(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n, struct rte_mbuf **rest,
		    uint64_t now, uint64_t *t)
{
	struct lane_pkt ps[DP_MAX_BURST];
	unsigned np = 0, nrest = 0;

	if (dp_sess.count == 0 && dp_light.n == 0) {
		memcpy(rest, pkts, n * sizeof(*pkts));
		return n;
	}
	for (unsigned i = 0; i < RTE_MIN(n, LANE_AHEAD); i++)
		prefetch_frame(pkts[i]);
	for (unsigned i = 0; i < n; i++) {
		if (i + LANE_AHEAD < n)
			prefetch_frame(pkts[i + LANE_AHEAD]);
		if (take(w, pkts[i], &ps[np], now))
			np++;
		else
			rest[nrest++] = pkts[i];
	}
	stage_mark(w, DP_ST_take, t);
	if (np == 0)
		return nrest;
	w->gc->rx_packets += np;
	w->gc->fast_lane += np;
	authenticate(w, ps, np);
	stage_mark(w, DP_ST_auth, t);
	build(w, ps, np, now);
	stage_mark(w, DP_ST_build, t);
	stamp(ps, np);
	stage_mark(w, DP_ST_stamp, t);
	transmit(w, ps, np);
	stage_mark(w, DP_ST_tx, t);
	return nrest;
}
