/* Log-linear histogram: see lg_hist.h. */
#include "lg_hist.h"

static unsigned bucket_of(uint64_t v)
{
	unsigned e;

	if (v < 64)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	return 64 + (e - 6) * LG_HIST_SUB + (unsigned)((v >> (e - 5)) & (LG_HIST_SUB - 1));
}

/* Largest value that falls in bucket i. */
static uint64_t bucket_top(unsigned i)
{
	unsigned e, sub;

	if (i < 64)
		return i;
	e = (i - 64) / LG_HIST_SUB + 6;
	sub = (i - 64) % LG_HIST_SUB;
	/* values (32 + sub) << (e - 5) .. ((33 + sub) << (e - 5)) - 1 */
	if (e == 63 && sub == LG_HIST_SUB - 1)
		return UINT64_MAX;
	return (((uint64_t)LG_HIST_SUB + sub + 1) << (e - 5)) - 1;
}

void lg_hist_add(struct lg_hist *h, uint64_t v)
{
	h->b[bucket_of(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

uint64_t lg_hist_quantile(const struct lg_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* the smallest value with at least ceil(q * count) values at or below it */
	rank = (uint64_t)(q * (double)h->count + 0.999999);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t top = bucket_top(i);

			return top < h->max ? top : h->max;
		}
	}
	return h->max;
}
