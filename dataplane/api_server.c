/* The session API server (common/session_api.h for the messages): a Unix
 * SOCK_SEQPACKET socket, mode 0600, served by the main lcore without ever
 * blocking. Each request is checked in full by twr_api_check_req before
 * anything acts on it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api_server.h"
#include "dp_log.h"
#include "secure_mem.h"
#include "sessions.h"

#define API_MAX_CLIENTS 8

static int listen_fd = -1;
static int clients[API_MAX_CLIENTS];
static char sock_path[108];
struct api_stats api_stats;

int api_server_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[108], *slash;
	mode_t old;

	for (int i = 0; i < API_MAX_CLIENTS; i++)
		clients[i] = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "session socket path too long: %s", path);
		return -1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "session socket directory %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0) {
		snprintf(err, errlen, "session socket: %s", strerror(errno));
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path); /* a stale socket from a previous run */
	old = umask(0177);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(listen_fd, 4) != 0) {
		umask(old);
		snprintf(err, errlen, "session socket %s: %s", path, strerror(errno));
		close(listen_fd);
		listen_fd = -1;
		return -1;
	}
	umask(old);
	chmod(path, 0600);
	dp_log(DP_NOTICE, "session API listening on %s (mode 0600)", path);
	return 0;
}

void api_server_close(void)
{
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		if (clients[i] >= 0)
			close(clients[i]);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);
	}
	listen_fd = -1;
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
		case TWR_OP_ADD: st = sessions_add((const void *)arg); break;
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

static void serve_client(int *fd)
{
	uint8_t req[TWR_API_MAX_MSG + 1], rep[TWR_API_MAX_MSG];

	for (int i = 0; i < 16; i++) {
		const char *why = NULL;
		ssize_t n = recv(*fd, req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
		size_t rlen;
		int st;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			close(*fd);
			*fd = -1;
			return;
		}
		api_stats.requests++;
		/* MSG_TRUNC gives the real length: an oversized message is refused whole */
		rlen = handle(req, (size_t)n > sizeof(req) ? sizeof(req) : (size_t)n, rep, &why);
		st = (int)((struct twr_api_reply *)(rep + sizeof(struct twr_api_hdr)))->status;
		if (st == TWR_API_EINVAL)
			api_stats.invalid++;
		log_op(req, (size_t)n > sizeof(req) ? sizeof(req) : (size_t)n, st, why);
		wipe(req, sizeof(req)); /* ADD carries keys */
		if (send(*fd, rep, rlen, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)rlen) {
			close(*fd);
			*fd = -1;
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
		if (clients[i] >= 0)
			pfd[n++] = (struct pollfd){ .fd = clients[i], .events = POLLIN };
	return poll(pfd, n, timeout_ms);
}

void api_server_poll(void)
{
	int fd;

	if (listen_fd < 0)
		return;
	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int i;

		for (i = 0; i < API_MAX_CLIENTS && clients[i] >= 0; i++)
			;
		if (i == API_MAX_CLIENTS) {
			api_stats.refused++;
			dp_log(DP_WARNING, "session API: refused a connection: %d clients already",
			       API_MAX_CLIENTS);
			close(fd);
			continue;
		}
		clients[i] = fd;
	}
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		if (clients[i] >= 0)
			serve_client(&clients[i]);
}
