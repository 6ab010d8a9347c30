/*
 * ippm: a strongSwan charon plugin that serves RFC 7717 keys,
 * prf(SK_d, "IPPM"), to twamp-keyagent over a Unix socket.
 * Copyright (C) 2025 the twamp-reflector authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See COPYING in this directory.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */

/*
 * The plugin's side of the socket protocol: fixed-size, versioned, big-endian
 * (the same layout as the project's common/keyagent_proto.h, "IPPM" leg; the
 * plugin keeps its own copy so that it stays separate from the rest).
 *
 * Request, 48 octets:
 *
 *    0  magic "IPPM" (4)
 *    4  version = 1 (1) | type (1): 1 ping, 2 lookup by SPIs, 3 by peer | MBZ (2)
 *    8  SPIi (8), as in the IKE header
 *   16  SPIr (8)
 *   24  peer family (1): 0, 4 or 6 | MBZ (3)
 *   28  peer address (16): IPv4 in the first 4 octets, rest zero
 *   44  MBZ (4)
 *
 * Reply, 648 octets:
 *
 *    0  magic "IPPM" (4)
 *    4  version = 1 (1) | type = request type | 0x80 (1) | status (1) | flags (1)
 *    8  PRF, IKEv2 transform ID (2) | key length (1) | MBZ (1)
 *   12  MBZ (4)
 *   16  SPIi (8)
 *   24  SPIr (8)
 *   32  local family (1) | remote family (1) | local ID type (1) | remote ID type (1)
 *   36  local address (16)
 *   52  remote address (16)
 *   68  local ID length (2) | remote ID length (2)
 *   72  key (64): prf(SK_d, "IPPM"), key length octets, then zeros
 *  136  local identity (256): printable ASCII, then zeros
 *  392  remote identity (256)
 *
 * status: 0 OK, 1 NO_SA, 4 MALFORMED, 5 VERSION, 6 INTERNAL. Only an OK reply
 * to a lookup carries data past octet 7; flags bit 0/1: local/remote
 * identity truncated. A request that cannot be parsed gets type 0x80.
 */
#ifndef IPPM_MSG_H_
#define IPPM_MSG_H_

#include <stdint.h>

#define IPPM_VERSION 1
#define IPPM_REQ_LEN 48
#define IPPM_REPLY_LEN 648
#define IPPM_KEY_MAX 64
#define IPPM_ID_FIELD 256

enum {
	IPPM_PING = 1,
	IPPM_LOOKUP_SPI = 2,
	IPPM_LOOKUP_PEER = 3,
};

enum {
	IPPM_OK = 0,
	IPPM_NO_SA = 1,
	IPPM_MALFORMED = 4,
	IPPM_BAD_VERSION = 5,
	IPPM_INTERNAL = 6,
};

typedef struct {
	uint8_t type;
	uint8_t spi_i[8], spi_r[8];
	uint8_t family;          /* 4 or 6 (peer lookup) */
	uint8_t addr[16];
} ippm_request_t;

typedef struct {
	uint8_t type, status, flags;
	uint16_t prf;
	uint8_t key_len;
	uint8_t key[IPPM_KEY_MAX];
	uint8_t spi_i[8], spi_r[8];
	uint8_t local_family, remote_family;
	uint8_t local_addr[16], remote_addr[16];
	uint8_t local_id_type, remote_id_type;
	char local_id[IPPM_ID_FIELD], remote_id[IPPM_ID_FIELD]; /* NUL-terminated */
} ippm_reply_t;

/**
 * Parse a request (strictly: MBZ fields, per-type rules).
 *
 * @return	IPPM_OK, IPPM_MALFORMED or IPPM_BAD_VERSION
 */
int ippm_request_parse(const uint8_t buf[IPPM_REQ_LEN], ippm_request_t *req);

/**
 * Build a reply; only an OK reply to a lookup carries its data.
 */
void ippm_reply_build(const ippm_reply_t *rep, uint8_t out[IPPM_REPLY_LEN]);

#endif /* IPPM_MSG_H_ */
