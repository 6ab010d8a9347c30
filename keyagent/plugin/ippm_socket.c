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

#include "ippm_socket.h"
#include "ippm_lookup.h"
#include "ippm_msg.h"

#include <daemon.h>

#include <errno.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define IPPM_DEFAULT_URI "unix:///run/strongswan/ippm.sock"
#define IPPM_IO_TIMEOUT_S 2

typedef struct private_ippm_socket_t private_ippm_socket_t;

struct private_ippm_socket_t {

	/** public interface, first member */
	ippm_socket_t public;

	/** the stream service */
	stream_service_t *service;

	/** socket file name */
	char *path;
};

/* stream_t hides its descriptor; a dup of it shares the socket's options */
static void set_timeouts(stream_t *stream)
{
	struct timeval tv = { .tv_sec = IPPM_IO_TIMEOUT_S };
	FILE *file = stream->get_file(stream);

	if (file)
	{
		setsockopt(fileno(file), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fileno(file), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		fclose(file);
	}
}

static void answer(const uint8_t *buf, ippm_reply_t *rep)
{
	ippm_request_t req;
	int status;

	status = ippm_request_parse(buf, &req);
	memset(rep, 0, sizeof(*rep));
	rep->type = status == IPPM_OK ? req.type : 0;
	rep->status = status;
	if (status == IPPM_OK && req.type != IPPM_PING)
	{
		ippm_lookup(&req, rep);
	}
	/* SPIs are public (IKE headers); the key is never logged */
	DBG2(DBG_CFG, "ippm: request type %d: status %d", req.type, rep->status);
}

/* runs in a job thread, never in a bus listener */
static bool on_accept(private_ippm_socket_t *this, stream_t *stream)
{
	uint8_t buf[IPPM_REQ_LEN], out[IPPM_REPLY_LEN];
	ippm_reply_t rep;

	set_timeouts(stream);
	if (!stream->read_all(stream, buf, sizeof(buf)))
	{
		return FALSE;
	}
	answer(buf, &rep);
	ippm_reply_build(&rep, out);
	stream->write_all(stream, out, sizeof(out));
	memwipe(&rep, sizeof(rep));
	memwipe(out, sizeof(out));
	return FALSE;	/* close */
}

/* mode 0660, owner root, the configured group */
static bool restrict_socket(const char *path)
{
	char *group_name, buf[4096];
	struct group grp, *res = NULL;
	gid_t gid = 0;

	group_name = lib->settings->get_str(lib->settings,
						"%s.plugins.ippm.group", NULL, lib->ns);
	if (group_name)
	{
		if (getgrnam_r(group_name, &grp, buf, sizeof(buf), &res) != 0 || !res)
		{
			DBG1(DBG_CFG, "ippm: unknown group '%s'", group_name);
			return FALSE;
		}
		gid = grp.gr_gid;
	}
	if (chown(path, 0, gid) != 0 || chmod(path, 0660) != 0)
	{
		DBG1(DBG_CFG, "ippm: securing socket '%s' failed: %s", path,
			 strerror(errno));
		return FALSE;
	}
	return TRUE;
}

METHOD(ippm_socket_t, destroy, void,
	private_ippm_socket_t *this)
{
	DESTROY_IF(this->service);
	if (this->path)
	{
		unlink(this->path);
	}
	free(this->path);
	free(this);
}

ippm_socket_t *ippm_socket_create()
{
	private_ippm_socket_t *this;
	char *uri;

	uri = lib->settings->get_str(lib->settings, "%s.plugins.ippm.socket",
								 IPPM_DEFAULT_URI, lib->ns);
	/* keys must not leave the host: Unix sockets only */
	if (!strpfx(uri, "unix://") || strlen(uri) <= strlen("unix://"))
	{
		DBG1(DBG_CFG, "ippm: socket '%s' refused, only unix:// URIs", uri);
		return NULL;
	}
	INIT(this,
		.public = {
			.destroy = _destroy,
		},
		.path = strdup(uri + strlen("unix://")),
	);
	this->service = lib->streams->create_service(lib->streams, uri, 10);
	if (!this->service)
	{
		DBG1(DBG_CFG, "ippm: creating socket '%s' failed", uri);
		free(this->path);
		free(this);
		return NULL;
	}
	if (!restrict_socket(this->path))
	{
		destroy(this);
		return NULL;
	}
	this->service->on_accept(this->service, (stream_service_cb_t)on_accept,
							 this, JOB_PRIO_HIGH, 2);
	DBG1(DBG_CFG, "ippm: serving RFC 7717 keys on %s", uri);
	return &this->public;
}
