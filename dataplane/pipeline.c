/* The reflect pipeline: one received burst, from RX to TX.
 *
 *   rx burst
 *     │
 *   take      parse, decide whose it is, check length and UDP checksum ──┬─▶ exception: TAP (kernel)
 *     │                                                                  └─▶ drop (counted)
 *   verify    decrypt and check the HMAC of authenticated and encrypted requests (one ipsec-mb burst)
 *   build     the reply in place: reflector header, reflected octets, IP and UDP headers;
 *             authenticated, block 0 as the request's: its ciphertext and tag back
 *   sign      the other authenticated replies' block 0 signed; encrypted: stamped, then
 *             signed and encrypted whole (one ipsec-mb burst)
 *   stamp     each reply's UDP checksum, and the burst's transmit timestamp patched into
 *             the unencrypted ones with its checksum delta (RFC 1624)
 *   transmit  tx burst
 *
 * Order within a mode (RFC 4656 §4.1.2, docs/protocol.md §7.3): the
 * transmit timestamp is as late as the mode allows: written last when in
 * the clear, just before the encryption that covers it otherwise.
 *
 * The stages are inline functions over struct dp_pkt, instantiated twice
 * with the compile-time flag `plain`, as VPP instantiates one node body:
 *  - plain: the shape nearly all test traffic has: one segment, unicast to
 *    the port's MAC, UDP over IPv4 without options or over IPv6 (untagged
 *    or behind one or two tags), a started session without reflected
 *    octets or an allowed Light sender, a request at least as long as both
 *    headers (so the reply is as long as the request), a valid checksum.
 *    At every other exit of the policy the plain copy defers the frame,
 *    untouched and uncounted, to the general copy (V_GENERAL);
 *  - general: every frame, with every drop and exception counted.
 * So the policy (what is ours, what is dropped, which counter moves) is
 * written once, here; the compiler writes the fast copy by removing what
 * cannot happen in it. The plain copy runs over the burst first, the
 * general copy over what it deferred.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "byteorder.h"
#include "dp_clock.h"
#include "exception.h"
#include "pipeline.h"
#include "tx.h"

#define PL_INLINE static inline __attribute__((always_inline))
#define PLAIN true
#define GENERAL false

/* One test packet on its way through the burst. */
struct dp_pkt {
	struct rte_mbuf *m;          /* NULL once dropped */
	uint8_t *frame;
	uint8_t *pl;                 /* the TWAMP-Test packet (UDP payload) */
	struct np_info info;
	/* what reflects it, copied once from the session or Light reflector:
	 * every stage reads them, and this spares a branch in each read */
	struct dp_scounters *sc;     /* the session's counters; NULL for Light */
	const struct dp_light *light;
	const struct tw_layout *snd_l, *refl_l;
	const struct mb_keys *keys;
	uint8_t sec;
	bool blk0_reused;            /* block 0 and tag are the request's: nothing to sign */
	int8_t dscp;
	uint16_t reflect_len;
	uint16_t reply_len;          /* UDP payload */
	/* the UDP checksum carried from the request (np_udp_csum_verify_carry):
	 * the reply rewrites payload octets [0, pre) only; pre 0: the reply's
	 * length differs, its checksum is summed in full. carry: the sum of
	 * everything else; from stamp on, the reply's sum */
	uint16_t pre;
	uint64_t carry;
	/* authenticated: block 0 of the request as received, and decrypted */
	uint8_t blk0_ct[16];
	uint8_t blk0_tag[TW_HMAC_LEN];
	uint8_t blk0_pt[16];
};

enum verdict { V_TEST, V_EXCEPTION, V_DROP, V_GENERAL };

/* An exit of the policy that is not the plain shape: the plain copy defers
 * the frame to the general copy; the general copy counts it (ctr, if any)
 * and gives verdict v. */
PL_INLINE enum verdict outcome(bool plain, uint64_t *ctr, enum verdict v)
{
	if (plain)
		return V_GENERAL;
	if (ctr != NULL)
		(*ctr)++;
	return v;
}

/* ---- take ------------------------------------------------------------------ */

PL_INLINE void from_session(struct dp_pkt *p, const struct dp_session *s)
{
	p->light = NULL;
	p->snd_l = s->snd_l;
	p->refl_l = s->refl_l;
	p->keys = s->keys;
	p->sec = s->sec;
	p->dscp = s->dscp;
	p->reflect_len = s->reflect_len;
}

PL_INLINE void from_light(struct dp_pkt *p, const struct dp_light *l)
{
	p->light = l;
	p->snd_l = l->snd_l;
	p->refl_l = l->refl_l;
	p->keys = l->keys;
	p->sec = l->sec;
	p->dscp = l->dscp;
	p->reflect_len = 0;
}

