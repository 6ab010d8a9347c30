/* Transmit (tx.h). */
#include <rte_byteorder.h>
#include <rte_ethdev.h>

#include "dp_clock.h"
#include "net_parse.h"
#include "tx.h"

uint64_t tx_stamp(uint64_t *delta)
{
	static const uint8_t zero_ts[8];
	uint64_t ts_be = rte_cpu_to_be_64(dp_clock_now()); /* the NTP timestamp's wire form */

	*delta = np_csum_delta(zero_ts, (const uint8_t *)&ts_be, sizeof(ts_be));
	return ts_be;
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
