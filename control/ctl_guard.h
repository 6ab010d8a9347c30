/* The security baseline's admission rules (security-baseline and the
 * server limits), with the clock passed in (milliseconds, monotonic) so
 * that tests can drive it:
 *
 *   control-acl    the source must match a permit-prefix (none = any)
 *   ip-block       failed-times failed authentications from one address
 *                  within failed-period block it for reactive-time; a
 *                  blocked address is closed before the greeting
 *   limits         max-connections, max-connections-per-client,
 *                  max-pending-authentication (connections that have not
 *                  completed Set-Up-Response / Server-Start)
 *   alarm          failed authentications from all sources within period:
 *                  raised at upper-limit, cleared at lower-limit or below
 *
 * Each address keeps the times of its last failed-times failures, and the
 * alarm the times of the last upper-limit failures: that is all the
 * window counts need. At most CTL_GUARD_TRACK addresses are tracked; when
 * the table is full the unblocked address whose last failure is oldest is
 * forgotten (a blocked address is never forgotten before its time). */
#ifndef TWR_CTL_GUARD_H
#define TWR_CTL_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_addr.h"
#include "ctl_config.h"

#define CTL_GUARD_TRACK 4096

enum ctl_admit {
	CTL_ADMIT_OK = 0,
	CTL_ADMIT_ACL,
	CTL_ADMIT_BLOCKED,
	CTL_ADMIT_MAX_CONN,
	CTL_ADMIT_PER_CLIENT,
	CTL_ADMIT_PENDING,
};

/* What a failure changed */
#define CTL_GUARD_NOW_BLOCKED 0x1u
#define CTL_GUARD_ALARM_RAISED 0x2u

struct ctl_guard_addr;

struct ctl_guard {
	const struct ctl_config *cfg;
	struct ctl_guard_addr **addrs;
	size_t naddrs;
	uint64_t *alarm_ring;      /* last upper-limit failure times */
	size_t alarm_n, alarm_head;
	bool alarm_raised;
};

/* The connection counts as they are before this one. */
struct ctl_conn_counts {
	uint32_t total;
	uint32_t from_client;
	uint32_t pending;
};

int ctl_guard_init(struct ctl_guard *g, const struct ctl_config *cfg);
void ctl_guard_fini(struct ctl_guard *g);

enum ctl_admit ctl_guard_admit(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms,
			       const struct ctl_conn_counts *n);
const char *ctl_admit_str(enum ctl_admit a);

bool ctl_guard_blocked(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms);
/* A failed authentication: CTL_GUARD_* flags */
unsigned ctl_guard_fail(struct ctl_guard *g, const struct ctl_ip *ip, uint64_t now_ms);

/* Housekeeping: forget expired blocks (calling unblocked(arg, ip) for
 * each) and clear the alarm when the failures in its window have fallen
 * to lower-limit. Returns true when it cleared the alarm. */
bool ctl_guard_tick(struct ctl_guard *g, uint64_t now_ms,
		    void (*unblocked)(void *arg, const struct ctl_ip *ip), void *arg);

/* Failures within the alarm period (at most upper-limit). */
uint32_t ctl_guard_alarm_count(const struct ctl_guard *g, uint64_t now_ms);

/* Every blocked address and the seconds left (rounded up). */
void ctl_guard_foreach_blocked(const struct ctl_guard *g, uint64_t now_ms,
			       void (*fn)(void *arg, const struct ctl_ip *ip, uint32_t left_s),
			       void *arg);

#endif
