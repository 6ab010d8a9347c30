/* Transmit: the burst's transmit timestamp and sending the replies. */
#ifndef TWR_DP_TX_H
#define TWR_DP_TX_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dp_worker.h"

/* The burst's transmit timestamp in wire form, and in *delta its RFC 1624
 * checksum delta against the zeros the replies hold until it is written. */
uint64_t tx_stamp(uint64_t *delta);

/* Send replies out[0, n) (sc[i]: out[i]'s session counters, or NULL) on the
 * worker's queue and count them; what the TX queue does not take after
 * TX_RETRIES tries is freed and counted as tx_drops. */
void tx_replies(struct dp_worker *w, struct rte_mbuf **out, struct dp_scounters **sc, unsigned n);

#endif
