/* Address prefixes: parsing, and reading a leaf-list of them (see
 * cfg_prefix.h). */
#include "cfg_prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cfg_read.h"

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

int cfg_prefix_parse(const char *s, bool zero_host, struct cfg_prefix *p)
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

static int bad_count(const struct cfg_prefix_list *l, const char *what, uint32_t n,
		     struct cfg_err *e)
{
	if (l->min > 0)
		return cfg_fail(e, "%s: %u %s (%zu to %zu)", what, n, l->plural, l->min, l->max);
	return cfg_fail(e, "%s: %u %s, at most %zu", what, n, l->plural, l->max);
}

int cfg_prefixes(const struct lyd_node *n, const struct cfg_prefix_list *l, const char *what,
		 struct cfg_prefix *out, size_t *count, struct cfg_err *e)
{
	struct ly_set *set = NULL;
	uint32_t i;
	int rc = 0;

	if (lyd_find_xpath(n, l->xpath, &set) != LY_SUCCESS)
		return cfg_fail(e, "%s: cannot read %s", what, l->name);
	if (set->count < l->min || set->count > l->max)
		rc = bad_count(l, what, set->count, e);
	for (i = 0; rc == 0 && i < set->count; i++) {
		const char *s = lyd_get_value(set->dnodes[i]);

		if (cfg_prefix_parse(s, l->zero_host, &out[i]) != 0)
			rc = cfg_fail(e, "%s: %s \"%s\" is not %s", what, l->name, s,
				      l->zero_host ? "a prefix" : "an address/length");
	}
	if (rc == 0)
		*count = set->count;
	ly_set_free(set, NULL);
	return rc;
}
