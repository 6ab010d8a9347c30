/* Error Estimate encoding and decoding (see error_estimate.h). */
#include <math.h>

#include "error_estimate.h"

#define SCALE_MAX 63
#define MULT_MAX 255

/* For a fixed Scale the smallest Multiplier is ceil(err / 2^(Scale-32)),
 * and a smaller Scale never gives a larger estimate, so the first Scale
 * whose Multiplier fits in 8 bits yields the smallest estimate >= err. */
uint16_t errest_encode(bool synced, double err_s)
{
	uint16_t s = synced ? ERREST_S : 0;

	if (isnan(err_s)) /* unknown: the largest estimate */
		return s | (SCALE_MAX << 8) | MULT_MAX;
	if (err_s <= 0.0)
		return s | 1;
	for (int scale = 0; scale <= SCALE_MAX; scale++) {
		double m = ceil(ldexp(err_s, 32 - scale));

		if (m <= MULT_MAX)
			return s | (uint16_t)(scale << 8) | (uint16_t)(m < 1.0 ? 1 : m);
	}
	return s | (SCALE_MAX << 8) | MULT_MAX; /* clamp: too large */
}

bool errest_decode(uint16_t v, struct errest *out)
{
	out->synced = (v & ERREST_S) != 0;
	out->ptp = (v & ERREST_Z) != 0;
	out->scale = (uint8_t)((v & ERREST_SCALE_MASK) >> 8);
	out->multiplier = (uint8_t)(v & ERREST_MULT_MASK);
	return out->multiplier != 0;
}

double errest_seconds(uint16_t v)
{
	struct errest e;

	if (!errest_decode(v, &e))
		return NAN;
	return ldexp(e.multiplier, e.scale - 32);
}
