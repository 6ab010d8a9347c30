/* Event log: stderr, syslog, hash-chained file (see ctl_log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl_log.h"

static const char *level_name(int level)
{
	switch (level) {
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	default: return "info";
	}
}

int ctl_log_open(struct ctl_log *l, const struct ctl_config *cfg, char *err, size_t errlen)
{
	const struct ctl_security_cfg *s = &cfg->security;
	const struct ctl_key *k = NULL;

	memset(l, 0, sizeof(*l));
	l->to_stderr = true;
	if (s->log_syslog) {
		openlog("twamp-controld", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		l->to_syslog = true;
	}
	if (s->log_file[0] == '\0')
		return 0;
	if (s->log_hash_chain) {
		k = ctl_config_key(cfg, (const uint8_t *)s->log_key_id, strlen(s->log_key_id));
		if (!k) {
			snprintf(err, errlen, "log-security: hash-chain-key-id \"%s\" is not in the key-chain",
				 s->log_key_id);
			return -1;
		}
	}
	l->file = ctl_hashlog_open(s->log_file, k ? k->secret : NULL, k ? k->secret_len : 0,
				   s->require_root_owner, err, errlen);
	return l->file ? 0 : -1;
}

void ctl_log_close(struct ctl_log *l)
{
	ctl_hashlog_close(l->file);
	l->file = NULL;
	if (l->to_syslog)
		closelog();
	l->to_syslog = false;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ctl_logf(struct ctl_log *l, int level, const char *fmt, ...)
{
	char text[CTL_LOG_TEXT_MAX];
	va_list ap;

	if (!l)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (char *c = text; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	if (l->to_stderr)
		fprintf(stderr, "twamp-controld: %s: %s\n", level_name(level), text);
	if (l->to_syslog)
		syslog(level, "%s", text);
	if (l->file && ctl_hashlog_append(l->file, realtime_ns(), text) != 0 && l->to_stderr)
		fprintf(stderr, "twamp-controld: error: cannot write the local security log\n");
	if (l->hook)
		l->hook(l->hook_arg, level, text);
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
