/* Log lines no peer can flood: the policy of a daemon's event log, written
 * once. It decides, for each event, whether its line is written; it writes
 * nothing itself except the summaries, through a callback.
 *
 * Two limits, applied in this order:
 *
 *  1. Aggregation. Events of one source (an opaque key: the daemon passes
 *     the peer's address prefix) and one kind (a short fixed text, e.g.
 *     "connection refused: source not in control-acl") are counted in a
 *     window of `interval_ms` that opens at the first of them. The first
 *     `per_source` lines of a window are written as they come; the rest
 *     are counted, and when the window closes (log_limit_tick) one line
 *     says how many: "LABEL: N more 'KIND' in the last 10 s", LABEL being
 *     the source's printable form ("peer=10.99.7.3").
 *  2. Budget. A token bucket of `rate` lines per second holding at most
 *     `burst`: every line (events and summaries) takes a token; without
 *     one, the line is suppressed and counted, and at most once per
 *     interval a line (never suppressed itself) says how many were:
 *     "log budget: N lines suppressed in the last T s (...)".
 *
 * A line marked `always` (start, stop, configuration, alarm raised and
 * cleared, the budget line itself: lines no peer can make repeat) is never
 * aggregated or suppressed, but takes its token. Whatever is not written is
 * counted in log_limit_stats; the daemons' own event counters are kept
 * apart from this and count every event.
 *
 * The table of windows is bounded; when a source's slot is taken by others
 * the oldest window in its neighbourhood is closed early (its summary
 * written), so rotating sources cannot switch aggregation off, and the
 * budget bounds what they make. The clock is the caller's: every call takes
 * now_ms (any monotonic milliseconds), which is how tests inject one.
 * Knows no process. */
#ifndef TWR_LOG_LIMIT_H
#define TWR_LOG_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_LIMIT_SRC_MAX 20     /* octets of a source key */
#define LOG_LIMIT_LABEL_MAX 64   /* its printable form: "peer=10.99.7.3", "uid=998" */
#define LOG_LIMIT_KIND_MAX 96    /* octets of a kind kept (longer: cut) */
#define LOG_LIMIT_SUMMARY_MAX 256

struct log_limit_cfg {
	uint32_t interval_ms; /* aggregation window, > 0 */
	uint32_t per_source;  /* lines of one source and kind per window, >= 1 */
	uint32_t rate;        /* lines per second, >= 1 */
	uint32_t burst;       /* bucket size, >= 1 */
	size_t slots;         /* windows tracked at once, >= 1 */
};

struct log_limit_stats {
	uint64_t written;     /* event lines written */
	uint64_t aggregated;  /* event lines counted into a summary instead */
	uint64_t suppressed;  /* lines (events or summaries) over the budget */
	uint64_t summaries;   /* summary lines written (aggregation and budget) */
};

enum log_verdict {
	LOG_LIMIT_WRITE,      /* write the line */
	LOG_LIMIT_AGGREGATED, /* counted in its source's window */
	LOG_LIMIT_SUPPRESSED, /* over the budget */
};

/* Where the limiter's own lines go (a summary; always_line as for events). */
typedef void (*log_limit_emit_fn)(void *arg, bool always_line, const char *text);

struct log_limit;

/* NULL if out of memory or cfg is out of range. */
struct log_limit *log_limit_new(const struct log_limit_cfg *cfg, uint64_t now_ms,
				log_limit_emit_fn emit, void *arg);
void log_limit_free(struct log_limit *l);

/* One event. src NULL (srclen 0): no source, no aggregation (budget only);
 * label is the source's printable form for the summary. kind identifies the
 * event with src (compared by content). May call emit first (a window
 * closed early). */
enum log_verdict log_limit_event(struct log_limit *l, uint64_t now_ms, const void *src,
				 size_t srclen, const char *label, const char *kind, bool always);

/* Close the windows that are over (their summaries written) and write the
 * budget line if one is due. Call it about once a second. */
void log_limit_tick(struct log_limit *l, uint64_t now_ms);

/* Close every window and write every pending summary and the budget line
 * now (shutdown), `always` so none is lost. */
void log_limit_flush(struct log_limit *l, uint64_t now_ms);

const struct log_limit_stats *log_limit_stats(const struct log_limit *l);

#endif
