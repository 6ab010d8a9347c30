/* Port setup: the data port with one RX/TX queue pair per worker (RSS over
 * IP addresses and UDP ports when there are several), its mempool, and the
 * TAP exception port with the same MAC address and the port's addresses. */
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp_log.h"
#include "port.h"
#include "tap_if.h"

#define MBUF_CACHE 256

static int setup_queues(uint16_t port, uint16_t nq, uint16_t nrx, uint16_t ntx,
			struct rte_mempool *mp, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: cannot read device info (%s)", port, rte_strerror(-rc));
		return -1;
	}
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		snprintf(err, errlen, "port %u (%s): %u queues asked, device has %u RX / %u TX", port,
			 info.driver_name, nq, info.max_rx_queues, info.max_tx_queues);
		return -1;
	}
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		if (conf.rx_adv_conf.rss_conf.rss_hf == 0)
			dp_log(DP_WARNING, "port %u (%s): no RSS on IP/UDP; queues are filled by the driver",
			       port, info.driver_name);
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	rc = rte_eth_dev_configure(port, nq, nq, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "port %u (%s): configure failed (%s)", port, info.driver_name,
			 rte_strerror(-rc));
		return -1;
	}
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nrx, rte_eth_dev_socket_id(port), NULL, mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, q, ntx, rte_eth_dev_socket_id(port), NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %u queue %u: setup failed (%s)", port, q, rte_strerror(-rc));
			return -1;
		}
	}
	return 0;
}

static int create_tap(struct dp_port *p, const struct dp_port_cfg *c, unsigned idx,
		      struct rte_mempool *mp, char *err, size_t errlen)
{
	char name[32], args[96];
	const uint8_t *m = p->mac.addr_bytes;

	snprintf(name, sizeof(name), "net_tap_twr%u", idx);
	snprintf(args, sizeof(args), "iface=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", c->tap_name, m[0],
		 m[1], m[2], m[3], m[4], m[5]);
	if (rte_vdev_init(name, args) != 0 || rte_eth_dev_get_port_by_name(name, &p->tap_id) != 0) {
		snprintf(err, errlen, "exception interface %s: cannot create TAP (is it in use?)",
			 c->tap_name);
		return -1;
	}
	if (setup_queues(p->tap_id, c->rx_queues, 512, 512, mp, err, errlen) != 0)
		return -1;
	if (rte_eth_dev_start(p->tap_id) != 0) {
		snprintf(err, errlen, "exception interface %s: start failed", c->tap_name);
		return -1;
	}
	return tap_if_configure(c->tap_name, c, err, errlen);
}

int port_setup(struct dp_port *p, const struct dp_port_cfg *c, unsigned idx, uint32_t nmbufs,
	       char *err, size_t errlen)
{
	char pool[32];
	struct rte_mempool *mp;
	int rc;

	memset(p, 0, sizeof(*p));
	p->cfg = c;
	p->tap_id = UINT16_MAX;
	if (rte_eth_dev_get_port_by_name(c->name, &p->port_id) != 0) {
		snprintf(err, errlen, "port '%s' not found: give the device to the EAL (-a PCI or --vdev)",
			 c->name);
		return -1;
	}
	snprintf(pool, sizeof(pool), "twr_pool_%u", idx);
	mp = rte_pktmbuf_pool_create(pool, nmbufs, MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_eth_dev_socket_id(p->port_id));
	if (mp == NULL) {
		snprintf(err, errlen, "port '%s': cannot allocate %u mbufs (%s); lower dataplane/mbufs or give more memory (-m)",
			 c->name, nmbufs, rte_strerror(rte_errno));
		return -1;
	}
	if (setup_queues(p->port_id, c->rx_queues, c->rx_desc, c->tx_desc, mp, err, errlen) != 0)
		return -1;
	rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc != 0) {
		snprintf(err, errlen, "port '%s': no MAC address", c->name);
		return -1;
	}
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "port '%s': start failed (%s)", c->name, rte_strerror(-rc));
		return -1;
	}
	if (c->tap_name[0] != '\0' && create_tap(p, c, idx, mp, err, errlen) != 0)
		return -1;
	dp_log(DP_NOTICE, "port '%s' (id %u) up: %u queue(s), MAC %02x:%02x:%02x:%02x:%02x:%02x, exception %s",
	       c->name, p->port_id, c->rx_queues, p->mac.addr_bytes[0], p->mac.addr_bytes[1],
	       p->mac.addr_bytes[2], p->mac.addr_bytes[3], p->mac.addr_bytes[4], p->mac.addr_bytes[5],
	       c->tap_name[0] ? c->tap_name : "none");
	return 0;
}

void port_close(struct dp_port *p)
{
	if (p->tap_id != UINT16_MAX) {
		rte_eth_dev_stop(p->tap_id);
		rte_eth_dev_close(p->tap_id);
	}
	rte_eth_dev_stop(p->port_id);
	rte_eth_dev_close(p->port_id);
}
