/* The key agent's messages (RFC 7717 keys, docs/protocol.md §8): fixed-size,
 * versioned binary requests and replies on two Unix stream sockets that
 * share one layout and differ by magic:
 *
 *   TWAMP process ──"TWKA"──▶ twamp-keyagent ──"IPPM"──▶ charon ippm plugin
 *
 * One request, one reply, then the server closes the connection. Every
 * multi-octet number is big-endian. The plugin (GPL, keyagent/plugin/
 * ippm_msg.h) keeps its own copy of this layout; the system tests check
 * that the two agree.
 *
 * Request, KA_REQ_LEN = 48 octets:
 *
 *   0               1               2               3
 *   +---------------+---------------+---------------+---------------+
 *  0|                 magic "TWKA" (agent) / "IPPM" (plugin)        |
 *   +---------------+---------------+---------------+---------------+
 *  4|  version = 1  |     type      |            MBZ (2)            |
 *   +---------------+---------------+---------------+---------------+
 *  8|                 SPIi (8 octets, as in the IKE header)         |
 *   +                                                               +
 * 12|                                                               |
 *   +---------------+---------------+---------------+---------------+
 * 16|                 SPIr (8 octets)                               |
 *   +                                                               +
 * 20|                                                               |
 *   +---------------+---------------+---------------+---------------+
 * 24|  peer family  |                    MBZ (3)                    |
 *   +---------------+---------------+---------------+---------------+
 * 28|     peer address (16 octets; IPv4 in the first 4, rest zero)  |
 *   ~                                                               ~
 *   +---------------+---------------+---------------+---------------+
 * 44|                            MBZ (4)                            |
 *   +---------------+---------------+---------------+---------------+
 *
 *   type 1 PING:        SPIs and peer all zero
 *   type 2 LOOKUP_SPI:  SPIi and SPIr non-zero, peer all zero (server side)
 *   type 3 LOOKUP_PEER: SPIs zero, family 4 or 6 (client side)
 *
 * Reply, KA_REPLY_LEN = 648 octets:
 *
 *    0  magic (4)
 *    4  version (1) | type = request type | 0x80 (1) | status (1) | flags (1)
 *    8  PRF, IKEv2 transform type 2 ID (2) | key length (1) | MBZ (1)
 *   12  MBZ (4)
 *   16  SPIi (8)
 *   24  SPIr (8)
 *   32  local family (1) | remote family (1) | local ID type (1) | remote ID type (1)
 *   36  local address (16)
 *   52  remote address (16)
 *   68  local ID length (2) | remote ID length (2)
 *   72  key (64): prf(SK_d, "IPPM"), key length octets, then zeros
 *  136  local IKE identity (256): printable ASCII, length octets, then zeros
 *  392  remote IKE identity (256)
 *  648
 *
 * status is one of enum ka_status (never KA_NO_AGENT). A reply to PING,
 * and any reply whose status is not KA_OK, is zero from octet 8 on. flags:
 * bit 0 local ID truncated, bit 1 remote ID truncated, others zero. The key
 * length must be the output length of the PRF. ID types are IKEv2's
 * (RFC 7296 §3.5; 0 when unknown). A reply to a request that could not be
 * decoded carries type 0x80.
 */
#ifndef TWR_KEYAGENT_PROTO_H
#define TWR_KEYAGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#define KA_VERSION 1
#define KA_REQ_LEN 48
#define KA_REPLY_LEN 648
#define KA_SPI_LEN 8
#define KA_KEY_MAX 64
#define KA_ID_FIELD 256
#define KA_ID_MAX (KA_ID_FIELD - 1)

#define KA_FLAG_LOCAL_ID_TRUNCATED 0x01
#define KA_FLAG_REMOTE_ID_TRUNCATED 0x02
#define KA_REPLY_BIT 0x80

/* Which socket a message travels on: selects the magic. */
enum ka_leg {
	KA_LEG_AGENT,  /* TWAMP process <-> twamp-keyagent, "TWKA" */
	KA_LEG_PLUGIN, /* twamp-keyagent <-> charon's ippm plugin, "IPPM" */
};

enum ka_type {
	KA_PING = 1,
	KA_LOOKUP_SPI = 2,
	KA_LOOKUP_PEER = 3,
};