/* Whose a UDP packet is: an installed session of its 5-tuple first, else a
 * TWAMP Light reflector on its destination port, if it is to us. */
PL_INLINE enum verdict reflector_of(struct dp_worker *w, struct dp_pkt *p, const bool plain)
{
	const struct np_info *in = &p->info;
	struct dp_session *s = dp_sess.count != 0 ? session_lookup(in) : NULL;
	const struct dp_light *l;

	if (s != NULL) {
		p->sc = &w->sc[sessions_slot(s)];
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == TWR_SS_INSTALLED)
			return outcome(plain, &w->gc->not_started, V_DROP);
		if (plain && s->reflect_len != 0)
			return V_GENERAL;
		from_session(p, s);
		return V_TEST;
	}
	if (!dp_port_is_local(w->port, in->ipver, in->dst))
		return outcome(plain, NULL, V_EXCEPTION);
	l = light_for_port(in->dport);
	if (l != NULL) {
		if (!light_sender_allowed(l, in->ipver, in->src))
			return outcome(plain, &w->gc->unknown_sender, V_DROP);
		from_light(p, l);
		return V_TEST;
	}
	if (dp_sess.port_refs[in->dport] != 0) /* a session's test port */
		return outcome(plain, &w->gc->no_session, V_DROP);
	return outcome(plain, NULL, V_EXCEPTION);
}

/* Payload octets [0, pre) that the reply rewrites: the reflector header and
 * the reflected octets moved in after it (tw_build_reply), rounded up to a
 * whole 16-bit word, or all of an odd payload that ends inside that word.
 * 0 when the reply is not as long as the request. */
PL_INLINE uint16_t rewritten_prefix(const struct dp_pkt *p)
{
	size_t plen = p->info.payload_len, n = p->reflect_len;

	if (p->reply_len != plen)
		return 0;
	n = RTE_MIN(n, plen - p->snd_l->base_len);
	n = RTE_MIN(n, plen - p->refl_l->base_len);
	return (uint16_t)RTE_MIN(RTE_ALIGN_CEIL(p->refl_l->base_len + n, 2), plen);
}

/* The UDP checksum, verified in software while taking the carry for the
 * reply; where the NIC gives a verdict, that verdict stands. */
PL_INLINE bool csum_ok(const struct rte_mbuf *m, struct dp_pkt *p)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	bool ok;

	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	if (p->pre != 0)
		ok = np_udp_csum_verify_carry(p->frame, &p->info, p->pre, &p->carry);
	else
		ok = np_udp_csum_ok(p->frame, &p->info);
	return ok || f == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
}

/* Length and checksum, once the packet is known to be a test packet. */
PL_INLINE enum verdict check_test(struct dp_worker *w, struct rte_mbuf *m, struct dp_pkt *p,
				  const bool plain)
{
	size_t plen = p->info.payload_len;

	if (plen < p->snd_l->base_len) {
		if (!plain && p->sc != NULL)
			p->sc->malformed++;
		return outcome(plain, &w->gc->malformed, V_DROP);
	}
	if (plain && plen < p->refl_l->base_len) /* the reply would be longer */
		return V_GENERAL;
	p->reply_len = (uint16_t)tw_reply_len(plen, p->refl_l);
	p->pre = rewritten_prefix(p);
	if (!csum_ok(m, p))
		return outcome(plain, &w->gc->bad_checksum, V_DROP);
	if (!plain && p->reply_len > rte_pktmbuf_tailroom(m) + m->data_len - p->info.payload_off) {
		w->gc->oversized++;
		return V_DROP;
	}
	return V_TEST;
}

