/* The session API server (common/session_api.h for the messages): a Unix
 * SOCK_SEQPACKET socket, mode 0660 with the configured group (0600
 * without), served by the main lcore without ever blocking. Each caller is
 * admitted by the kernel's record of it (SO_PEERCRED: root, our uid, the
 * group), each request is checked in full by twr_api_check_req before
 * anything acts on it, an ADD's test port must pass the port policy
 * (common/port_policy.h), and a client idle for session-api-idle-timeout
 * is disconnected, so that no process holds the client slots forever. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api_server.h"
#include "dp_log.h"
#include "peer_cred.h"
#include "port_policy.h"
#include "run_as.h"
#include "secure_mem.h"
#include "sessions.h"
#include "sock_dir.h"

#define API_MAX_CLIENTS 8
#define API_REFUSAL_LOG_MS 1000 /* at most one refused-peer line a second */

struct api_client {
	int fd;                 /* -1: free slot */
	uint64_t last_ms;       /* last request (or the accept) */
	pid_t pid;
	uid_t uid;
};

static int listen_fd = -1;
static struct api_client clients[API_MAX_CLIENTS];
static char sock_path[108];
static char group_name[33];
static gid_t group = (gid_t)-1;
static uint64_t idle_ms;
static struct twr_port_range test_ports;
struct api_stats api_stats;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool clients_set; /* clients[] initialised (a failed start may not get here) */

static void take_config(const struct dp_config *cfg)
{
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		clients[i].fd = -1;
	clients_set = true;
	snprintf(sock_path, sizeof(sock_path), "%s", cfg->session_socket);
	snprintf(group_name, sizeof(group_name), "%s", cfg->session_socket_group);
	idle_ms = (uint64_t)cfg->api_idle_s * 1000u;
	test_ports = (struct twr_port_range){ cfg->test_port_min, cfg->test_port_max };
}

int api_server_open(const struct dp_config *cfg, char *err, size_t errlen)
{
	struct twr_sock_dir dir = { .mode = 0750, .gid = (gid_t)-1, .owner = geteuid() };
	mode_t mode;
	char why[256];

	take_config(cfg);
	if (group_name[0] && twr_group_id(group_name, &group, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "session-socket-group: %s", why);
		return -1;
	}
	dir.gid = group;
	mode = group != (gid_t)-1 ? 0660 : 0600;
	if (twr_sock_dir_prepare(sock_path, &dir, why, sizeof(why)) != 0 ||
	    twr_sock_clear_stale(sock_path, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "session socket: %s", why);
		return -1;
	}
	listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0) {
		snprintf(err, errlen, "session socket: %s", strerror(errno));
		return -1;
	}
	if (twr_sock_bind(listen_fd, sock_path, mode, group, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "session socket: %s", why);
		close(listen_fd);
		listen_fd = -1;
		return -1;
	}
	if (listen(listen_fd, 4) != 0) {
		snprintf(err, errlen, "session socket %s: listen: %s", sock_path, strerror(errno));
		unlink(sock_path);
		close(listen_fd);
		listen_fd = -1;
		return -1;
	}
	dp_log(DP_NOTICE, "session API listening on %s (mode %04o, group %s; idle clients closed "
	       "after %us)", sock_path, (unsigned)mode, group_name[0] ? group_name : "-",
	       cfg->api_idle_s);
	return 0;
}

void api_server_close(void)
{
	for (int i = 0; clients_set && i < API_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			close(clients[i].fd);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);
	}
	listen_fd = -1;
}

/* ADD, once the test port has passed the policy (port_policy.h). */
static int add_session(const uint8_t *arg, const char **why)
{
	static char reason[128];
	const char *policy;
	uint16_t port;

	memcpy(&port, arg + offsetof(struct twr_api_session, reflector_port), sizeof(port));
	if (!twr_test_port_permitted(port, &test_ports, &policy)) {
		api_stats.port_refused++;
		snprintf(reason, sizeof(reason), "%s (UDP %u; range %u-%u)", policy, port,
			 test_ports.min, test_ports.max);
		*why = reason;
		return TWR_API_EPERM;
	}
	return sessions_add((const void *)arg);
}

static size_t handle(const uint8_t *req, size_t n, uint8_t *rep, const char **why)
{
	const struct twr_api_hdr *h = (const void *)req;
	struct twr_api_hdr *rh = (void *)rep;
	struct twr_api_reply *rr = (void *)(rep + sizeof(*rh));
	uint8_t *body = rep + sizeof(*rh) + sizeof(*rr);
	const uint8_t *arg = req + sizeof(*h);
	size_t len = sizeof(*rh) + sizeof(*rr);
	int st;

	memset(rep, 0, TWR_API_MAX_MSG);
	rh->version = TWR_API_VERSION;
	st = twr_api_check_req(req, n, why);
	if (st == TWR_API_OK) {
		switch (h->op) {
		case TWR_OP_ADD: st = add_session(arg, why); break;
		case TWR_OP_START: st = sessions_start(arg); break;
		case TWR_OP_STOP: st = sessions_stop(arg); break;
		case TWR_OP_REMOVE: st = sessions_remove(arg); break;
		case TWR_OP_COUNTERS:
			st = sessions_counters(arg, (void *)body);
			if (st == TWR_API_OK)
				len += sizeof(struct twr_api_counters);
			break;
		case TWR_OP_FLUSH: sessions_flush(); break;
		case TWR_OP_INFO: {
			struct twr_api_info *in = (void *)body;

			in->max_sessions = dp_sess.max;
			in->sessions = dp_sess.count;
			in->workers = dp_sess.nworkers;
			len += sizeof(*in);
			break;
		}
		default: st = TWR_API_EINVAL; break;
		}
	}
	/* echo what we can of the header, even for a malformed request */
	if (n >= sizeof(*h)) {
		rh->op = h->op;
		rh->seq = h->seq;
	}
	rh->len = (uint32_t)len;
	rr->status = (uint32_t)st;
	return len;
}

