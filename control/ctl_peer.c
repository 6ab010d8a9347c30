/* A control connection's socket: reads exactly what the state machine
 * waits for, writes what it queued, and its timer (authentication
 * timeout, then SERVWAIT; a short linger while closing). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_server.h"

static struct ctl_peer *of_timer(struct ctl_timer *t)
{
	return (struct ctl_peer *)((char *)t - offsetof(struct ctl_peer, timer));
}

/* EPOLLIN while the peer may send (not closing, output not piling up),
 * EPOLLOUT while output is queued. */
static void update_events(struct ctl_peer *cl)
{
	size_t out;
	bool closing = ctl_conn_closing(cl->conn);
	struct epoll_event ev = { .data.ptr = cl };

	ctl_conn_output(cl->conn, &out);
	ev.events = (!closing && out < CTL_OUT_HIGH ? EPOLLIN : 0) | (out ? EPOLLOUT : 0);
	epoll_ctl(cl->srv->epfd, EPOLL_CTL_MOD, cl->ev.fd, &ev);
}

/* Write what is queued; false when the connection got closed. */
static bool flush(struct ctl_peer *cl)
{
	size_t n;
	const uint8_t *p = ctl_conn_output(cl->conn, &n);

	while (n > 0) {
		ssize_t w = send(cl->ev.fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w <= 0) {
			ctl_peer_close(cl, "send failed");
			return false;
		}
		ctl_conn_sent(cl->conn, (size_t)w);
		p = ctl_conn_output(cl->conn, &n);
	}
	if (ctl_conn_closing(cl->conn) && n == 0) {
		ctl_peer_close(cl, cl->close_reason ? cl->close_reason : "protocol");
		return false;
	}
	return true;
}

static void arm(struct ctl_peer *cl, uint64_t when)
{
	ctl_timer_arm(&cl->srv->timers, &cl->timer, when);
}

/* After input: leave the pending count once set up, and the closing
 * connection's linger. */
static void after_input(struct ctl_peer *cl)
{
	struct ctl_server *s = cl->srv;
	uint64_t now = ctl_mono_ms();

	if (ctl_conn_closing(cl->conn)) {
		arm(cl, now + CTL_LINGER_MS);
	} else if (cl->pending && ctl_conn_set_up(cl->conn)) {
		cl->pending = false;
		s->npending--;
		arm(cl, now + ctl_conn_servwait_left(cl->conn, now));
	}
}

static void read_input(struct ctl_peer *cl)
{
	uint8_t buf[TWC_MAX_MSG_LEN];
	size_t budget = CTL_READ_BUDGET, out;

	while (budget > 0 && !ctl_conn_closing(cl->conn)) {
		size_t want = ctl_conn_want(cl->conn);
		ssize_t n;

		ctl_conn_output(cl->conn, &out);
		if (out >= CTL_OUT_HIGH)
			break;
		if (want > sizeof(buf))
			want = sizeof(buf);
		if (want > budget)
			want = budget;
		n = recv(cl->ev.fd, buf, want, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (n == 0 && ctl_conn_mid_message(cl->conn))
				ctl_conn_abort(cl->conn, CTL_C_CLOSED_MID_MSG,
					       "peer closed the connection in the middle of a message");
			ctl_peer_close(cl, n == 0 ? "peer closed" : "receive failed");
			return;
		}
		ctl_conn_input(cl->conn, buf, (size_t)n);
		budget -= (size_t)n;
	}
	after_input(cl);
}

void ctl_peer_event(struct ctl_peer *cl, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		read_input(cl);
		if (cl->ev.fd < 0)
			return;
	}
	if (!flush(cl))
		return;
	update_events(cl);
}

static void on_timer(struct ctl_timer *t, uint64_t now)
{
	struct ctl_peer *cl = of_timer(t);
	struct ctl_conn *c = cl->conn;
	uint64_t left;

	if (ctl_conn_closing(c)) {
		ctl_peer_close(cl, "closing: peer did not take the last message");
		return;
	}
	if (cl->pending) {
		/* counts as a failed authentication (YANG authentication-timeout) */
		c->env->ctr->v[CTL_C_AUTH_FAILED]++;
		if (c->env->auth_result)
			c->env->auth_result(c->env->arg, &c->peer, false);
		ctl_conn_abort(c, CTL_C_AUTH_TIMEOUT, "authentication timeout");
		ctl_peer_close(cl, "authentication timeout");
		return;
	}
	left = ctl_conn_servwait_left(c, now);
	if (left > 0) {
		arm(cl, now + left);
		return;
	}
	ctl_conn_abort(c, CTL_C_SERVWAIT, "idle for SERVWAIT");
	ctl_peer_close(cl, "SERVWAIT");
}

void ctl_peer_add(struct ctl_server *s, int fd, const struct ctl_ip *peer, uint16_t pport,
		    const struct ctl_ip *local, uint16_t lport)
{
	struct ctl_peer *cl = calloc(1, sizeof(*cl));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = cl };
	char p[CTL_ADDR_STR], l[CTL_ADDR_STR];

	ctl_logf(&s->log, LOG_INFO, "connection accepted: peer=%s local=%s",
		 ctl_ipport_str(peer, pport, p, sizeof(p)), ctl_ipport_str(local, lport, l, sizeof(l)));
	s->ctr.v[CTL_C_CONN_ACCEPTED]++;
	if (cl)
		cl->conn = ctl_conn_new(&s->env, peer, pport, local, lport);
	if (!cl || !cl->conn || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		ctl_logf(&s->log, LOG_ERR, "cannot take a connection: out of resources");
		if (cl)
			ctl_conn_free(cl->conn, "out of resources");
		free(cl);
		close(fd);
		return;
	}
	cl->ev = (struct ctl_ev){ .kind = CTL_EV_PEER, .fd = fd };
	cl->srv = s;
	cl->pending = true;
	ctl_timer_init(&cl->timer, on_timer);
	cl->next = s->clients;
	if (s->clients)
		s->clients->prev = cl;
	s->clients = cl;
	s->nclients++;
	s->npending++;
	arm(cl, ctl_mono_ms() + (uint64_t)s->cfg->server.auth_timeout_s * 1000u);
	if (ctl_conn_closing(cl->conn))
		arm(cl, ctl_mono_ms() + CTL_LINGER_MS);
	if (flush(cl))
		update_events(cl);
}

/* Closing a socket with unread input makes the kernel send RST, and an
 * RST can make the peer discard our last message (a Server-Start with
 * Accept 1, say) before reading it: send FIN first and drop what the peer
 * sent that we will not read (bounded). */
static void close_gently(int fd)
{
	uint8_t sink[4096];

	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
	close(fd);
}

void ctl_peer_close(struct ctl_peer *cl, const char *reason)
{
	struct ctl_server *s = cl->srv;

	if (cl->ev.fd < 0)
		return;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, cl->ev.fd, NULL);
	close_gently(cl->ev.fd);
	cl->ev.fd = -1;
	ctl_timer_cancel(&s->timers, &cl->timer);
	if (cl->pending)
		s->npending--;
	s->nclients--;
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		s->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	ctl_conn_free(cl->conn, reason);
	cl->conn = NULL;
	ctl_bury(s, &cl->ev);
}