/* The verdict on one frame; a test packet's *p filled. */
PL_INLINE enum verdict take(struct dp_worker *w, struct rte_mbuf *m, struct dp_pkt *p,
			    const bool plain)
{
	enum np_result r;
	enum verdict v;

	p->m = m;
	p->sc = NULL;
	if (m->nb_segs != 1) {
		if (plain)
			return V_GENERAL;
		if (rte_pktmbuf_linearize(m) != 0) {
			w->gc->oversized++;
			return V_DROP;
		}
	}
	p->frame = rte_pktmbuf_mtod(m, uint8_t *);
	r = np_parse(p->frame, m->data_len, &p->info);
	if (m->data_len < RTE_ETHER_ADDR_LEN ||
	    !rte_is_same_ether_addr((const struct rte_ether_addr *)p->frame, &w->port->mac)) {
		if (plain)
			return V_GENERAL;
		/* unicast for another station (e.g. our own frames seen by af_packet) */
		if (m->data_len >= RTE_ETHER_ADDR_LEN && !(p->frame[0] & 1)) {
			w->gc->not_for_us++;
			return V_DROP;
		}
	}
	switch (r) {
	case NP_UDP:
		break;
	case NP_MALFORMED:
		return outcome(plain, &w->gc->malformed, V_DROP);
	case NP_FRAGMENT:
		return outcome(plain, &w->gc->fragments, V_EXCEPTION);
	case NP_IP_OPTIONS:
		return outcome(plain, &w->gc->ip_options, V_EXCEPTION);
	default: /* not IP, not UDP: the kernel's */
		return outcome(plain, NULL, V_EXCEPTION);
	}
	p->pl = p->frame + p->info.payload_off;
	v = reflector_of(w, p, plain);
	if (v == V_TEST)
		v = check_test(w, m, p, plain);
	/* a session's packet is received whatever becomes of it; the plain
	 * copy counts only what it keeps, the general copy the rest. Its
	 * REFWAIT is refreshed later, by what verifies (next_seq) */
	if (p->sc != NULL && v != V_GENERAL)
		p->sc->rx++;
	return v;
}

/* With intent to write: the pipeline rewrites these lines in place, and on
 * a zero-copy port (a NIC's DMA, memif zero-copy) another core or the
 * device has just written them, so asking for them owned, a few frames
 * ahead, overlaps the misses and spares a second trip when the reply is
 * written. Three lines: headers and an authenticated request. */
#define PL_AHEAD 4u

PL_INLINE void prefetch_frame(const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

	rte_prefetch0_write(f);
	rte_prefetch0_write(f + RTE_CACHE_LINE_SIZE);
	rte_prefetch0_write(f + 2 * RTE_CACHE_LINE_SIZE);
}

/* Take pkts[0, n): test packets into ps (returns how many), drops freed,
 * the rest into others (plain: what the general copy decides; general:
 * exception frames). */
PL_INLINE unsigned take_burst(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n,
			      struct dp_pkt *ps, struct rte_mbuf **others, unsigned *nothers,
			      const bool plain)
{
	unsigned np = 0, no = 0;

	for (unsigned i = 0; i < RTE_MIN(n, PL_AHEAD); i++)
		prefetch_frame(pkts[i]);
	for (unsigned i = 0; i < n; i++) {
		if (i + PL_AHEAD < n)
			prefetch_frame(pkts[i + PL_AHEAD]);
		switch (take(w, pkts[i], &ps[np], plain)) {
		case V_TEST:
			np++;
			break;
		case V_DROP:
			rte_pktmbuf_free(pkts[i]);
			break;
		case V_EXCEPTION:
		case V_GENERAL:
			others[no++] = pkts[i];
			break;
		}
	}
	w->gc->rx_packets += plain ? np : n;
	if (plain)
		w->gc->fast_lane += np;
	*nothers = no;
	return np;
}

/* ---- verify, build, sign, stamp, transmit ------------------------------------ */

/* out of line: rare, and the flattened stages would take a copy of the
 * mbuf free each */
static __attribute__((noinline, cold)) void drop(struct dp_pkt *p)
{
	rte_pktmbuf_free(p->m);
	p->m = NULL;
}

/* Decrypt and verify the authenticated and encrypted requests; drop and
 * count failures. */
PL_INLINE void verify(struct dp_worker *w, struct dp_pkt *ps, unsigned n)
{
	struct mb_op ops[DP_MAX_BURST];
	unsigned idx[DP_MAX_BURST], nops = 0;
	bool ok[DP_MAX_BURST];

	for (unsigned i = 0; i < n; i++) {
		struct dp_pkt *p = &ps[i];

		if (p->sec == TW_SEC_OPEN)
			continue;
		if (p->sec == TW_SEC_AUTH) { /* as received, see reuse_request_block0 */
			memcpy(p->blk0_ct, p->pl, 16);
			memcpy(p->blk0_tag, p->pl + p->snd_l->hmac_off, TW_HMAC_LEN);
		}
		ops[nops] = (struct mb_op){ p->pl, p->snd_l, p->keys };
		idx[nops++] = i;
	}
	if (nops == 0)
		return;
	if (mb_unprotect_burst(w->mb, ops, nops, ok) != nops) {
		for (unsigned j = 0; j < nops; j++) {
			struct dp_pkt *p = &ps[idx[j]];

			if (ok[j])
				continue;
			w->gc->auth_failures++;
			if (p->sc != NULL)
				p->sc->auth_fail++;
			drop(p);
		}
	}
	for (unsigned j = 0; j < nops; j++) {
		struct dp_pkt *p = &ps[idx[j]];

		if (p->m != NULL && p->sec == TW_SEC_AUTH)
			memcpy(p->blk0_pt, p->pl, 16);
	}
}

