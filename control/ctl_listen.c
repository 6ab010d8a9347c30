/* Listening sockets and admission of new control connections: the
 * control ACL, the block list and the connection limits are checked
 * before anything is sent; a refused connection is closed at once. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_server.h"

#define ACCEPTS_PER_WAKEUP 64
#define EMFILE_PAUSE_MS 1000u

/* DSCP of what we send on control connections (control-packet-dscp). */
static void set_dscp(int fd, const struct ctl_ip *ip, uint8_t dscp)
{
	int tos = dscp << 2;

	if (ip->ver == 6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)); /* IPv4 and mapped */
}

static int open_one(struct ctl_server *s, const struct ctl_ip *ip, bool any, char *err,
		    size_t errlen)
{
	struct ctl_listener *l = &s->lis[s->nlis];
	struct sockaddr_storage ss;
	socklen_t len = ctl_ip_to_sockaddr(ip, s->cfg->server.tcp_port, &ss);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l };
	int one = 1, fd;
	char a[CTL_ADDR_STR];

	fd = socket(ip->ver == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ip->ver == 6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (!any) /* the address may appear later (the dataplane's TAP) */
		setsockopt(fd, ip->ver == 4 ? IPPROTO_IP : IPPROTO_IPV6,
			   ip->ver == 4 ? IP_FREEBIND : IPV6_FREEBIND, &one, sizeof(one));
	set_dscp(fd, ip, s->cfg->server.control_dscp);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		goto fail;
	l->ev = (struct ctl_ev){ .kind = CTL_EV_LISTEN, .fd = fd };
	l->srv = s;
	l->ip = *ip;
	s->nlis++;
	ctl_logf(&s->log, LOG_NOTICE, "listening on %s",
		 ctl_ipport_str(ip, s->cfg->server.tcp_port, a, sizeof(a)));
	return 0;
fail:
	snprintf(err, errlen, "listen on %s: %s",
		 ctl_ipport_str(ip, s->cfg->server.tcp_port, a, sizeof(a)), strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void resume(struct ctl_timer *t, uint64_t now)
{
	struct ctl_listener *l = (struct ctl_listener *)((char *)t - offsetof(struct ctl_listener, pause));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l };

	(void)now;
	epoll_ctl(l->srv->epfd, EPOLL_CTL_MOD, l->ev.fd, &ev);
}

int ctl_listen_open(struct ctl_server *s, char *err, size_t errlen)
{
	const struct ctl_server_cfg *sv = &s->cfg->server;
	struct ctl_ip any4 = { .ver = 4 }, any6 = { .ver = 6 };

	if (!sv->admin_state) {
		ctl_logf(&s->log, LOG_NOTICE, "server admin-state is false: not listening");
		return 0;
	}
	for (size_t i = 0; i < sv->nlisten; i++) {
		struct ctl_ip ip = { .ver = sv->listen[i].ipver };

		memcpy(ip.a, sv->listen[i].addr, sizeof(ip.a));
		if (open_one(s, &ip, false, err, errlen) != 0)
			return -1;
	}
	if (sv->nlisten == 0) {
		int r4 = open_one(s, &any4, true, err, errlen);
		char err6[256];
		int r6 = open_one(s, &any6, true, err6, sizeof(err6));

		if (r4 != 0 && r6 != 0)
			return -1;
		if (r4 != 0 || r6 != 0)
			ctl_logf(&s->log, LOG_WARNING, "%s", r4 != 0 ? err : err6);
	}
	for (size_t i = 0; i < s->nlis; i++)
		ctl_timer_init(&s->lis[i].pause, resume);
	return 0;
}

static struct ctl_conn_counts counts(const struct ctl_server *s, const struct ctl_ip *peer)
{
	struct ctl_conn_counts n = { .total = s->nclients, .pending = s->npending };

	for (const struct ctl_peer *c = s->clients; c; c = c->next)
		n.from_client += ctl_ip_equal(&c->conn->peer, peer);
	return n;
}

static const enum ctl_ctr refusal_ctr[] = {
	[CTL_ADMIT_ACL] = CTL_C_REFUSED_ACL,
	[CTL_ADMIT_BLOCKED] = CTL_C_REFUSED_BLOCKED,
	[CTL_ADMIT_MAX_CONN] = CTL_C_REFUSED_MAX_CONN,
	[CTL_ADMIT_PER_CLIENT] = CTL_C_REFUSED_PER_CLIENT,
	[CTL_ADMIT_PENDING] = CTL_C_REFUSED_PENDING,
};

static void admit(struct ctl_server *s, int fd)
{
	struct sockaddr_storage ps, ls;
	socklen_t plen = sizeof(ps), llen = sizeof(ls);
	struct ctl_ip peer, local;
	uint16_t pport, lport;
	struct ctl_conn_counts n;
	enum ctl_admit v;
	char a[CTL_ADDR_STR];

	if (getpeername(fd, (struct sockaddr *)&ps, &plen) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ls, &llen) != 0 ||
	    ctl_ip_from_sockaddr((struct sockaddr *)&ps, plen, &peer, &pport) != 0 ||
	    ctl_ip_from_sockaddr((struct sockaddr *)&ls, llen, &local, &lport) != 0) {
		close(fd);
		return;
	}
	n = counts(s, &peer);
	v = ctl_guard_admit(&s->guard, &peer, ctl_mono_ms(), &n);
	if (v != CTL_ADMIT_OK) {
		s->ctr.v[refusal_ctr[v]]++;
		ctl_logf(&s->log, LOG_WARNING, "connection refused: peer=%s: %s",
			 ctl_ipport_str(&peer, pport, a, sizeof(a)), ctl_admit_str(v));
		close(fd);
		return;
	}
	set_dscp(fd, &local, s->cfg->server.control_dscp);
	ctl_peer_add(s, fd, &peer, pport, &local, lport);
}

void ctl_listen_accept(struct ctl_server *s, struct ctl_listener *l)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(l->ev.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			admit(s, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			struct epoll_event ev = { .events = 0, .data.ptr = l };

			ctl_logf(&s->log, LOG_ERR, "accept: %s: not accepting for %ums",
				 strerror(errno), EMFILE_PAUSE_MS);
			epoll_ctl(s->epfd, EPOLL_CTL_MOD, l->ev.fd, &ev);
			ctl_timer_arm(&s->timers, &l->pause, ctl_mono_ms() + EMFILE_PAUSE_MS);
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/* otherwise a connection that went away (ECONNABORTED, ...): next */
	}
}
