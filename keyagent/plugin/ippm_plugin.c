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

#include "ippm_plugin.h"
#include "ippm_socket.h"

#include <daemon.h>

typedef struct private_ippm_plugin_t private_ippm_plugin_t;

struct private_ippm_plugin_t {

	/** public interface, first member */
	ippm_plugin_t public;

	/** the socket, while registered */
	ippm_socket_t *socket;
};

METHOD(plugin_t, get_name, char*,
	private_ippm_plugin_t *this)
{
	return "ippm";
}

static bool register_socket(private_ippm_plugin_t *this,
							plugin_feature_t *feature, bool reg, void *data)
{
	if (reg)
	{
		this->socket = ippm_socket_create();
		return this->socket != NULL;
	}
	DESTROY_IF(this->socket);
	this->socket = NULL;
	return TRUE;
}

METHOD(plugin_t, get_features, int,
	private_ippm_plugin_t *this, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK((plugin_feature_callback_t)register_socket, NULL),
			PLUGIN_PROVIDE(CUSTOM, "ippm"),
	};
	*features = f;
	return countof(f);
}

METHOD(plugin_t, destroy, void,
	private_ippm_plugin_t *this)
{
	DESTROY_IF(this->socket);
	free(this);
}

/**
 * Plugin constructor, looked up by charon as <name>_plugin_create
 */
__attribute__((visibility("default")))
plugin_t *ippm_plugin_create()
{
	private_ippm_plugin_t *this;

	INIT(this,
		.public = {
			.plugin = {
				.get_name = _get_name,
				.get_features = _get_features,
				.destroy = _destroy,
			},
		},
	);
	return &this->public.plugin;
}
