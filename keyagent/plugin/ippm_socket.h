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
 * The plugin's Unix stream socket: one request, one reply, close.
 *
 * strongswan.conf:
 *   charon.plugins.ippm.socket  unix:// URI (default unix:///run/strongswan/ippm.sock)
 *   charon.plugins.ippm.group   group allowed to connect (default: none, root only)
 * The socket file is made mode 0660, owner root, that group.
 */
#ifndef IPPM_SOCKET_H_
#define IPPM_SOCKET_H_

typedef struct ippm_socket_t ippm_socket_t;

struct ippm_socket_t {

	/**
	 * Stop serving and remove the socket.
	 */
	void (*destroy)(ippm_socket_t *this);
};

/**
 * Create the socket service.
 *
 * @return	the service, or NULL (the reason is logged)
 */
ippm_socket_t *ippm_socket_create();

#endif /* IPPM_SOCKET_H_ */
