/* Blocking request/reply on a Unix stream socket, bounded by a deadline. */
#include "keyagent_client.h"
#include "secure_mem.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for `events` until the deadline; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return (p.revents & (events | POLLHUP | POLLERR)) ? 1 : -1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Connect, retrying while the listener's backlog is full. */
static int connect_unix(const char *path, long long deadline)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int fd;

	if (n == 0 || n >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		struct timespec pause = { 0, 10 * 1000000 };

		if ((errno != EAGAIN && errno != EINTR) || now_ms() >= deadline) {
			close(fd);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	return fd;
}

static int send_all(int fd, const uint8_t *p, size_t n, long long deadline)
{
	while (n > 0) {
		ssize_t w;

		if (wait_fd(fd, POLLOUT, deadline) != 1)
			return -1;
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read up to n octets until EOF, error or the deadline; returns the count. */
static size_t recv_upto(int fd, uint8_t *p, size_t n, long long deadline)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r;

		if (wait_fd(fd, POLLIN, deadline) != 1)
			break;
		r = recv(fd, p + got, n - got, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* Does a well-formed reply answer this request? */
static bool answers(const struct ka_request *req, const struct ka_reply *rep)
{
	if (rep->type == 0)
		return rep->status == KA_MALFORMED || rep->status == KA_BAD_VERSION;
	if (rep->type != req->type)
		return false;
	if (rep->status != KA_OK || req->type == KA_PING)
		return true;
	if (req->type == KA_LOOKUP_SPI)
		return memcmp(rep->spi_i, req->spi_i, KA_SPI_LEN) == 0 &&
		       memcmp(rep->spi_r, req->spi_r, KA_SPI_LEN) == 0;
	return ka_addr_equal(&rep->remote, &req->peer);
}

enum ka_status ka_call(enum ka_leg leg, const char *path, const struct ka_request *req,
		       int timeout_ms, struct ka_reply *out)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : KA_TIMEOUT_MS);
	uint8_t q[KA_REQ_LEN], r[KA_REPLY_LEN];
	enum ka_status st = KA_NO_AGENT;
	size_t got;
	int fd;

	ka_reply_error(out, req->type, KA_NO_AGENT);
	if (ka_request_encode(leg, req, q) != 0) {
		out->status = KA_MALFORMED;
		return KA_MALFORMED;
	}
	fd = connect_unix(path, deadline);
	if (fd < 0)
		return KA_NO_AGENT;
	if (send_all(fd, q, sizeof(q), deadline) == 0) {
		got = recv_upto(fd, r, sizeof(r), deadline);
		if (got == sizeof(r)) {
			st = ka_reply_decode(leg, r, got, out, NULL);
			if (st == KA_OK && !answers(req, out))
				st = KA_MALFORMED;
			if (st == KA_OK)
				st = (enum ka_status)out->status;
		} else if (got > 0) {
			st = KA_MALFORMED; /* a truncated reply */
		}
	}
	close(fd);
	wipe(r, sizeof(r));
	if (st != KA_OK)
		ka_reply_error(out, req->type, st);
	return st;
}

enum ka_status ka_lookup_spi(const char *agent_path, const uint8_t spi_i[KA_SPI_LEN],
			     const uint8_t spi_r[KA_SPI_LEN], int timeout_ms,
			     struct ka_reply *out)
{
	struct ka_request req = { .type = KA_LOOKUP_SPI };

	memcpy(req.spi_i, spi_i, KA_SPI_LEN);
	memcpy(req.spi_r, spi_r, KA_SPI_LEN);
	return ka_call(KA_LEG_AGENT, agent_path, &req, timeout_ms, out);
}

enum ka_status ka_lookup_peer(const char *agent_path, const struct ka_addr *peer,
			      int timeout_ms, struct ka_reply *out)
{
	struct ka_request req = { .type = KA_LOOKUP_PEER, .peer = *peer };

	return ka_call(KA_LEG_AGENT, agent_path, &req, timeout_ms, out);
}

enum ka_status ka_ping(const char *agent_path, int timeout_ms)
{
	struct ka_request req = { .type = KA_PING };
	struct ka_reply rep;
	enum ka_status st = ka_call(KA_LEG_AGENT, agent_path, &req, timeout_ms, &rep);

	ka_reply_wipe(&rep);
	return st;
}
