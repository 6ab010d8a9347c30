/* The authentication pool's fair, bounded queue (see ctl_authq.h). The
 * queue is small (CTL_AUTH_QUEUE_MAX items), so a source is found by a
 * walk of the ring: a few hundred comparisons against one PBKDF2 run of
 * millions of HMAC blocks. */
#include <stdlib.h>
#include <string.h>

#include "ctl_authq.h"

int ctl_authq_init(struct ctl_authq *q, size_t max, unsigned len4, unsigned len6)
{
	*q = (struct ctl_authq){ .max = max, .len4 = len4, .len6 = len6 };
	if (max == 0)
		return -1;
	q->srcs = calloc(max, sizeof(*q->srcs));
	if (!q->srcs)
		return -1;
	for (size_t i = 0; i < max; i++)
		q->srcs[i].next = i + 1 < max ? &q->srcs[i + 1] : NULL;
	q->free = q->srcs;
	return 0;
}

void ctl_authq_fini(struct ctl_authq *q)
{
	free(q->srcs);
	*q = (struct ctl_authq){ 0 };
}

struct ctl_ip ctl_authq_prefix(const struct ctl_authq *q, const struct ctl_ip *ip)
{
	return ctl_ip_prefix(ip, ip->ver == 4 ? q->len4 : q->len6);
}

static struct ctl_authq_src *find(const struct ctl_authq *q, const struct ctl_ip *prefix)
{
	struct ctl_authq_src *s = q->cur;

	for (size_t i = 0; i < q->nsrc; i++, s = s->next)
		if (ctl_ip_equal(&s->prefix, prefix))
			return s;
	return NULL;
}

/* A source new to the ring goes last in the round: just before the cursor. */
static struct ctl_authq_src *add_src(struct ctl_authq *q, const struct ctl_ip *prefix)
{
	struct ctl_authq_src *s = q->free;

	q->free = s->next;
	*s = (struct ctl_authq_src){ .prefix = *prefix };
	if (!q->cur) {
		s->prev = s->next = s;
		q->cur = s;
	} else {
		s->next = q->cur;
		s->prev = q->cur->prev;
		s->prev->next = s;
		q->cur->prev = s;
	}
	q->nsrc++;
	return s;
}

static void drop_src(struct ctl_authq *q, struct ctl_authq_src *s)
{
	if (s->next == s) {
		q->cur = NULL;
	} else {
		s->prev->next = s->next;
		s->next->prev = s->prev;
		if (q->cur == s)
			q->cur = s->next;
	}
	q->nsrc--;
	s->next = q->free;
	q->free = s;
}

static void unlink_item(struct ctl_authq *q, struct ctl_authq_item *it)
{
	struct ctl_authq_src *s = it->src;

	if (it->prev)
		it->prev->next = it->next;
	else
		s->head = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else
		s->tail = it->prev;
	it->prev = it->next = NULL;
	it->src = NULL;
	s->n--;
	q->n--;
	if (s->n == 0)
		drop_src(q, s);
}

static void append(struct ctl_authq *q, struct ctl_authq_src *s, struct ctl_authq_item *it)
{
	it->src = s;
	it->next = NULL;
	it->prev = s->tail;
	if (s->tail)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	s->n++;
	q->n++;
}

/* The source holding the most items (the first found on a tie). */
static struct ctl_authq_src *largest(const struct ctl_authq *q)
{
	struct ctl_authq_src *s = q->cur, *best = q->cur;

	for (size_t i = 0; i < q->nsrc; i++, s = s->next)
		if (s->n > best->n)
			best = s;
	return best;
}

struct ctl_authq_item *ctl_authq_push(struct ctl_authq *q, const struct ctl_ip *ip,
				      struct ctl_authq_item *it)
{
	struct ctl_ip prefix = ctl_authq_prefix(q, ip);
	struct ctl_authq_src *s = find(q, &prefix);
	struct ctl_authq_item *out = NULL;

	if (q->n >= q->max) {
		struct ctl_authq_src *big = largest(q);
		size_t mine = s ? s->n : 0;

		if (big->n < mine + 2)
			return it; /* no source holds more than its share: refuse it */
		out = big->tail;
		unlink_item(q, out); /* may free big, never s: big->n >= 2 */
	}
	if (!s)
		s = add_src(q, &prefix);
	append(q, s, it);
	return out;
}

struct ctl_authq_item *ctl_authq_pop(struct ctl_authq *q)
{
	struct ctl_authq_src *s = q->cur;
	struct ctl_authq_item *it;

	if (!s)
		return NULL;
	it = s->head;
	q->cur = s->next; /* the next source's turn */
	unlink_item(q, it);
	return it;
}

void ctl_authq_remove(struct ctl_authq *q, struct ctl_authq_item *it)
{
	if (it->src)
		unlink_item(q, it);
}
