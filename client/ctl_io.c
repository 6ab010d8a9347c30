/* TWAMP-Control TCP I/O with timeouts: see ctl_io.h. */
#include "ctl_io.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wait for events on fd until deadline. Returns 1 ready, 0 timed out, -1
 * error (errno). EINTR ends the wait too: a signal means "stop". */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		uint64_t now = mono_ns();
		uint64_t ms = deadline > now ? (deadline - now + 999999ull) / 1000000ull : 0;
		int r = poll(&p, 1, ms > 60000 ? 60000 : (int)ms);

		if (r != 0)
			return r < 0 ? -1 : 1;
		if (mono_ns() >= deadline)
			return 0;
	}
}

/* One address: non-blocking connect, bounded. Returns the fd or -1. */
static int try_connect(const struct addrinfo *ai, uint64_t timeout_ns, int *why)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	socklen_t len = sizeof(*why);
	int one = 1, r;

	if (fd < 0) {
		*why = errno;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	*why = errno;
	if (errno == EINPROGRESS) {
		r = wait_fd(fd, POLLOUT, mono_ns() + timeout_ns);
		*why = r == 0 ? ETIMEDOUT : r < 0 ? errno : 0;
		if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, why, &len) < 0)
			*why = errno;
		if (*why == 0)
			return fd;
	}
	close(fd);
	return -1;
}

int ctl_io_connect(const char *host, uint16_t port, uint64_t timeout_ns,
		   struct sockaddr_storage *peer, struct sockaddr_storage *local,
		   char *err, size_t errlen)
{
	/* no AI_ADDRCONFIG: it hides ::1 and 127.0.0.1 on hosts (namespaces)
	 * with loopback only; unusable addresses just fail over to the next */
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP };
	struct addrinfo *res = NULL;
	char service[8], a[ADDR_STRLEN] = "?";
	int fd = -1, why = 0, r;

	snprintf(service, sizeof(service), "%u", port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(r));
		return CTL_IO_ERR_RESOLVE;
	}
	for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		memset(peer, 0, sizeof(*peer));
		memcpy(peer, ai->ai_addr, ai->ai_addrlen);
		addr_format(peer, a, sizeof(a));
		fd = try_connect(ai, timeout_ns, &why);
	}
	freeaddrinfo(res);
	if (fd < 0) {
		bool literal = !strcmp(host, a);

		snprintf(err, errlen, "cannot connect to %s%s%s%s TCP port %u: %s", host,
			 literal ? "" : " (", literal ? "" : a, literal ? "" : ")", port,
			 strerror(why ? why : EHOSTUNREACH));
		return CTL_IO_ERR_CONNECT;
	}
	socklen_t llen = sizeof(*local);

	if (getsockname(fd, (struct sockaddr *)local, &llen) < 0) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		close(fd);
		return CTL_IO_ERR_CONNECT;
	}
	return fd;
}

static void io_error(const char *what, int e, char *err, size_t errlen)
{
	if (e == EINTR)
		snprintf(err, errlen, "interrupted");
	else
		snprintf(err, errlen, "%s: %s", what, strerror(e));
}

int ctl_io_read(int fd, uint8_t *buf, size_t n, uint64_t timeout_ns, char *err, size_t errlen)
{
	uint64_t deadline = mono_ns() + timeout_ns;
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);
		int w;

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0) {
			snprintf(err, errlen, "the server closed the control connection");
			return -1;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			io_error("control connection", errno, err, errlen);
			return -1;
		}
		w = wait_fd(fd, POLLIN, deadline);
		if (w <= 0) {
			if (w == 0)
				snprintf(err, errlen, "no answer from the server within the control timeout "
					 "(%zu of %zu octets)", got, n);
			else
				io_error("control connection", errno, err, errlen);
			return -1;
		}
	}
	return 0;
}

int ctl_io_write(int fd, const uint8_t *buf, size_t n, uint64_t timeout_ns, char *err,
		 size_t errlen)
{
	uint64_t deadline = mono_ns() + timeout_ns;
	size_t done = 0;

	while (done < n) {
		ssize_t r = send(fd, buf + done, n - done, MSG_NOSIGNAL);
		int w;

		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			io_error("control connection", errno, err, errlen);
			return -1;
		}
		w = wait_fd(fd, POLLOUT, deadline);
		if (w <= 0) {
			if (w == 0)
				snprintf(err, errlen, "the server takes no data within the control timeout");
			else
				io_error("control connection", errno, err, errlen);
			return -1;
		}
	}
	return 0;
}

int ctl_io_why_readable(int fd, char *err, size_t errlen)
{
	uint8_t b;
	ssize_t r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (r > 0) {
		snprintf(err, errlen, "unexpected data from the server during the test");
		return 1;
	}
	if (r == 0)
		snprintf(err, errlen, "the server closed the control connection during the test");
	else if (errno == EAGAIN || errno == EWOULDBLOCK)
		snprintf(err, errlen, "control connection: spurious wake-up");
	else
		io_error("control connection", errno, err, errlen);
	return 0;
}
