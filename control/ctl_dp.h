/* The control server's side of the dataplane's session API
 * (common/session_api.h): one request, one reply.
 *
 * struct ctl_dp is an interface, so that unit tests and the fuzzer can put
 * a fake dataplane behind the connection state machine; ctl_dp_unix_new()
 * is the real one (ctl_dp_unix.c). Every call returns an enum
 * twr_api_status (>= 0) or CTL_DP_DOWN when the dataplane could not be
 * reached or answered nonsense. */
#ifndef TWR_CTL_DP_H
#define TWR_CTL_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session_api.h"

#define CTL_DP_DOWN (-1)

struct ctl_dp {
	/* Send op with body (blen octets), receive the reply body into out
	 * (exactly outlen octets when the status is TWR_API_OK). */
	int (*call)(struct ctl_dp *dp, uint16_t op, const void *body, size_t blen, void *out,
		    size_t outlen);
	void (*free)(struct ctl_dp *dp);
	bool reachable;    /* the last call reached the dataplane */
};

static inline int ctl_dp_add(struct ctl_dp *dp, const struct twr_api_session *s)
{
	return dp->call(dp, TWR_OP_ADD, s, sizeof(*s), NULL, 0);
}

static inline int ctl_dp_sid_op(struct ctl_dp *dp, uint16_t op, const uint8_t sid[16])
{
	return dp->call(dp, op, sid, 16, NULL, 0);
}

static inline int ctl_dp_counters(struct ctl_dp *dp, const uint8_t sid[16],
				  struct twr_api_counters *c)
{
	return dp->call(dp, TWR_OP_COUNTERS, sid, 16, c, sizeof(*c));
}

static inline int ctl_dp_flush(struct ctl_dp *dp)
{
	return dp->call(dp, TWR_OP_FLUSH, NULL, 0, NULL, 0);
}

/* The Unix SOCK_SEQPACKET client. It connects lazily and again after any
 * failure, so a dataplane that starts later or restarts is found on the
 * next call; every call is bounded by `timeout_ms` (send and receive).
 * The first time it reaches a dataplane it sends FLUSH before anything
 * else: a restarted control server leaves no stale session behind. */
struct ctl_dp *ctl_dp_unix_new(const char *path, unsigned timeout_ms);

static inline void ctl_dp_free(struct ctl_dp *dp)
{
	if (dp)
		dp->free(dp);
}

const char *ctl_dp_status_str(int status);

#endif
