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

#include "ippm_msg.h"

#include <string.h>

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n--)
	{
		acc |= *p++;
	}
	return acc == 0;
}

static int type_rules_ok(const ippm_request_t *r, const uint8_t *buf)
{
	int spis_zero = all_zero(buf + 8, 16);
	int peer_zero = all_zero(buf + 24, 20);

	switch (r->type)
	{
		case IPPM_PING:
			return spis_zero && peer_zero;
		case IPPM_LOOKUP_SPI:
			return !all_zero(buf + 8, 8) && !all_zero(buf + 16, 8) && peer_zero;
		case IPPM_LOOKUP_PEER:
			if (!spis_zero || !all_zero(buf + 25, 3))
			{
				return 0;
			}
			return r->family == 6 || (r->family == 4 && all_zero(buf + 32, 12));
		default:
			return 0;
	}
}

int ippm_request_parse(const uint8_t buf[IPPM_REQ_LEN], ippm_request_t *req)
{
	memset(req, 0, sizeof(*req));
	if (memcmp(buf, "IPPM", 4) != 0)
	{
		return IPPM_MALFORMED;
	}
	if (buf[4] != IPPM_VERSION)
	{
		return IPPM_BAD_VERSION;
	}
	req->type = buf[5];
	memcpy(req->spi_i, buf + 8, 8);
	memcpy(req->spi_r, buf + 16, 8);
	req->family = buf[24];
	memcpy(req->addr, buf + 28, 16);
	if (!all_zero(buf + 6, 2) || !all_zero(buf + 44, 4) || !type_rules_ok(req, buf))
	{
		return IPPM_MALFORMED;
	}
	return IPPM_OK;
}

static void put_id(uint8_t *len_field, uint8_t *field, const char *id)
{
	size_t n = strnlen(id, IPPM_ID_FIELD - 1);

	len_field[0] = (uint8_t)(n >> 8);
	len_field[1] = (uint8_t)n;
	memcpy(field, id, n);
}

void ippm_reply_build(const ippm_reply_t *rep, uint8_t out[IPPM_REPLY_LEN])
{
	memset(out, 0, IPPM_REPLY_LEN);
	memcpy(out, "IPPM", 4);
	out[4] = IPPM_VERSION;
	out[5] = rep->type | 0x80;
	out[6] = rep->status;
	if (rep->status != IPPM_OK || rep->type == IPPM_PING || rep->type == 0)
	{
		return;
	}
	out[7] = rep->flags;
	out[8] = (uint8_t)(rep->prf >> 8);
	out[9] = (uint8_t)rep->prf;
	out[10] = rep->key_len;
	memcpy(out + 16, rep->spi_i, 8);
	memcpy(out + 24, rep->spi_r, 8);
	out[32] = rep->local_family;
	out[33] = rep->remote_family;
	out[34] = rep->local_id_type;
	out[35] = rep->remote_id_type;
	memcpy(out + 36, rep->local_addr, 16);
	memcpy(out + 52, rep->remote_addr, 16);
	put_id(out + 68, out + 136, rep->local_id);
	put_id(out + 70, out + 392, rep->remote_id);
	memcpy(out + 72, rep->key, rep->key_len <= IPPM_KEY_MAX ? rep->key_len : 0);
}
