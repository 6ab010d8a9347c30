/* One counter per event class of the control server. The names are the
 * leaves of server/statistics in yang/twamp-reflector.yang. */
#ifndef TWR_CTL_COUNTERS_H
#define TWR_CTL_COUNTERS_H

#include <stdint.h>

#define CTL_COUNTERS(X)                                        \
	X(CONN_ACCEPTED, "connections-accepted")               \
	X(CONN_CLOSED, "connections-closed")                   \
	X(REFUSED_ACL, "refused-acl")                          \
	X(REFUSED_BLOCKED, "refused-blocked")                  \
	X(REFUSED_MAX_CONN, "refused-max-connections")         \
	X(REFUSED_PER_CLIENT, "refused-per-client")            \
	X(REFUSED_PENDING, "refused-pending-authentication")   \
	X(MODE_DECLINED, "mode-declined")                      \
	X(MODE_REFUSED, "mode-refused")                        \
	X(SETUP_OPEN, "setup-unauthenticated")                 \
	X(AUTH_OK, "authentication-ok")                        \
	X(AUTH_FAILED, "authentication-failed")                \
	X(AUTH_UNKNOWN_KEY, "unknown-key-id")                  \
	X(AUTH_TIMEOUT, "authentication-timeout")              \
	X(AUTH_ABANDONED, "authentication-abandoned")          \
	X(IKE_OK, "ikev2-authentication-ok")                   \
	X(IKE_NO_SA, "ikev2-no-sa")                            \
	X(IKE_PEER_MISMATCH, "ikev2-peer-mismatch")            \
	X(IKE_NOT_PERMITTED, "ikev2-not-permitted")            \
	X(IKE_AGENT_DOWN, "ikev2-agent-unreachable")           \
	X(IKE_AGENT_ERROR, "ikev2-agent-errors")               \
	X(AUTH_JOBS_QUEUED, "auth-jobs-queued")                \
	X(AUTH_JOBS_COMPLETED, "auth-jobs-completed")          \
	X(AUTH_JOBS_QUEUE_FULL, "auth-jobs-queue-full")        \
	X(AUTH_JOBS_DISCARDED, "auth-jobs-discarded")          \
	X(HMAC_FAIL, "hmac-failures")                          \
	X(UNKNOWN_CMD, "unknown-commands")                     \
	X(OUT_OF_ORDER, "out-of-order-commands")               \
	X(MALFORMED, "malformed-messages")                     \
	X(CLOSED_MID_MSG, "closed-mid-message")                \
	X(SERVWAIT, "servwait-closed")                         \
	X(OPEN_IDLE, "open-idle-closed")                       \
	X(EVICTED_IDLE, "evicted-idle")                        \
	X(EVICTED_PENDING, "evicted-pending")                  \
	X(OUTPUT_OVERFLOW, "output-overflow")                  \
	X(SESS_ACCEPTED, "sessions-accepted")                  \
	X(SESS_REFUSED, "sessions-refused")                    \
	X(SESS_STARTED, "sessions-started")                    \
	X(SESS_STOPPED, "sessions-stopped")                    \
	X(SESS_REMOVED, "sessions-removed")                    \
	X(SESS_EXPIRED, "sessions-expired")                    \
	X(DP_UNREACHABLE, "dataplane-unreachable")             \
	X(DP_ERRORS, "dataplane-errors")                       \
	X(BLOCKED, "addresses-blocked")                        \
	X(TRACKER_EVICTED, "tracker-evicted")                  \
	X(TRACKER_EVICTED_BLOCKED, "tracker-evicted-blocked")  \
	X(ALARMS, "alarms-raised")                             \
	X(STATE_REQUESTS, "state-requests")

#define CTL_CTR_ENUM(id, name) CTL_C_##id,
enum ctl_ctr { CTL_COUNTERS(CTL_CTR_ENUM) CTL_C_COUNT };
#undef CTL_CTR_ENUM

struct ctl_counters {
	uint64_t v[CTL_C_COUNT];
};

/* The YANG leaf name of a counter. */
const char *ctl_counter_name(enum ctl_ctr c);

#endif
