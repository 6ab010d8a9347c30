/* Classify: decide for each received frame whether it is a test packet of
 * an installed session or Light reflector (and fill its struct tp), belongs
 * to the kernel (exception path), or is dropped and counted. */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_hash.h>

#include "worker.h"

/* fixed-size compares the compiler turns into a few loads */
static inline bool same_addr(uint8_t ipver, const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	if (ipver == 4) {
		uint32_t u, v;

		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		return u == v;
	}
	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

bool dp_port_is_local(const struct dp_port *p, uint8_t ipver, const uint8_t *addr)
{
	const struct dp_port_cfg *c = p->cfg;

	if (c->naddrs == 0) /* no addresses configured: everything is ours */
		return true;
	for (size_t i = 0; i < c->naddrs; i++)
		if (c->addrs[i].ipver == ipver && same_addr(ipver, c->addrs[i].addr, addr))
			return true;
	return false;
}

struct dp_session *session_lookup(const struct np_info *in)
{
	struct sess_key k;
	void *data;

	memset(&k, 0, sizeof(k));
	memcpy(k.local, in->dst, 16);
	memcpy(k.peer, in->src, 16);
	k.local_port = in->dport;
	k.peer_port = in->sport;
	k.ipver = in->ipver;
	if (rte_hash_lookup_data(dp_sess.by_tuple, &k, &data) < 0)
		return NULL;
	return data;
}

/* Payload octets [0, pre) that the reply rewrites: the reflector header
 * and the reflected octets moved in after it (tw_build_reply), rounded up
 * to a whole 16-bit word. 0 when the reply is not as long as the request
 * (a request shorter than the reflector's header), whose checksum is then
 * computed in full. */
static uint16_t rewritten_prefix(const struct tp *t)
{
	size_t plen = t->info.payload_len, n = t->reflect_len, pre;

	if (t->reply_len != plen)
		return 0;
	n = RTE_MIN(n, plen - t->snd_l->base_len);
	n = RTE_MIN(n, plen - t->refl_l->base_len);
	pre = RTE_ALIGN_CEIL(t->refl_l->base_len + n, 2);
	return pre <= plen ? (uint16_t)pre : 0;
}

/* UDP checksum: verified in software while taking the carry for the reply;
 * where the NIC gives a verdict, that verdict stands. */
static bool csum_ok(const struct rte_mbuf *m, struct tp *t)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	bool ok;

	t->csum_pre = rewritten_prefix(t);
	if (t->csum_pre == 0)
		ok = np_udp_csum_ok(t->frame, &t->info);
	else
		ok = np_udp_csum_verify_carry(t->frame, &t->info, t->csum_pre, &t->csum_carry);
	if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	return ok;
}

enum verdict { V_TEST, V_EXCEPTION, V_DROP };

/* Session or Light reflector for a UDP packet to us, or the verdict. */
static enum verdict classify_udp(struct dp_worker *w, struct tp *t, uint64_t now)
{
	const struct np_info *in = &t->info;
	struct dp_session *s = dp_sess.count ? session_lookup(in) : NULL;
	const struct dp_light *l;

	if (s != NULL) {
		uint8_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		struct dp_scounters *sc = &w->sc[sessions_slot(s)];

		sc->rx++;
		sc->last_rx_tsc = now;
		if (st == TWR_SS_INSTALLED) {
			w->gc->not_started++;
			return V_DROP;
		}
		t->snd_l = s->snd_l;
		t->refl_l = s->refl_l;
		t->keys = &s->keys;
		t->sc = sc;
		t->light = NULL;
		t->sec = s->sec;
		t->dscp = s->dscp;
		t->reflect_len = s->reflect_len;
		return V_TEST;
	}
	if (!dp_port_is_local(w->port, in->ipver, in->dst))
		return V_EXCEPTION;
	l = light_for_port(in->dport);
	if (l != NULL) {
		if (!light_sender_allowed(l, in->ipver, in->src)) {
			w->gc->unknown_sender++;
			return V_DROP;
		}
		t->snd_l = l->snd_l;
		t->refl_l = l->refl_l;
		t->keys = &l->keys;
		t->sc = NULL;
		t->light = l;
		t->sec = l->sec;
		t->dscp = l->dscp;
		t->reflect_len = 0;
		return V_TEST;
	}
	if (dp_sess.port_refs[in->dport] != 0) {
		w->gc->no_session++;
		return V_DROP;
	}
	return V_EXCEPTION;
}

