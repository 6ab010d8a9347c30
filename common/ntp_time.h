/* NTP 64-bit timestamps (RFC 5905 §6) as used by O/TWAMP (RFC 4656 §4.1.2):
 *
 *  0                   4                   8
 *  +-------------------+-------------------+
 *  | seconds since 1900| fraction (2^-32 s)|   big-endian on the wire
 *  +-------------------+-------------------+
 *
 * In memory a timestamp is a uint64_t in host order: seconds << 32 | fraction.
 */
#ifndef TWR_NTP_TIME_H
#define TWR_NTP_TIME_H

#include <stdint.h>
#include <time.h>

#define NTP_UNIX_OFFSET 2208988800ULL /* 1900-01-01 to 1970-01-01, seconds */

uint64_t ntp_from_timespec(const struct timespec *ts);
void ntp_to_timespec(uint64_t ntp, struct timespec *ts);
uint64_t ntp_from_unix_ns(uint64_t unix_ns);
uint64_t ntp_to_unix_ns(uint64_t ntp);
/* a - b in nanoseconds (signed; timestamps within 68 years of each other) */
int64_t ntp_diff_ns(uint64_t a, uint64_t b);
/* duration in the timestamp format (Request-TW-Session Timeout) */
uint64_t ntp_from_duration_ns(uint64_t ns);
uint64_t ntp_duration_to_ns(uint64_t ntp);
/* CLOCK_REALTIME now */
uint64_t ntp_now(void);

void ntp_put(uint8_t *p, uint64_t ntp);
uint64_t ntp_get(const uint8_t *p);

#endif
