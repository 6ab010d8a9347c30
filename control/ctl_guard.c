/* ACL, ip-block, connection limits and the failed-login alarm (see
 * ctl_guard.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ctl_guard.h"

#define NIL CTL_GUARD_NIL

struct ctl_guard_src {
	struct ctl_ip net;         /* the source: host bits zero */
	uint64_t blocked_until;    /* 0 = not blocked */
	uint64_t last;             /* last failure */
	uint32_t hnext;            /* next in its bucket */
	uint32_t prev, next;       /* in live or blocked (next: the free list) */
	uint16_t n, head;          /* ring of the last failed-times failures */
};

struct ctl_guard_acl {
	struct ctl_ip net;
	uint64_t since, last;      /* first refusal counted, last refusal */
	uint32_t n;
};

/* Times in ring (n used of cap, head = next slot) at or after `since`. */
static uint32_t count_since(const uint64_t *ring, size_t n, size_t cap, size_t head,
			    uint64_t since)
{
	uint32_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (ring[(head + cap - 1 - i) % cap] >= since)
			c++;
	return c;
}

static void ring_push(uint64_t *ring, size_t *n, size_t cap, size_t *head, uint64_t t)
{
	ring[*head] = t;
	*head = (*head + 1) % cap;
	if (*n < cap)
		(*n)++;
}

static uint64_t window_start(uint64_t now, uint32_t period_s)
{
	uint64_t p = (uint64_t)period_s * 1000u;

	return now > p ? now - p : 0;
}

static size_t ring_cap(const struct ctl_guard *g)
{
	return g->cfg->security.block_failed_times ? g->cfg->security.block_failed_times : 1;
}

int ctl_guard_init(struct ctl_guard *g, const struct ctl_config *cfg)
{
	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->src = calloc(CTL_GUARD_TRACK, sizeof(*g->src));
	g->rings = calloc(CTL_GUARD_TRACK * ring_cap(g), sizeof(uint64_t));
	g->bucket = malloc(CTL_GUARD_BUCKETS * sizeof(*g->bucket));
	g->acl = calloc(CTL_GUARD_ACL_TRACK, sizeof(*g->acl));
	g->alarm_ring = calloc(cfg->security.alarm_upper ? cfg->security.alarm_upper : 1,
			       sizeof(uint64_t));
	if (!g->src || !g->rings || !g->bucket || !g->acl || !g->alarm_ring) {
		ctl_guard_fini(g);
		return -1;
	}
	for (size_t i = 0; i < CTL_GUARD_BUCKETS; i++)
		g->bucket[i] = NIL;
	for (uint32_t i = 0; i < CTL_GUARD_TRACK; i++)
		g->src[i].next = i + 1 < CTL_GUARD_TRACK ? i + 1 : NIL;
	g->free_head = 0;
	g->live = g->blocked = (struct ctl_guard_list){ NIL, NIL };
	/* a seed the peers cannot guess, so they cannot pick colliding sources */
	if (getrandom(&g->seed, sizeof(g->seed), GRND_NONBLOCK) != (ssize_t)sizeof(g->seed))
		g->seed = (uint64_t)(uintptr_t)g ^ 0x9e3779b97f4a7c15ull;
	return 0;
}

void ctl_guard_fini(struct ctl_guard *g)
{
	free(g->src);
	free(g->rings);
	free(g->bucket);
	free(g->acl);
	free(g->alarm_ring);
	memset(g, 0, sizeof(*g));
}

/* ---- sources ---- */

unsigned ctl_guard_prefix_len(const struct ctl_guard *g, uint8_t ver)
{
	unsigned full = ver == 4 ? 32 : 128;
	unsigned len = ver == 4 ? g->cfg->security.source_v4_len : g->cfg->security.source_v6_len;

	return len == 0 || len > full ? full : len;
}

struct ctl_ip ctl_guard_source(const struct ctl_guard *g, const struct ctl_ip *ip)
{
	return ctl_ip_prefix(ip, ctl_guard_prefix_len(g, ip->ver));
}