/* Length and checksum checks once the packet is known to be a test packet. */
static enum verdict check_test(struct dp_worker *w, struct rte_mbuf *m, struct tp *t)
{
	size_t cap;

	if (t->info.payload_len < t->snd_l->base_len) {
		w->gc->malformed++;
		if (t->sc != NULL)
			t->sc->malformed++;
		return V_DROP;
	}
	t->reply_len = (uint16_t)tw_reply_len(t->info.payload_len, t->refl_l);
	if (!csum_ok(m, t)) {
		w->gc->bad_checksum++;
		return V_DROP;
	}
	cap = rte_pktmbuf_tailroom(m) + m->data_len - t->info.payload_off;
	if (t->reply_len > cap) {
		w->gc->oversized++;
		return V_DROP;
	}
	return V_TEST;
}

static enum verdict classify_one(struct dp_worker *w, struct rte_mbuf *m, struct tp *t,
				 uint64_t now)
{
	enum np_result r;
	enum verdict v;

	t->m = m;
	t->frame = rte_pktmbuf_mtod(m, uint8_t *);
	r = np_parse(t->frame, m->data_len, &t->info);
	/* unicast for another station (e.g. our own frames seen by af_packet) */
	if (m->data_len >= RTE_ETHER_ADDR_LEN && !(t->frame[0] & 1) &&
	    !rte_is_same_ether_addr((const struct rte_ether_addr *)t->frame, &w->port->mac)) {
		w->gc->not_for_us++;
		return V_DROP;
	}
	switch (r) {
	case NP_UDP:
		break;
	case NP_MALFORMED:
		w->gc->malformed++;
		return V_DROP;
	case NP_FRAGMENT:
		w->gc->fragments++;
		return V_EXCEPTION;
	case NP_IP_OPTIONS:
		w->gc->ip_options++;
		return V_EXCEPTION;
	default:
		return V_EXCEPTION;
	}
	v = classify_udp(w, t, now);
	if (v != V_TEST)
		return v;
	t->payload = t->frame + t->info.payload_off;
	return check_test(w, m, t);
}

/* Frames fetched ahead of the one being classified. A zero-copy port (a NIC's
 * DMA, a memif client with zero-copy) hands over frames that another core or
 * the device has just written, so their first touch misses the cache; asking
 * for a few frames' lines at once lets those misses overlap. */
#define CLASSIFY_AHEAD 4u
#define CLASSIFY_LINES 3u /* 192 octets: headers and an authenticated request */

static inline void prefetch_frame(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned lines = RTE_MIN((unsigned)(m->data_len + RTE_CACHE_LINE_SIZE - 1) /
					 RTE_CACHE_LINE_SIZE,
				 CLASSIFY_LINES);

	for (unsigned l = 0; l < lines; l++)
		rte_prefetch0(p + l * RTE_CACHE_LINE_SIZE);
}

unsigned classify_burst(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n, struct tp *tps,
			struct rte_mbuf **exc, unsigned *nexc, uint64_t now)
{
	unsigned nt = 0;

	*nexc = 0;
	w->gc->rx_packets += n;
	for (unsigned i = 0; i < RTE_MIN(n, CLASSIFY_AHEAD); i++)
		prefetch_frame(pkts[i]);
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + CLASSIFY_AHEAD < n)
			prefetch_frame(pkts[i + CLASSIFY_AHEAD]);
		if (!rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_linearize(m) != 0) {
			w->gc->oversized++;
			rte_pktmbuf_free(m);
			continue;
		}
		switch (classify_one(w, m, &tps[nt], now)) {
		case V_TEST:
			nt++;
			break;
		case V_EXCEPTION:
			exc[(*nexc)++] = m;
			break;
		case V_DROP:
			rte_pktmbuf_free(m);
			break;
		}
	}
	return nt;
}
