/* Small typed accessors over the validated libyang tree, and address
 * prefix parsing. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_read.h"
#include "dp_config_priv.h"

int dpc_fail(struct dpc_err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(e->buf, e->len, "%s: ", e->file);
	if (n < 0 || (size_t)n >= e->len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->buf + n, e->len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int dpc_uint(const struct lyd_node *n, const char *xpath, unsigned long max,
	     unsigned long *out, struct dpc_err *e, const char *what)
{
	const char *s = cfg_str(n, xpath);
	unsigned long v;
	char *end;

	if (!s)
		return dpc_fail(e, "%s: %s missing", what, xpath);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return dpc_fail(e, "%s: %s: bad value \"%s\"", what, xpath, s);
	*out = v;
	return 0;
}

bool dpc_bool(const struct lyd_node *n, const char *xpath)
{
	const char *s = cfg_str(n, xpath);

	return s && strcmp(s, "true") == 0;
}

int dpc_copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

static void zero_host_bits(uint8_t *addr, unsigned alen, unsigned plen)
{
	unsigned i;

	for (i = 0; i < alen; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		if (plen > 8 * i)
			addr[i] &= (uint8_t)(0xff << (8 - (plen - 8 * i)));
		else
			addr[i] = 0;
	}
}

int dpc_prefix(const char *s, bool zero_host, struct dp_prefix *p)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	unsigned long len;
	size_t alen;
	char *end;

	memset(p, 0, sizeof(*p));
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (!slash[1] || slash[1] == '-' || slash[1] == '+')
		return -1;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno || *end)
		return -1;
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->ipver = 4;
		alen = 4;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->ipver = 6;
		alen = 16;
	} else {
		return -1;
	}
	if (len > 8 * alen)
		return -1;
	p->len = (uint8_t)len;
	if (zero_host)
		zero_host_bits(p->addr, (unsigned)alen, p->len);
	return 0;
}
