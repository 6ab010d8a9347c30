/* Reflect: verify the senders' packets, build the replies in place, sign,
 * stamp and transmit, a burst at a time.
 *
 * Order (RFC 4656 §4.1.2, protocol.md §5.2):
 *  - open:          build  -> UDP checksum -> stamp (incremental checksum) -> tx
 *  - authenticated: build  -> sign block 0 -> checksum -> stamp (last)    -> tx
 *  - encrypted:     build  -> stamp -> encrypt + sign  -> checksum         -> tx
 * so the transmit timestamp is as late as each mode allows. */
#include <string.h>

#include <rte_ethdev.h>

#include "dp_clock.h"
#include "worker.h"

static void drop_tp(struct tp *t)
{
	rte_pktmbuf_free(t->m);
	t->m = NULL;
}

static void drop_unauthentic(struct dp_worker *w, struct tp *tps, const unsigned *idx,
			     unsigned nops, const bool *ok)
{
	for (unsigned j = 0; j < nops; j++) {
		struct tp *t = &tps[idx[j]];

		if (ok[j])
			continue;
		w->gc->auth_failures++;
		if (t->sc != NULL)
			t->sc->auth_fail++;
		drop_tp(t);
	}
}

static void verify(struct dp_worker *w, struct tp *tps, unsigned n)
{
	struct mb_op ops[DP_MAX_BURST];
	unsigned idx[DP_MAX_BURST], nops = 0;
	bool ok[DP_MAX_BURST];

	for (unsigned i = 0; i < n; i++) {
		struct tp *t = &tps[i];

		if (t->sec == TW_SEC_OPEN)
			continue;
		if (t->sec == TW_SEC_AUTH) { /* as received, see reuse_request_block0 */
			memcpy(t->blk0_ct, t->payload, 16);
			memcpy(t->blk0_tag, t->payload + t->snd_l->hmac_off, TW_HMAC_LEN);
		}
		ops[nops] = (struct mb_op){ t->payload, t->snd_l, t->keys };
		idx[nops++] = i;
	}
	if (nops == 0)
		return;
	if (mb_unprotect_burst(w->mb, ops, nops, ok) != nops)
		drop_unauthentic(w, tps, idx, nops, ok);
	for (unsigned j = 0; j < nops; j++) {
		struct tp *t = &tps[idx[j]];

		if (t->m != NULL && t->sec == TW_SEC_AUTH)
			memcpy(t->blk0_pt, t->payload, 16);
	}
}

/* The reflector's sequence number: per session, per stateful Light sender,
 * or the sender's own (stateless Light). Returns false to drop. */
static bool next_seq(struct dp_worker *w, struct tp *t, struct tw_reply_opts *o,
		     struct tw_reflector_fields *h, uint64_t now)
{
	o->seq_from_sender = false;
	if (t->sc != NULL) {
		h->seq = t->sc->seq++;
		return true;
	}
	if (t->light->stateless) {
		o->seq_from_sender = true;
		return true;
	}
	uint32_t sseq;

	memcpy(&sseq, t->payload, sizeof(sseq)); /* the payload has no alignment */
	sseq = rte_be_to_cpu_32(sseq);
	int64_t seq = light_next_seq(&w->light, t->light, t->info.ipver, t->info.src,
				     t->info.sport, sseq, now);
	if (seq < 0) {
		w->gc->light_state_full++;
		return false;
	}
	h->seq = (uint32_t)seq;
	return true;
}

static void build(struct dp_worker *w, struct tp *tps, unsigned n, uint64_t rx_ntp, uint64_t now)
{
	struct tw_reflector_fields h = { .errest = w->errest, .rx_ts = rx_ntp };
	struct tw_reply_opts o;

	for (unsigned i = 0; i < n; i++) {
		struct tp *t = &tps[i];
		size_t cap, rlen;

		if (t->m == NULL)
			continue;
		if (!next_seq(w, t, &o, &h, now)) {
			drop_tp(t);
			continue;
		}
		o.reflect_len = t->reflect_len;
		h.sender_ttl = t->info.ttl;
		cap = rte_pktmbuf_tailroom(t->m) + t->m->data_len - t->info.payload_off;
		if (tw_build_reply(t->payload, t->info.payload_len, cap, t->snd_l, t->refl_l, &h, &o,
				   &rlen) != 0) {
			w->gc->malformed++;
			drop_tp(t);
			continue;
		}
		t->frame_len = (uint16_t)np_make_reply(t->frame, &t->info, (uint16_t)rlen, t->dscp);
		t->m->data_len = t->frame_len;
		t->m->pkt_len = t->frame_len;
	}
}

