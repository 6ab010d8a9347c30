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

/* Classify a frame. Fills *info as far as it could parse. */
enum np_result np_parse(const uint8_t *frame, size_t len, struct np_info *info);

/* The common shape alone (IPv4 without options and not a fragment, with a
 * valid header checksum, or IPv6 without extension headers; untagged or
 * behind one or two 802.1Q / 802.1ad tags; UDP filling the IP payload), at fixed
 * offsets: true with *info filled exactly as np_parse fills it (and np_parse
 * would return NP_UDP), false for anything else, which np_parse then
 * classifies. */
bool np_parse_plain(const uint8_t *frame, size_t len, struct np_info *info);

/* RFC 1071 checksum helpers */
uint32_t np_csum_partial(const void *data, size_t len, uint32_t sum);
uint16_t np_csum_fold(uint32_t sum);
/* true if the UDP checksum of a parsed packet is valid (or absent on IPv4) */
bool np_udp_csum_ok(const uint8_t *frame, const struct np_info *info);

/* Turn a parsed request into the reply headers in place: swap MACs, IP
 * addresses and UDP ports; TTL/Hop Limit 255; IP and UDP lengths for a UDP
 * payload of new_payload_len octets; DSCP: the request's if dscp < 0
 * (reflect), else dscp; ECN always 0; IPv4 header checksum updated
 * incrementally (RFC 1624: np_parse accepted only a valid one). The
 * UDP checksum is left for np_udp_csum_set. The caller ensures the buffer
 * holds payload_off + new_payload_len octets. Returns the new frame length. */
size_t np_make_reply(uint8_t *frame, const struct np_info *info, uint16_t new_payload_len, int dscp);

/* np_make_reply(frame, info, info->payload_len, dscp) for a frame that
 * np_parse_plain accepted, in fewer steps: the lengths stay, the offsets are
 * fixed (but for the tag). Same octets, same return value. */
size_t np_make_reply_plain(uint8_t *frame, const struct np_info *info, int dscp);

/* Compute and store the UDP checksum of a reply made by np_make_reply
 * (payload final). Always computed, also on IPv4. */
void np_udp_csum_set(uint8_t *frame, const struct np_info *info);

/* Checksum carried from a verified request to its reply (the fast path).
 * A reply built in place changes only the UDP payload octets [0, pre) (the
 * reflector header, reflected octets); ports and addresses are swapped,
 * which leaves the one's complement sum unchanged, and the UDP length stays
 * the same. So the request's sum of everything but those octets and the
 * checksum field, taken while verifying, gives the reply's checksum after
 * summing only the new [0, pre):
 *
 *   carry = pseudo-header + UDP ports and length + payload[pre, len)
 *   valid request:  fold(carry + sum(req[0, pre)) + field) == 0xffff
 *   reply field  =  ~fold(carry + sum(reply[0, pre)))
 *
 * pre must be even and at most the payload length, or the whole payload
 * (which may be odd: nothing follows it). np_udp_csum_verify_carry
 * returns whether the request's checksum is valid (or absent on IPv4) and
 * sets *carry either way; np_udp_csum_from_carry stores the reply's. */
bool np_udp_csum_verify_carry(const uint8_t *frame, const struct np_info *info, uint16_t pre,
			      uint64_t *carry);
void np_udp_csum_from_carry(uint8_t *frame, const struct np_info *info, uint16_t pre,
			    uint64_t carry);
/* The same in two steps, for a change patched in between (the transmit
 * timestamp, in place of zeros: its np_csum_delta): the reply's sum, not
 * folded and not stored; then the checksum of that sum plus delta, stored. */
uint64_t np_udp_csum_reply_acc(const uint8_t *frame, const struct np_info *info, uint16_t pre,
			       uint64_t carry);
void np_udp_csum_store_acc(uint8_t *frame, const struct np_info *info, uint64_t acc,
			   uint64_t delta);

/* RFC 1624 incremental update of the stored UDP checksum after n octets
 * (n even, at an even payload offset) changed from old to new. */
void np_udp_csum_update(uint8_t *frame, const struct np_info *info,
			const uint8_t *old, const uint8_t *new_, size_t n);

/* The same in two steps, for one change applied to many packets (the
 * transmit timestamp of a burst): the change's delta (n even, a native
 * accumulator), then its application to a packet's stored checksum. */
uint64_t np_csum_delta(const uint8_t *old, const uint8_t *new_, size_t n);
void np_udp_csum_apply(uint8_t *frame, const struct np_info *info, uint64_t delta);

#endif
