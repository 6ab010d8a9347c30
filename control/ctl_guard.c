/* ACL, ip-block, connection limits and the failed-login alarm (see
 * ctl_guard.h). */
#include <stdlib.h>
#include <string.h>

#include "ctl_guard.h"

struct ctl_guard_addr {
	struct ctl_ip ip;
	uint64_t blocked_until;    /* 0 = not blocked */
	uint64_t last;             /* last failure */
	size_t n, head;            /* ring of the last failed-times failures */
	uint64_t ring[];
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

int ctl_guard_init(struct ctl_guard *g, const struct ctl_config *cfg)
{
	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->addrs = calloc(CTL_GUARD_TRACK, sizeof(*g->addrs));
	g->alarm_ring = calloc(cfg->security.alarm_upper ? cfg->security.alarm_upper : 1,
			       sizeof(uint64_t));
	if (!g->addrs || !g->alarm_ring) {
		ctl_guard_fini(g);
		return -1;
	}
	return 0;
}

void ctl_guard_fini(struct ctl_guard *g)
{
	for (size_t i = 0; g->addrs && i < g->naddrs; i++)
		free(g->addrs[i]);
	free(g->addrs);
	free(g->alarm_ring);
	memset(g, 0, sizeof(*g));
}

static struct ctl_guard_addr *find(const struct ctl_guard *g, const struct ctl_ip *ip)
{
	for (size_t i = 0; i < g->naddrs; i++)
		if (ctl_ip_equal(&g->addrs[i]->ip, ip))
			return g->addrs[i];
	return NULL;
}

static void forget(struct ctl_guard *g, size_t i)
{
	free(g->addrs[i]);
	g->addrs[i] = g->addrs[--g->naddrs];
}

/* A slot for a new address; evicts the stalest unblocked one when full. */
static struct ctl_guard_addr *track(struct ctl_guard *g, const struct ctl_ip *ip)
{
	size_t cap = g->cfg->security.block_failed_times, victim = SIZE_MAX;
	struct ctl_guard_addr *a;

	if (g->naddrs == CTL_GUARD_TRACK) {
		for (size_t i = 0; i < g->naddrs; i++)
			if (!g->addrs[i]->blocked_until &&
			    (victim == SIZE_MAX || g->addrs[i]->last < g->addrs[victim]->last))
				victim = i;
		if (victim == SIZE_MAX)
			return NULL;
		forget(g, victim);
	}
	a = calloc(1, sizeof(*a) + (cap ? cap : 1) * sizeof(uint64_t));
	if (!a)
		return NULL;
	a->ip = *ip;
	g->addrs[g->naddrs++] = a;
	return a;
}

bool ctl_guard_blocked(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms)
{
	const struct ctl_guard_addr *a = find(g, ip);

	return a && a->blocked_until > now_ms;
}

unsigned ctl_guard_fail(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms)
{
	const struct ctl_security_cfg *s = &g->cfg->security;
	struct ctl_guard_addr *a = find(g, ip);
	unsigned out = 0;
	size_t cap = s->block_failed_times;

	if (!a)
		a = track(g, ip);
	if (a && cap && a->blocked_until <= now_ms) {
		a->last = now_ms;
		ring_push(a->ring, &a->n, cap, &a->head, now_ms);
		if (count_since(a->ring, a->n, cap, a->head, window_start(now_ms, s->block_failed_period_s)) >= cap) {
			a->blocked_until = now_ms + (uint64_t)s->block_reactive_s * 1000u;
			a->n = a->head = 0;
			out |= CTL_GUARD_NOW_BLOCKED;
		}
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

uint32_t ctl_guard_alarm_count(const struct ctl_guard *g, uint64_t now_ms)
{
	const struct ctl_security_cfg *s = &g->cfg->security;

	if (!s->alarm_upper)
		return 0;
	return count_since(g->alarm_ring, g->alarm_n, s->alarm_upper, g->alarm_head,
			   window_start(now_ms, s->alarm_period_s));
}

bool ctl_guard_tick(struct ctl_guard *g, uint64_t now_ms,
		    void (*unblocked)(void *arg, const struct ctl_ip *ip), void *arg)
{
	const struct ctl_security_cfg *s = &g->cfg->security;
	uint64_t stale = window_start(now_ms, s->block_failed_period_s);

	for (size_t i = 0; i < g->naddrs;) {
		struct ctl_guard_addr *a = g->addrs[i];

		if (a->blocked_until && a->blocked_until <= now_ms) {
			if (unblocked)
				unblocked(arg, &a->ip);
			forget(g, i);
		} else if (!a->blocked_until && a->last < stale) {
			forget(g, i); /* no failure left in its window */
		} else {
			i++;
		}
	}
	if (g->alarm_raised && ctl_guard_alarm_count(g, now_ms) <= s->alarm_lower &&
	    ctl_guard_alarm_count(g, now_ms) < s->alarm_upper) {
		g->alarm_raised = false;
		return true;
	}
	return false;
}

void ctl_guard_foreach_blocked(const struct ctl_guard *g, uint64_t now_ms,
			       void (*fn)(void *arg, const struct ctl_ip *ip, uint32_t left_s),
			       void *arg)
{
	for (size_t i = 0; i < g->naddrs; i++) {
		const struct ctl_guard_addr *a = g->addrs[i];

		if (a->blocked_until > now_ms)
			fn(arg, &a->ip, (uint32_t)((a->blocked_until - now_ms + 999) / 1000));
	}
}

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
	if (n->total >= sv->max_connections)
		return CTL_ADMIT_MAX_CONN;
	if (n->from_client >= sv->max_conn_per_client)
		return CTL_ADMIT_PER_CLIENT;
	if (n->pending >= sv->max_pending_auth)
		return CTL_ADMIT_PENDING;
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
	}
	return "?";
}
