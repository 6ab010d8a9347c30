/* Session identifiers (RFC 4656 §3.5, RFC 5357 §3.5; docs/protocol.md §3.4):
 *
 *   0        4                    12        16
 *   +--------+--------------------+---------+
 *   | addr   | NTP timestamp      | random  |
 *   +--------+--------------------+---------+
 *
 * addr is the receiver's (the reflector's) IPv4 address; for IPv6, whose
 * address does not fit, the first 4 octets of SHA-256 over its 16 octets
 * (a client treats the SID as opaque, so any stable 4 octets will do; a
 * hash spreads addresses that differ only in the low bits better than
 * their last 4 octets would). The timestamp is when the server accepted
 * the request, the random part comes from getrandom() (injected here, so
 * tests can give fixed values). */
#ifndef TWR_CTL_SID_H
#define TWR_CTL_SID_H

#include <stdint.h>

#include "ctl_addr.h"

void ctl_sid_make(const struct ctl_ip *receiver, uint64_t ntp, const uint8_t rnd[4],
		  uint8_t sid[16]);

/* 32 lowercase hex digits and a NUL */
void ctl_sid_hex(const uint8_t sid[16], char out[33]);

#endif
