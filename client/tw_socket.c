/* Test session socket: see tw_socket.h. */
#include "tw_socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ntp_time.h"

#define TSOCK_RCVBUF_WANTED (4 << 20)

static int setopt(int fd, int level, int name, int val, const char *what, char *err, size_t errlen)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) < 0) {
		snprintf(err, errlen, "setsockopt %s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

static int setup_v4(int fd, int dscp, char *err, size_t errlen)
{
	if (setopt(fd, IPPROTO_IP, IP_TTL, 255, "IP_TTL", err, errlen) ||
	    setopt(fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL", err, errlen))
		return -1;
	if (dscp >= 0 && setopt(fd, IPPROTO_IP, IP_TOS, dscp << 2, "IP_TOS", err, errlen))
		return -1;
	return 0;
}

static int setup_v6(int fd, int dscp, char *err, size_t errlen)
{
	if (setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY", err, errlen) ||
	    setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS", err, errlen) ||
	    setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT", err, errlen))
		return -1;
	if (dscp >= 0 && setopt(fd, IPPROTO_IPV6, IPV6_TCLASS, dscp << 2, "IPV6_TCLASS", err, errlen))
		return -1;
	return 0;
}

int tsock_open(struct tsock *t, int family, const struct sockaddr_storage *bind_addr,
	       socklen_t bind_len, int dscp, char *err, size_t errlen)
{
	int buf = TSOCK_RCVBUF_WANTED;
	int fd;

	t->fd = -1;
	t->family = family;
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if ((family == AF_INET ? setup_v4(fd, dscp, err, errlen) : setup_v6(fd, dscp, err, errlen)) ||
	    setopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS", err, errlen))
		goto fail;
	/* best effort: the kernel caps it at net.core.rmem_max */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind_addr && bind(fd, (const struct sockaddr *)bind_addr, bind_len) < 0) {
		snprintf(err, errlen, "bind: %s", strerror(errno));
		goto fail;
	}
	t->fd = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

void tsock_close(struct tsock *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int tsock_local(const struct tsock *t, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	memset(ss, 0, sizeof(*ss));
	return getsockname(t->fd, (struct sockaddr *)ss, &len);
}

int tsock_rcvbuf(const struct tsock *t)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &v, &len) < 0)
		return 0;
	return v;
}

static void read_cmsgs(struct msghdr *mh, struct tsock_msg *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			m->rx_ntp = ntp_from_timespec(&ts);
			m->kernel_ts = true;
		} else if (((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
			    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) &&
			   c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			m->ttl = (v >= 0 && v <= 255) ? v : -1;
		}
	}
}

int tsock_recv(struct tsock *t, uint8_t *buf, size_t cap, struct tsock_msg *m)
{
	union {
		char b[256];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_name = &m->from, .msg_namelen = sizeof(m->from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	ssize_t r;

	memset(m, 0, sizeof(*m));
	m->ttl = -1;
	do
		r = recvmsg(t->fd, &mh, MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
	m->len = (size_t)r;
	m->truncated = (mh.msg_flags & MSG_TRUNC) != 0;
	read_cmsgs(&mh, m);
	if (!m->kernel_ts)
		m->rx_ntp = ntp_now();
	return 1;
}

int tsock_send(struct tsock *t, const uint8_t *buf, size_t len, const struct sockaddr_storage *to)
{
	socklen_t tolen = to->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	ssize_t r;

	do
		r = sendto(t->fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)to, tolen);
	while (r < 0 && errno == EINTR);
	if (r >= 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return 1;
	return -1;
}
