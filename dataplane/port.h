#ifndef TWR_DP_PORT_H
#define TWR_DP_PORT_H

#include <stddef.h>

#include "worker.h"

/* Find, configure and start the data port named in the config, and its TAP
 * exception port. Returns 0 or -1 with the reason in err. */
int port_setup(struct dp_port *p, const struct dp_port_cfg *c, unsigned idx, uint32_t nmbufs,
	       char *err, size_t errlen);
void port_close(struct dp_port *p);

#endif
