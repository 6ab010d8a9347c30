/* Typed readers over the validated libyang tree (see cfg_read.h). */
#include "cfg_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

int cfg_fail(struct cfg_err *e, const char *fmt, ...)
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

const char *cfg_str(const struct lyd_node *node, const char *xpath)
{
	struct ly_set *set = NULL;
	const char *v = NULL;

	if (!node || lyd_find_xpath(node, xpath, &set) != LY_SUCCESS)
		return NULL;
	if (set->count > 0 && (set->dnodes[0]->schema->nodetype & LYD_NODE_TERM))
		v = lyd_get_value(set->dnodes[0]);
	ly_set_free(set, NULL);
	return v;
}

int cfg_uint(const struct lyd_node *n, const char *xpath, unsigned long max,
	     unsigned long *out, struct cfg_err *e, const char *what)
{
	const char *s = cfg_str(n, xpath);
	unsigned long v;
	char *end;

	if (!s)
		return cfg_fail(e, "%s: %s missing", what, xpath);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return cfg_fail(e, "%s: %s: bad value \"%s\"", what, xpath, s);
	*out = v;
	return 0;
}

bool cfg_bool(const struct lyd_node *n, const char *xpath)
{
	const char *s = cfg_str(n, xpath);

	return s && strcmp(s, "true") == 0;
}

int cfg_copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}
