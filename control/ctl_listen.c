/* Listening sockets and admission (see ctl_listen.h). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_listen.h"

/* Few per round, so that a burst of new connections cannot make room by
 * evicting every pending connection before the loop has read what they
 * sent (a client's Set-Up-Response waiting in its socket) */
#define ACCEPTS_PER_WAKEUP 8
#define EMFILE_PAUSE_MS 1000u

/* DSCP of what we send on control connections (control-packet-dscp). */
static void set_dscp(int fd, const struct ctl_ip *ip, uint8_t dscp)
{
	int tos = dscp << 2;

	if (ip->ver == 6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)); /* IPv4 and mapped */
}

/* out of descriptors a while ago: accept again */
static void resume(struct ctl_timer *t, uint64_t now)
{
	struct ctl_listener *l = (struct ctl_listener *)((char *)t - offsetof(struct ctl_listener, pause));

	(void)now;
	ctl_loop_mod(l->set->env.loop, l->fd, CTL_LOOP_IN);
}

static void on_accept(void *ctx, uint32_t events);

static int open_one(struct ctl_listeners *ls, const struct ctl_ip *ip, bool any, char *err,
		    size_t errlen)
{
	const struct ctl_server_cfg *sv = &ls->env.cfg->server;
	struct ctl_listener *l = &ls->lis[ls->n];
	struct sockaddr_storage ss;
	socklen_t len = ctl_ip_to_sockaddr(ip, sv->tcp_port, &ss);
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
	set_dscp(fd, ip, sv->control_dscp);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0 ||
	    ctl_loop_add(ls->env.loop, fd, CTL_LOOP_IN, on_accept, l) != 0)
		goto fail;
	l->set = ls;
	l->fd = fd;
	l->ip = *ip;
	ctl_timer_init(&l->pause, resume);
	ls->n++;
	ctl_log_always(ls->env.log, LOG_NOTICE, "listening on %s",
		 ctl_ipport_str(ip, sv->tcp_port, a, sizeof(a)));
	return 0;
fail:
	snprintf(err, errlen, "listen on %s: %s", ctl_ipport_str(ip, sv->tcp_port, a, sizeof(a)),
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int ctl_listen_open(struct ctl_listeners *ls, const struct ctl_listen_env *env, char *err,
		    size_t errlen)
{
	const struct ctl_server_cfg *sv = &env->cfg->server;
	struct ctl_ip any4 = { .ver = 4 }, any6 = { .ver = 6 };

	*ls = (struct ctl_listeners){ .env = *env };
	if (!sv->admin_state) {
		ctl_log_always(env->log, LOG_NOTICE, "server admin-state is false: not listening");
		return 0;
	}
	for (size_t i = 0; i < sv->nlisten; i++) {
		struct ctl_ip ip = { .ver = sv->listen[i].ipver };

		memcpy(ip.a, sv->listen[i].addr, sizeof(ip.a));
		if (open_one(ls, &ip, false, err, errlen) != 0)
			return -1;
	}
	if (sv->nlisten == 0) {
		int r4 = open_one(ls, &any4, true, err, errlen);
		char err6[256];
		int r6 = open_one(ls, &any6, true, err6, sizeof(err6));

		if (r4 != 0 && r6 != 0)
			return -1;
		if (r4 != 0 || r6 != 0)
			ctl_log_always(env->log, LOG_WARNING, "%s", r4 != 0 ? err : err6);
	}
	return 0;
}

void ctl_listen_close(struct ctl_listeners *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		ctl_loop_cancel(ls->env.loop, &ls->lis[i].pause);
		ctl_loop_del(ls->env.loop, ls->lis[i].fd);
		close(ls->lis[i].fd);
	}
	ls->n = 0;
}

static const enum ctl_ctr refusal_ctr[] = {
	[CTL_ADMIT_ACL] = CTL_C_REFUSED_ACL,
	[CTL_ADMIT_BLOCKED] = CTL_C_REFUSED_BLOCKED,
	[CTL_ADMIT_MAX_CONN] = CTL_C_REFUSED_MAX_CONN,
	[CTL_ADMIT_PER_CLIENT] = CTL_C_REFUSED_PER_CLIENT,
	[CTL_ADMIT_PENDING] = CTL_C_REFUSED_PENDING,
};

/* Close a refused connection, with its counter and log line. An ACL
 * refusal is counted per source too, never blocked (ctl_guard.h). */
static void refuse(const struct ctl_listen_env *env, int fd, enum ctl_admit v,
		   const struct ctl_ip *peer, const char *name, uint64_t now)
{
	char kind[LOG_LIMIT_KIND_MAX];

	env->ctr->v[refusal_ctr[v]]++;
	snprintf(kind, sizeof(kind), "connection refused: %s", ctl_admit_str(v));
	if (v == CTL_ADMIT_ACL)
		ctl_log_peer(env->log, LOG_WARNING, peer, kind,
			     "connection refused: peer=%s: %s (%u from this source within %us)", name,
			     ctl_admit_str(v), ctl_guard_acl_refused(env->guard, peer, now),
			     env->cfg->security.block_failed_period_s);
	else
		ctl_log_peer(env->log, LOG_WARNING, peer, kind, "connection refused: peer=%s: %s",
			     name, ctl_admit_str(v));
	close(fd);
}

static void admit(const struct ctl_listeners *set, int fd)
{
	const struct ctl_listen_env *env = &set->env;
	struct sockaddr_storage ps, ls;
	socklen_t plen = sizeof(ps), llen = sizeof(ls);
	struct ctl_ip peer, local;
	uint16_t pport, lport;
	struct ctl_conn_counts n;
	enum ctl_admit v;
	uint64_t now = ctl_mono_ms();
	char a[CTL_ADDR_STR];

	if (getpeername(fd, (struct sockaddr *)&ps, &plen) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ls, &llen) != 0 ||
	    ctl_ip_from_sockaddr((struct sockaddr *)&ps, plen, &peer, &pport) != 0 ||
	    ctl_ip_from_sockaddr((struct sockaddr *)&ls, llen, &local, &lport) != 0) {
		close(fd);
		return;
	}
	n = env->counts(env->arg, &peer);
	v = ctl_guard_admit(env->guard, &peer, now, &n);
	ctl_ipport_str(&peer, pport, a, sizeof(a));
	if (v == CTL_ADMIT_EVICT_PENDING || v == CTL_ADMIT_EVICT_IDLE) /* another gives way */
		v = env->make_room(env->arg, v, a) ? CTL_ADMIT_OK
		    : v == CTL_ADMIT_EVICT_PENDING ? CTL_ADMIT_PENDING : CTL_ADMIT_MAX_CONN;
	if (v != CTL_ADMIT_OK) {
		refuse(env, fd, v, &peer, a, now);
		return;
	}
	set_dscp(fd, &local, env->cfg->server.control_dscp);
	env->admitted(env->arg, fd, &peer, pport, &local, lport);
}

static void on_accept(void *ctx, uint32_t events)
{
	struct ctl_listener *l = ctx;
	struct ctl_listeners *ls = l->set;

	(void)events;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			admit(ls, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			ctl_logf(ls->env.log, LOG_ERR, "accept: %s: not accepting for %ums",
				 strerror(errno), EMFILE_PAUSE_MS);
			ctl_loop_mod(ls->env.loop, l->fd, 0);
			ctl_loop_arm(ls->env.loop, &l->pause, ctl_mono_ms() + EMFILE_PAUSE_MS);
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/* otherwise a connection that went away (ECONNABORTED, ...): next */
	}
}
