/* Event log: stderr, syslog, hash-chained file and its anchor, through
 * the rate limit (see ctl_log.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl_log.h"
#include "secure_mem.h"

static const char *level_name(int level)
{
	switch (level) {
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	default: return "info";
	}
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now(const struct ctl_log *l)
{
	return l->now_ms ? l->now_ms() : mono_ms();
}

/* One line to every output. */
static void put(struct ctl_log *l, int level, const char *text)
{
	if (l->to_stderr)
		fprintf(stderr, "twamp-controld: %s: %s\n", level_name(level), text);
	if (l->to_syslog)
		syslog(level, "%s", text);
	if (l->file && ctl_hashlog_append(l->file, realtime_ns(), text) != 0 && l->to_stderr)
		fprintf(stderr, "twamp-controld: error: cannot write the local security log\n");
	if (l->hook)
		l->hook(l->hook_arg, level, text);
}

/* The limiter's own lines: summaries and the budget line. */
static void put_summary(void *arg, bool always, const char *text)
{
	(void)always;
	put(arg, LOG_NOTICE, text);
}

/* The anchor: to stderr and syslog, never into the file it anchors. */
static void anchor(struct ctl_log *l, bool force)
{
	char line[256];
	int r = ctl_hashlog_anchor(l->file, realtime_ns(), force, line, sizeof(line));

	if (r == 0)
		return;
	if (r < 0) {
		char text[160];

		snprintf(text, sizeof(text), "cannot write the anchor of the local security log: %s",
			 strerror(errno));
		put(l, LOG_ERR, text);
		return;
	}
	if (l->to_stderr)
		fprintf(stderr, "twamp-controld: notice: log %s\n", line);
	if (l->to_syslog)
		syslog(LOG_NOTICE, "log %s", line);
	if (l->hook)
		l->hook(l->hook_arg, LOG_NOTICE, line);
}

static int open_limit(struct ctl_log *l, const struct ctl_log_rate *r, char *err, size_t errlen)
{
	const struct log_limit_cfg lc = {
		.interval_ms = r->interval_s * 1000u, .per_source = r->per_source,
		.rate = r->per_second, .burst = r->burst, .slots = CTL_LOG_SLOTS,
	};

	l->limit = log_limit_new(&lc, now(l), put_summary, l);
	if (!l->limit) {
		snprintf(err, errlen, "log-security/rate-limit: out of range or out of memory");
		return -1;
	}
	return 0;
}

static int open_file(struct ctl_log *l, const struct ctl_security_cfg *s, char *err,
		     size_t errlen)
{
	struct ctl_hashlog_keys k;
	struct ctl_hashlog_opts o = {
		.path = s->log_file, .anchor_path = s->anchor_file,
		.require_root = s->require_root_owner,
	};

	if (s->log_hash_chain) {
		if (s->log_key_len == 0) {
			snprintf(err, errlen, "log-security: a local-log-file with hash-chain needs a "
					      "log-key");
			return -1;
		}
		if (ctl_hashlog_keys(s->log_key, s->log_key_len, &k) != 0) {
			snprintf(err, errlen, "log-security: cannot derive the log keys");
			return -1;
		}
		o.keys = &k;
	}
	l->file = ctl_hashlog_open(&o, err, errlen);
	wipe(&k, sizeof(k));
	if (!l->file)
		return -1;
	l->anchor_every_ms = (uint64_t)s->anchor_interval_s * 1000u;
	l->next_anchor_ms = now(l) + l->anchor_every_ms;
	if (ctl_hashlog_unanchored(l->file) > 0)
		ctl_log_always(l, LOG_WARNING,
			       "local security log %s: %llu records after its last anchor (the server "
			       "stopped without writing one?): verified by the chain only",
			       s->log_file, (unsigned long long)ctl_hashlog_unanchored(l->file));
	anchor(l, true);
	return 0;
}

