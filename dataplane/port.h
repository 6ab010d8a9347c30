/* A data port: what the workers know of it (its ids, MAC address and
 * addresses), and its setup. */
#ifndef TWR_DP_PORT_H
#define TWR_DP_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>

#include "dp_config.h"

struct dp_port {
	uint16_t port_id;
	uint16_t tap_id;             /* UINT16_MAX: no exception port */
	struct rte_ether_addr mac;
	const struct dp_port_cfg *cfg;
};

/* Find, configure and start the data port named in the config, and its TAP
 * exception port. Returns 0 or -1 with the reason in err. */
int port_setup(struct dp_port *p, const struct dp_port_cfg *c, unsigned idx, uint32_t nmbufs,
	       char *err, size_t errlen);
void port_close(struct dp_port *p);

/* fixed-size compares the compiler turns into a few loads */
static inline bool dp_addr_equal(uint8_t ipver, const uint8_t *a, const uint8_t *b)
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

/* Whether addr is one of the port's addresses; a port configured with none
 * takes every address as its own. */
static inline bool dp_port_is_local(const struct dp_port *p, uint8_t ipver, const uint8_t *addr)
{
	const struct dp_port_cfg *c = p->cfg;

	if (c->naddrs == 0)
		return true;
	for (size_t i = 0; i < c->naddrs; i++)
		if (c->addrs[i].ipver == ipver && dp_addr_equal(ipver, c->addrs[i].addr, addr))
			return true;
	return false;
}

#endif
