/* The audit log under the rate limit (common/log_limit.h; configured by
 * audit-rate-limit). A request that handed out a key (status OK) is always
 * written: no caller gets a key the log does not show. Any other request
 * is an event of its caller (the uid) and its outcome (request kind,
 * status, reason): written up to lines-per-caller per interval, then
 * counted and summarised ("<time> uid=998: 1234 more 'request=spi
 * status=NO_SA reason=-' in the last 10 s"); every line takes a token of
 * the budget, and "<time> log budget: N lines suppressed ..." counts what
 * it kept out. */
#ifndef TWR_KA_AUDIT_LIMIT_H
#define TWR_KA_AUDIT_LIMIT_H

#include <stdint.h>

#include "ka_audit.h"
#include "ka_config.h"

struct ka_audit;

/* NULL if out of memory or the rate is out of range. */
struct ka_audit *ka_audit_new(int fd, const struct ka_audit_rate *r, uint64_t now_ms);
/* One request's line, if the limit lets it through. */
void ka_audit_record(struct ka_audit *a, const struct ka_audit_rec *rec, uint64_t now_ms);
/* The summaries of the intervals that are over (about once a second). */
void ka_audit_tick(struct ka_audit *a, uint64_t now_ms);
/* Every pending summary written; freed. NULL allowed. */
void ka_audit_free(struct ka_audit *a, uint64_t now_ms);

#endif
