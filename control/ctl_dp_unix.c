/* Session API client over the dataplane's Unix SOCK_SEQPACKET socket
 * (see ctl_dp.h). Calls are synchronous: the dataplane's main lcore
 * answers at once, and each call is bounded by SO_SNDTIMEO/SO_RCVTIMEO,
 * so the worst a stuck dataplane costs the event loop is that bound per
 * call before the socket is dropped and the call reported CTL_DP_DOWN.
 *
 * The dataplane disconnects a client that stays idle (its
 * session-api-idle-timeout) and never writes unprompted, so a connection
 * with something to read before a call has been closed: it is replaced,
 * and a call that finds the connection closed under it (the idle close
 * raced the request, which the dataplane then never read) is made once
 * more on a new one. Reconnecting goes by path, after the privilege drop:
 * the server's user must be in the socket's group. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_dp.h"
#include "secure_mem.h"

struct dp_unix {
	struct ctl_dp dp;      /* first: the interface */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned timeout_ms;
	int fd;
	uint32_t seq;
	bool flushed;          /* FLUSH sent to the first dataplane reached */
	bool peer_closed;      /* the last call found the connection closed */
};

const char *ctl_dp_status_str(int st)
{
	static const char *const names[] = { "ok", "invalid", "exists", "no such session",
					     "table full", "try again", "internal error",
					     "not permitted" };

	if (st == CTL_DP_DOWN)
		return "dataplane unreachable";
	if (st >= 0 && (size_t)st < sizeof(names) / sizeof(names[0]))
		return names[st];
	return "unknown status";
}

static void drop(struct dp_unix *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

static int do_call(struct dp_unix *u, uint16_t op, const void *body, size_t blen, void *out,
		   size_t outlen);

static int connect_dp(struct dp_unix *u)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = u->timeout_ms / 1000,
			      .tv_usec = (suseconds_t)(u->timeout_ms % 1000) * 1000 };

	u->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		return -1;
	memcpy(sa.sun_path, u->path, strlen(u->path) + 1);
	if (setsockopt(u->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(u->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(u->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		drop(u);
		return -1;
	}
	if (!u->flushed) {
		if (do_call(u, TWR_OP_FLUSH, NULL, 0, NULL, 0) != TWR_API_OK) {
			drop(u);
			return -1;
		}
		u->flushed = true;
	}
	return 0;
}

/* One exchange on a connected socket. */
static int do_call(struct dp_unix *u, uint16_t op, const void *body, size_t blen, void *out,
		   size_t outlen)
{
	uint8_t msg[TWR_API_MAX_MSG], rep[TWR_API_MAX_MSG + 1];
	struct twr_api_hdr h = { TWR_API_VERSION, op, (uint32_t)(sizeof(h) + blen), ++u->seq, 0 };
	struct twr_api_hdr rh;
	struct twr_api_reply rr;
	const size_t head = sizeof(rh) + sizeof(rr);
	ssize_t n;

	if (sizeof(h) + blen > sizeof(msg))
		return TWR_API_EINVAL;
	memcpy(msg, &h, sizeof(h));
	if (blen)
		memcpy(msg + sizeof(h), body, blen);
	u->peer_closed = false;
	/* with SO_SNDTIMEO/SO_RCVTIMEO set, a signal or a stop and continue
	 * (SIGSTOP, a debugger) fails the call with EINTR (signal(7)): retry */
	do
		n = send(u->fd, msg, sizeof(h) + blen, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	wipe(msg, sizeof(msg)); /* ADD carries test keys */
	if (n != (ssize_t)(sizeof(h) + blen)) {
		u->peer_closed = n < 0 && (errno == EPIPE || errno == ECONNRESET);
		return CTL_DP_DOWN;
	}
	do
		n = recv(u->fd, rep, sizeof(rep), 0);
	while (n < 0 && errno == EINTR);
	if (n < (ssize_t)head || n > TWR_API_MAX_MSG) {
		u->peer_closed = n == 0 || (n < 0 && errno == ECONNRESET);
		return CTL_DP_DOWN;
	}
	memcpy(&rh, rep, sizeof(rh));
	memcpy(&rr, rep + sizeof(rh), sizeof(rr));
	if (rh.version != TWR_API_VERSION || rh.op != op || rh.seq != u->seq || rh.len != (size_t)n)
		return CTL_DP_DOWN;
	if (rr.status != TWR_API_OK)
		return rr.status <= TWR_API_STATUS_MAX ? (int)rr.status : TWR_API_EINTERNAL;
	if ((size_t)n != head + outlen)
		return CTL_DP_DOWN;
	if (outlen)
		memcpy(out, rep + head, outlen);
	return TWR_API_OK;
}

/* Readable or hung up before we asked anything: closed by the dataplane. */
static bool closed_by_peer(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static int unix_call(struct ctl_dp *dp, uint16_t op, const void *body, size_t blen, void *out,
		     size_t outlen)
{
	struct dp_unix *u = (struct dp_unix *)dp;
	bool fresh = false;
	int st;

	if (u->fd >= 0 && closed_by_peer(u->fd))
		drop(u);
	if (u->fd < 0) {
		if (connect_dp(u) != 0) {
			dp->reachable = false;
			return CTL_DP_DOWN;
		}
		fresh = true;
	}
	st = do_call(u, op, body, blen, out, outlen);
	if (st == CTL_DP_DOWN && !fresh && u->peer_closed) {
		drop(u);
		if (connect_dp(u) == 0)
			st = do_call(u, op, body, blen, out, outlen);
	}
	if (st == CTL_DP_DOWN)
		drop(u); /* out of step or gone: start afresh next time */
	dp->reachable = st != CTL_DP_DOWN;
	return st;
}

static void unix_free(struct ctl_dp *dp)
{
	struct dp_unix *u = (struct dp_unix *)dp;

	drop(u);
	free(u);
}

struct ctl_dp *ctl_dp_unix_new(const char *path, unsigned timeout_ms)
{
	struct dp_unix *u;

	if (strlen(path) >= sizeof(u->path))
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->dp.call = unix_call;
	u->dp.free = unix_free;
	u->fd = -1;
	u->timeout_ms = timeout_ms;
	memcpy(u->path, path, strlen(path) + 1);
	return &u->dp;
}
