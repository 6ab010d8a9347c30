/* Request frames (req_frames.h). */
#include <string.h>

#include "req_frames.h"

static const uint8_t SENDER_MAC[6] = { 0x02, 0x00, 0x00, 0x99, 0x00, 0x02 };
static const uint8_t OTHER_MAC[6] = { 0x02, 0x00, 0x00, 0x99, 0x00, 0xee };
static const uint8_t MCAST_MAC[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071, octet pairs as big-endian words, onto a 32-bit sum */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i < n; i += 2)
		acc += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* The Session-Sender packet and its padding, protected if r->sec says so. */
static void payload(const struct req *r, uint8_t *p)
{
	const struct tw_layout *l = tw_sender_layout(r->sec, r->symmetrical);
	struct tw_sender_fields f = { .seq = r->seq, .ts = 0xe9000000ull << 32 | r->seq, .errest = 0x8001 };

	for (size_t i = 0; i < r->plen; i++)
		p[i] = (uint8_t)(i * 13 + r->seq);
	if (r->plen < l->base_len) {
		if (r->plen >= 4)
			memcpy(p, &(uint8_t[4]){ (uint8_t)(r->seq >> 24), (uint8_t)(r->seq >> 16),
						  (uint8_t)(r->seq >> 8), (uint8_t)r->seq }, 4);
		return;
	}
	tw_sender_write(p, l, &f);
	if (r->sec == TW_SEC_OPEN)
		return;
	tw_protect(p, r->plen, l, r->keys);
	if (r->fault == RF_BAD_HMAC)
		p[l->hmac_off + 3] ^= 0x40;
}

static size_t ethernet(const struct req *r, uint8_t *f)
{
	size_t off = 12;

	memcpy(f, r->fault == RF_OTHER_MAC ? OTHER_MAC : r->fault == RF_MULTICAST ? MCAST_MAC
										    : r->port_mac, 6);
	memcpy(f + 6, SENDER_MAC, 6);
	if (r->ntags == 2) {
		put16(f + off, 0x88a8);
		put16(f + off + 2, 200);
		off += 4;
	}
	if (r->ntags >= 1) {
		put16(f + off, 0x8100);
		put16(f + off + 2, 100);
		off += 4;
	}
	put16(f + off, r->ipver == 4 ? 0x0800 : 0x86dd);
	return off + 2;
}

/* IPv4 header (+ one NOP option word) for an IP payload of n octets */
static size_t ipv4(const struct req *r, uint8_t *ip, size_t n)
{
	size_t hl = r->fault == RF_IP_OPTIONS ? 24 : 20;

	memset(ip, 0, hl);
	ip[0] = (uint8_t)(0x40 | hl / 4);
	ip[1] = r->tos;
	put16(ip + 2, (uint16_t)(hl + n));
	put16(ip + 4, (uint16_t)r->seq);
	put16(ip + 6, r->fault == RF_FRAGMENT ? 0x2000 : 0x4000);
	ip[8] = r->ttl;
	ip[9] = r->fault == RF_NOT_UDP ? 1 : 17;
	memcpy(ip + 12, r->src, 4);
	memcpy(ip + 16, r->dst, 4);
	if (hl == 24)
		memset(ip + 20, 1, 4);
	put16(ip + 10, (uint16_t)(fold(sum16(ip, hl, 0)) + (r->fault == RF_BAD_IP_CSUM)));
	return hl;
}

/* IPv6 header (+ a Hop-by-Hop or Fragment header) for n octets after it */
static size_t ipv6(const struct req *r, uint8_t *ip, size_t n)
{
	size_t ext = r->fault == RF_IP_OPTIONS || r->fault == RF_FRAGMENT ? 8 : 0;

	memset(ip, 0, 40 + ext);
	ip[0] = (uint8_t)(0x60 | r->tos >> 4);
	ip[1] = (uint8_t)(r->tos << 4 | 0x0a);
	ip[2] = 0xbc;
	ip[3] = 0xde;
	put16(ip + 4, (uint16_t)(ext + n));
	ip[6] = r->fault == RF_NOT_UDP ? 58 : r->fault == RF_IP_OPTIONS ? 0 : r->fault == RF_FRAGMENT ? 44 : 17;
	ip[7] = r->ttl;
	memcpy(ip + 8, r->src, 16);
	memcpy(ip + 24, r->dst, 16);
	if (ext != 0) {
		ip[40] = 17;
		if (r->fault == RF_IP_OPTIONS)
			ip[42] = 1, ip[43] = 4; /* PadN, 4 octets */
		else
			ip[43] = 1; /* offset 0, M */
	}
	return 40 + ext;
}

size_t req_frame(const struct req *r, uint8_t *f)
{
	size_t l3 = ethernet(r, f), ulen = 8 + (size_t)r->plen;
	size_t extra = r->fault == RF_UDP_SHORT ? 2 : 0, l4, end;
	uint8_t *udp;
	uint32_t acc;

	l4 = l3 + (r->ipver == 4 ? ipv4(r, f + l3, ulen + extra) : ipv6(r, f + l3, ulen + extra));
	udp = f + l4;
	put16(udp, r->sport);
	put16(udp + 2, r->dport);
	put16(udp + 4, (uint16_t)ulen);
	put16(udp + 6, 0);
	payload(r, udp + 8);
	memset(udp + ulen, 0, extra);
	/* pseudo-header: addresses, protocol, UDP length */
	acc = r->ipver == 4 ? sum16(r->src, 4, sum16(r->dst, 4, 0))
			    : sum16(r->src, 16, sum16(r->dst, 16, 0));
	acc = sum16(udp, ulen, acc + 17 + (uint32_t)ulen);
	if (r->fault != RF_NO_UDP_CSUM) {
		uint16_t c = fold(acc);

		put16(udp + 6, (uint16_t)((c == 0 ? 0xffff : c) + (r->fault == RF_BAD_UDP_CSUM)));
	}
	end = l4 + ulen + extra;
	if (r->fault == RF_TRAILER) {
		memset(f + end, 0, 6);
		end += 6;
	}
	return r->fault == RF_TRUNCATED ? l4 + 4 : end;
}
