/* The generator's port: see lg_port.h. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "lg_port.h"

#define LG_RX_MBUFS 8191
#define LG_RX_DESC 1024
#define LG_TX_DESC 1024

static struct rte_mempool *rx_pool;

static int setup(uint16_t port)
{
	struct rte_eth_conf conf;
	int socket = rte_eth_dev_socket_id(port);
	int rc;

	memset(&conf, 0, sizeof(conf));
	rx_pool = rte_pktmbuf_pool_create("lg_rx", LG_RX_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  socket);
	if (rx_pool == NULL) {
		fprintf(stderr, "twamp-loadgen: receive pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, LG_RX_DESC, socket, NULL, rx_pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, LG_TX_DESC, socket, NULL);
	if (rc != 0) {
		fprintf(stderr, "twamp-loadgen: port %u setup: %s\n", port, rte_strerror(-rc));
		return -1;
	}
	return 0;
}

/* Wait for the link. A memif client that found no server does not try
 * again by itself, so the port is restarted once a second until it connects. */
static int wait_link(uint16_t port, uint32_t wait_s)
{
	struct rte_eth_link link;

	for (uint32_t ms = 0; ms <= wait_s * 1000; ms += 10) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			return 0;
		if (ms > 0 && ms % 1000 == 0 && rte_eth_dev_stop(port) == 0 && rte_eth_dev_start(port) != 0)
			break;
		usleep(10000);
	}
	fprintf(stderr, "twamp-loadgen: port %u: no link after %u s\n", port, wait_s);
	return -1;
}

int lg_port_open(uint16_t port, uint32_t link_wait_s, struct rte_ether_addr *mac)
{
	int rc;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "twamp-loadgen: no port %u (give one to the EAL: --vdev or -a)\n", port);
		return -1;
	}
	if (setup(port) != 0)
		return -1;
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		fprintf(stderr, "twamp-loadgen: port %u start: %s\n", port, rte_strerror(-rc));
		return -1;
	}
	if (rte_eth_macaddr_get(port, mac) != 0) {
		fprintf(stderr, "twamp-loadgen: port %u has no MAC address\n", port);
		return -1;
	}
	return wait_link(port, link_wait_s);
}

void lg_port_set_mac(uint16_t port, struct rte_ether_addr *src_mac)
{
	struct rte_ether_addr cur;

	if (rte_eth_macaddr_get(port, &cur) == 0 && rte_is_same_ether_addr(&cur, src_mac))
		return;
	if (rte_eth_dev_default_mac_addr_set(port, src_mac) == 0)
		return;
	/* the device keeps its address: take the replies to ours anyway */
	if (rte_eth_promiscuous_enable(port) != 0)
		fprintf(stderr, "twamp-loadgen: port %u: cannot use --src-mac (no MAC change, no promiscuous mode)\n",
			port);
}

/* Wait until the peer takes the link down, a signal says stop (*stop set)
 * or wait_s seconds pass. Returns true when the link went down. */
bool lg_port_wait_down(uint16_t port, uint32_t wait_s, volatile const sig_atomic_t *stop)
{
	struct rte_eth_link link;

	for (uint32_t ms = 0; ms <= wait_s * 1000 && !*stop; ms += 10) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_DOWN)
			return true;
		usleep(10000);
	}
	return false;
}

void lg_port_close(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_mempool_free(rx_pool);
	rx_pool = NULL;
}
