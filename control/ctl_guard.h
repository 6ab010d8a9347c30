/* The security baseline's admission rules (security-baseline and the
 * server limits), with the clock passed in (milliseconds, monotonic: it
 * never goes back) so that tests can drive it:
 *
 *   source         what is counted, blocked and limited: the peer
 *                  address's first ipv4-prefix-length / ipv6-prefix-length
 *                  bits (/32 and /64 by default: one IPv6 /64 is one
 *                  source, however many addresses it rotates through)
 *   control-acl    the address must match a permit-prefix (none = any);
 *                  refusals are counted per source (ctl_guard_acl_refused)
 *                  but never block: a refusal costs no more than a block
 *                  would, and sources outside the ACL must not be able to
 *                  churn the ip-block table of those inside it
 *   ip-block       failed-times failed or abandoned authentications from
 *                  one source within failed-period block it for
 *                  reactive-time; a blocked source is closed before the
 *                  greeting
 *   limits         max-connections-per-client first (a source at its limit
 *                  is refused and never makes others give way); then, at
 *                  max-pending-authentication, a pending connection gives
 *                  way to the new one, and at max-connections one without
 *                  started sessions does (ctl_guard_evictable/_before)
 *   alarm          failed authentications from all sources within period:
 *                  raised at upper-limit, cleared at lower-limit or below
 *
 * Each source keeps the times of its last failed-times failures, and the
 * alarm the times of the last upper-limit failures: that is all the
 * window counts need. At most CTL_GUARD_TRACK sources are tracked, in a
 * hash table (seeded at random) and two lists: the unblocked ones by last
 * failure, the blocked ones by the end of their block (reactive-time is
 * fixed, so the order of blocking). A new source when the table is full
 * takes the place of the unblocked source whose last failure is oldest;
 * when every one is blocked, of the one closest to its unblocking, which
 * is unblocked early: ip-block goes on for new sources whatever the
 * table holds. */
#ifndef TWR_CTL_GUARD_H
#define TWR_CTL_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_addr.h"
#include "ctl_config.h"

#define CTL_GUARD_TRACK 4096
#define CTL_GUARD_BUCKETS 8192      /* a power of 2 */
#define CTL_GUARD_ACL_TRACK 256     /* sources outside the ACL counted */

enum ctl_admit {
	CTL_ADMIT_OK = 0,
	/* refused */
	CTL_ADMIT_ACL,
	CTL_ADMIT_BLOCKED,
	CTL_ADMIT_MAX_CONN,        /* every connection has started sessions */
	CTL_ADMIT_PER_CLIENT,
	CTL_ADMIT_PENDING,         /* no pending connection could give way */
	/* admitted once another connection gives way */
	CTL_ADMIT_EVICT_PENDING,   /* max-pending-authentication reached */
	CTL_ADMIT_EVICT_IDLE,      /* max-connections reached */
};

/* What a failure changed */
#define CTL_GUARD_NOW_BLOCKED 0x1u
#define CTL_GUARD_ALARM_RAISED 0x2u
#define CTL_GUARD_UNBLOCKED 0x4u       /* its block had ended (the tick had not seen it yet) */
#define CTL_GUARD_EVICTED 0x8u         /* an unblocked source forgotten to track this one */
#define CTL_GUARD_EVICTED_BLOCKED 0x10u /* a blocked source unblocked early to track it */
#define CTL_GUARD_ALL_BLOCKED 0x20u    /* the first such since the table last had room */

#define CTL_GUARD_NIL UINT32_MAX

struct ctl_guard_src;
struct ctl_guard_acl;

struct ctl_guard_list {
	uint32_t head, tail;       /* CTL_GUARD_NIL: empty */
};

struct ctl_guard {
	const struct ctl_config *cfg;
	struct ctl_guard_src *src;  /* CTL_GUARD_TRACK slots */
	uint64_t *rings;            /* failed-times failure times per slot */
	uint32_t *bucket;           /* CTL_GUARD_BUCKETS hash chains */
	uint64_t seed;
	uint32_t nsrc, free_head;
	struct ctl_guard_list live, blocked;
	bool all_blocked_told;
	struct ctl_guard_acl *acl;  /* CTL_GUARD_ACL_TRACK */
	size_t nacl;
	uint64_t *alarm_ring;       /* last upper-limit failure times */
	size_t alarm_n, alarm_head;
	bool alarm_raised;
};