/* The reflector's sequence number: the session's own counter, the sender's
 * (stateless Light), or the per-sender counter (stateful Light). Returns
 * false to drop. Only packets that verified come here (open mode: all that
 * were taken), so this is where a session's REFWAIT is refreshed and a
 * stateful Light sender's entry made: junk with a session's 5-tuple or an
 * allowed sender's address keeps nothing alive. */
PL_INLINE bool next_seq(struct dp_worker *w, const struct dp_pkt *p, struct tw_reply_hdr *h,
			uint64_t now)
{
	int64_t seq;

	h->seq_from_sender = false;
	if (p->sc != NULL) {
		h->seq = p->sc->seq++;
		p->sc->last_rx_tsc = now;
		return true;
	}
	if (p->light->stateless) {
		h->seq_from_sender = true;
		return true;
	}
	seq = light_next_seq(&w->light, p->light, p->info.ipver, p->info.src, p->info.sport,
			     be32_get(p->pl), now, &w->gc->light_state_evicted);
	if (seq < 0) {
		w->gc->light_state_full++;
		return false;
	}
	h->seq = (uint32_t)seq;
	return true;
}

/* Authenticated mode protects block 0 alone, with AES-CBC (IV 0) and an
 * HMAC of its plaintext: deterministic for a key. A reply whose block 0 is
 * the request's (a stateless reflector; a session whose counter matches the
 * sender's) gets exactly the ciphertext and tag the request came with. */
PL_INLINE bool reuse_request_block0(struct dp_pkt *p)
{
	if (p->sec != TW_SEC_AUTH || memcmp(p->pl, p->blk0_pt, 16) != 0)
		return false;
	memcpy(p->pl, p->blk0_ct, 16);
	memcpy(p->pl + p->refl_l->hmac_off, p->blk0_tag, TW_HMAC_LEN);
	return true;
}

/* The replies in place, their Timestamps still zero. */
PL_INLINE void build(struct dp_worker *w, struct dp_pkt *ps, unsigned n, uint64_t now,
		     const bool plain)
{
	struct tw_reply_hdr h = { .errest = w->errest, .rx_ts = dp_clock_ntp(now) };

	for (unsigned i = 0; i < n; i++) {
		struct dp_pkt *p = &ps[i];
		size_t plen = p->info.payload_len, cap, rlen;

		if (p->m == NULL)
			continue;
		if (!next_seq(w, p, &h, now)) {
			drop(p);
			continue;
		}
		h.sender_ttl = p->info.ttl;
		h.reflect_len = plain ? 0 : p->reflect_len;
		cap = plain ? plen
			    : (size_t)rte_pktmbuf_tailroom(p->m) + p->m->data_len - p->info.payload_off;
		if (tw_build_reply(p->pl, plen, cap, p->snd_l, p->refl_l, &h, &rlen) != 0) {
			w->gc->malformed++; /* check_test let through what cannot be built */
			drop(p);
			continue;
		}
		p->blk0_reused = reuse_request_block0(p);
		/* the frame ends where the IP packet does (no trailing octets) */
		p->m->data_len = p->m->pkt_len =
			(uint16_t)np_make_reply(p->frame, &p->info, (uint16_t)rlen, p->dscp);
		/* a request to a group address: the reply is from the port's own
		 * (the swap would send from the group's); plain: already so */
		if (!plain)
			rte_ether_addr_copy(&w->port->mac, (struct rte_ether_addr *)(p->frame + 6));
	}
}

PL_INLINE void sign(struct dp_worker *w, struct dp_pkt *ps, unsigned n)
{
	struct mb_op ops[DP_MAX_BURST];
	unsigned idx[DP_MAX_BURST], nops = 0;
	uint64_t tx_ntp = 0;

	for (unsigned i = 0; i < n; i++) {
		struct dp_pkt *p = &ps[i];

		if (p->m == NULL || p->sec == TW_SEC_OPEN || p->blk0_reused)
			continue;
		if (p->sec == TW_SEC_ENC) { /* its timestamp is encrypted: stamped first */
			if (tx_ntp == 0)
				tx_ntp = dp_clock_now();
			tw_put_ts(p->pl, p->refl_l, tx_ntp);
		}
		ops[nops] = (struct mb_op){ p->pl, p->refl_l, p->keys };
		idx[nops++] = i;
	}
	if (nops == 0 || mb_protect_burst(w->mb, ops, nops) == 0)
		return;
	for (unsigned j = 0; j < nops; j++) { /* ipsec-mb refused: send nothing unsigned */
		w->gc->tx_drops++;
		drop(&ps[idx[j]]);
	}
}