const char *ctl_guard_source_str(const struct ctl_guard *g, const struct ctl_ip *src, char *buf,
				 size_t len)
{
	char a[CTL_ADDR_STR];
	unsigned plen = ctl_guard_prefix_len(g, src->ver);

	ctl_ip_str(src, a, sizeof(a));
	if (plen == (src->ver == 4 ? 32u : 128u))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, plen);
	return buf;
}

/* ---- the table: hash chains and the two lists ---- */

static uint32_t hash(const struct ctl_guard *g, const struct ctl_ip *net)
{
	uint64_t h = g->seed ^ net->ver, w;

	for (size_t i = 0; i < sizeof(net->a); i += 8) {
		memcpy(&w, net->a + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return (uint32_t)(h >> 32) & (CTL_GUARD_BUCKETS - 1);
}

static uint32_t find(const struct ctl_guard *g, const struct ctl_ip *net)
{
	for (uint32_t i = g->bucket[hash(g, net)]; i != NIL; i = g->src[i].hnext)
		if (ctl_ip_equal(&g->src[i].net, net))
			return i;
	return NIL;
}

static void unhash(struct ctl_guard *g, uint32_t i)
{
	uint32_t *p = &g->bucket[hash(g, &g->src[i].net)];

	while (*p != i)
		p = &g->src[*p].hnext;
	*p = g->src[i].hnext;
}

static void list_push(struct ctl_guard *g, struct ctl_guard_list *l, uint32_t i)
{
	g->src[i].prev = l->tail;
	g->src[i].next = NIL;
	if (l->tail != NIL)
		g->src[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
}

static void list_del(struct ctl_guard *g, struct ctl_guard_list *l, uint32_t i)
{
	struct ctl_guard_src *s = &g->src[i];

	if (s->prev != NIL)
		g->src[s->prev].next = s->next;
	else
		l->head = s->next;
	if (s->next != NIL)
		g->src[s->next].prev = s->prev;
	else
		l->tail = s->prev;
}

static struct ctl_guard_list *list_of(struct ctl_guard *g, uint32_t i)
{
	return g->src[i].blocked_until ? &g->blocked : &g->live;
}

static void forget(struct ctl_guard *g, uint32_t i)
{
	list_del(g, list_of(g, i), i);
	unhash(g, i);
	g->src[i].next = g->free_head;
	g->free_head = i;
	g->nsrc--;
}

/* A slot for a new source; when full, the unblocked source whose last
 * failure is oldest makes room, or, every one being blocked, the blocked
 * one closest to its unblocking (silently if its block is over). */
static uint32_t track(struct ctl_guard *g, const struct ctl_ip *net, uint64_t now_ms,
		      unsigned *out)
{
	uint32_t i;

	if (g->free_head == NIL) {
		if (g->live.head == NIL && g->src[g->blocked.head].blocked_until <= now_ms) {
			forget(g, g->blocked.head); /* the tick would have */
		} else if (g->live.head != NIL) {
			forget(g, g->live.head);
			*out |= CTL_GUARD_EVICTED;
		} else {
			forget(g, g->blocked.head);
			*out |= CTL_GUARD_EVICTED_BLOCKED;
			if (!g->all_blocked_told)
				*out |= CTL_GUARD_ALL_BLOCKED;
			g->all_blocked_told = true;
		}
	}
	i = g->free_head;
	g->free_head = g->src[i].next;
	g->src[i] = (struct ctl_guard_src){ .net = *net };
	g->src[i].hnext = g->bucket[hash(g, net)];
	g->bucket[hash(g, net)] = i;
	list_push(g, &g->live, i);
	g->nsrc++;
	return i;
}

bool ctl_guard_blocked(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms)
{
	struct ctl_ip net = ctl_guard_source(g, ip);
	uint32_t i = find(g, &net);

	return i != NIL && g->src[i].blocked_until > now_ms;
}

/* One more failure of an unblocked source i: blocked at failed-times. */
static unsigned count_failure(struct ctl_guard *g, uint32_t i, uint64_t now_ms)
{
	const struct ctl_security_cfg *s = &g->cfg->security;
	struct ctl_guard_src *a = &g->src[i];
	uint64_t *ring = g->rings + (size_t)i * ring_cap(g);
	size_t cap = s->block_failed_times, n = a->n, head = a->head;

	a->last = now_ms;
	list_del(g, &g->live, i); /* the most recent failure goes last */
	ring_push(ring, &n, cap, &head, now_ms);
	a->n = (uint16_t)n;
	a->head = (uint16_t)head;
	if (count_since(ring, n, cap, head, window_start(now_ms, s->block_failed_period_s)) < cap) {
		list_push(g, &g->live, i);
		return 0;
	}
	a->blocked_until = now_ms + (uint64_t)s->block_reactive_s * 1000u;
	a->n = a->head = 0;
	list_push(g, &g->blocked, i);
	return CTL_GUARD_NOW_BLOCKED;
}

unsigned ctl_guard_fail(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms)
{
	const struct ctl_security_cfg *s = &g->cfg->security;
	struct ctl_ip net = ctl_guard_source(g, ip);
	unsigned out = 0;

	if (s->block_failed_times) {
		uint32_t i = find(g, &net);

		if (i == NIL)
			i = track(g, &net, now_ms, &out);
		if (g->src[i].blocked_until && g->src[i].blocked_until <= now_ms) {
			list_del(g, &g->blocked, i); /* its block is over: afresh */
			g->src[i].blocked_until = 0;
			list_push(g, &g->live, i);
			out |= CTL_GUARD_UNBLOCKED;
		}
		if (!g->src[i].blocked_until)
			out |= count_failure(g, i, now_ms);
	}
	if (s->alarm_upper) {
		ring_push(g->alarm_ring, &g->alarm_n, s->alarm_upper, &g->alarm_head, now_ms);
		if (!g->alarm_raised && ctl_guard_alarm_count(g, now_ms) >= s->alarm_upper) {
			g->alarm_raised = true;
			out |= CTL_GUARD_ALARM_RAISED;
		}
	}
	return out;
}

uint32_t ctl_guard_acl_refused(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms)
{
	struct ctl_ip net = ctl_guard_source(g, ip);
	uint64_t start = window_start(now_ms, g->cfg->security.block_failed_period_s);
	size_t i, oldest = 0;

	for (i = 0; i < g->nacl; i++) {
		if (ctl_ip_equal(&g->acl[i].net, &net))
			break;
		if (g->acl[i].last < g->acl[oldest].last)
			oldest = i;
	}
	if (i == g->nacl) {
		i = g->nacl < CTL_GUARD_ACL_TRACK ? g->nacl++ : oldest;
		g->acl[i] = (struct ctl_guard_acl){ .net = net, .since = now_ms };
	}
	if (g->acl[i].since < start) { /* a new window */
		g->acl[i].since = now_ms;
		g->acl[i].n = 0;
	}
	g->acl[i].last = now_ms;
	return ++g->acl[i].n;
}

uint32_t ctl_guard_alarm_count(const struct ctl_guard *g, uint64_t now_ms)
{
	const struct ctl_security_cfg *s = &g->cfg->security;

	if (!s->alarm_upper)
		return 0;
	return count_since(g->alarm_ring, g->alarm_n, s->alarm_upper, g->alarm_head,
			   window_start(now_ms, s->alarm_period_s));
}

bool ctl_guard_tick(struct ctl_guard *g, uint64_t now_ms,
		    void (*unblocked)(void *arg, const struct ctl_ip *src), void *arg)
{
	const struct ctl_security_cfg *s = &g->cfg->security;
	uint64_t stale = window_start(now_ms, s->block_failed_period_s);

	while (g->blocked.head != NIL && g->src[g->blocked.head].blocked_until <= now_ms) {
		if (unblocked)
			unblocked(arg, &g->src[g->blocked.head].net);
		forget(g, g->blocked.head);
	}
	while (g->live.head != NIL && g->src[g->live.head].last < stale)
		forget(g, g->live.head); /* no failure left in its window */
	if (g->free_head != NIL)
		g->all_blocked_told = false;
	if (g->alarm_raised && ctl_guard_alarm_count(g, now_ms) <= s->alarm_lower &&
	    ctl_guard_alarm_count(g, now_ms) < s->alarm_upper) {
		g->alarm_raised = false;
		return true;
	}
	return false;
}

void ctl_guard_foreach_blocked(const struct ctl_guard *g, uint64_t now_ms,
			       void (*fn)(void *arg, const struct ctl_ip *src, unsigned plen,
					  uint32_t left_s),
			       void *arg)
{
	for (uint32_t i = g->blocked.head; i != NIL; i = g->src[i].next) {
		const struct ctl_guard_src *a = &g->src[i];

		if (a->blocked_until > now_ms)
			fn(arg, &a->net, ctl_guard_prefix_len(g, a->net.ver),
			   (uint32_t)((a->blocked_until - now_ms + 999) / 1000));
	}
}

/* ---- admission ---- */

static bool acl_permits(const struct ctl_security_cfg *s, const struct ctl_ip *ip)
{
	if (s->nacl == 0)
		return true;
	for (size_t i = 0; i < s->nacl && i < CTL_MAX_PREFIXES; i++)
		if (ctl_prefix_match(&s->acl[i], ip))
			return true;
	return false;
}

enum ctl_admit ctl_guard_admit(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms,
			       const struct ctl_conn_counts *n)
{
	const struct ctl_server_cfg *sv = &g->cfg->server;

	if (!acl_permits(&g->cfg->security, ip))
		return CTL_ADMIT_ACL;
	if (ctl_guard_blocked(g, ip, now_ms))
		return CTL_ADMIT_BLOCKED;
	if (n->from_client >= sv->max_conn_per_client)
		return CTL_ADMIT_PER_CLIENT;
	if (n->pending >= sv->max_pending_auth)
		return CTL_ADMIT_EVICT_PENDING;
	if (n->total >= sv->max_connections)
		return CTL_ADMIT_EVICT_IDLE;
	return CTL_ADMIT_OK;
}

const char *ctl_admit_str(enum ctl_admit a)
{
	switch (a) {
	case CTL_ADMIT_OK: return "admitted";
	case CTL_ADMIT_ACL: return "source not in control-acl";
	case CTL_ADMIT_BLOCKED: return "source address blocked";
	case CTL_ADMIT_MAX_CONN: return "max-connections reached";
	case CTL_ADMIT_PER_CLIENT: return "max-connections-per-client reached";
	case CTL_ADMIT_PENDING: return "max-pending-authentication reached";
	case CTL_ADMIT_EVICT_PENDING: return "max-pending-authentication reached";
	case CTL_ADMIT_EVICT_IDLE: return "max-connections reached";
	}
	return "?";
}

/* ---- eviction order ---- */

bool ctl_guard_evictable(const struct ctl_guard_cand *c, enum ctl_admit why)
{
	if (c->working)
		return false;
	if (why == CTL_ADMIT_EVICT_PENDING)
		return c->pending;
	if (why == CTL_ADMIT_EVICT_IDLE)
		return !c->running;
	return false;
}

/* At max-pending-authentication: closing, then silent, then the other
 * pending ones. At max-connections: closing, then by idleness alone
 * (a pending connection idle since its accept, an unauthenticated one
 * since its last message), authenticated ones last; so a client still
 * computing its Set-Up-Response goes after an open connection that has
 * said nothing for longer. */
static int rank(const struct ctl_guard_cand *c, enum ctl_admit why)
{
	if (c->closing)
		return 0;
	if (why == CTL_ADMIT_EVICT_PENDING)
		return c->heard ? 2 : 1;
	return c->secured && !c->pending ? 2 : 1;
}

bool ctl_guard_before(const struct ctl_guard_cand *a, const struct ctl_guard_cand *b,
		      enum ctl_admit why)
{
	int ra = rank(a, why), rb = rank(b, why);

	if (ra != rb)
		return ra < rb;
	if (a->crowd != b->crowd)
		return a->crowd > b->crowd;
	return a->since < b->since;
}

struct ctl_ip ctl_guard_crowd(const struct ctl_ip *ip)
{
	return ctl_ip_prefix(ip, ip->ver == 4 ? CTL_GUARD_CROWD_V4 : CTL_GUARD_CROWD_V6);
}
