/* Text helpers shared by the record and anchor formats of the local log
 * (ctl_hashlog.c, ctl_hashlog_anchor.c). */
#ifndef TWR_CTL_HASHLOG_PRIV_H
#define TWR_CTL_HASHLOG_PRIV_H

#include <stddef.h>
#include <stdint.h>

/* UTC with milliseconds: 2026-11-22T09:44:00.123Z */
void ctl_hashlog_iso_time(uint64_t unix_ns, char out[64]);
/* n octets as 2n lower-case hex digits and a NUL */
void ctl_hashlog_hex(const uint8_t *p, size_t n, char *out);
/* 2n lower-case hex digits into n octets; -1 on any other character */
int ctl_hashlog_unhex(const char *s, uint8_t *out, size_t n);

#endif
