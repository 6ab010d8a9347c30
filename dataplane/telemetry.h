/* Counters through DPDK telemetry (usertools/dpdk-telemetry.py):
 *   /twamp/stats              global counters, summed over workers
 *   /twamp/workers            per-worker packets and cycles per packet
 *   /twamp/sessions           SIDs of the installed sessions
 *   /twamp/session,<SID hex>  one session's counters and state
 *   /twamp/light              TWAMP Light reflectors and their configuration */
#ifndef TWR_DP_TELEMETRY_H
#define TWR_DP_TELEMETRY_H

#include "dp_worker.h"

int telemetry_register(struct dp_worker *workers, unsigned nworkers);
void dp_counters_sum(struct dp_gcounters *out);

#endif
