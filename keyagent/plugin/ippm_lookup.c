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

#include "ippm_lookup.h"

#include <daemon.h>
#include <sa/ikev2/keymat_v2.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static bool usable(ike_sa_t *ike_sa)
{
	return ike_sa->get_version(ike_sa) == IKEV2 &&
		   ike_sa->get_state(ike_sa) == IKE_ESTABLISHED;
}

static bool spis_match(ike_sa_t *ike_sa, const ippm_request_t *req)
{
	ike_sa_id_t *id = ike_sa->get_id(ike_sa);
	uint64_t spi_i = id->get_initiator_spi(id);	/* network order */
	uint64_t spi_r = id->get_responder_spi(id);

	return memeq(&spi_i, req->spi_i, 8) && memeq(&spi_r, req->spi_r, 8);
}

/* Address only: NAT-T moves the port */
static bool put_addr(host_t *host, uint8_t *family, uint8_t addr[16])
{
	chunk_t a = host->get_address(host);

	memset(addr, 0, 16);
	if (host->get_family(host) == AF_INET && a.len == 4)
	{
		*family = 4;
	}
	else if (host->get_family(host) == AF_INET6 && a.len == 16)
	{
		*family = 6;
	}
	else
	{
		return FALSE;
	}
	memcpy(addr, a.ptr, a.len);
	return TRUE;
}

static bool peer_matches(ike_sa_t *ike_sa, const ippm_request_t *req)
{
	uint8_t family, addr[16];

	return put_addr(ike_sa->get_other_host(ike_sa), &family, addr) &&
		   family == req->family && memeq(addr, req->addr, 16);
}

/* Printable form of an identity, "?" for anything else; truncation flagged */
static void put_id(identification_t *id, char buf[IPPM_ID_FIELD],
				   uint8_t *type, uint8_t *flags, uint8_t truncated_flag)
{
	int n = snprintf(buf, IPPM_ID_FIELD, "%Y", id);
	char *c;

	if (n < 0)
	{
		buf[0] = '\0';
	}
	else if (n >= IPPM_ID_FIELD)
	{
		*flags |= truncated_flag;
	}
	for (c = buf; *c; c++)
	{
		if (*c < 0x20 || *c > 0x7e)
		{
			*c = '?';
		}
	}
	*type = id->get_type(id) <= 255 ? (uint8_t)id->get_type(id) : 0;
}

/* prf(SK_d, "IPPM") with the SA's negotiated PRF and its current SK_d */
static bool derive(ike_sa_t *ike_sa, ippm_reply_t *rep)
{
	keymat_v2_t *keymat = (keymat_v2_t*)ike_sa->get_keymat(ike_sa);
	pseudo_random_function_t alg;
	chunk_t skd = chunk_empty;
	prf_t *prf;
	bool ok;

	alg = keymat->get_skd(keymat, &skd);	/* skd points into the keymat */
	if (!skd.len || alg > 0xffff)
	{
		return FALSE;
	}
	prf = lib->crypto->create_prf(lib->crypto, alg);
	if (!prf)
	{
		return FALSE;
	}
	ok = prf->get_block_size(prf) <= IPPM_KEY_MAX &&
		 prf->set_key(prf, skd) &&
		 prf->get_bytes(prf, chunk_from_str("IPPM"), rep->key);
	rep->key_len = ok ? prf->get_block_size(prf) : 0;
	rep->prf = alg;
	prf->destroy(prf);
	if (!ok)
	{
		memwipe(rep->key, sizeof(rep->key));
	}
	return ok;
}

static int fill(ike_sa_t *ike_sa, ippm_reply_t *rep)
{
	ike_sa_id_t *id = ike_sa->get_id(ike_sa);
	uint64_t spi_i = id->get_initiator_spi(id);
	uint64_t spi_r = id->get_responder_spi(id);

	rep->flags = 0;
	memcpy(rep->spi_i, &spi_i, 8);
	memcpy(rep->spi_r, &spi_r, 8);
	if (!put_addr(ike_sa->get_my_host(ike_sa), &rep->local_family, rep->local_addr) ||
		!put_addr(ike_sa->get_other_host(ike_sa), &rep->remote_family, rep->remote_addr) ||
		!derive(ike_sa, rep))
	{
		return IPPM_INTERNAL;
	}
	put_id(ike_sa->get_my_id(ike_sa), rep->local_id, &rep->local_id_type,
		   &rep->flags, 0x01);
	put_id(ike_sa->get_other_id(ike_sa), rep->remote_id, &rep->remote_id_type,
		   &rep->flags, 0x02);
	return IPPM_OK;
}

int ippm_lookup(const ippm_request_t *req, ippm_reply_t *rep)
{
	enumerator_t *enumerator;
	ike_sa_t *ike_sa;
	uint32_t newest = 0;
	int status = IPPM_NO_SA;

	memset(rep, 0, sizeof(*rep));
	rep->type = req->type;
	/* each SA is checked out while we look at it */
	enumerator = charon->ike_sa_manager->create_enumerator(
											charon->ike_sa_manager, TRUE);
	while (enumerator->enumerate(enumerator, &ike_sa))
	{
		uint32_t established;

		if (!usable(ike_sa))
		{
			continue;
		}
		if (req->type == IPPM_LOOKUP_SPI)
		{
			if (spis_match(ike_sa, req))
			{
				status = fill(ike_sa, rep);
				break;
			}
			continue;
		}
		established = ike_sa->get_statistic(ike_sa, STAT_ESTABLISHED);
		if (peer_matches(ike_sa, req) &&
			(status != IPPM_OK || established > newest))
		{
			memwipe(rep->key, sizeof(rep->key));
			status = fill(ike_sa, rep);
			newest = established;
		}
	}
	enumerator->destroy(enumerator);
	if (status != IPPM_OK)
	{
		memwipe(rep, sizeof(*rep));
		rep->type = req->type;
	}
	rep->status = status;
	return status;
}
