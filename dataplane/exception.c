/* The exception path (exception.h). */
#include <rte_ethdev.h>

#include "exception.h"

void exception_to_kernel(struct dp_worker *w, struct rte_mbuf **exc, unsigned n)
{
	uint16_t sent = 0;

	if (n == 0)
		return;
	if (w->port->tap_id != UINT16_MAX)
		sent = rte_eth_tx_burst(w->port->tap_id, w->queue, exc, (uint16_t)n);
	w->gc->exception_to_kernel += sent;
	w->gc->exception_drops += n - sent;
	for (unsigned i = sent; i < n; i++)
		rte_pktmbuf_free(exc[i]);
}

void exception_from_kernel(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_MAX_BURST];
	uint16_t n, sent = 0;

	if (w->port->tap_id == UINT16_MAX)
		return;
	n = rte_eth_rx_burst(w->port->tap_id, w->queue, pkts, DP_MAX_BURST);
	if (n == 0)
		return;
	for (int tries = 0; sent < n && tries < TX_RETRIES; tries++)
		sent += rte_eth_tx_burst(w->port->port_id, w->queue, pkts + sent, n - sent);
	w->gc->exception_from_kernel += sent;
	w->gc->exception_drops += n - sent;
	for (unsigned i = sent; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}
