/* Statistics of one test session: loss, duplicates, reordering, and the
 * distributions of round-trip delay, one-way delays, reflector residence time
 * and delay variation. Pure computation, no I/O: the Session-Sender feeds it
 * verified replies, the report prints the summary.
 *
 * Definitions (all times in nanoseconds):
 *   T1 sender transmit, T2 reflector receive, T3 reflector transmit,
 *   T4 sender receive
 *   round trip  = (T4 - T1) - (T3 - T2)
 *   forward     = T2 - T1, backward = T4 - T3 (meaningful only when both
 *                 clocks are synchronised)
 *   residence   = T3 - T2
 *   IPDV        = D(i) - D(i-1) for consecutive sequence numbers i-1, i that
 *                 both got a reply, D = round-trip delay (RFC 5481 §4.2)
 *   duplicate   = another valid reply for a sequence number already answered
 *   reordered   = a first reply whose sequence number is lower than the
 *                 highest one answered before it
 *   lost        = sent - distinct sequence numbers answered
 * Median: the middle value, or the mean of the two middle values for an even
 * count. p99: nearest rank, the value at rank ceil(0.99 * n).
 */
#ifndef TWCLI_STATS_H
#define TWCLI_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One verified reply (first or duplicate). */
struct stats_reply {
	uint32_t seq;       /* sender sequence number it answers */
	int64_t rtt_ns;
	int64_t fwd_ns;     /* T2 - T1 */
	int64_t bwd_ns;     /* T4 - T3 */
	int64_t resid_ns;   /* T3 - T2 */
	bool synced;        /* S bit set in both error estimates */
	uint8_t sender_ttl; /* TTL/Hop Limit of our packet at the reflector */
	int reply_ttl;      /* TTL/Hop Limit of the reply here, -1 if unknown */
};

enum stats_verdict {
	STATS_FIRST = 0,     /* first reply for this sequence number */
	STATS_REORDERED,     /* first reply, but after a higher sequence number */
	STATS_DUPLICATE,     /* sequence number already answered */
	STATS_OUT_OF_RANGE,  /* seq >= capacity: caller's bug or hostile input */
};

/* A growing array of samples. */
struct sample_vec {
	int64_t *v;
	size_t n, cap;
};

struct ttl_range {
	bool valid;
	uint8_t min, max;
};

struct stats {
	uint32_t capacity;    /* sequence numbers 0 .. capacity-1 */
	uint64_t sent;
	uint64_t received;    /* distinct sequence numbers answered */
	uint64_t duplicates, reordered, auth_failures, invalid;
	int64_t highest_seq;  /* -1 before the first reply */
	bool all_synced;
	bool oom;             /* a sample could not be stored */
	uint8_t *seen;        /* bitmap, one bit per sequence number */
	int64_t *rtt_by_seq;  /* valid where the seen bit is set */
	struct sample_vec fwd, bwd, resid;
	struct ttl_range sender_ttl, reply_ttl;
};

/* Distribution of a set of samples; n == 0 means "no data". */
struct dist {
	uint64_t n;
	int64_t min, median, p99, max, mean;
};

struct ipdv_summary {
	uint64_t n;          /* number of consecutive pairs */
	int64_t min, max;    /* signed IPDV */
	int64_t mean_abs, p99_abs, max_abs;
};

struct stats_summary {
	uint64_t sent, received, lost, duplicates, reordered, auth_failures, invalid;
	double loss_pct;     /* 0 when nothing was sent */
	bool synced;         /* every reply had both clocks synchronised */
	struct dist rtt, fwd, bwd, resid; /* fwd/bwd have n == 0 unless synced */
	struct ipdv_summary ipdv;
	struct ttl_range sender_ttl, reply_ttl;
};

/* capacity: how many sequence numbers the session may use (>= 1).
 * Returns 0, or -1 when out of memory. */
int stats_init(struct stats *s, uint32_t capacity);
void stats_free(struct stats *s);

void stats_set_sent(struct stats *s, uint64_t sent);
enum stats_verdict stats_add_reply(struct stats *s, const struct stats_reply *r);
bool stats_has_reply(const struct stats *s, uint32_t seq);
void stats_auth_failure(struct stats *s);
void stats_invalid(struct stats *s);

/* Returns 0, or -1 when out of memory (out is then unspecified). */
int stats_summarize(const struct stats *s, struct stats_summary *out);

/* Helpers on an ascending sorted array of n >= 1 values (exposed for tests). */
int64_t stats_median(const int64_t *sorted, size_t n);
int64_t stats_percentile(const int64_t *sorted, size_t n, unsigned pct);
/* Sorts v in place and fills d (d->n = 0 if n == 0). */
void stats_dist(int64_t *v, size_t n, struct dist *d);

#endif
