/* Helpers shared by the dataplane configuration extraction files. The tree
 * they read is already validated by libyang (types, ranges, defaults), so
 * what is checked here is what YANG cannot say: the dataplane's table
 * sizes, byte lengths of strings, and the key material. */
#ifndef TWR_DP_CONFIG_PRIV_H
#define TWR_DP_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg_read.h"
#include "dp_config.h"

struct lyd_node;

#define DPC_TOP "/twamp-reflector:twamp-reflector"

/* Where extraction errors go: "file: what: why". */
struct dpc_err {
	const char *file;
	char *buf;
	size_t len;
};

/* Write "file: " + the formatted reason into the error buffer; returns -1. */
int dpc_fail(struct dpc_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Unsigned value of the leaf at xpath under n, at most max. Absent or
 * unparsable: -1 with "what: ..." in e. */
int dpc_uint(const struct lyd_node *n, const char *xpath, unsigned long max,
	     unsigned long *out, struct dpc_err *e, const char *what);

/* "true" -> true; anything else (including absent) -> false. */
bool dpc_bool(const struct lyd_node *n, const char *xpath);

/* Copy src into dst (NUL-terminated); -1 if it does not fit. */
int dpc_copy(char *dst, size_t dstlen, const char *src);

/* Parse "address/len" (IPv4 or IPv6, no zone). zero_host clears the bits
 * after the prefix length (a prefix); otherwise they are kept (an interface
 * address). Returns 0 or -1. */
int dpc_prefix(const char *s, bool zero_host, struct dp_prefix *p);

/* The TWAMP Light reflectors, with their keys from the key-chain. */
int dpc_light(const struct lyd_node *top, struct dp_config *cfg, struct dpc_err *e);

#endif
