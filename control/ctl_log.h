/* Security and event log of the control server: one line per event
 * (connection accepted or refused and why, authentication ok or failed
 * with the KeyID and the peer, session accepted or refused with the Accept
 * value and the SID, stop, close, block, alarm), written to stderr and, as
 * log-security configures it, to syslog (facility daemon) and to the local
 * log file with its hash chain (ctl_hashlog.h). Lines are printable ASCII:
 * what comes from the network goes through ctl_escape() first, and any
 * other non-printable octet is replaced by '?'. */
#ifndef TWR_CTL_LOG_H
#define TWR_CTL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#include "ctl_config.h"
#include "ctl_hashlog.h"

#define CTL_LOG_TEXT_MAX 768

struct ctl_log {
	bool to_stderr;
	bool to_syslog;
	struct ctl_hashlog *file;
	/* tests: sees every line (level is a syslog priority) */
	void (*hook)(void *arg, int level, const char *text);
	void *hook_arg;
};

/* stderr always; syslog and the file as cfg->security says. The hash
 * chain key is the key-chain entry hash-chain-key-id. */
int ctl_log_open(struct ctl_log *l, const struct ctl_config *cfg, char *err, size_t errlen);
void ctl_log_close(struct ctl_log *l);

/* l may be NULL (nothing logged). */
void ctl_logf(struct ctl_log *l, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Printable form of untrusted octets (a KeyID): printable ASCII as is
 * except '\' and '"', everything else as \xHH; trailing NULs dropped.
 * Always NUL-terminates; truncates to fit cap. */
const char *ctl_escape(const uint8_t *p, size_t n, char *out, size_t cap);

#endif
