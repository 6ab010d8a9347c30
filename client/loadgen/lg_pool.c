/* Precomputed sender packets: see lg_pool.h. */
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "error_estimate.h"
#include "lg_pool.h"
#include "net_parse.h"
#include "ntp_time.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet and IPv4 headers for a UDP payload of `size` octets. */
static void write_l2_l3(uint8_t *f, const struct lg_opts *o, const struct rte_ether_addr *src_mac,
			uint16_t id)
{
	uint8_t *ip = f + 14;

	memcpy(f, o->dst_mac.addr_bytes, 6);
	memcpy(f + 6, src_mac->addr_bytes, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;                       /* IPv4, 20-octet header */
	ip[1] = 0;                          /* DSCP 0, ECN 0 */
	put16(ip + 2, (uint16_t)(20 + 8 + o->size));
	put16(ip + 4, id);
	put16(ip + 6, 0x4000);              /* DF, no fragment */
	ip[8] = LG_SENDER_TTL;
	ip[9] = 17;                         /* UDP */
	put16(ip + 10, 0);
	memcpy(ip + 12, o->src_ip, 4);
	memcpy(ip + 16, o->dst_ip, 4);
	put16(ip + 10, np_csum_fold(np_csum_partial(ip, 20, 0)));
}

/* The TWAMP-Test sender payload of entry i, protected in place. */
static int write_payload(uint8_t *pl, const struct lg_opts *o, uint32_t i, uint64_t ts,
			 uint16_t errest)
{
	const struct tw_layout *l = tw_sender_layout(o->sec, false);
	struct tw_sender_fields f = { .seq = i, .ts = ts, .errest = errest };

	memset(pl, 0, o->size);             /* padding: zero fill */
	tw_sender_write(pl, l, &f);
	return tw_protect(pl, o->size, l, &o->keys);
}

static int build_one(struct lg_pool *p, const struct lg_opts *o, uint32_t i)
{
	uint16_t flen = (uint16_t)(LG_HDR_LEN + o->size);
	uint16_t mlen = flen < LG_MIN_FRAME ? LG_MIN_FRAME : flen;
	struct rte_mbuf *m = rte_pktmbuf_alloc(p->mp);
	struct np_info info;
	uint8_t *f;

	if (m == NULL || rte_pktmbuf_append(m, mlen) == NULL) {
		fprintf(stderr, "twamp-loadgen: cannot allocate template %u\n", i);
		rte_pktmbuf_free(m);
		return -1;
	}
	p->m[i] = m;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	memset(f, 0, mlen);                 /* Ethernet padding, if any */
	write_l2_l3(f, o, &p->src_mac, (uint16_t)i);
	put16(f + 34, (uint16_t)(o->src_port + i % o->flows));
	put16(f + 36, o->dst_port);
	put16(f + 38, (uint16_t)(8 + o->size));
	put16(f + 40, 0);
	if (write_payload(f + LG_HDR_LEN, o, i, p->ts[i], p->errest) != 0) {
		fprintf(stderr, "twamp-loadgen: tw_protect failed\n");
		return -1;
	}
	if (np_parse(f, mlen, &info) != NP_UDP) {
		fprintf(stderr, "twamp-loadgen: built an unparsable frame (bug)\n");
		return -1;
	}
	np_udp_csum_set(f, &info);
	return 0;
}

int lg_pool_build(struct lg_pool *p, const struct lg_opts *o, const struct rte_ether_addr *src_mac,
		  int socket)
{
	uint64_t now = ntp_now();

	memset(p, 0, sizeof(*p));
	p->src_mac = *src_mac;
	p->errest = errest_encode(false, 0.001);
	p->frame_len = (uint16_t)(LG_HDR_LEN + o->size);
	/* one mbuf per entry; none is ever returned while the pool lives */
	p->mp = rte_pktmbuf_pool_create("lg_templates", LG_POOL_SIZE, 0, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (p->mp == NULL) {
		fprintf(stderr, "twamp-loadgen: template pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	for (uint32_t i = 0; i < LG_POOL_SIZE; i++) {
		/* distinct timestamps, 1 us apart, so each echo names its entry */
		p->ts[i] = now + ntp_from_duration_ns(1000ull * i);
		if (build_one(p, o, i) != 0) {
			lg_pool_free(p);
			return -1;
		}
	}
	return 0;
}

void lg_pool_free(struct lg_pool *p)
{
	for (uint32_t i = 0; i < LG_POOL_SIZE; i++) {
		if (p->m[i] == NULL)
			continue;
		rte_mbuf_refcnt_set(p->m[i], 1);  /* the port is stopped: ours alone */
		rte_pktmbuf_free(p->m[i]);
		p->m[i] = NULL;
	}
	rte_mempool_free(p->mp);
	p->mp = NULL;
}