enum ka_status {
	KA_OK = 0,
	KA_NO_SA = 1,         /* no established IKEv2 SA with those SPIs / that peer */
	KA_NOT_PERMITTED = 2, /* the agent's policy refuses this caller or peer */
	KA_AGENT_DOWN = 3,    /* the agent cannot reach charon's ippm plugin */
	KA_MALFORMED = 4,     /* the request (or a reply) broke the format */
	KA_BAD_VERSION = 5,   /* a version this side does not speak */
	KA_INTERNAL = 6,      /* the key could not be computed (e.g. unknown PRF) */
	KA_NO_AGENT = 7,      /* local only: the socket did not answer in time */
};
#define KA_STATUS_WIRE_MAX KA_INTERNAL

/* family: 0 (none), 4 or 6; IPv4 in a[0..3], the rest zero. */
struct ka_addr {
	uint8_t family;
	uint8_t a[16];
};

struct ka_request {
	uint8_t type; /* enum ka_type */
	uint8_t spi_i[KA_SPI_LEN];
	uint8_t spi_r[KA_SPI_LEN];
	struct ka_addr peer;
};

/* A decoded reply, or the result of a lookup. Holds a key: ka_reply_wipe()
 * it when done. */
struct ka_reply {
	uint8_t type; /* the request's type (without KA_REPLY_BIT); 0 if unknown */
	uint8_t status; /* enum ka_status */
	uint8_t flags;
	uint16_t prf; /* IKEv2 PRF transform ID */
	uint8_t key_len;
	uint8_t key[KA_KEY_MAX];
	uint8_t spi_i[KA_SPI_LEN];
	uint8_t spi_r[KA_SPI_LEN];
	struct ka_addr local, remote;
	uint8_t local_id_type, remote_id_type;
	char local_id[KA_ID_FIELD]; /* NUL-terminated */
	char remote_id[KA_ID_FIELD];
};

/* Encode a request. Returns 0, or -1 if it breaks the rules above. */
int ka_request_encode(enum ka_leg leg, const struct ka_request *req, uint8_t out[KA_REQ_LEN]);

/* Decode `len` hostile octets. Returns KA_OK, KA_MALFORMED or KA_BAD_VERSION;
 * *why (if not NULL) receives a static reason. */
enum ka_status ka_request_decode(enum ka_leg leg, const uint8_t *buf, size_t len,
				 struct ka_request *req, const char **why);

/* Encode a reply (the fields that the status allows). Returns 0, or -1 if
 * it breaks the rules above (out is zeroed then). */
int ka_reply_encode(enum ka_leg leg, const struct ka_reply *rep, uint8_t out[KA_REPLY_LEN]);

/* Decode `len` hostile octets. Returns KA_OK (rep->status then holds the
 * peer's status), KA_MALFORMED or KA_BAD_VERSION (rep is zeroed). */
enum ka_status ka_reply_decode(enum ka_leg leg, const uint8_t *buf, size_t len,
			       struct ka_reply *rep, const char **why);

/* An error reply of `status` to a request of `type` (0: undecodable). */
void ka_reply_error(struct ka_reply *rep, uint8_t type, enum ka_status status);

void ka_reply_wipe(struct ka_reply *rep);

/* "OK", "NO_SA", ..., "UNKNOWN". */
const char *ka_status_name(int status);

/* "HMAC_SHA2_256", ...; NULL for an unknown PRF. */
const char *ka_prf_name(uint16_t prf);

/* Output length of the PRF in octets; 0 if unknown. */
size_t ka_prf_len(uint16_t prf);

/* From a socket address (IPv4-mapped IPv6 becomes IPv4). Returns 0 or -1. */
int ka_addr_from_sockaddr(struct ka_addr *a, const struct sockaddr *sa, socklen_t len);

/* From text ("10.99.0.2", "fd00:99::2"). Returns 0 or -1. */
int ka_addr_parse(struct ka_addr *a, const char *text);

/* Text form into buf ("-" for family 0); returns buf. */
const char *ka_addr_format(const struct ka_addr *a, char *buf, size_t len);

bool ka_addr_equal(const struct ka_addr *x, const struct ka_addr *y);

#endif
