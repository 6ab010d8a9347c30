/* The authentication pool's queue (ctl_authpool.h): bounded, and served
 * round robin across source prefixes, so that one flooding source cannot
 * starve the others. Pure data structure: no lock, no thread, no clock;
 * the pool holds its mutex around every call.
 *
 * Items are grouped by the source prefix of their connection (the peer
 * address cut to the prefix lengths ip-block counts sources by:
 * security-baseline/ip-block ipv4-prefix-length, ipv6-prefix-length,
 * /32 and /64 by default); each
 * source keeps its items in arrival order; the sources with items form a
 * ring. ctl_authq_pop takes the oldest item of the source at the ring's
 * cursor and moves the cursor on, and a source new to the ring is put
 * last in the round (just before the cursor). So an item whose source
 * has no other item waits for at most one item of every other source
 * already queued: with S sources queued, it is among the next S pops,
 * however many items the other sources hold.
 *
 * Full queue (max items): the new item is refused, unless some source
 * holds at least two items more than the new item's source does; then
 * that source's newest item is displaced (refused in its place) and the
 * new item queued. A flood from one prefix cannot keep the others out,
 * and with every source at one item (rotating sources) nothing queued is
 * displaced. */
#ifndef TWR_CTL_AUTHQ_H
#define TWR_CTL_AUTHQ_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl_addr.h"

struct ctl_authq_src;

/* Embedded in what is queued (container_of to get it back). */
struct ctl_authq_item {
	struct ctl_authq_item *prev, *next; /* in its source, oldest first */
	struct ctl_authq_src *src;          /* NULL when not queued */
};

struct ctl_authq_src {
	struct ctl_ip prefix;               /* host bits cleared */
	struct ctl_authq_item *head, *tail;
	size_t n;
	struct ctl_authq_src *prev, *next;  /* the ring, or the free list (next) */
};

struct ctl_authq {
	size_t max, n;                      /* items: bound, queued */
	unsigned len4, len6;                /* source prefix lengths */
	size_t nsrc;                        /* sources in the ring */
	struct ctl_authq_src *srcs;         /* max of them, allocated once */
	struct ctl_authq_src *free;         /* unused sources */
	struct ctl_authq_src *cur;          /* the ring: next source served */
};

/* max >= 1; a source is an IPv4 /len4 or an IPv6 /len6. Returns -1 when
 * out of memory. */
int ctl_authq_init(struct ctl_authq *q, size_t max, unsigned len4, unsigned len6);
/* Frees the sources; the items are the caller's (take them out first). */
void ctl_authq_fini(struct ctl_authq *q);

/* The source prefix of an address. */
struct ctl_ip ctl_authq_prefix(const struct ctl_authq *q, const struct ctl_ip *ip);

/* Queue it for source address ip. Returns NULL when queued with nothing
 * refused; `it` itself when refused (queue full, it not queued); or
 * another item, displaced to make room (no longer queued). */
struct ctl_authq_item *ctl_authq_push(struct ctl_authq *q, const struct ctl_ip *ip,
				      struct ctl_authq_item *it);
/* The next item to serve, no longer queued; NULL when empty. */
struct ctl_authq_item *ctl_authq_pop(struct ctl_authq *q);
/* Take a queued item out (its connection went away). */
void ctl_authq_remove(struct ctl_authq *q, struct ctl_authq_item *it);

static inline bool ctl_authq_queued(const struct ctl_authq_item *it)
{
	return it->src != NULL;
}

#endif