/* Authenticated mode protects block 0 alone, with AES-CBC (IV 0) and an
 * HMAC of its plaintext: deterministic for a key. A reply whose block 0 is
 * the request's (a stateless reflector; a session whose counter matches the
 * sender's) gets exactly the ciphertext and tag the request came with. */
static bool reuse_request_block0(struct tp *t)
{
	if (t->sec != TW_SEC_AUTH || memcmp(t->payload, t->blk0_pt, 16) != 0)
		return false;
	memcpy(t->payload, t->blk0_ct, 16);
	memcpy(t->payload + t->refl_l->hmac_off, t->blk0_tag, TW_HMAC_LEN);
	return true;
}

static void sign(struct dp_worker *w, struct tp *tps, unsigned n)
{
	struct mb_op ops[DP_MAX_BURST];
	unsigned idx[DP_MAX_BURST], nops = 0;
	uint64_t tx_ntp = 0;

	for (unsigned i = 0; i < n; i++) {
		struct tp *t = &tps[i];

		if (t->m == NULL || t->sec == TW_SEC_OPEN || reuse_request_block0(t))
			continue;
		if (t->sec == TW_SEC_ENC) { /* timestamps are encrypted: stamp first */
			if (tx_ntp == 0)
				tx_ntp = dp_clock_now();
			tw_put_ts(t->payload, t->refl_l, tx_ntp);
		}
		ops[nops] = (struct mb_op){ t->payload, t->refl_l, t->keys };
		idx[nops++] = i;
	}
	if (nops == 0 || mb_protect_burst(w->mb, ops, nops) == 0)
		return;
	for (unsigned j = 0; j < nops; j++) { /* ipsec-mb refused: send nothing unsigned */
		w->gc->tx_drops++;
		drop_tp(&tps[idx[j]]);
	}
}

/* Checksums, then the transmit timestamp of open and authenticated replies,
 * patched into the checksum incrementally (RFC 1624): the timestamp and its
 * checksum delta are the same for the whole burst. */
uint64_t tx_stamp(uint64_t *delta)
{
	static const uint8_t zero_ts[8];
	uint64_t ts_be = rte_cpu_to_be_64(dp_clock_now()); /* the NTP timestamp's wire form */

	*delta = np_csum_delta(zero_ts, (const uint8_t *)&ts_be, sizeof(ts_be));
	return ts_be;
}

static void stamp(struct tp *tps, unsigned n)
{
	uint64_t ts_be, delta;

	for (unsigned i = 0; i < n; i++) {
		struct tp *t = &tps[i];

		if (t->m == NULL)
			continue;
		if (t->csum_pre != 0)
			np_udp_csum_from_carry(t->frame, &t->info, t->csum_pre, t->csum_carry);
		else
			np_udp_csum_set(t->frame, &t->info);
	}
	ts_be = tx_stamp(&delta);
	for (unsigned i = 0; i < n; i++) {
		struct tp *t = &tps[i];

		if (t->m == NULL || t->sec == TW_SEC_ENC)
			continue;
		memcpy(t->payload + t->refl_l->ts_off, &ts_be, sizeof(ts_be));
		np_udp_csum_apply(t->frame, &t->info, delta);
	}
}

void tx_replies(struct dp_worker *w, struct rte_mbuf **out, struct dp_scounters **sc, unsigned n)
{
	unsigned sent = 0;

	for (int tries = 0; sent < n && tries < TX_RETRIES; tries++)
		sent += rte_eth_tx_burst(w->port->port_id, w->queue, out + sent, (uint16_t)(n - sent));
	w->gc->reflected += sent;
	w->gc->tx_drops += n - sent;
	for (unsigned i = 0; i < n; i++) {
		if (sc[i] == NULL)
			continue;
		if (i < sent)
			sc[i]->reflected++;
		else
			sc[i]->tx_drop++;
	}
	if (sent < n)
		rte_pktmbuf_free_bulk(out + sent, n - sent);
}

static void transmit(struct dp_worker *w, struct tp *tps, unsigned n)
{
	struct rte_mbuf *out[DP_MAX_BURST];
	struct dp_scounters *sc[DP_MAX_BURST];
	unsigned nout = 0;

	for (unsigned i = 0; i < n; i++) {
		if (tps[i].m == NULL)
			continue;
		sc[nout] = tps[i].sc;
		out[nout++] = tps[i].m;
	}
	tx_replies(w, out, sc, nout);
}

void reflect_burst(struct dp_worker *w, struct tp *tps, unsigned n, uint64_t rx_tsc)
{
	if (n == 0)
		return;
	verify(w, tps, n);
	build(w, tps, n, dp_clock_ntp(rx_tsc), rx_tsc);
	sign(w, tps, n);
	stamp(tps, n);
	transmit(w, tps, n);
}
