/* The audit log under the rate limit (see ka_audit_limit.h). */
#include "ka_audit_limit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log_limit.h"

#define KA_AUDIT_SLOTS 1024

struct ka_audit {
	int fd;
	struct log_limit *limit;
};

/* A summary or budget line: the time, the text, one write(2). */
static void put_summary(void *arg, bool always, const char *text)
{
	const struct ka_audit *a = arg;
	char line[LOG_LIMIT_SUMMARY_MAX + 40];
	struct timeval tv;
	struct tm tm;
	int n;

	(void)always;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s\n",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (long)(tv.tv_usec / 1000), text);
	if (n > 0 && (size_t)n < sizeof(line) && write(a->fd, line, (size_t)n) != n &&
	    a->fd != STDERR_FILENO)
		fprintf(stderr, "twamp-keyagent: audit log write failed: %s", line);
}

struct ka_audit *ka_audit_new(int fd, const struct ka_audit_rate *r, uint64_t now_ms)
{
	const struct log_limit_cfg lc = {
		.interval_ms = r->interval_s * 1000u, .per_source = r->per_caller,
		.rate = r->per_second, .burst = r->burst, .slots = KA_AUDIT_SLOTS,
	};
	struct ka_audit *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->fd = fd;
	a->limit = log_limit_new(&lc, now_ms, put_summary, a);
	if (!a->limit) {
		free(a);
		return NULL;
	}
	return a;
}

void ka_audit_record(struct ka_audit *a, const struct ka_audit_rec *rec, uint64_t now_ms)
{
	char kind[LOG_LIMIT_KIND_MAX], label[LOG_LIMIT_LABEL_MAX];
	uint32_t uid = (uint32_t)rec->caller.uid;
	bool key_out = rec->status == KA_OK && rec->type != KA_PING;

	snprintf(kind, sizeof(kind), "request=%s status=%s reason=%s",
		 rec->type == KA_PING ? "ping" : rec->type == KA_LOOKUP_SPI ? "spi"
		 : rec->type == KA_LOOKUP_PEER ? "peer" : "?",
		 ka_status_name(rec->status), rec->reason ? rec->reason : "-");
	snprintf(label, sizeof(label), "uid=%lu", (unsigned long)rec->caller.uid);
	if (log_limit_event(a->limit, now_ms, &uid, sizeof(uid), label, kind, key_out) ==
	    LOG_LIMIT_WRITE)
		ka_audit_write(a->fd, rec);
}

void ka_audit_tick(struct ka_audit *a, uint64_t now_ms)
{
	log_limit_tick(a->limit, now_ms);
}

void ka_audit_free(struct ka_audit *a, uint64_t now_ms)
{
	if (!a)
		return;
	log_limit_flush(a->limit, now_ms);
	log_limit_free(a->limit);
	free(a);
}
