/* A control connection's socket (see ctl_peer.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_peer.h"

static struct ctl_peer *of_timer(struct ctl_timer *t)
{
	return (struct ctl_peer *)((char *)t - offsetof(struct ctl_peer, timer));
}

/* Readable while the peer may send (not closing, output not piling up),
 * writable while output is queued. */
static void update_events(struct ctl_peer *p)
{
	size_t out;
	bool idle = ctl_conn_closing(p->conn) || ctl_conn_auth_waiting(p->conn);

	ctl_conn_output(p->conn, &out);
	ctl_loop_mod(p->set->loop, p->fd,
		     (!idle && out < CTL_OUT_HIGH ? CTL_LOOP_IN : 0) | (out ? CTL_LOOP_OUT : 0));
}

/* Write what is queued; false when the connection got closed (p freed). */
static bool flush(struct ctl_peer *p)
{
	size_t n;
	const uint8_t *b = ctl_conn_output(p->conn, &n);

	while (n > 0) {
		ssize_t w = send(p->fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w <= 0) {
			if (p->pending)
				ctl_conn_abandoned(p->conn, "connection reset before Server-Start");
			ctl_peer_close(p, "send failed");
			return false;
		}
		ctl_conn_sent(p->conn, (size_t)w);
		b = ctl_conn_output(p->conn, &n);
	}
	if (ctl_conn_closing(p->conn) && n == 0) {
		ctl_peer_close(p, "protocol");
		return false;
	}
	return true;
}

