/* Address literals: see addr.h. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "%scope": an interface name or a decimal index. 0 if unknown. */
static uint32_t parse_scope(const char *scope)
{
	char *end;
	unsigned long v;

	if (*scope >= '0' && *scope <= '9') {
		errno = 0;
		v = strtoul(scope, &end, 10);
		return (errno || *end || v > UINT32_MAX) ? 0 : (uint32_t)v;
	}
	return if_nametoindex(scope);
}

static int parse_v6(const char *s, uint16_t port, struct sockaddr_in6 *sin6, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	char *pct;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "'%.60s...' is not an IPv4 or IPv6 address", s);
		return -1;
	}
	strcpy(buf, s);
	pct = strchr(buf, '%');
	if (pct)
		*pct++ = '\0';
	memset(sin6, 0, sizeof(*sin6));
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1) {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", s);
		return -1;
	}
	if (pct) {
		sin6->sin6_scope_id = parse_scope(pct);
		if (sin6->sin6_scope_id == 0) {
			snprintf(err, errlen, "'%s': unknown interface '%s'", s, pct);
			return -1;
		}
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	return 0;
}

int addr_parse(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len,
	       char *err, size_t errlen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (parse_v6(s, port, (struct sockaddr_in6 *)ss, err, errlen) < 0)
		return -1;
	*len = sizeof(struct sockaddr_in6);
	return 0;
}

int addr_check_destination(const struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char a[ADDR_STRLEN];

	addr_format(ss, a, sizeof(a));
	if (ss->ss_family == AF_INET) {
		uint32_t v = ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);

		if (v == 0 || v == 0xffffffffu || (v >> 28) == 0xe) {
			snprintf(err, errlen, "%s is not a unicast address", a);
			return -1;
		}
		return 0;
	}
	const struct in6_addr *in6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (IN6_IS_ADDR_UNSPECIFIED(in6) || IN6_IS_ADDR_MULTICAST(in6)) {
		snprintf(err, errlen, "%s is not a unicast address", a);
		return -1;
	}
	return 0;
}

bool addr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

uint16_t addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

void addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

void addr_format(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *src = ss->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
						    : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (len == 0)
		return;
	if (!inet_ntop(ss->ss_family, src, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}
