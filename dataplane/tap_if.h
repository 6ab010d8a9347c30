/* The kernel side of the TAP exception port: bring it up with the data
 * port's addresses, so the kernel (ARP/ND, ICMP, TCP 862, IKE) answers for
 * the reflector's addresses. */
#ifndef TWR_DP_TAP_IF_H
#define TWR_DP_TAP_IF_H

#include <stddef.h>

#include "dp_config.h"

int tap_if_configure(const char *ifname, const struct dp_port_cfg *c, char *err, size_t errlen);

#endif
