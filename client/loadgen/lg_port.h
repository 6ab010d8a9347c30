/* The generator's port: one RX and one TX queue, started, link up. */
#ifndef TWR_LG_PORT_H
#define TWR_LG_PORT_H

#include <stdint.h>

#include <rte_ether.h>

/* Configure and start port_id with its own receive pool; wait up to
 * link_wait_s for the link. *mac: the port's MAC. Returns 0, or -1 with a
 * reason on stderr. */
int lg_port_open(uint16_t port_id, uint32_t link_wait_s, struct rte_ether_addr *mac);
/* Use src_mac as the port's address (or listen promiscuously). */
void lg_port_set_mac(uint16_t port_id, struct rte_ether_addr *src_mac);
void lg_port_close(uint16_t port_id);

#endif
