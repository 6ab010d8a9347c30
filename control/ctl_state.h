/* The operational state as YANG JSON (the config false nodes of
 * yang/twamp-reflector.yang), from what the caller hands over: the
 * server's figures and its connections. */
#ifndef TWR_CTL_STATE_H
#define TWR_CTL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libyang/libyang.h>

#include "ctl_conn.h"
#include "ctl_counters.h"
#include "ctl_dp.h"
#include "ctl_guard.h"
#include "ctl_log.h"

struct ctl_state_src {
	struct ly_ctx *yctx;
	const struct ctl_dp *dp;
	const struct ctl_counters *ctr;
	const struct ctl_guard *guard;
	struct ctl_log *log;               /* why the document failed */
	bool ike_offered;
	const char *ka_status;             /* ctl_ka_state_str() */
	struct ctl_conn *const *conns;     /* the test sessions' counters: COUNTERS */
	size_t nconns;
	uint64_t now_ms;                   /* ctl_mono_ms(): idle times, block list */
	size_t auth_queue_depth;           /* authentication jobs waiting */
};

/* The document (malloc'ed), NULL on failure. */
char *ctl_state_json(const struct ctl_state_src *src);

#endif