static void log_op(const uint8_t *req, size_t n, int st, const char *why)
{
	const struct twr_api_hdr *h = (const void *)req;
	static const char *const names[] = { "?", "add", "start", "stop", "remove", "counters",
					     "flush", "info" };
	const char *name = n >= sizeof(*h) && h->op <= TWR_OP_INFO ? names[h->op] : "?";
	char sid[33] = "-";

	if (n >= sizeof(*h) + 16 && h->op >= TWR_OP_ADD && h->op <= TWR_OP_COUNTERS)
		for (int i = 0; i < 16; i++)
			snprintf(sid + 2 * i, 3, "%02x", req[sizeof(*h) + i]);
	if (st != TWR_API_OK)
		dp_log(DP_WARNING, "session API: %s %s refused: status %d%s%s", name, sid, st,
		       why ? ": " : "", why ? why : "");
	else if (n >= sizeof(*h) && h->op != TWR_OP_COUNTERS && h->op != TWR_OP_INFO)
		dp_log(DP_INFO, "session API: %s %s ok (%u sessions)", name, sid, dp_sess.count);
}

static void drop_client(struct api_client *c)
{
	close(c->fd);
	c->fd = -1;
}

static void serve_client(struct api_client *c)
{
	uint8_t req[TWR_API_MAX_MSG + 1], rep[TWR_API_MAX_MSG];

	for (int i = 0; i < 16; i++) {
		const char *why = NULL;
		ssize_t n = recv(c->fd, req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
		size_t rlen;
		int st;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			drop_client(c);
			return;
		}
		c->last_ms = mono_ms();
		api_stats.requests++;
		/* MSG_TRUNC gives the real length: an oversized message is refused whole */
		rlen = handle(req, (size_t)n > sizeof(req) ? sizeof(req) : (size_t)n, rep, &why);
		st = (int)((struct twr_api_reply *)(rep + sizeof(struct twr_api_hdr)))->status;
		if (st == TWR_API_EINVAL)
			api_stats.invalid++;
		log_op(req, (size_t)n > sizeof(req) ? sizeof(req) : (size_t)n, st, why);
		wipe(req, sizeof(req)); /* ADD carries keys */
		if (send(c->fd, rep, rlen, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)rlen) {
			drop_client(c);
			return;
		}
	}
}

int api_server_wait(int timeout_ms)
{
	struct pollfd pfd[API_MAX_CLIENTS + 1];
	nfds_t n = 0;

	if (listen_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN };
	return poll(pfd, n, timeout_ms);
}

/* One line per refused peer, at most one a second; those in between are
 * counted into the next line (the counter has every one). */
static void log_refused_peer(const struct twr_peer *p, int cred_errno)
{
	static uint64_t last_ms, unlogged;
	uint64_t now = mono_ms();

	if (last_ms != 0 && now - last_ms < API_REFUSAL_LOG_MS) {
		unlogged++;
		return;
	}
	if (cred_errno == 0)
		dp_log(DP_WARNING, "session API: refused a connection from pid %ld uid %lu gid %lu: "
		       "not root, not uid %lu, not in group %s (%" PRIu64 " more refused before)",
		       (long)p->pid, (unsigned long)p->uid, (unsigned long)p->gid,
		       (unsigned long)geteuid(), group_name[0] ? group_name : "(none configured)",
		       unlogged);
	else
		dp_log(DP_WARNING, "session API: refused a connection: no peer credentials: %s "
		       "(%" PRIu64 " more refused before)", strerror(cred_errno), unlogged);
	last_ms = now;
	unlogged = 0;
}

/* Admit fd into a free slot, if its peer may use the API. */
static void admit(int fd)
{
	int cred_errno = 0, i;
	struct twr_peer p;

	if (twr_peer_get(fd, &p) != 0)
		cred_errno = errno ? errno : EPROTO;
	if (cred_errno || !twr_peer_permitted(&p, geteuid(), group)) {
		api_stats.peer_refused++;
		log_refused_peer(&p, cred_errno);
		close(fd);
		return;
	}
	for (i = 0; i < API_MAX_CLIENTS && clients[i].fd >= 0; i++)
		;
	if (i == API_MAX_CLIENTS) {
		api_stats.refused++;
		dp_log(DP_WARNING, "session API: refused a connection from pid %ld uid %lu: %d clients "
		       "already", (long)p.pid, (unsigned long)p.uid, API_MAX_CLIENTS);
		close(fd);
		return;
	}
	clients[i] = (struct api_client){ .fd = fd, .last_ms = mono_ms(), .pid = p.pid,
					  .uid = p.uid };
}

/* Close clients that asked nothing for idle_ms; one with a request waiting
 * is served first, next time round. */
static void close_idle(void)
{
	uint64_t now = mono_ms();

	for (int i = 0; i < API_MAX_CLIENTS; i++) {
		struct api_client *c = &clients[i];
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

		if (c->fd < 0 || now - c->last_ms < idle_ms || poll(&pfd, 1, 0) > 0)
			continue;
		api_stats.idle_closed++;
		dp_log(DP_NOTICE, "session API: closed an idle client (pid %ld uid %lu): no request "
		       "for %" PRIu64 "s", (long)c->pid, (unsigned long)c->uid, idle_ms / 1000u);
		drop_client(c);
	}
}

void api_server_poll(void)
{
	int fd;

	if (listen_fd < 0)
		return;
	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		admit(fd);
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			serve_client(&clients[i]);
	close_idle();
}
