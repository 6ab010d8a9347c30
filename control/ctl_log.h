/* Security and event log of the control server: one line per event
 * (connection accepted or refused and why, authentication ok or failed
 * with the KeyID and the peer, session accepted or refused with the Accept
 * value and the SID, stop, close, block, alarm), written to stderr and, as
 * log-security configures it, to syslog (facility daemon) and to the local
 * log file with its hash chain and anchor (ctl_hashlog.h). Lines are
 * printable ASCII: what comes from the network goes through ctl_escape()
 * first, and any other non-printable octet is replaced by '?'.
 *
 * No peer can flood it (the policy is common/log_limit.h, configured by
 * log-security/rate-limit): an event of a peer is logged with
 * ctl_log_peer, naming its kind; events of one source (the IPv4 address,
 * the IPv6 /64) and kind beyond lines-per-source in an interval are counted
 * and summarised in one line; every line is held to a global budget. Which
 * lines are never suppressed (ctl_log_always): start and stop, the
 * configuration's and the log's own errors and warnings at start, the alarm
 * raised and cleared, and the budget line. Everything else (ctl_logf, the
 * server's own lines that a flood can multiply, e.g. "out of resources")
 * goes through the budget. All outputs get the same lines: the local log
 * holds every line written and every summary, so each event is in the chain
 * either as its own record or counted in one, and its growth is bounded by
 * the budget. The counters (ctl_counters.h) count every event whatever is
 * written; the limiter's own (log_limit_stats: lines written, aggregated,
 * suppressed, summaries) are in the state at log-security/statistics. */
#ifndef TWR_CTL_LOG_H
#define TWR_CTL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#include "ctl_addr.h"
#include "ctl_config.h"
#include "ctl_hashlog.h"
#include "log_limit.h"

#define CTL_LOG_TEXT_MAX 768
#define CTL_LOG_SLOTS 4096      /* aggregation windows tracked at once */

struct ctl_log {
	bool to_stderr;
	bool to_syslog;
	struct ctl_hashlog *file;
	struct log_limit *limit;          /* NULL: every line written */
	uint64_t (*now_ms)(void);         /* monotonic; tests inject another */
	uint64_t anchor_every_ms;
	uint64_t next_anchor_ms;
	uint8_t src_len4, src_len6;       /* a peer's source prefix; 0: /32, /64 */
	/* tests: sees every line written (level is a syslog priority) */
	void (*hook)(void *arg, int level, const char *text);
	void *hook_arg;
};

/* stderr always; syslog and the file as cfg->security says. The file's
 * chain and anchor keys are derived from log-key; an existing file that
 * does not match its anchor is refused (ctl_hashlog_open). */
int ctl_log_open(struct ctl_log *l, const struct ctl_config *cfg, char *err, size_t errlen);
/* Every pending summary written, the last anchor written, closed. */
void ctl_log_close(struct ctl_log *l);

/* Once a second: the summaries of the intervals that are over, the budget
 * line when due, and the anchor every anchor-interval if the log grew. */
void ctl_log_tick(struct ctl_log *l);

/* l may be NULL (nothing logged) in the three below. */

/* An event of no particular peer: through the budget. */
void ctl_logf(struct ctl_log *l, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An event of a peer: aggregated by the peer's prefix and kind (a short
 * fixed text naming the event: "connection refused: max-connections
 * reached"; never text a peer chooses), then through the budget. */
void ctl_log_peer(struct ctl_log *l, int level, const struct ctl_ip *peer, const char *kind,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A line that is never suppressed: start, stop, configuration, alarm. */
void ctl_log_always(struct ctl_log *l, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Printable form of untrusted octets (a KeyID): printable ASCII as is
 * except '\' and '"', everything else as \xHH; trailing NULs dropped.
 * Always NUL-terminates; truncates to fit cap. */
const char *ctl_escape(const uint8_t *p, size_t n, char *out, size_t cap);

#endif
