/* Address prefixes in the configuration: the type the daemons share, the
 * parser of "address/length", and the one reader of a leaf-list of them. */
#ifndef TWR_CFG_PREFIX_H
#define TWR_CFG_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_err;
struct lyd_node;

/* An address with its prefix length. Interface addresses keep their host
 * bits (10.99.0.2/24 is the address 10.99.0.2 on a /24); prefixes that
 * select peers have them zeroed. */
struct cfg_prefix {
	uint8_t ipver;     /* 4 or 6 */
	uint8_t len;       /* prefix length */
	uint8_t addr[16];  /* IPv4 in the first 4 octets */
};

/* Parse "address/len" (IPv4 or IPv6, no zone). zero_host clears the bits
 * after the prefix length (a prefix); otherwise they are kept (an interface
 * address). Returns 0 or -1. */
int cfg_prefix_parse(const char *s, bool zero_host, struct cfg_prefix *p);

/* A leaf-list of prefixes, as the extraction code reads it. */
struct cfg_prefix_list {
	const char *xpath;   /* the leaf-list, relative to the node read */
	const char *name;    /* one entry, in messages: "permit-prefix" */
	const char *plural;  /* the count, in messages: "permit-prefix entries" */
	bool zero_host;      /* prefixes (true) or interface addresses (false) */
	size_t min, max;     /* entries accepted */
};

/* Read the leaf-list l under n into out (room for l->max entries) and set
 * *count. On failure returns -1 with one of, `what` being the context
 * ("control-acl", "port 'p0'"):
 *   "what: N <plural>, at most MAX"     ("(MIN to MAX)" when min > 0)
 *   "what: <name> \"S\" is not a prefix"  (or "an address/length")
 *   "what: cannot read <name>" */
int cfg_prefixes(const struct lyd_node *n, const struct cfg_prefix_list *l, const char *what,
		 struct cfg_prefix *out, size_t *count, struct cfg_err *e);

#endif
