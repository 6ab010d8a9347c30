/* Addresses as the control server handles them: an IP version and 16
 * octets (IPv4 in the first 4, the rest zero), as in TWAMP-Control
 * messages and the session API. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d,
 * what a dual-stack socket reports for an IPv4 peer) are turned into IPv4
 * on the way in, so a connection has one family wherever it is looked at. */
#ifndef TWR_CTL_ADDR_H
#define TWR_CTL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cfg_prefix.h"

struct ctl_ip {
	uint8_t ver;       /* 4 or 6 */
	uint8_t a[16];
};

/* INET6_ADDRSTRLEN plus room for "[...]:65535" */
#define CTL_ADDR_STR 64

/* From a sockaddr_in / sockaddr_in6 (mapped IPv4 becomes IPv4). Returns 0,
 * -1 for another family or a short length. */
int ctl_ip_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct ctl_ip *ip,
			 uint16_t *port);
/* To a sockaddr for bind(); returns its length. */
socklen_t ctl_ip_to_sockaddr(const struct ctl_ip *ip, uint16_t port, struct sockaddr_storage *ss);

bool ctl_ip_equal(const struct ctl_ip *x, const struct ctl_ip *y);
/* true when the address's octets (4 or 16) are all zero */
bool ctl_ip_is_zero(const struct ctl_ip *ip);
/* A plausible unicast test peer: not unspecified, multicast, IPv4
 * broadcast or "this network" (0/8). */
bool ctl_ip_unicast(const struct ctl_ip *ip);
bool ctl_prefix_match(const struct cfg_prefix *p, const struct ctl_ip *ip);
/* ip with every bit after the first len cleared (len above the address's
 * length: ip as it is) */
struct ctl_ip ctl_ip_prefix(const struct ctl_ip *ip, unsigned len);
/* true when ip is the address (host bits, not the prefix) of one of the n
 * interface addresses in set */
bool ctl_ip_listed(const struct ctl_ip *ip, const struct cfg_prefix *set, size_t n);

/* "10.0.0.1" / "fd00::1" */
const char *ctl_ip_str(const struct ctl_ip *ip, char *buf, size_t len);
/* "10.0.0.1:862" / "[fd00::1]:862" */
const char *ctl_ipport_str(const struct ctl_ip *ip, uint16_t port, char *buf, size_t len);

#endif
