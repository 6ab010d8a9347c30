/* Event log of the dataplane: one line per event (session installed,
 * removed, port up, refusal, ...) with the peer address, to stderr and, with
 * --syslog, to syslog. Never called per packet. */
#ifndef TWR_DP_LOG_H
#define TWR_DP_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <syslog.h>

enum dp_log_level { DP_ERR = LOG_ERR, DP_WARNING = LOG_WARNING, DP_NOTICE = LOG_NOTICE,
		    DP_INFO = LOG_INFO, DP_DEBUG = LOG_DEBUG };

void dp_log_open(int use_syslog, int max_level);
void dp_log(enum dp_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line, prefix (e.g. "session <sid> <peer> -> <local>: ") then the message */
void dp_vlog(enum dp_log_level lvl, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* "1.2.3.4" or "[fd00::1]" into buf */
const char *dp_addr_str(uint8_t ipver, const uint8_t *addr, char *buf, size_t len);

uint64_t dp_tsc_to_unix_ns(uint64_t tsc);

#define DP_LOG(lvl, ...) dp_log(DP_##lvl, __VA_ARGS__)

#endif
