/* Frame classification and reply rewriting for the fast path (see
 * net_parse.h). No allocation, no division; every read is bounded by the
 * frame length or by a length already checked against it.
 *
 * Checksums: a partial sum (np_csum_partial) is the RFC 1071 one's
 * complement sum of the data read as big-endian 16-bit words, kept in 32
 * bits; small integers (protocol, length) can be added to it directly.
 * np_csum_fold folds it to 16 bits and complements it: the value to store
 * in a checksum field, and 0 when verifying data that includes a valid
 * checksum. Chunks summed in several calls must have even lengths, except
 * the last.
 */
#include <string.h>

#include "inet_csum.h"
#include "net_parse.h"

#define ETH_ADDR_LEN 6
#define ETH_HDR_LEN 14
#define VLAN_TAG_LEN 4
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88a8

#define IPV4_MIN_HDR 20
#define IPV4_FRAG_MASK 0x3fff /* MF flag and fragment offset */
#define IPV6_HDR_LEN 40
#define UDP_HDR_LEN 8
#define PROTO_UDP 17

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- checksums (RFC 1071) ---------------------------------------------- */

/* a host-order 16-bit value as it would load natively from the wire */
static inline uint16_t native16(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

uint32_t np_csum_partial(const void *data, size_t len, uint32_t sum)
{
	uint16_t w16 = native16(csum_fold_native(csum_raw(data, len, 0)));
	uint64_t t = (uint64_t)sum + w16;

	return (uint32_t)((t & 0xffffffffu) + (t >> 32)); /* 2^32 = 1 mod 0xffff */
}

uint16_t np_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header (RFC 768 / RFC 8200 §8.1): addresses, protocol, UDP length,
 * as a native accumulator. The addresses are read from the frame, so this
 * also serves a reply whose addresses were swapped (the sum does not depend
 * on their order). */
static inline uint64_t pseudo_native(const uint8_t *frame, const struct np_info *info,
				     uint16_t ulen)
{
	const uint8_t *ip = frame + info->l3_off;
	uint64_t acc = (uint64_t)native16(PROTO_UDP) + native16(ulen);

	if (info->ipver == 4)
		return csum_raw(ip + 12, 8, acc);
	return csum_raw(ip + 8, 32, acc);
}

/* UDP header and payload plus the pseudo-header, in one pass */
static inline uint16_t udp_sum_native(const uint8_t *frame, const struct np_info *info)
{
	const uint8_t *udp = frame + info->l4_off;
	uint16_t ulen = get16(udp + 4);

	return csum_fold_native(csum_raw(udp, ulen, pseudo_native(frame, info, ulen)));
}

bool np_udp_csum_ok(const uint8_t *frame, const struct np_info *info)
{
	if (info->udp_csum == 0)
		return info->ipver == 4; /* optional on IPv4, mandatory on IPv6 */
	return udp_sum_native(frame, info) == 0xffff;
}

/* ---- parsing ------------------------------------------------------------ */

/* The helpers below are inlined with l3 a constant (14, 18 or 22: untagged,
 * one tag, two), so that the shape nearly every test packet has (IPv4
 * without options, or IPv6, carrying UDP) is read at fixed offsets. */
#define NP_INLINE static inline __attribute__((always_inline))

/* *info zeroed in four 16-octet stores (the last overlapping): as one
 * memset of the struct's 58 octets, the compiler may emit `rep stos`, whose
 * start-up costs more than the stores */
NP_INLINE void info_zero(struct np_info *info)
{
	static const uint8_t z[16];
	uint8_t *d = (uint8_t *)info;

	_Static_assert(sizeof(*info) > 48 && sizeof(*info) <= 64, "four stores cover np_info");
	memcpy(d, z, 16);
	memcpy(d + 16, z, 16);
	memcpy(d + 32, z, 16);
	memcpy(d + sizeof(*info) - 16, z, 16);
}

/*  UDP (RFC 768)
 *  0      2      4      6      8
 *  +------+------+------+------+---------
 *  | sport| dport| len  | csum | payload
 *  +------+------+------+------+---------
 *  len covers header and payload and may be less than the IP payload.
 */
NP_INLINE enum np_result parse_udp(const uint8_t *frame, size_t l4, size_t avail,
				   struct np_info *info)
{
	const uint8_t *udp = frame + l4;
	uint16_t ulen;

	if (avail < UDP_HDR_LEN)
		return NP_MALFORMED;
	ulen = get16(udp + 4);
	if (ulen < UDP_HDR_LEN || ulen > avail)
		return NP_MALFORMED;
	info->l4_off = (uint16_t)l4;
	info->sport = get16(udp);
	info->dport = get16(udp + 2);
	info->udp_csum = get16(udp + 6);
	info->payload_off = (uint16_t)(l4 + UDP_HDR_LEN);
	info->payload_len = (uint16_t)(ulen - UDP_HDR_LEN);
	return NP_UDP;
}

/*  IPv4 (RFC 791)
 *  0        1      2       4      6          8     9      10     12    16    20
 *  +--------+------+-------+------+----------+-----+------+------+-----+-----+
 *  |ver|ihl | tos  | total | id   |flags|frag| ttl |proto | csum | src | dst |
 *  +--------+------+-------+------+----------+-----+------+------+-----+-----+
 */
NP_INLINE enum np_result parse_ipv4(const uint8_t *frame, size_t len, size_t l3,
				    struct np_info *info)
{
	const uint8_t *ip = frame + l3;
	size_t hl, tl;
	uint16_t sum;

	info->ipver = 4;
	if (len - l3 < IPV4_MIN_HDR || ip[0] >> 4 != 4)
		return NP_MALFORMED;
	hl = (size_t)(ip[0] & 0x0f) * 4;
	tl = get16(ip + 2);
	if (hl < IPV4_MIN_HDR || tl < hl || tl > len - l3)
		return NP_MALFORMED;
	/* a header without options (nearly all) summed as a constant length */
	sum = hl == IPV4_MIN_HDR ? csum_fold_native(csum_raw(ip, IPV4_MIN_HDR, 0))
				 : csum_fold_native(csum_raw(ip, hl, 0));
	if (sum != 0xffff)
		return NP_MALFORMED;

	info->tos = ip[1];
	info->ttl = ip[8];
	info->l4proto = ip[9];
	memcpy(info->src, ip + 12, 4);
	memcpy(info->dst, ip + 16, 4);
	info->frame_len = (uint16_t)(l3 + tl);
	if (hl != IPV4_MIN_HDR)
		return NP_IP_OPTIONS;
	if (get16(ip + 6) & IPV4_FRAG_MASK)
		return NP_FRAGMENT;
	if (ip[9] != PROTO_UDP)
		return NP_NOT_UDP;
	return parse_udp(frame, l3 + IPV4_MIN_HDR, tl - IPV4_MIN_HDR, info);
}

/* IPv6 next headers that are extension headers (RFC 8200 §4, IANA) */
static bool ipv6_ext_header(uint8_t nh)
{
	switch (nh) {
	case 0:   /* Hop-by-Hop Options */
	case 43:  /* Routing */
	case 51:  /* Authentication Header */
	case 60:  /* Destination Options */
	case 135: /* Mobility */
	case 139: /* HIP */
	case 140: /* Shim6 */
	case 253: /* experimental */
	case 254:
		return true;
	default:
		return false;
	}
}

/*  IPv6 (RFC 8200)
 *  0                4        6     7     8       24      40
 *  +----------------+--------+-----+-----+-------+-------+
 *  |ver|tc|flowlabel| paylen | nh  | hop | src   | dst   |
 *  +----------------+--------+-----+-----+-------+-------+
 */
NP_INLINE enum np_result parse_ipv6(const uint8_t *frame, size_t len, size_t l3,
				    struct np_info *info)
{
	const uint8_t *ip = frame + l3;
	size_t plen;

	info->ipver = 6;
	if (len - l3 < IPV6_HDR_LEN || ip[0] >> 4 != 6)
		return NP_MALFORMED;
	plen = get16(ip + 4);
	if (plen > len - l3 - IPV6_HDR_LEN)
		return NP_MALFORMED;

	info->tos = (uint8_t)(ip[0] << 4 | ip[1] >> 4);
	info->ttl = ip[7];
	info->l4proto = ip[6];
	memcpy(info->src, ip + 8, 16);
	memcpy(info->dst, ip + 24, 16);
	info->frame_len = (uint16_t)(l3 + IPV6_HDR_LEN + plen);
	if (ip[6] == PROTO_UDP)
		return parse_udp(frame, l3 + IPV6_HDR_LEN, plen, info);
	if (ip[6] == 44) /* Fragment */
		return NP_FRAGMENT;
	return ipv6_ext_header(ip[6]) ? NP_IP_OPTIONS : NP_NOT_UDP;
}

NP_INLINE enum np_result parse_l3(const uint8_t *frame, size_t len, size_t l3, uint16_t type,
				  struct np_info *info)
{
	info->l3_off = (uint16_t)l3;
	if (type == ETHERTYPE_IPV4)
		return parse_ipv4(frame, len, l3, info);
	if (type == ETHERTYPE_IPV6)
		return parse_ipv6(frame, len, l3, info);
	return NP_NOT_IP;
}

static inline bool is_tag(uint16_t type)
{
	return type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD;
}

/*  Ethernet II with up to two tags (802.1ad outer, 802.1Q inner; either
 *  TPID is accepted at either position). A third tag is not parsed.
 *
 *  untagged  0 | dst | 6 | src | 12 | type |
 *  one tag   0 | dst | 6 | src | 12 | tag  | 14 | tci | 16 | type |
 *  two tags  0 | dst | 6 | src | 12 | tag  | 14 | tci | 16 | tag  | 18 | tci | 20 | type |
 */
static enum np_result parse_tagged(const uint8_t *frame, size_t len, struct np_info *info)
{
	uint16_t type;

	if (len < ETH_HDR_LEN + VLAN_TAG_LEN)
		return NP_MALFORMED;
	info->nvlans = 1;
	info->vlan_tci[0] = get16(frame + 14);
	type = get16(frame + 16);
	if (!is_tag(type))
		return parse_l3(frame, len, ETH_HDR_LEN + VLAN_TAG_LEN, type, info);
	if (len < ETH_HDR_LEN + 2 * VLAN_TAG_LEN)
		return NP_MALFORMED;
	info->nvlans = 2;
	info->vlan_tci[1] = get16(frame + 18);
	return parse_l3(frame, len, ETH_HDR_LEN + 2 * VLAN_TAG_LEN, get16(frame + 20), info);
}

enum np_result np_parse(const uint8_t *frame, size_t len, struct np_info *info)
{
	uint16_t type;

	info_zero(info);
	if (len > UINT16_MAX) /* offsets are 16-bit; the rest is not IP */
		len = UINT16_MAX;
	if (len < ETH_HDR_LEN)
		return NP_MALFORMED;
	type = get16(frame + 12);
	if (is_tag(type))
		return parse_tagged(frame, len, info);
	return parse_l3(frame, len, ETH_HDR_LEN, type, info);
}

/* ---- reply rewriting ----------------------------------------------------- */

/* Traffic class / TOS of the reply: DSCP reflected or set, ECN 0. */
static inline uint8_t reply_tos(uint8_t req_tos, int dscp)
{
	return dscp < 0 ? (uint8_t)(req_tos & 0xfc) : (uint8_t)((dscp & 0x3f) << 2);
}

/* RFC 1624 eqn. 3 term for one 16-bit word changed from o to n (native) */
static inline uint64_t word_delta(uint16_t o, uint16_t n)
{
	return (uint64_t)(uint16_t)~o + n;
}

/*  The reply, octet offsets from the IP header (ip = frame + l3_off):
 *  IPv4:
 *    +0  +1  +2  +4 ..  +8  +9  +10  +12   +16   +20   +22   +24  +26
 *    |45 |tos|len|  ..  |ttl|17 |csum| src | dst |sport|dport|len |csum|
 *         set set        set     upd. swap  swap  swap  swap  set   0
 *  Only the 16-bit words at +0 (TOS), +2 (length) and +8 (TTL) change the
 *  IPv4 header's sum; the swaps leave it alone. The request's header
 *  checksum is valid (np_parse checked it), so an incremental update
 *  (RFC 1624) is exact. The new words are formed in registers, not read back
 *  from the octets just stored (a 16-bit load over two byte stores stalls
 *  store forwarding).
 *  IPv6:
 *    +0    +1      +4   +6  +7  +8    +24   +40   +42   +44  +46
 *    |6 tc |tc flow|plen|17 |hop| src | dst |sport|dport|len |csum|
 *     set   set     set      set swap  swap  swap  swap  set   0
 *  The MAC addresses swap; tags stay as they are.
 */
static void reply_ipv4(uint8_t *ip, uint8_t tos, uint16_t total_len)
{
	uint16_t o0, o1, o4, hc;
	uint32_t a, b;

	memcpy(&o0, ip, 2);
	memcpy(&o1, ip + 2, 2);
	memcpy(&o4, ip + 8, 2);
	memcpy(&hc, ip + 10, 2);
	hc = (uint16_t)~csum_fold_native((uint16_t)~hc +
					 word_delta(o0, native16((uint16_t)(ip[0] << 8 | tos))) +
					 word_delta(o1, native16(total_len)) +
					 word_delta(o4, native16((uint16_t)(255 << 8 | ip[9]))));
	ip[1] = tos;
	put16(ip + 2, total_len);
	ip[8] = 255;
	memcpy(ip + 10, &hc, 2);
	memcpy(&a, ip + 12, 4);
	memcpy(&b, ip + 16, 4);
	memcpy(ip + 12, &b, 4);
	memcpy(ip + 16, &a, 4);
}

static void reply_ipv6(uint8_t *ip, uint8_t tos, uint16_t ulen)
{
	uint8_t a[16];

	ip[0] = (uint8_t)(0x60 | tos >> 4);
	ip[1] = (uint8_t)(tos << 4 | (ip[1] & 0x0f)); /* flow label kept */
	put16(ip + 4, ulen);
	ip[7] = 255;
	memcpy(a, ip + 8, 16);
	memcpy(ip + 8, ip + 24, 16);
	memcpy(ip + 24, a, 16);
}

/* ports swapped (two 16-bit fields, either byte order), length set,
 * checksum zeroed */
static inline void reply_udp(uint8_t *udp, uint16_t ulen)
{
	uint32_t ports;

	memcpy(&ports, udp, 4);
	ports = ports >> 16 | ports << 16;
	memcpy(udp, &ports, 4);
	put16(udp + 4, ulen);
	memset(udp + 6, 0, 2);
}

size_t np_make_reply(uint8_t *frame, const struct np_info *info, uint16_t new_payload_len, int dscp)
{
	uint8_t *ip = frame + info->l3_off;
	uint16_t ulen = (uint16_t)(UDP_HDR_LEN + new_payload_len);
	uint8_t tos = reply_tos(info->tos, dscp), mac[ETH_ADDR_LEN];

	memcpy(mac, frame, ETH_ADDR_LEN);
	memcpy(frame, frame + ETH_ADDR_LEN, ETH_ADDR_LEN);
	memcpy(frame + ETH_ADDR_LEN, mac, ETH_ADDR_LEN);
	if (info->ipver == 4)
		reply_ipv4(ip, tos, (uint16_t)(info->l4_off - info->l3_off + ulen));
	else
		reply_ipv6(ip, tos, ulen);
	reply_udp(frame + info->l4_off, ulen);
	return (size_t)info->payload_off + new_payload_len;
}

/* A reflector header's [0, pre): nearly always 42 octets (unauthenticated,
 * 41 rounded up to even) or 112 (authenticated and encrypted); with the
 * length a constant, csum_raw is straight-line code. */
static inline uint64_t sum_pre(const uint8_t *pl, uint16_t pre, uint64_t acc)
{
	if (pre == 112)
		return csum_raw(pl, 112, acc);
	if (pre == 42)
		return csum_raw(pl, 42, acc);
	return csum_raw(pl, pre, acc);
}

bool np_udp_csum_verify_carry(const uint8_t *frame, const struct np_info *info, uint16_t pre,
			      uint64_t *carry)
{
	const uint8_t *udp = frame + info->l4_off;
	const uint8_t *pl = frame + info->payload_off;
	uint16_t ulen = get16(udp + 4), field;
	uint64_t acc;

	/* ports and length (6 octets), then the payload after [0, pre) */
	acc = csum_raw(udp, 6, pseudo_native(frame, info, ulen));
	acc = csum_raw(pl + pre, (size_t)info->payload_len - pre, acc);
	*carry = acc;
	if (info->udp_csum == 0)
		return info->ipver == 4;
	memcpy(&field, udp + 6, 2);
	return csum_fold_native(csum_add(sum_pre(pl, pre, acc), field)) == 0xffff;
}

uint64_t np_udp_csum_reply_acc(const uint8_t *frame, const struct np_info *info, uint16_t pre,
			       uint64_t carry)
{
	const uint8_t *udp = frame + info->l4_off;
	uint16_t ulen;

	if (pre != 0)
		return sum_pre(frame + info->payload_off, pre, carry);
	ulen = get16(udp + 4); /* the reply's, which np_make_reply set */
	return csum_raw(udp, ulen, pseudo_native(frame, info, ulen));
}

void np_udp_csum_store(uint8_t *frame, const struct np_info *info, uint64_t acc, uint64_t delta)
{
	uint16_t c = (uint16_t)~csum_fold_native(csum_add(acc, delta));

	if (c == 0)
		c = 0xffff; /* 0 means "no checksum" (RFC 768); same in either order */
	memcpy(frame + info->l4_off + 6, &c, 2);
}

void np_udp_csum_set(uint8_t *frame, const struct np_info *info)
{
	memset(frame + info->l4_off + 6, 0, 2);
	np_udp_csum_store(frame, info, np_udp_csum_reply_acc(frame, info, 0, 0), 0);
}

uint64_t np_csum_delta(const uint8_t *old, const uint8_t *new_, size_t n)
{
	uint64_t acc = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		uint16_t m, m2;

		memcpy(&m, old + i, 2);
		memcpy(&m2, new_ + i, 2);
		acc += word_delta(m, m2);
	}
	return acc;
}
