/* Error Estimate (RFC 4656 §4.1.2), 16 bits big-endian:
 *
 *   15  14  13........8  7..........0
 *  +---+---+------------+------------+
 *  | S | Z |   Scale    | Multiplier |   error = Multiplier * 2^(Scale-32) s
 *  +---+---+------------+------------+
 *
 * S: synchronised to UTC by an external source. Z: 0 = NTP format
 * (RFC 8186: 1 = PTPv2 truncated). Multiplier 0 is invalid.
 */
#ifndef TWR_ERROR_ESTIMATE_H
#define TWR_ERROR_ESTIMATE_H

#include <stdbool.h>
#include <stdint.h>

#define ERREST_S 0x8000u
#define ERREST_Z 0x4000u
#define ERREST_SCALE_MASK 0x3f00u
#define ERREST_MULT_MASK 0x00ffu
/* what PS sends with no valid estimate: unsynced, Scale 63, Multiplier 255 */
#define ERREST_UNKNOWN 0x3fffu

struct errest {
	bool synced;
	bool ptp;        /* Z bit */
	uint8_t scale;   /* 0..63 */
	uint8_t multiplier;
};

/* Smallest estimate >= err_s (rounded up), clamped to the largest
 * representable one. err_s <= 0 gives the smallest non-zero estimate. */
uint16_t errest_encode(bool synced, double err_s);
/* Returns false for an invalid value (Multiplier 0). */
bool errest_decode(uint16_t v, struct errest *out);
/* Error in seconds; NAN if invalid. */
double errest_seconds(uint16_t v);

#endif