/* The replies' sums (their transmit timestamps still zero), then the
 * timestamp of the unencrypted replies and each checksum with the
 * timestamp's delta added (encrypted ones were stamped before encryption). */
PL_INLINE void stamp(struct dp_pkt *ps, unsigned n)
{
	uint64_t ts_be, delta;

	for (unsigned i = 0; i < n; i++)
		if (ps[i].m != NULL)
			ps[i].carry = np_udp_csum_reply_acc(ps[i].frame, &ps[i].info, ps[i].pre,
							    ps[i].carry);
	ts_be = tx_stamp(&delta);
	for (unsigned i = 0; i < n; i++) {
		struct dp_pkt *p = &ps[i];

		if (p->m == NULL)
			continue;
		if (p->sec == TW_SEC_ENC) {
			np_udp_csum_store(p->frame, &p->info, p->carry, 0);
			continue;
		}
		memcpy(p->pl + p->refl_l->ts_off, &ts_be, sizeof(ts_be));
		np_udp_csum_store(p->frame, &p->info, p->carry, delta);
	}
}

PL_INLINE void transmit(struct dp_worker *w, struct dp_pkt *ps, unsigned n)
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

/* The plain copy's stages that call common/'s parser, reply builder and
 * checksum code: flattened, so that those calls are inlined into them
 * (across files, by LTO) and specialised for the plain shape. The stages
 * that call ipsec-mb (verify, sign) stay as they are. */
#define PL_FLAT static __attribute__((flatten, noinline))

PL_FLAT unsigned take_plain(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n,
			    struct dp_pkt *ps, struct rte_mbuf **rest, unsigned *nrest)
{
	return take_burst(w, pkts, n, ps, rest, nrest, PLAIN);
}

PL_FLAT void build_plain(struct dp_worker *w, struct dp_pkt *ps, unsigned n, uint64_t now)
{
	build(w, ps, n, now, PLAIN);
}

PL_FLAT void stamp_plain(struct dp_pkt *ps, unsigned n)
{
	stamp(ps, n);
}

/* verify -> build -> sign -> stamp -> transmit; the plain copy marks its
 * stages (t), the general copy is timed as a whole by its caller. */
PL_INLINE void reflect(struct dp_worker *w, struct dp_pkt *ps, unsigned n, uint64_t now,
		       uint64_t *t, const bool plain)
{
	verify(w, ps, n);
	if (plain)
		stage_mark(w, DP_ST_auth, t);
	if (plain)
		build_plain(w, ps, n, now);
	else
		build(w, ps, n, now, GENERAL);
	sign(w, ps, n);
	if (plain)
		stage_mark(w, DP_ST_build, t);
	if (plain)
		stamp_plain(ps, n);
	else
		stamp(ps, n);
	if (plain)
		stage_mark(w, DP_ST_stamp, t);
	transmit(w, ps, n);
	if (plain)
		stage_mark(w, DP_ST_tx, t);
}

/* ---- the two instantiations ---------------------------------------------------- */

/* ps: scratch for the burst's test packets */
static __attribute__((noinline)) void run_general(struct dp_worker *w, struct rte_mbuf **pkts,
						  unsigned n, uint64_t now, struct dp_pkt *ps)
{
	struct rte_mbuf *exc[DP_MAX_BURST];
	unsigned np, nexc;

	np = take_burst(w, pkts, n, ps, exc, &nexc, GENERAL);
	exception_to_kernel(w, exc, nexc);
	if (np != 0)
		reflect(w, ps, np, now, NULL, GENERAL);
}

void pipeline_burst(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n, uint64_t now)
{
	struct dp_pkt ps[DP_MAX_BURST];
	struct rte_mbuf *rest[DP_MAX_BURST];
	unsigned np, nrest = n;
	uint64_t t = now;

	/* no session and no Light reflector: nothing can be a test packet */
	if (dp_sess.count != 0 || dp_light.n != 0) {
		np = take_plain(w, pkts, n, ps, rest, &nrest);
		stage_mark(w, DP_ST_take, &t);
		if (np != 0)
			reflect(w, ps, np, now, &t, PLAIN);
		pkts = rest;
	}
	if (nrest == 0)
		return;
	run_general(w, pkts, nrest, now, ps);
	stage_mark(w, DP_ST_general, &t);
}

void pipeline_burst_general(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n, uint64_t now)
{
	struct dp_pkt ps[DP_MAX_BURST];

	run_general(w, pkts, n, now, ps);
}
