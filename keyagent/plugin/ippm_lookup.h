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

/**
 * Finding an IKEv2 SA and deriving its RFC 7717 key.
 *
 * The key is computed from the SA's live keymat at lookup time, never from
 * the ike_derived_keys bus hook: in 5.9.8 that hook reports the new keys
 * with the old SA on the rekey initiator, and fires before a PPK (RFC 8784)
 * replaces SK_d.
 */
#ifndef IPPM_LOOKUP_H_
#define IPPM_LOOKUP_H_

#include "ippm_msg.h"

/**
 * Answer a parsed lookup request: an established IKEv2 SA with exactly
 * these SPIs, or the most recently established one whose remote address
 * is the peer. Fills rep (key included: the caller wipes it).
 *
 * @return	IPPM_OK, IPPM_NO_SA or IPPM_INTERNAL (also in rep->status)
 */
int ippm_lookup(const ippm_request_t *req, ippm_reply_t *rep);

#endif /* IPPM_LOOKUP_H_ */