int ctl_log_open(struct ctl_log *l, const struct ctl_config *cfg, char *err, size_t errlen)
{
	const struct ctl_security_cfg *s = &cfg->security;

	memset(l, 0, sizeof(*l));
	l->to_stderr = true;
	l->src_len4 = s->source_v4_len;
	l->src_len6 = s->source_v6_len;
	if (open_limit(l, &s->log_rate, err, errlen) != 0)
		return -1;
	if (s->log_syslog) {
		openlog("twamp-controld", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		l->to_syslog = true;
	}
	if (s->log_file[0] == '\0')
		return 0;
	return open_file(l, s, err, errlen);
}

void ctl_log_close(struct ctl_log *l)
{
	if (l->limit)
		log_limit_flush(l->limit, now(l));
	if (l->file)
		anchor(l, true);
	ctl_hashlog_close(l->file);
	l->file = NULL;
	log_limit_free(l->limit);
	l->limit = NULL;
	if (l->to_syslog)
		closelog();
	l->to_syslog = false;
}

void ctl_log_tick(struct ctl_log *l)
{
	uint64_t t = now(l);

	if (l->limit)
		log_limit_tick(l->limit, t);
	if (l->file && t >= l->next_anchor_ms) {
		anchor(l, false);
		l->next_anchor_ms = t + l->anchor_every_ms;
	}
}

static void format(char *text, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void format(char *text, const char *fmt, va_list ap)
{
	vsnprintf(text, CTL_LOG_TEXT_MAX, fmt, ap);
	for (char *c = text; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
}

/* The limiter's verdict (it counts); true = write the line. */
static bool admit(struct ctl_log *l, const void *src, size_t srclen, const char *label,
		  const char *kind, bool always)
{
	return !l->limit ||
	       log_limit_event(l->limit, now(l), src, srclen, label, kind, always) == LOG_LIMIT_WRITE;
}

void ctl_logf(struct ctl_log *l, int level, const char *fmt, ...)
{
	char text[CTL_LOG_TEXT_MAX];
	va_list ap;

	if (!l || !admit(l, NULL, 0, NULL, NULL, false))
		return;
	va_start(ap, fmt);
	format(text, fmt, ap);
	va_end(ap);
	put(l, level, text);
}

void ctl_log_always(struct ctl_log *l, int level, const char *fmt, ...)
{
	char text[CTL_LOG_TEXT_MAX];
	va_list ap;

	if (!l || !admit(l, NULL, 0, NULL, NULL, true))
		return;
	va_start(ap, fmt);
	format(text, fmt, ap);
	va_end(ap);
	put(l, level, text);
}

/* The source of a peer's events: its IPv4 address, its IPv6 /64. */
/* Events are aggregated by the peer's source prefix: ip-block's
 * ipv4-prefix-length and ipv6-prefix-length (/32 and /64 unless set). */
static size_t source(const struct ctl_log *l, const struct ctl_ip *peer,
		     uint8_t key[LOG_LIMIT_SRC_MAX], char *label, size_t labellen)
{
	unsigned full = peer->ver == 6 ? 128u : 32u;
	unsigned len = peer->ver == 6 ? (l->src_len6 ? l->src_len6 : 64u)
				      : (l->src_len4 ? l->src_len4 : 32u);
	struct ctl_ip p = ctl_ip_prefix(peer, len);
	size_t n = full / 8u;
	char a[CTL_ADDR_STR];

	key[0] = peer->ver;
	memcpy(key + 1, p.a, n);
	ctl_ip_str(&p, a, sizeof(a));
	if (len < full)
		snprintf(label, labellen, "peer=%s/%u", a, len);
	else
		snprintf(label, labellen, "peer=%s", a);
	return n + 1;
}

void ctl_log_peer(struct ctl_log *l, int level, const struct ctl_ip *peer, const char *kind,
		  const char *fmt, ...)
{
	char text[CTL_LOG_TEXT_MAX], label[LOG_LIMIT_LABEL_MAX];
	uint8_t key[LOG_LIMIT_SRC_MAX];
	size_t n;
	va_list ap;

	if (!l)
		return;
	n = peer ? source(l, peer, key, label, sizeof(label)) : 0;
	if (!admit(l, n ? key : NULL, n, label, kind, false))
		return;
	va_start(ap, fmt);
	format(text, fmt, ap);
	va_end(ap);
	put(l, level, text);
}

const char *ctl_escape(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	while (n > 0 && p[n - 1] == 0)
		n--;
	for (size_t i = 0; i < n && cap > 0; i++) {
		char tmp[5];
		int w;

		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '"')
			w = snprintf(tmp, sizeof(tmp), "%c", p[i]);
		else
			w = snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
		if (o + (size_t)w >= cap)
			break;
		memcpy(out + o, tmp, (size_t)w);
		o += (size_t)w;
	}
	if (cap > 0)
		out[o] = '\0';
	return out;
}