static void arm(struct ctl_peer *p, uint64_t when)
{
	ctl_loop_arm(p->set->loop, &p->timer, when);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* SERVWAIT or open-idle-timeout, whichever comes first (0: now) */
static uint64_t idle_left(struct ctl_conn *c, uint64_t now)
{
	uint64_t left = ctl_conn_servwait_left(c, now); /* first: it may end TEST */

	return min_u64(left, ctl_conn_open_idle_left(c, now));
}

static void after_input(struct ctl_peer *p);

/* The authentication job's result, on the loop thread (ctl_authpool.h). */
static void auth_done(void *ctx, struct ctl_auth_job *j)
{
	struct ctl_peer *p = ctx;

	p->job = NULL;
	ctl_conn_auth_done(p->conn, j);
	after_input(p);
	if (flush(p))
		update_events(p);
}

/* A Set-Up-Response's job to the pool (inline without one). */
static void submit(struct ctl_peer *p, struct ctl_auth_job *j)
{
	if (!p->set->pool) {
		ctl_auth_run(j);
		ctl_conn_auth_done(p->conn, j);
		ctl_auth_job_free(j);
		return;
	}
	p->job = j;
	ctl_authpool_submit(p->set->pool, &p->conn->peer, j, auth_done, p);
}

/* After input: hand over an authentication job, leave the pending count
 * once set up, and the closing connection's linger. */
static void after_input(struct ctl_peer *p)
{
	struct ctl_peers *ps = p->set;
	struct ctl_auth_job *j = ctl_conn_auth_take(p->conn);
	uint64_t now = ctl_mono_ms();

	if (j)
		submit(p, j);
	if (ctl_conn_closing(p->conn)) {
		arm(p, now + CTL_LINGER_MS);
	} else if (p->pending && ctl_conn_set_up(p->conn)) {
		p->pending = false;
		ps->npending--;
		arm(p, now + idle_left(p->conn, now));
	} else if (!p->pending) {
		/* sessions may have ended: open-idle-timeout may be due sooner */
		uint64_t d = ctl_conn_open_idle_deadline(p->conn);

		if (d < p->timer.when) /* the timer of a set-up connection is always armed */
			arm(p, d);
	}
}

/* false when the connection got closed (p freed) */
static bool read_input(struct ctl_peer *p)
{
	uint8_t buf[TWC_MAX_MSG_LEN];
	size_t budget = CTL_READ_BUDGET, out;

	while (budget > 0 && !ctl_conn_closing(p->conn)) {
		size_t want = ctl_conn_want(p->conn);
		ssize_t n;

		ctl_conn_output(p->conn, &out);
		if (out >= CTL_OUT_HIGH)
			break;
		if (want == 0)
			break; /* the authentication job is out */
		if (want > sizeof(buf))
			want = sizeof(buf);
		if (want > budget)
			want = budget;
		n = recv(p->fd, buf, want, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			bool mid = n == 0 && ctl_conn_mid_message(p->conn);

			if (p->pending) {
				if (mid)
					p->conn->env->ctr->v[CTL_C_CLOSED_MID_MSG]++;
				ctl_conn_abandoned(p->conn,
						   mid ? "peer closed the connection in the middle of its "
							 "Set-Up-Response"
						   : n == 0 ? "peer closed the connection before Server-Start"
							    : "connection reset before Server-Start");
			} else if (mid) {
				ctl_conn_abort(p->conn, CTL_C_CLOSED_MID_MSG,
					       "peer closed the connection in the middle of a message");
			}
			ctl_peer_close(p, n == 0 ? "peer closed" : "receive failed");
			return false;
		}
		ctl_conn_input(p->conn, buf, (size_t)n);
		budget -= (size_t)n;
	}
	after_input(p);
	return true;
}

static void on_event(void *ctx, uint32_t events)
{
	struct ctl_peer *p = ctx;

	if ((events & CTL_LOOP_ERR) && ctl_conn_auth_waiting(p->conn)) {
		/* counted like any reset before Server-Start: a peer cannot send
		 * a wrong Token and reset to keep it off the block list */
		ctl_conn_abandoned(p->conn, "connection reset while its authentication job waited");
		ctl_peer_close(p, "connection lost while authenticating");
		return;
	}
	if ((events & (CTL_LOOP_IN | CTL_LOOP_ERR)) && !read_input(p))
		return;
	if (flush(p))
		update_events(p);
}

static void on_timer(struct ctl_timer *t, uint64_t now)
{
	struct ctl_peer *p = of_timer(t);
	struct ctl_conn *c = p->conn;
	uint64_t left;
	char why[96];

	if (ctl_conn_closing(c)) {
		ctl_peer_close(p, "closing: peer did not take the last message");
		return;
	}
	if (p->pending) {
		/* counts as a failed authentication (YANG authentication-timeout),
		 * unless the client had sent it all and its job waited for a worker */
		bool server_late = ctl_conn_auth_waiting(c);

		if (!server_late) {
			c->env->ctr->v[CTL_C_AUTH_FAILED]++;
			ctl_conn_auth_result(c, false);
		}
		ctl_conn_abort(c, CTL_C_AUTH_TIMEOUT, server_late ?
			       "authentication timeout (the job waited for an authentication worker)" :
			       "authentication timeout");
		ctl_peer_close(p, "authentication timeout");
		return;
	}
	left = idle_left(c, now);
	if (left > 0) {
		arm(p, now + left);
		return;
	}
	if (ctl_conn_open_idle_left(c, now) == 0) {
		snprintf(why, sizeof(why), "unauthenticated, no session started for %us (open-idle-timeout)",
			 c->env->cfg->server.open_idle_s);
		ctl_conn_abort(c, CTL_C_OPEN_IDLE, why);
		ctl_peer_close(p, "open-idle-timeout");
		return;
	}
	ctl_conn_abort(c, CTL_C_SERVWAIT, "idle for SERVWAIT");
	ctl_peer_close(p, "SERVWAIT");
}

void ctl_peer_init(struct ctl_peers *ps, struct ctl_loop *loop, const struct ctl_conn_env *env)
{
	*ps = (struct ctl_peers){ .loop = loop, .env = env };
}

static void link_in(struct ctl_peers *ps, struct ctl_peer *p)
{
	p->next = ps->head;
	if (ps->head)
		ps->head->prev = p;
	ps->head = p;
	ps->n++;
	ps->npending++;
}

void ctl_peer_add(struct ctl_peers *ps, int fd, const struct ctl_ip *peer, uint16_t pport,
		  const struct ctl_ip *local, uint16_t lport)
{
	const struct ctl_conn_env *env = ps->env;
	struct ctl_peer *p = calloc(1, sizeof(*p));
	char a[CTL_ADDR_STR], b[CTL_ADDR_STR];

	ctl_log_peer(env->log, LOG_INFO, peer, "connection accepted",
		     "connection accepted: peer=%s local=%s", ctl_ipport_str(peer, pport, a, sizeof(a)),
		     ctl_ipport_str(local, lport, b, sizeof(b)));
	env->ctr->v[CTL_C_CONN_ACCEPTED]++;
	if (p)
		p->conn = ctl_conn_new(env, peer, pport, local, lport);
	if (!p || !p->conn || ctl_loop_add(ps->loop, fd, CTL_LOOP_IN, on_event, p) != 0) {
		ctl_logf(env->log, LOG_ERR, "cannot take a connection: out of resources");
		if (p)
			ctl_conn_free(p->conn, "out of resources");
		free(p);
		close(fd);
		return;
	}
	p->set = ps;
	p->fd = fd;
	p->pending = true;
	ctl_timer_init(&p->timer, on_timer);
	link_in(ps, p);
	arm(p, ctl_mono_ms() + (uint64_t)env->cfg->server.auth_timeout_s * 1000u);
	if (ctl_conn_closing(p->conn))
		arm(p, ctl_mono_ms() + CTL_LINGER_MS);
	if (flush(p))
		update_events(p);
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

void ctl_peer_close(struct ctl_peer *p, const char *reason)
{
	struct ctl_peers *ps = p->set;

	ctl_loop_del(ps->loop, p->fd);
	close_gently(p->fd);
	ctl_loop_cancel(ps->loop, &p->timer);
	if (p->job)
		ctl_authpool_cancel(ps->pool, p->job); /* its result is discarded */
	if (p->pending)
		ps->npending--;
	ps->n--;
	if (p->prev)
		p->prev->next = p->next;
	else
		ps->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	ctl_conn_free(p->conn, reason);
	free(p);
}

void ctl_peer_close_all(struct ctl_peers *ps, const char *reason)
{
	while (ps->head)
		ctl_peer_close(ps->head, reason);
}

struct ctl_conn_counts ctl_peer_counts(const struct ctl_peers *ps, const struct ctl_guard *g,
				       const struct ctl_ip *ip)
{
	struct ctl_conn_counts n = { .total = ps->n, .pending = ps->npending };
	struct ctl_ip src = ctl_guard_source(g, ip);

	/* max-pending-authentication holds the connections that owe us their
	 * Set-Up-Response; those whose job is out are bounded by the queue */
	for (const struct ctl_peer *p = ps->head; p; p = p->next) {
		struct ctl_ip other = ctl_guard_source(g, &p->conn->peer);

		n.from_client += ctl_ip_equal(&other, &src);
		n.pending -= p->pending && ctl_conn_auth_waiting(p->conn);
	}
	return n;
}

static struct ctl_guard_cand candidate(const struct ctl_peer *p)
{
	const struct ctl_conn *c = p->conn;

	return (struct ctl_guard_cand){
		.closing = ctl_conn_closing(c), .pending = p->pending, .heard = c->heard,
		.working = ctl_conn_auth_waiting(c),
		.secured = twc_mode_secured(c->mode), .running = c->state == CTL_CS_TEST,
		.since = p->pending ? c->created_ms : c->last_msg_ms,
	};
}

/* Crowds: how many of the connections that may give way share each one's
 * wider prefix (ctl_guard_crowd), in an open-addressed table of at least
 * twice as many slots as connections. NULL when out of memory: no crowds. */
struct crowd_slot {
	struct ctl_ip net;
	uint32_t n;
};

static uint32_t crowd_hash(const struct ctl_ip *ip)
{
	uint32_t h = 2166136261u ^ ip->ver;

	for (size_t i = 0; i < sizeof(ip->a); i++)
		h = (h ^ ip->a[i]) * 16777619u;
	return h;
}

static struct crowd_slot *crowd_find(struct crowd_slot *t, size_t mask, const struct ctl_ip *net)
{
	size_t i = crowd_hash(net) & mask;

	while (t[i].n && !ctl_ip_equal(&t[i].net, net))
		i = (i + 1) & mask;
	return &t[i];
}

static struct crowd_slot *crowds(const struct ctl_peers *ps, enum ctl_admit why, size_t *mask)
{
	size_t size = 16;
	struct crowd_slot *t;

	while (size < 2 * (size_t)ps->n)
		size *= 2;
	t = calloc(size, sizeof(*t));
	if (!t)
		return NULL;
	*mask = size - 1;
	for (const struct ctl_peer *p = ps->head; p; p = p->next) {
		struct ctl_guard_cand k = candidate(p);
		struct ctl_ip net = ctl_guard_crowd(&p->conn->peer);
		struct crowd_slot *e;

		if (!ctl_guard_evictable(&k, why))
			continue;
		e = crowd_find(t, *mask, &net);
		e->net = net;
		e->n++;
	}
	return t;
}

bool ctl_peer_make_room(struct ctl_peers *ps, enum ctl_admit why, const char *newcomer)
{
	struct ctl_peer *victim = NULL;
	struct ctl_guard_cand best = { 0 };
	const struct ctl_conn_env *env = ps->env;
	uint64_t now = ctl_mono_ms(), idle;
	size_t mask = 0;
	struct crowd_slot *t = crowds(ps, why, &mask);
	struct ctl_conn *c;

	/* newest first: on a tie (same millisecond) the older one goes */
	for (struct ctl_peer *p = ps->head; p; p = p->next) {
		struct ctl_guard_cand k = candidate(p);

		if (!ctl_guard_evictable(&k, why))
			continue;
		if (t) {
			struct ctl_ip net = ctl_guard_crowd(&p->conn->peer);

			k.crowd = crowd_find(t, mask, &net)->n;
		}
		if (!victim || !ctl_guard_before(&best, &k, why)) {
			victim = p;
			best = k;
		}
	}
	free(t);
	if (!victim)
		return false;
	c = victim->conn;
	idle = now > best.since ? (now - best.since) / 1000u : 0;
	env->ctr->v[why == CTL_ADMIT_EVICT_PENDING ? CTL_C_EVICTED_PENDING : CTL_C_EVICTED_IDLE]++;
	ctl_conn_log(c, LOG_WARNING, "connection evicted",
		     "connection evicted: peer=%s state=%s idle=%llus: %s: room made for peer=%s",
		     c->name, ctl_cs_str(ctl_conn_closing(c) ? c->before_close : c->state),
		 (unsigned long long)idle, ctl_admit_str(why), newcomer);
	ctl_peer_close(victim, "evicted");
	return true;
}
