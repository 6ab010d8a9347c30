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
 * The ippm plugin: serves prf(SK_d, "IPPM") of established IKEv2 SAs
 * (RFC 7717) on a Unix socket, for twamp-keyagent. SK_d never leaves charon.
 */
#ifndef IPPM_PLUGIN_H_
#define IPPM_PLUGIN_H_

#include <plugins/plugin.h>

typedef struct ippm_plugin_t ippm_plugin_t;

struct ippm_plugin_t {

	/**
	 * implements plugin interface, first member
	 */
	plugin_t plugin;
};

#endif /* IPPM_PLUGIN_H_ */
