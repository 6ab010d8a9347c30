#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp_clock.h"
#include "dp_log.h"
#include "ntp_time.h"

static int log_syslog;
static int log_max = LOG_INFO;

static const char *level_name(int lvl)
{
	switch (lvl) {
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

void dp_log_open(int use_syslog, int max_level)
{
	log_syslog = use_syslog;
	log_max = max_level;
	if (use_syslog)
		openlog("twamp-reflector", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void dp_vlog(enum dp_log_level lvl, const char *prefix, const char *fmt, va_list ap)
{
	char msg[512];
	struct timespec ts;
	struct tm tm;

	if ((int)lvl > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* one line, whatever the message held */
	for (char *c = msg; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ twamp-reflector[%d] %s: %s%s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, (int)getpid(), level_name(lvl), prefix, msg);
	if (log_syslog)
		syslog(lvl, "%s%s", prefix, msg);
}

void dp_log(enum dp_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dp_vlog(lvl, "", fmt, ap);
	va_end(ap);
}

const char *dp_addr_str(uint8_t ipver, const uint8_t *addr, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(ipver == 4 ? AF_INET : AF_INET6, addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, ipver == 4 ? "%s" : "[%s]", a);
	return buf;
}

uint64_t dp_tsc_to_unix_ns(uint64_t tsc)
{
	return ntp_to_unix_ns(dp_clock_ntp(tsc));
}
