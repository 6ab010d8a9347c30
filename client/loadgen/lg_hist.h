/* Residence-time histogram, log-linear (like HdrHistogram, much smaller):
 * values below 64 ns have a bucket each; above, each power of two is split
 * into 32 buckets, so a percentile is exact to within 1/32 (3 %).
 *
 *   v < 64:  bucket v
 *   v >= 64: e = floor(log2 v) (6..63), bucket 64 + (e - 6) * 32 + bits e-1..e-5 of v
 */
#ifndef TWR_LG_HIST_H
#define TWR_LG_HIST_H

#include <stdint.h>

#define LG_HIST_SUB 32
#define LG_HIST_BUCKETS (64 + (64 - 6) * LG_HIST_SUB)

struct lg_hist {
	uint64_t count;
	uint64_t max;
	uint64_t b[LG_HIST_BUCKETS];
};

void lg_hist_add(struct lg_hist *h, uint64_t v);
/* Value at quantile q (0..1): the upper edge of the bucket holding it,
 * never above the exact maximum. 0 if empty. */
uint64_t lg_hist_quantile(const struct lg_hist *h, double q);

#endif
