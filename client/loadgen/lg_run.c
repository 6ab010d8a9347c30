/* The generator's worker loop: see lg_run.h. */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "lg_run.h"

void lg_run_init(struct lg_run *r, const struct lg_opts *o, const struct lg_pool *pool)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->pool = pool;
	r->refl = tw_reflector_layout(o->sec);
	r->reply_len = (uint16_t)tw_reply_len(o->size, r->refl);
	r->hz = rte_get_tsc_hz();
}

/* Send the next LG_BURST templates by reference. A template's refcount is
 * held far above 1 (LG_TEMPLATE_REFS), so the PMD's free after its copy (or
 * after transmit completion) only decrements it and the mbuf never returns
 * to the pool; storing the value again before each send keeps it there, so
 * nothing has to be undone for frames the port refused. Only this lcore
 * sends them; the PMD's decrements are atomic. */
static void send_burst(struct lg_run *r)
{
	struct rte_mbuf *b[LG_BURST];
	uint16_t sent;

	for (unsigned i = 0; i < LG_BURST; i++) {
		b[i] = r->pool->m[(r->next + i) & (LG_POOL_SIZE - 1)];
		rte_mbuf_refcnt_set(b[i], LG_TEMPLATE_REFS);
	}
	sent = rte_eth_tx_burst(r->o->port_id, 0, b, LG_BURST);
	r->next += sent;
	r->st.tx += sent;
	r->st.tx_calls++;
	r->st.tx_short += sent < LG_BURST;
}

static void receive(struct lg_run *r, bool count)
{
	struct rte_mbuf *b[LG_BURST];

	for (unsigned round = 0; round < LG_RX_ROUNDS; round++) {
		uint16_t n = rte_eth_rx_burst(r->o->port_id, 0, b, LG_BURST);

		if (count) {
			for (uint16_t i = 0; i < n; i++) {
				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(b[i + 1], void *));
				if (b[i]->nb_segs != 1) {
					r->st.rx++;
					r->st.rx_other++;
					continue;
				}
				lg_rx_frame(r, rte_pktmbuf_mtod(b[i], const uint8_t *), b[i]->data_len);
			}
		}
		rte_pktmbuf_free_bulk(b, n);
		if (n < LG_BURST)
			break;
	}
}

/* After the window: take in what is still in flight, uncounted. */
static void drain(struct lg_run *r)
{
	uint64_t end = rte_rdtsc() + r->hz * LG_DRAIN_MS / 1000;

	while (rte_rdtsc() < end)
		receive(r, false);
}

int lg_worker(void *arg)
{
	struct lg_run *r = arg;
	uint64_t t0 = rte_rdtsc(), now = t0;
	uint64_t t_measure = t0 + r->hz * r->o->warmup_s;
	uint64_t t_end = t_measure + r->hz * r->o->duration_s;
	uint64_t t_window = 0;

	while (!r->quit) {
		now = rte_rdtsc();
		if (!r->measured && now >= t_measure) {
			memset(&r->st, 0, sizeof(r->st));
			r->measured = true;
			t_window = now;
		}
		if (now >= t_end)
			break;
		send_burst(r);
		receive(r, true);
	}
	if (r->measured)
		r->window_cycles = now - t_window;
	drain(r);
	r->done = true;
	return 0;
}
