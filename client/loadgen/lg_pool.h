/* The generator's precomputed sender packets: LG_POOL_SIZE complete frames
 * (Ethernet, IPv4, UDP with a correct checksum, TWAMP-Test sender payload
 * already protected with common's tw_protect), held as template mbufs. The
 * hot path sends them by reference (refcount held high, see send_burst in
 * lg_run.c), so neither the crypto nor a copy is on it.
 *
 *   frame  0        14           34     42                       42+size
 *          +--------+------------+------+------------------------+
 *          | dst src| IPv4 (20)  | UDP  | sender packet (size)   |
 *          |  0800  | TTL 255 DF |      | seq = pool index       |
 *          +--------+------------+------+------------------------+
 *
 * Entry i carries sequence number i, source port src_port + i % flows and
 * its own sender timestamp, so an echoed reply names the entry it answers. */
#ifndef TWR_LG_POOL_H
#define TWR_LG_POOL_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "lg_opts.h"

#define LG_POOL_SIZE 4096
#define LG_HDR_LEN 42            /* Ethernet 14 + IPv4 20 + UDP 8 */
#define LG_SENDER_TTL 255
#define LG_TEMPLATE_REFS 0x4000  /* refcount of a template while the pool lives */

struct lg_pool {
	struct rte_mempool *mp;
	struct rte_mbuf *m[LG_POOL_SIZE];
	uint64_t ts[LG_POOL_SIZE];   /* plaintext sender timestamp of entry i */
	uint16_t errest;             /* sender Error Estimate (same for all) */
	uint16_t frame_len;
	struct rte_ether_addr src_mac;
};

/* Build the pool. src_mac: the generator's MAC. Returns 0, or -1 with a
 * reason on stderr. */
int lg_pool_build(struct lg_pool *p, const struct lg_opts *o, const struct rte_ether_addr *src_mac,
		  int socket);
/* The frame of entry i as it went out (for the echo check). */
static inline const uint8_t *lg_pool_frame(const struct lg_pool *p, uint32_t i)
{
	return rte_pktmbuf_mtod(p->m[i], const uint8_t *);
}
void lg_pool_free(struct lg_pool *p);

#endif
