/* The exception path: frames that are not test packets go to the TAP port
 * whose kernel interface holds the same addresses (ARP/ND, ICMP, TCP 862 to
 * the control server, IKE, ...); what the kernel sends back goes out of the
 * data port. Each worker uses its own queue on both ports. */
#ifndef TWR_DP_EXCEPTION_H
#define TWR_DP_EXCEPTION_H

#include <rte_mbuf.h>

#include "dp_worker.h"

/* Pass exc[0, n) to the kernel; what the TAP does not take is freed. */
void exception_to_kernel(struct dp_worker *w, struct rte_mbuf **exc, unsigned n);
/* One burst from the kernel out of the data port. */
void exception_from_kernel(struct dp_worker *w);

#endif
