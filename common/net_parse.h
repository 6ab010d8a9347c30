/* Ethernet / 802.1Q / QinQ / IPv4 / IPv6 / UDP parsing and reply rewriting
 * for the reflector's fast path. Pure byte parsing, no DPDK, so the same code
 * is unit-tested and fuzzed. Every length is checked against the frame.
 *
 *  Ethernet II           [802.1ad/802.1Q tags]     IPv4 (IHL*4) | IPv6 (40)   UDP (8)
 *  +------+------+----+  +------+-----+            +-------------------------+-------+---------
 *  | dst  | src  |type|  | TPID | TCI | ...        | ver/ihl ... ttl proto.. | ports | payload
 *  +------+------+----+  +------+-----+            +-------------------------+-------+---------
 *    6      6      2        2     2
 */
#ifndef TWR_NET_PARSE_H
#define TWR_NET_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NP_MAX_VLANS 2

enum np_result {
	NP_UDP = 0,       /* well-formed unfragmented UDP over IPv4/IPv6 */
	NP_NOT_IP,        /* ARP, LLDP, ... (exception path) */
	NP_NOT_UDP,       /* ICMP, TCP, ESP, ... (exception path) */
	NP_FRAGMENT,      /* IPv4 fragment or IPv6 Fragment header (exception path) */
	NP_IP_OPTIONS,    /* IPv4 with options, or IPv6 extension headers before UDP */
	NP_MALFORMED,     /* truncated or inconsistent headers (drop and count) */
};

struct np_info {
	uint8_t ipver;          /* 4 or 6 */
	uint8_t nvlans;
	uint16_t vlan_tci[NP_MAX_VLANS];
	uint16_t l3_off;        /* from frame start */
	uint16_t l4_off;
	uint16_t payload_off;   /* UDP payload */
	uint16_t payload_len;   /* from the UDP length field, checked */
	uint16_t frame_len;     /* L2 + IP total length (trailing Ethernet padding excluded) */
	uint8_t ttl;            /* TTL / Hop Limit */
	uint8_t tos;            /* DSCP << 2 | ECN (IPv6 Traffic Class) */
	uint8_t l4proto;
	uint8_t src[16];        /* IPv4 uses the first 4 octets, rest zero */
	uint8_t dst[16];
	uint16_t sport;         /* host order */
	uint16_t dport;
	uint16_t udp_csum;      /* as received, host order; 0 = none (IPv4 only) */
};

/* Classify a frame. Fills *info as far as it could parse. The common shape
 * (untagged or one or two tags; IPv4 without options or IPv6; UDP) is read
 * at fixed offsets. */
enum np_result np_parse(const uint8_t *frame, size_t len, struct np_info *info);

/* RFC 1071 checksum helpers */
uint32_t np_csum_partial(const void *data, size_t len, uint32_t sum);
uint16_t np_csum_fold(uint32_t sum);
/* true if the UDP checksum of a parsed packet is valid (or absent on IPv4) */
bool np_udp_csum_ok(const uint8_t *frame, const struct np_info *info);

/* Turn a parsed request into the reply headers in place: swap MACs, IP
 * addresses and UDP ports; TTL/Hop Limit 255; IP and UDP lengths for a UDP
 * payload of new_payload_len octets; DSCP: the request's if dscp < 0
 * (reflect), else dscp; ECN always 0; IPv4 header checksum updated
 * incrementally (RFC 1624: np_parse accepted only a valid one); UDP
 * checksum field 0, for np_udp_csum_store. The caller ensures the buffer
 * holds payload_off + new_payload_len octets. Returns the new frame length
 * (trailing octets after the IP packet are not part of it). */
size_t np_make_reply(uint8_t *frame, const struct np_info *info, uint16_t new_payload_len, int dscp);

/* The reply's UDP checksum, carried from the verified request (the fast
 * path). A reply built in place changes only the UDP payload octets
 * [0, pre) (the reflector header, reflected octets); ports and addresses
 * are swapped, which leaves the one's complement sum unchanged, and when
 * the reply is as long as the request, the UDP length stays. So the
 * request's sum of everything but those octets and the checksum field,
 * taken while verifying, gives the reply's checksum after summing only the
 * new [0, pre):
 *
 *   carry = pseudo-header + UDP ports and length + payload[pre, len)
 *   valid request:  fold(carry + sum(req[0, pre)) + field) == 0xffff
 *   reply field  =  ~fold(carry + sum(reply[0, pre)) + delta)
 *
 * pre must be even and at most the payload length, or the whole payload
 * (which may be odd: nothing follows it).
 *  - np_udp_csum_verify_carry: whether the request's checksum is valid (or
 *    absent on IPv4); sets *carry either way.
 *  - np_udp_csum_reply_acc: the reply's sum, not folded: from the carry, or
 *    with pre 0 (a reply whose length differs) the whole reply's, from the
 *    frame as np_make_reply left it.
 *  - np_udp_csum_store: the checksum of that sum plus delta, stored; delta
 *    is what was patched in since (the transmit timestamp in place of
 *    zeros: its np_csum_delta), 0 if nothing. The one way every UDP
 *    checksum the reflector sends is finished. */
bool np_udp_csum_verify_carry(const uint8_t *frame, const struct np_info *info, uint16_t pre,
			      uint64_t *carry);
uint64_t np_udp_csum_reply_acc(const uint8_t *frame, const struct np_info *info, uint16_t pre,
			       uint64_t carry);
void np_udp_csum_store(uint8_t *frame, const struct np_info *info, uint64_t acc, uint64_t delta);

/* Compute and store the UDP checksum of a whole packet whose payload is
 * final (np_udp_csum_reply_acc with pre 0, then np_udp_csum_store). */
void np_udp_csum_set(uint8_t *frame, const struct np_info *info);

/* The sum change of n octets (n even) changing from old to new_, as a
 * native accumulator for np_udp_csum_store's delta (RFC 1624 eqn. 3). */
uint64_t np_csum_delta(const uint8_t *old, const uint8_t *new_, size_t n);

#endif
