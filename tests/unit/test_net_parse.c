/* Frame parsing, checksums and reply rewriting (net_parse.h). Frames are
 * built here by a straightforward byte-by-byte builder with its own
 * RFC 1071 checksum, independent of the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net_parse.h"
#include "tdata.h"

/* ---- reference checksum and frame builder -------------------------------- */
static uint16_t ref_csum(const uint8_t *p, size_t n)
{
	uint32_t acc = 0;

	for (size_t i = 0; i < n; i += 2)
		acc += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

struct fspec {
	uint8_t mac_dst[6], mac_src[6];
	unsigned int nvlans;
	uint16_t tpid[3], tci[3];
	uint16_t ethertype;     /* 0: from ipver */
	int ipver;
	uint8_t src[16], dst[16];
	uint8_t proto;          /* IPv4 protocol / IPv6 next header */
	unsigned int ihl;       /* IPv4, 32-bit words */
	uint16_t frag;          /* IPv4 flags + fragment offset */
	uint16_t ip_id;
	uint8_t tos, ttl;
	uint32_t flow;          /* IPv6 flow label */
	uint16_t sport, dport;
	uint8_t payload[1500];
	size_t plen;
	size_t ip_extra;        /* IP payload octets after the UDP datagram */
	size_t trailer;         /* Ethernet padding after the IP packet */
	bool no_udp_csum;
};

static void spec_init(struct fspec *s, int ipver)
{
	static const uint8_t md[6] = { 0x02, 0, 0, 0, 0, 0x01 }, ms[6] = { 0x02, 0, 0, 0, 0, 0x02 };

	memset(s, 0, sizeof(*s));
	memcpy(s->mac_dst, md, 6);
	memcpy(s->mac_src, ms, 6);
	s->ipver = ipver;
	if (ipver == 4) {
		s->src[0] = 10, s->src[1] = 99, s->src[2] = 0, s->src[3] = 2;
		s->dst[0] = 10, s->dst[1] = 99, s->dst[2] = 0, s->dst[3] = 1;
	} else {
		s->src[0] = 0xfd, s->src[2] = 0x99, s->src[15] = 2;
		s->dst[0] = 0xfd, s->dst[2] = 0x99, s->dst[15] = 1;
		s->flow = 0xabcde;
	}
	s->proto = 17;
	s->ihl = 5;
	s->ip_id = 0x1234;
	s->tos = 0xb9; /* DSCP 46, ECN 1 */
	s->ttl = 61;
	s->sport = 50001;
	s->dport = 862;
	s->plen = 41;
	for (size_t i = 0; i < sizeof(s->payload); i++)
		s->payload[i] = (uint8_t)(i * 13 + 5);
}

static void add_vlans(struct fspec *s, unsigned int n)
{
	static const uint16_t tpid[3] = { 0x88a8, 0x8100, 0x8100 };

	s->nvlans = n;
	for (unsigned int i = 0; i < n; i++) {
		s->tpid[i] = tpid[i];
		s->tci[i] = (uint16_t)(0x100 + i * 0x111);
	}
}

static size_t build(uint8_t *f, const struct fspec *s)
{
	size_t off = 12, l3, l4, alen = s->ipver == 4 ? 4 : 16;
	size_t ulen = 8 + s->plen;
	uint8_t *ip;

	memcpy(f, s->mac_dst, 6);
	memcpy(f + 6, s->mac_src, 6);
	for (unsigned int i = 0; i < s->nvlans; i++, off += 4) {
		wr16(f + off, s->tpid[i]);
		wr16(f + off + 2, s->tci[i]);
	}
	wr16(f + off, s->ethertype ? s->ethertype : s->ipver == 4 ? 0x0800 : 0x86dd);
	l3 = off + 2;
	ip = f + l3;
	if (s->ipver == 4) {
		size_t hl = s->ihl * 4;

		ip[0] = (uint8_t)(0x40 | s->ihl);
		ip[1] = s->tos;
		wr16(ip + 2, (uint16_t)(hl + ulen + s->ip_extra));
		wr16(ip + 4, s->ip_id);
		wr16(ip + 6, s->frag);
		ip[8] = s->ttl;
		ip[9] = s->proto;
		wr16(ip + 10, 0);
		memcpy(ip + 12, s->src, 4);
		memcpy(ip + 16, s->dst, 4);
		memset(ip + 20, 0x01, hl > 20 ? hl - 20 : 0); /* NOP options */
		wr16(ip + 10, ref_csum(ip, hl));
		l4 = l3 + hl;
	} else {
		ip[0] = (uint8_t)(0x60 | s->tos >> 4);
		ip[1] = (uint8_t)(s->tos << 4 | ((s->flow >> 16) & 0x0f));
		wr16(ip + 2, (uint16_t)s->flow);
		wr16(ip + 4, (uint16_t)(ulen + s->ip_extra));
		ip[6] = s->proto;
		ip[7] = s->ttl;
		memcpy(ip + 8, s->src, 16);
		memcpy(ip + 24, s->dst, 16);
		l4 = l3 + 40;
	}
	wr16(f + l4, s->sport);
	wr16(f + l4 + 2, s->dport);
	wr16(f + l4 + 4, (uint16_t)ulen);
	wr16(f + l4 + 6, 0);
	memcpy(f + l4 + 8, s->payload, s->plen);
	memset(f + l4 + ulen, 0xab, s->ip_extra);
	if (!s->no_udp_csum) {
		uint8_t tmp[2048];
		size_t n = 0;
		uint16_t c;

		memcpy(tmp, s->src, alen);
		memcpy(tmp + alen, s->dst, alen);
		n = 2 * alen;
		tmp[n++] = 0;
		tmp[n++] = 17;
		wr16(tmp + n, (uint16_t)ulen);
		n += 2;
		memcpy(tmp + n, f + l4, ulen);
		c = ref_csum(tmp, n + ulen);
		wr16(f + l4 + 6, c ? c : 0xffff);
	}
	memset(f + l4 + ulen + s->ip_extra, 0, s->trailer);
	return l4 + ulen + s->ip_extra + s->trailer;
}

/* parse a heap copy of exactly len octets, so ASan sees any over-read */
static enum np_result parse_exact(const uint8_t *f, size_t len, struct np_info *info)
{
	uint8_t *c = malloc(len ? len : 1);
	enum np_result r;

	assert_non_null(c);
	memcpy(c, f, len);
	r = np_parse(c, len, info);
	free(c);
	return r;
}

static enum np_result parse_spec(const struct fspec *s, struct np_info *info)
{
	uint8_t f[2048];

	return parse_exact(f, build(f, s), info);
}

/* ---- checksums ------------------------------------------------------------- */
static void test_csum_partial(void **state)
{
	uint8_t buf[256 + 8];
	uint64_t x = 88172645463325252ull;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	for (size_t align = 0; align < 8; align++)
		for (size_t n = 0; n <= 256; n++)
			assert_int_equal(np_csum_fold(np_csum_partial(buf + align, n, 0)),
					 ref_csum(buf + align, n));
	/* chained over even-length chunks, with small integers added */
	for (size_t cut = 0; cut <= 200; cut += 2) {
		uint32_t s = np_csum_partial(buf, cut, 17);

		s = np_csum_partial(buf + cut, 201 - cut, s);
		{
			uint8_t t[204];

			memcpy(t, buf, 201);
			t[201] = 0; /* pad the odd octet, then the word 0x0011 */
			t[202] = 0, t[203] = 17;
			assert_int_equal(np_csum_fold(s), ref_csum(t, 204));
		}
	}
	/* all 0xff: a sum of many carries */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(np_csum_fold(np_csum_partial(buf, 256, 0xffffffffu)),
			 ref_csum(buf, 256));
}

/* ---- classification ---------------------------------------------------------- */
static void test_ipv4_udp(void **state)
{
	struct fspec s;
	struct np_info i;
	uint8_t f[2048];
	size_t n;

	(void)state;
	spec_init(&s, 4);
	n = build(f, &s);
	assert_int_equal(parse_exact(f, n, &i), NP_UDP);
	assert_int_equal(i.ipver, 4);
	assert_int_equal(i.nvlans, 0);
	assert_int_equal(i.l3_off, 14);
	assert_int_equal(i.l4_off, 34);
	assert_int_equal(i.payload_off, 42);
	assert_int_equal(i.payload_len, 41);
	assert_int_equal(i.frame_len, n);
	assert_int_equal(i.ttl, 61);
	assert_int_equal(i.tos, 0xb9);
	assert_int_equal(i.l4proto, 17);
	assert_memory_equal(i.src, s.src, 16); /* octets 4-15 zero */
	assert_memory_equal(i.dst, s.dst, 16);
	assert_int_equal(i.sport, 50001);
	assert_int_equal(i.dport, 862);
	assert_int_equal(i.udp_csum, rd16(f + 34 + 6));
	assert_true(np_udp_csum_ok(f, &i));
	assert_memory_equal(f + i.payload_off, s.payload, 41);
}

static void test_ipv6_udp(void **state)
{
	struct fspec s;
	struct np_info i;
	uint8_t f[2048];
	size_t n;

	(void)state;
	spec_init(&s, 6);
	n = build(f, &s);
	assert_int_equal(parse_exact(f, n, &i), NP_UDP);
	assert_int_equal(i.ipver, 6);
	assert_int_equal(i.l3_off, 14);
	assert_int_equal(i.l4_off, 54);
	assert_int_equal(i.payload_off, 62);
	assert_int_equal(i.payload_len, 41);
	assert_int_equal(i.frame_len, n);
	assert_int_equal(i.ttl, 61);
	assert_int_equal(i.tos, 0xb9);
	assert_memory_equal(i.src, s.src, 16);
	assert_memory_equal(i.dst, s.dst, 16);
	assert_true(np_udp_csum_ok(f, &i));
}

static void test_vlans(void **state)
{
	struct fspec s;
	struct np_info i;

	(void)state;
	for (int v = 4; v <= 6; v += 2) {
		spec_init(&s, v);
		add_vlans(&s, 1);
		s.tpid[0] = 0x8100;
		assert_int_equal(parse_spec(&s, &i), NP_UDP);
		assert_int_equal(i.nvlans, 1);
		assert_int_equal(i.vlan_tci[0], 0x100);
		assert_int_equal(i.l3_off, 18);
		add_vlans(&s, 2); /* QinQ: 88a8 outer, 8100 inner */
		assert_int_equal(parse_spec(&s, &i), NP_UDP);
		assert_int_equal(i.nvlans, 2);
		assert_int_equal(i.vlan_tci[0], 0x100);
		assert_int_equal(i.vlan_tci[1], 0x211);
		assert_int_equal(i.l3_off, 22);
		assert_int_equal(i.payload_len, 41);
		add_vlans(&s, 3); /* a third tag is not parsed */
		assert_int_equal(parse_spec(&s, &i), NP_NOT_IP);
	}
}

static void test_not_ip(void **state)
{
	struct fspec s;
	struct np_info i;

	(void)state;
	spec_init(&s, 4);
	s.ethertype = 0x0806; /* ARP */
	assert_int_equal(parse_spec(&s, &i), NP_NOT_IP);
	s.ethertype = 0x88cc; /* LLDP */
	add_vlans(&s, 1);
	assert_int_equal(parse_spec(&s, &i), NP_NOT_IP);
	assert_int_equal(i.nvlans, 1);
}

static void test_not_udp(void **state)
{
	static const uint8_t protos[] = { 1, 6, 50, 132 };
	static const uint8_t nh6[] = { 6, 58, 50, 59 };
	struct fspec s;
	struct np_info i;

	(void)state;
	for (size_t k = 0; k < sizeof(protos); k++) {
		spec_init(&s, 4);
		s.proto = protos[k];
		assert_int_equal(parse_spec(&s, &i), NP_NOT_UDP);
		assert_int_equal(i.l4proto, protos[k]);
		spec_init(&s, 6);
		s.proto = nh6[k];
		assert_int_equal(parse_spec(&s, &i), NP_NOT_UDP);
	}
}

static void test_fragments_options(void **state)
{
	static const uint8_t ext6[] = { 0, 43, 51, 60, 135, 139, 140, 253, 254 };
	struct fspec s;
	struct np_info i;

	(void)state;
	spec_init(&s, 4);
	s.frag = 0x4000; /* DF only: a whole datagram */
	assert_int_equal(parse_spec(&s, &i), NP_UDP);
	s.frag = 0x2000; /* MF */
	assert_int_equal(parse_spec(&s, &i), NP_FRAGMENT);
	s.frag = 0x0001; /* offset 8 */
	assert_int_equal(parse_spec(&s, &i), NP_FRAGMENT);
	s.frag = 0x1fff;
	assert_int_equal(parse_spec(&s, &i), NP_FRAGMENT);
	s.frag = 0;
	s.ihl = 6;
	assert_int_equal(parse_spec(&s, &i), NP_IP_OPTIONS);
	s.ihl = 15;
	assert_int_equal(parse_spec(&s, &i), NP_IP_OPTIONS);

	spec_init(&s, 6);
	s.proto = 44;
	assert_int_equal(parse_spec(&s, &i), NP_FRAGMENT);
	for (size_t k = 0; k < sizeof(ext6); k++) {
		s.proto = ext6[k];
		assert_int_equal(parse_spec(&s, &i), NP_IP_OPTIONS);
	}
}

static void test_malformed_ipv4(void **state)
{
	struct fspec s;
	struct np_info i;
	uint8_t f[2048];
	size_t n;

	(void)state;
	spec_init(&s, 4);
	n = build(f, &s);
	/* each a single defect */
	f[14] = 0x55; /* version 5 */
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	n = build(f, &s);
	f[14] = 0x44; /* IHL 4 */
	wr16(f + 24, 0);
	wr16(f + 24, ref_csum(f + 14, 20));
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	n = build(f, &s);
	f[22]--; /* TTL changed, checksum not */
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	n = build(f, &s);
	f[25] ^= 0x01; /* checksum itself */
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	/* total length beyond the frame, and shorter than the header */
	n = build(f, &s);
	wr16(f + 16, (uint16_t)(n - 14 + 1));
	wr16(f + 24, 0);
	wr16(f + 24, ref_csum(f + 14, 20));
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	wr16(f + 16, 19);
	wr16(f + 24, 0);
	wr16(f + 24, ref_csum(f + 14, 20));
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	/* total length leaving no room for the UDP header */
	wr16(f + 16, 27);
	wr16(f + 24, 0);
	wr16(f + 24, ref_csum(f + 14, 20));
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	/* UDP length below 8, and beyond the IP payload */
	n = build(f, &s);
	wr16(f + 34 + 4, 7);
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	wr16(f + 34 + 4, (uint16_t)(8 + 41 + 1));
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	wr16(f + 34 + 4, 8); /* shorter than the IP payload is allowed */
	assert_int_equal(parse_exact(f, n, &i), NP_UDP);
	assert_int_equal(i.payload_len, 0);
}

static void test_malformed_ipv6(void **state)
{
	struct fspec s;
	struct np_info i;
	uint8_t f[2048];
	size_t n;

	(void)state;
	spec_init(&s, 6);
	n = build(f, &s);
	f[14] = 0x40 | (f[14] & 0x0f); /* version 4 in an IPv6 ethertype */
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	n = build(f, &s);
	wr16(f + 18, (uint16_t)(n - 54 + 1)); /* payload length beyond frame */
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	wr16(f + 18, 7); /* too short for UDP */
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
	n = build(f, &s);
	wr16(f + 54 + 4, 50); /* UDP length beyond the payload */
	assert_int_equal(parse_exact(f, n, &i), NP_MALFORMED);
}

/* Ethernet padding and surplus IP payload after the UDP datagram */
static void test_trailing(void **state)
{
	struct fspec s;
	struct np_info i;
	uint8_t f[2048];
	size_t n;

	(void)state;
	for (int v = 4; v <= 6; v += 2) {
		spec_init(&s, v);
		s.plen = 2;
		s.trailer = 20;
		n = build(f, &s);
		assert_int_equal(parse_exact(f, n, &i), NP_UDP);
		assert_int_equal(i.frame_len, n - 20);
		assert_int_equal(i.payload_len, 2);
		assert_true(np_udp_csum_ok(f, &i));
		s.trailer = 0;
		s.ip_extra = 5;
		n = build(f, &s);
		assert_int_equal(parse_exact(f, n, &i), NP_UDP);
		assert_int_equal(i.frame_len, n);
		assert_int_equal(i.payload_len, 2);
		assert_true(np_udp_csum_ok(f, &i));
	}
}

/* every proper prefix of a valid frame is malformed, and read in bounds */
static void test_truncation(void **state)
{
	struct fspec s;
	struct np_info i;
	uint8_t f[2048];

	(void)state;
	for (int v = 4; v <= 6; v += 2)
		for (unsigned int tags = 0; tags <= 2; tags++) {
			size_t n;

			spec_init(&s, v);
			add_vlans(&s, tags);
			n = build(f, &s);
			assert_int_equal(parse_exact(f, n, &i), NP_UDP);
			for (size_t len = 0; len < n; len++)
				assert_int_equal(parse_exact(f, len, &i), NP_MALFORMED);
		}
}

static void test_udp_csum(void **state)
{
	struct fspec s;
	struct np_info i;
	uint8_t f[2048];
	size_t n;

	(void)state;
	for (int v = 4; v <= 6; v += 2) {
		spec_init(&s, v);
		for (size_t plen = 0; plen < 8; plen++) { /* odd lengths too */
			s.plen = plen;
			n = build(f, &s);
			assert_int_equal(parse_exact(f, n, &i), NP_UDP);
			assert_true(np_udp_csum_ok(f, &i));
			if (plen) {
				f[n - 1] ^= 0x40;
				assert_false(np_udp_csum_ok(f, &i));
				f[n - 1] ^= 0x40;
			}
			f[i.l3_off + (v == 4 ? 12 : 8)] ^= 1; /* source address */
			assert_false(np_udp_csum_ok(f, &i));
		}
		s.no_udp_csum = true;
		n = build(f, &s);
		assert_int_equal(parse_exact(f, n, &i), NP_UDP);
		assert_int_equal(i.udp_csum, 0);
		/* absent is fine on IPv4, not allowed on IPv6 (RFC 8200 §8.1) */
		assert_int_equal(np_udp_csum_ok(f, &i), v == 4);
	}
}

/* ---- captured frames (tests/data/frames.hex) -------------------------------- */
static void test_captured_frames(void **state)
{
	struct tpkt *fr, *pl;
	size_t nf = tdata_load("frames.hex", &fr);

	(void)state;
	assert_true(nf >= 10);
	for (size_t k = 0; k < nf; k++) {
		struct np_info i;
		char file[128], *colon = strchr(fr[k].tag, ':');
		unsigned int frame;
		size_t np;
		bool found = false;

		assert_non_null(colon);
		*colon = 0;
		frame = (unsigned int)strtoul(colon + 1, NULL, 10);
		assert_int_equal(parse_exact(fr[k].data, fr[k].len, &i), NP_UDP);
		assert_int_equal(i.ipver, 4);
		assert_int_equal(i.src[0], 127);
		assert_int_equal(i.dst[3], 1);
		/* Captured on loopback with checksum offload: the field holds
		 * only the pseudo-header sum (CHECKSUM_PARTIAL), so it does not
		 * verify until computed. */
		{
			uint8_t ph[12] = { 0 };

			memcpy(ph, i.src, 4);
			memcpy(ph + 4, i.dst, 4);
			ph[9] = 17;
			wr16(ph + 10, (uint16_t)(i.payload_len + 8));
			assert_int_equal(i.udp_csum, (uint16_t)~ref_csum(ph, 12));
			assert_false(np_udp_csum_ok(fr[k].data, &i));
			np_udp_csum_set(fr[k].data, &i);
			assert_true(np_udp_csum_ok(fr[k].data, &i));
		}
		snprintf(file, sizeof(file), "%s.test.hex", fr[k].tag);
		np = tdata_load(file, &pl);
		for (size_t j = 0; j < np; j++)
			if (pl[j].frame == frame) {
				assert_int_equal(i.payload_len, pl[j].len);
				assert_memory_equal(fr[k].data + i.payload_off, pl[j].data, pl[j].len);
				found = true;
			}
		assert_true(found);
		free(pl);
	}
	free(fr);
}

/* ---- replies ------------------------------------------------------------------ */

/* The rewritten frame equals one built directly with swapped endpoints,
 * TTL 255, the expected TOS, the new payload and both checksums. */
static void check_reply(struct fspec *s, size_t new_plen, int dscp)
{
	uint8_t f[2048], want[2048];
	struct fspec r = *s;
	struct np_info i, ri;
	size_t n, rn, wn;

	n = build(f, s);
	assert_int_equal(parse_exact(f, n, &i), NP_UDP);

	memcpy(r.mac_dst, s->mac_src, 6);
	memcpy(r.mac_src, s->mac_dst, 6);
	memcpy(r.src, s->dst, 16);
	memcpy(r.dst, s->src, 16);
	r.sport = s->dport;
	r.dport = s->sport;
	r.ttl = 255;
	r.tos = dscp < 0 ? (uint8_t)(s->tos & 0xfc) : (uint8_t)(dscp << 2);
	r.plen = new_plen;
	r.trailer = 0;
	for (size_t k = 0; k < new_plen; k++)
		r.payload[k] = (uint8_t)(k ^ 0x5c);
	wn = build(want, &r);

	memcpy(f + i.payload_off, r.payload, new_plen); /* the reflector's work */
	rn = np_make_reply(f, &i, (uint16_t)new_plen, dscp);
	assert_int_equal(rn, wn);
	np_udp_csum_set(f, &i);
	assert_memory_equal(f, want, wn);

	assert_int_equal(parse_exact(f, rn, &ri), NP_UDP);
	assert_true(np_udp_csum_ok(f, &ri));
	assert_int_equal(ri.payload_len, new_plen);
	assert_memory_equal(ri.src, i.dst, 16);
	assert_memory_equal(ri.dst, i.src, 16);
	assert_int_equal(ri.sport, i.dport);
	assert_int_equal(ri.dport, i.sport);
	assert_int_equal(ri.nvlans, i.nvlans);
	assert_int_equal(ri.vlan_tci[0], i.vlan_tci[0]);
	assert_int_equal(ri.vlan_tci[1], i.vlan_tci[1]);
}

static void test_make_reply(void **state)
{
	static const int dscps[] = { -1, 0, 46, 63 };
	struct fspec s;

	(void)state;
	for (int v = 4; v <= 6; v += 2)
		for (unsigned int tags = 0; tags <= 2; tags++)
			for (size_t d = 0; d < sizeof(dscps) / sizeof(dscps[0]); d++) {
				spec_init(&s, v);
				add_vlans(&s, tags);
				s.plen = 14;
				check_reply(&s, 41, dscps[d]);   /* grows */
				s.plen = 112 + 64;
				check_reply(&s, 112 + 64, dscps[d]); /* same */
				check_reply(&s, 112, dscps[d]);  /* shrinks */
				s.plen = 40;
				s.trailer = 6;                   /* Ethernet padding dropped */
				check_reply(&s, 41, dscps[d]);
			}
}

/* np_make_reply over random headers: IPv4 and IPv6, every DSCP rule, TOS
 * and TTL values, random addresses and ports (so random header checksums to
 * update), flow labels, payload lengths, with and without Ethernet padding,
 * untagged and with one or two tags, replies as long as the request. */
static void test_make_reply_random(void **state)
{
	static const int dscps[] = { -1, 0, 46, 63 };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	struct fspec s;

	(void)state;
	for (int t = 0; t < 2000; t++) {
		spec_init(&s, t % 3 == 2 ? 6 : 4);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(s.src, &x, 4);
		memcpy(s.dst, (uint8_t *)&x + 4, 4);
		s.flow = (uint32_t)(x >> 12) & 0xfffff;
		s.sport = (uint16_t)(x >> 8);
		s.dport = (uint16_t)(x >> 24);
		s.tos = (uint8_t)(x >> 40);
		s.ttl = (uint8_t)(x >> 48);
		s.ip_id = (uint16_t)(x >> 29);
		s.frag = (x >> 56) & 1 ? 0x4000 : 0;
		s.plen = (size_t)(x >> 52) % 300;
		s.trailer = (x >> 61) & 1 ? 5 : 0;
		add_vlans(&s, (unsigned)(x >> 62) % 3); /* tags, kept as they are */
		s.tci[0] = (uint16_t)(x >> 3);
		s.tci[1] = (uint16_t)(x >> 19);
		check_reply(&s, s.plen, dscps[t % 4]);
	}
}

/* The sum of a packet with a zero checksum field, then an edit and its
 * np_csum_delta, stored: the same checksum as a full recomputation, over
 * random even-aligned edits; and an edit that makes the computed checksum 0
 * is sent as 0xffff (RFC 768: 0 means none). */
static void test_csum_store_delta(void **state)
{
	struct fspec s;
	struct np_info i;
	uint8_t f[2048], g[2048];
	uint64_t x = 0x2545f4914f6cdd1dull;

	(void)state;
	for (int v = 4; v <= 6; v += 2) {
		size_t n;

		spec_init(&s, v);
		s.plen = 112;
		n = build(f, &s);
		assert_int_equal(parse_exact(f, n, &i), NP_UDP);
		for (int t = 0; t < 5000; t++) {
			uint8_t old[16];
			uint64_t acc;
			size_t off, cnt;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			off = (x % 56) * 2;
			cnt = ((x >> 8) % 8 + 1) * 2;
			if (off + cnt > 112)
				cnt = 112 - off;
			memset(f + i.l4_off + 6, 0, 2);
			acc = np_udp_csum_reply_acc(f, &i, 0, 0);
			memcpy(old, f + i.payload_off + off, cnt);
			for (size_t k = 0; k < cnt; k++)
				f[i.payload_off + off + k] = (uint8_t)(x >> (16 + k % 6 * 8));
			np_udp_csum_store(f, &i, acc, np_csum_delta(old, f + i.payload_off + off, cnt));
			memcpy(g, f, n);
			np_udp_csum_set(g, &i);
			assert_int_equal(rd16(f + i.l4_off + 6), rd16(g + i.l4_off + 6));
			assert_true(np_udp_csum_ok(f, &i));
		}
	}
}

static void test_csum_store_zero(void **state)
{
	struct fspec s;
	struct np_info i;
	uint8_t f[2048], g[2048];
	uint8_t old[2] = { 0, 0 }, new_[2];
	uint64_t acc;
	size_t n;

	(void)state;
	for (int v = 4; v <= 6; v += 2) {
		spec_init(&s, v);
		s.payload[0] = 0, s.payload[1] = 0;
		n = build(f, &s);
		assert_int_equal(parse_exact(f, n, &i), NP_UDP);
		np_udp_csum_set(f, &i);
		/* word 0 := checksum of the rest makes the whole sum 0xffff */
		memcpy(new_, f + i.l4_off + 6, 2);
		memset(f + i.l4_off + 6, 0, 2);
		acc = np_udp_csum_reply_acc(f, &i, 0, 0);
		memcpy(f + i.payload_off, new_, 2);
		np_udp_csum_store(f, &i, acc, np_csum_delta(old, new_, 2));
		assert_int_equal(rd16(f + i.l4_off + 6), 0xffff);
		memcpy(g, f, n);
		np_udp_csum_set(g, &i);
		assert_int_equal(rd16(g + i.l4_off + 6), 0xffff);
		assert_true(np_udp_csum_ok(f, &i));
	}
}

/* The reply's checksum in two steps (np_udp_csum_reply_acc with the
 * timestamp at payload octet 4 still zero, then the timestamp written and
 * np_udp_csum_store with its delta) equals a full recomputation. */
static void check_two_steps(const uint8_t *f, size_t n, const struct np_info *i, uint16_t pre,
			    uint64_t carry, uint64_t x)
{
	static const uint8_t zero[8];
	uint8_t h[2048], g[2048];
	uint64_t acc;

	if (pre < 12)
		return;
	memcpy(h, f, n);
	memset(h + i->payload_off + 4, 0, 8);
	acc = np_udp_csum_reply_acc(h, i, pre, carry);
	memcpy(h + i->payload_off + 4, &x, 8);
	np_udp_csum_store(h, i, acc, np_csum_delta(zero, h + i->payload_off + 4, 8));
	memcpy(g, h, n);
	np_udp_csum_set(g, i);
	assert_int_equal(rd16(h + i->l4_off + 6), rd16(g + i->l4_off + 6));
}

/* The checksum carried from request to reply (np_udp_csum_verify_carry /
 * np_udp_csum_reply_acc and np_udp_csum_store, and in two steps) agrees with the full
 * computation: the verdict on valid, corrupted and absent checksums, and the
 * reply's checksum after the reflector rewrote payload [0, pre), over random
 * frames; pre is random, or one of the two lengths summed by straight-line
 * code (42 and 112: the reflector headers) every fourth frame. */
static void test_csum_carry(void **state)
{
	struct fspec s;
	struct np_info i, ri;
	uint8_t f[2048], g[2048];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned fixed[2] = { 0, 0 };

	(void)state;
	for (int t = 0; t < 4000; t++) {
		uint64_t carry = 0;
		size_t n, plen;
		uint16_t pre;
		int v = t & 1 ? 6 : 4;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		spec_init(&s, v);
		add_vlans(&s, (unsigned int)(x % 3));
		plen = 14 + (x >> 8) % 300;
		s.plen = plen;
		for (size_t k = 0; k < plen; k++)
			s.payload[k] = (uint8_t)(x >> (k % 7 * 8)) ^ (uint8_t)k;
		s.ip_extra = (x >> 20) % 4 == 0 ? 3 : 0;
		s.no_udp_csum = v == 4 && (x >> 24) % 8 == 0;
		n = build(f, &s);
		assert_int_equal(parse_exact(f, n, &i), NP_UDP);
		pre = (uint16_t)(((x >> 32) % (plen / 2 + 1)) * 2);
		if (t % 4 == 0 && plen >= (t % 8 ? 112u : 42u)) {
			pre = t % 8 ? 112 : 42;
			fixed[pre == 112]++;
		}
		if ((x >> 40) % 4 == 0) { /* a corrupted octet, not the parsed length */
			size_t at = (x >> 44) % (6 + plen);

			f[i.l4_off + (at < 4 ? at : at + 2)] ^= (uint8_t)(1 + (x >> 52) % 255);
		}
		assert_int_equal(np_udp_csum_verify_carry(f, &i, pre, &carry),
				 np_udp_csum_ok(f, &i));
		if (!np_udp_csum_ok(f, &i) || i.udp_csum == 0)
			continue;

		np_make_reply(f, &i, i.payload_len, (x >> 56) % 2 ? -1 : 46);
		for (size_t k = 0; k < pre; k++) /* the reflector's header */
			f[i.payload_off + k] = (uint8_t)(x >> (k % 5 * 8)) + (uint8_t)(3 * k);
		check_two_steps(f, n, &i, pre, carry, x);
		memcpy(g, f, n);
		np_udp_csum_store(f, &i, np_udp_csum_reply_acc(f, &i, pre, carry), 0);
		np_udp_csum_set(g, &i);
		assert_int_equal(rd16(f + i.l4_off + 6), rd16(g + i.l4_off + 6));
		assert_int_equal(parse_exact(f, i.frame_len, &ri), NP_UDP);
		assert_true(np_udp_csum_ok(f, &ri));
	}
	assert_true(fixed[0] > 100 && fixed[1] > 100);
}

/* One delta stored into several frames (a burst's transmit timestamp
 * written over zeros) == recomputation. */
static void test_csum_delta_burst(void **state)
{
	static const uint8_t zero[8];
	struct fspec s;
	struct np_info i[3];
	uint8_t f[3][512], g[512];
	uint64_t x = 0x51ed270b27a3c3f1ull, acc[3];

	(void)state;
	for (int t = 0; t < 2000; t++) {
		uint8_t ts[8];
		uint64_t delta;
		size_t n[3];

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(ts, &x, 8);
		for (int k = 0; k < 3; k++) {
			spec_init(&s, k == 1 ? 6 : 4);
			s.plen = 41 + (size_t)k * 40 + (x >> (8 * k)) % 50;
			for (size_t j = 0; j < s.plen; j++)
				s.payload[j] = (uint8_t)(j * 7 + (unsigned)t);
			memset(s.payload + 4, 0, 8); /* the timestamp field, zero before */
			n[k] = build(f[k], &s);
			assert_int_equal(parse_exact(f[k], n[k], &i[k]), NP_UDP);
			memset(f[k] + i[k].l4_off + 6, 0, 2);
			acc[k] = np_udp_csum_reply_acc(f[k], &i[k], 0, 0);
		}
		delta = np_csum_delta(zero, ts, 8);
		for (int k = 0; k < 3; k++) {
			memcpy(f[k] + i[k].payload_off + 4, ts, 8);
			np_udp_csum_store(f[k], &i[k], acc[k], delta);
			memcpy(g, f[k], n[k]);
			np_udp_csum_set(g, &i[k]);
			assert_int_equal(rd16(f[k] + i[k].l4_off + 6), rd16(g + i[k].l4_off + 6));
			assert_true(np_udp_csum_ok(f[k], &i[k]));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_partial),
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ipv6_udp),
		cmocka_unit_test(test_vlans),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_not_udp),
		cmocka_unit_test(test_fragments_options),
		cmocka_unit_test(test_malformed_ipv4),
		cmocka_unit_test(test_malformed_ipv6),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_udp_csum),
		cmocka_unit_test(test_captured_frames),
		cmocka_unit_test(test_make_reply),
		cmocka_unit_test(test_make_reply_random),
		cmocka_unit_test(test_csum_store_delta),
		cmocka_unit_test(test_csum_carry),
		cmocka_unit_test(test_csum_delta_burst),
		cmocka_unit_test(test_csum_store_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
