/* TWAMP-Test request frames for the dataplane's tests, built octet by octet
 * with their own RFC 1071 checksums (independent of common/net_parse.c):
 * Ethernet with 0-2 tags, IPv4 (with or without options, fragments) or
 * IPv6, UDP, a Session-Sender packet protected with common/'s OpenSSL
 * reference crypto; and the faults the reflector must count. */
#ifndef TWR_TEST_REQ_FRAMES_H
#define TWR_TEST_REQ_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_crypto.h"
#include "tw_pkt.h"

#define REQ_MAX_FRAME 1600

enum req_fault {
	RF_NONE,
	RF_BAD_UDP_CSUM,   /* checksum off by one */
	RF_NO_UDP_CSUM,    /* 0 (IPv4: none) */
	RF_BAD_HMAC,       /* a flipped octet in the HMAC field */
	RF_IP_OPTIONS,     /* IPv4 with a NOP option word, IPv6 with Hop-by-Hop */
	RF_FRAGMENT,       /* IPv4 MF, IPv6 Fragment header */
	RF_BAD_IP_CSUM,    /* IPv4 header checksum off by one */
	RF_NOT_UDP,        /* protocol / next header ICMP */
	RF_UDP_SHORT,      /* the UDP length 2 short of the IP payload */
	RF_TRAILER,        /* 6 octets of Ethernet padding after the IP packet */
	RF_OTHER_MAC,      /* unicast to another station */
	RF_MULTICAST,      /* to a multicast MAC */
	RF_TRUNCATED,      /* cut in the UDP header */
};

struct req {
	uint8_t ipver;            /* 4 or 6 */
	unsigned ntags;           /* 0, 1 or 2 */
	uint8_t port_mac[6];      /* the reflector's */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t tos, ttl;
	enum tw_sec sec;
	bool symmetrical;
	const struct tw_keys *keys; /* sec != open */
	uint32_t seq;
	uint16_t plen;            /* UDP payload: the sender packet and its padding */
	enum req_fault fault;
};

/* The frame of r into f (REQ_MAX_FRAME octets). Returns its length. */
size_t req_frame(const struct req *r, uint8_t *f);

#endif