/* The connection counts as they are before this one (from_client: of the
 * new connection's source). */
struct ctl_conn_counts {
	uint32_t total;
	uint32_t from_client;
	uint32_t pending;
};

int ctl_guard_init(struct ctl_guard *g, const struct ctl_config *cfg);
void ctl_guard_fini(struct ctl_guard *g);

/* The source of an address: its first bits, the others zero. */
struct ctl_ip ctl_guard_source(const struct ctl_guard *g, const struct ctl_ip *ip);
unsigned ctl_guard_prefix_len(const struct ctl_guard *g, uint8_t ver);
/* "10.99.1.4" (a whole address), "fd00:99::/64" (a shorter prefix) */
const char *ctl_guard_source_str(const struct ctl_guard *g, const struct ctl_ip *src, char *buf,
				 size_t len);

enum ctl_admit ctl_guard_admit(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms,
			       const struct ctl_conn_counts *n);
const char *ctl_admit_str(enum ctl_admit a);

bool ctl_guard_blocked(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms);
/* A failed or abandoned authentication: CTL_GUARD_* flags */
unsigned ctl_guard_fail(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms);
/* A control-acl refusal: the refusals from ip's source within
 * failed-period, this one included (CTL_GUARD_ACL_TRACK sources are
 * counted, the least recent forgotten first). */
uint32_t ctl_guard_acl_refused(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms);

/* Housekeeping: forget expired blocks (calling unblocked(arg, source) for
 * each) and sources with no failure left in failed-period, and clear the
 * alarm when the failures in its window have fallen to lower-limit.
 * Returns true when it cleared the alarm. */
bool ctl_guard_tick(struct ctl_guard *g, uint64_t now_ms,
		    void (*unblocked)(void *arg, const struct ctl_ip *src), void *arg);

/* Failures within the alarm period (at most upper-limit). */
uint32_t ctl_guard_alarm_count(const struct ctl_guard *g, uint64_t now_ms);

/* Every blocked source (prefix and its length) and the seconds left
 * (rounded up), the closest to its unblocking first. */
void ctl_guard_foreach_blocked(const struct ctl_guard *g, uint64_t now_ms,
			       void (*fn)(void *arg, const struct ctl_ip *src, unsigned plen,
					  uint32_t left_s),
			       void *arg);

/* ---- which connection gives way to a new one ---- */

struct ctl_guard_cand {
	bool closing;              /* already closing: its slot is free soonest */
	bool pending;              /* before Server-Start */
	bool heard;                /* the peer has sent something */
	bool working;              /* its authentication job is out: never evicted */
	bool secured;              /* set up in a mode with a shared secret */
	bool running;              /* has started sessions: never evicted */
	uint32_t crowd;            /* evictable connections in its wider prefix */
	uint64_t since;            /* pending: accepted; set up: last complete message */
};

/* May c give way to a new connection admitted with `why`
 * (CTL_ADMIT_EVICT_PENDING: a pending one; CTL_ADMIT_EVICT_IDLE: one
 * without started sessions)? Never one whose authentication job is out:
 * it has answered, and its work is bounded by the authentication queue
 * (ctl_authq.h); were it evictable, a flood of prompt wrong tokens from
 * rotating sources would evict every good client's job in turn. */
bool ctl_guard_evictable(const struct ctl_guard_cand *c, enum ctl_admit why);
/* Should a give way before b, for `why`? CTL_ADMIT_EVICT_PENDING:
 * closing first, then pending ones that have sent nothing, then other
 * pending ones, the oldest first. CTL_ADMIT_EVICT_IDLE: closing first,
 * then pending and unauthenticated ones by idleness (the idlest first),
 * then authenticated ones by idleness. */
bool ctl_guard_before(const struct ctl_guard_cand *a, const struct ctl_guard_cand *b,
		      enum ctl_admit why);

/* The wider prefix by which evictable connections are counted (crowd):
 * within one kind of connection, the crowd with most members gives way
 * first, so that many sources of one subnet (rotating through a /24 or a
 * /48) make room among themselves, not at the cost of a lone client. */
#define CTL_GUARD_CROWD_V4 24u
#define CTL_GUARD_CROWD_V6 48u
struct ctl_ip ctl_guard_crowd(const struct ctl_ip *ip);

#endif
