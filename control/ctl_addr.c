/* Address conversions and checks (see ctl_addr.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ctl_addr.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int ctl_ip_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct ctl_ip *ip,
			 uint16_t *port)
{
	memset(ip, 0, sizeof(*ip));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const void *)sa;

		ip->ver = 4;
		memcpy(ip->a, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		*port = ntohs(s6->sin6_port);
		if (memcmp(s6->sin6_addr.s6_addr, v4mapped, 12) == 0) {
			ip->ver = 4;
			memcpy(ip->a, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			ip->ver = 6;
			memcpy(ip->a, s6->sin6_addr.s6_addr, 16);
		}
		return 0;
	}
	return -1;
}

socklen_t ctl_ip_to_sockaddr(const struct ctl_ip *ip, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ip->ver == 4) {
		struct sockaddr_in *s4 = (void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, ip->a, 4);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (void *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(s6->sin6_addr.s6_addr, ip->a, 16);
	return sizeof(*s6);
}

static size_t alen(const struct ctl_ip *ip)
{
	return ip->ver == 4 ? 4 : 16;
}

bool ctl_ip_equal(const struct ctl_ip *x, const struct ctl_ip *y)
{
	return x->ver == y->ver && memcmp(x->a, y->a, alen(x)) == 0;
}

bool ctl_ip_is_zero(const struct ctl_ip *ip)
{
	static const uint8_t zero[16];

	return memcmp(ip->a, zero, alen(ip)) == 0;
}

bool ctl_ip_unicast(const struct ctl_ip *ip)
{
	if (ctl_ip_is_zero(ip))
		return false;
	if (ip->ver == 4)
		return ip->a[0] != 0 && (ip->a[0] & 0xf0) != 0xe0 &&
		       !(ip->a[0] == 255 && ip->a[1] == 255 && ip->a[2] == 255 && ip->a[3] == 255);
	return ip->a[0] != 0xff;
}

bool ctl_prefix_match(const struct cfg_prefix *p, const struct ctl_ip *ip)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (p->ipver != ip->ver || p->len > alen(ip) * 8)
		return false;
	if (memcmp(p->addr, ip->a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	return (p->addr[full] & mask) == (ip->a[full] & mask);
}

struct ctl_ip ctl_ip_prefix(const struct ctl_ip *ip, unsigned len)
{
	struct ctl_ip out = { .ver = ip->ver };
	size_t full = len / 8;

	if (len >= alen(ip) * 8) {
		memcpy(out.a, ip->a, alen(ip));
		return out;
	}
	memcpy(out.a, ip->a, full);
	if (len % 8)
		out.a[full] = (uint8_t)(ip->a[full] & (0xff << (8 - len % 8)));
	return out;
}

bool ctl_ip_listed(const struct ctl_ip *ip, const struct cfg_prefix *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i].ipver == ip->ver && memcmp(set[i].addr, ip->a, alen(ip)) == 0)
			return true;
	return false;
}

const char *ctl_ip_str(const struct ctl_ip *ip, char *buf, size_t len)
{
	if (!inet_ntop(ip->ver == 4 ? AF_INET : AF_INET6, ip->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *ctl_ipport_str(const struct ctl_ip *ip, uint16_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	ctl_ip_str(ip, a, sizeof(a));
	snprintf(buf, len, ip->ver == 4 ? "%s:%u" : "[%s]:%u", a, port);
	return buf;
}
