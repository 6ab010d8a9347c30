/* Typed readers over a libyang-validated configuration tree, for the
 * daemons' extraction code. The tree is already checked by libyang (types,
 * ranges, defaults); what these check is what YANG cannot say: the C
 * types' ranges and the buffers' sizes. Their errors read "file: what: why". */
#ifndef TWR_CFG_READ_H
#define TWR_CFG_READ_H

#include <stdbool.h>
#include <stddef.h>

struct lyd_node;

/* Where extraction errors go. */
struct cfg_err {
	const char *file;
	char *buf;
	size_t len;
};

/* Write "file: " + the formatted reason into the error buffer; returns -1. */
int cfg_fail(struct cfg_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Value of the leaf at `xpath` under `node` (NULL if absent). */
const char *cfg_str(const struct lyd_node *node, const char *xpath);

/* Unsigned value of the leaf at xpath under n, at most max. Absent or
 * unparsable: -1 with "what: ..." in e. */
int cfg_uint(const struct lyd_node *n, const char *xpath, unsigned long max,
	     unsigned long *out, struct cfg_err *e, const char *what);

/* "true" -> true; anything else (including absent) -> false. */
bool cfg_bool(const struct lyd_node *n, const char *xpath);

/* Copy src into dst (NUL-terminated); -1 if it does not fit. */
int cfg_copy(char *dst, size_t dstlen, const char *src);

#endif
