/* The generator's port: one RX and one TX queue, started, link up. */
#ifndef TWR_LG_PORT_H
#define TWR_LG_PORT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

/* Configure and start port_id with its own receive pool; wait up to
 * link_wait_s for the link. *mac: the port's MAC. Returns 0, or -1 with a
 * reason on stderr. */
int lg_port_open(uint16_t port_id, uint32_t link_wait_s, struct rte_ether_addr *mac);
/* Use src_mac as the port's address (or listen promiscuously). */
void lg_port_set_mac(uint16_t port_id, struct rte_ether_addr *src_mac);
/* After the run, with no lcore polling: wait up to wait_s seconds (or until
 * *stop) for the peer to take the link down. A memif peer that disconnects
 * while this side is inside rx or tx can crash it (DPDK 22.11's memif
 * unmaps the rings under the poller), and the same holds the other way
 * round; with the generator lingering idle, the peer is stopped first and
 * neither side is polling when the link goes. Returns true if it went down. */
bool lg_port_wait_down(uint16_t port_id, uint32_t wait_s, volatile const sig_atomic_t *stop);
void lg_port_close(uint16_t port_id);

#endif
