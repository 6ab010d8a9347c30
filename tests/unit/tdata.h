/* Test data access for the unit tests: hex text files in tests/data, found
 * through $TWR_TEST_DATA (set by meson test). Loader failures abort the
 * test (cmocka fail_msg), so callers need not check. */
#ifndef TWR_TDATA_H
#define TWR_TDATA_H

#include <stddef.h>
#include <stdint.h>

#define TDATA_MAX_PKT 2048

struct tpkt {
	unsigned int frame;  /* frame number in the original capture */
	char dir;            /* 's'/'r' (test), 'c'/'s' (control), 0 (frames) */
	char tag[64];        /* first word when it is not a number (frames.hex) */
	size_t len;
	uint8_t data[TDATA_MAX_PKT];
};

/* Parse "<hex>" into out; returns the number of octets, fails the test on
 * odd length, a bad digit or more than max octets. */
size_t hex2bin(const char *hex, uint8_t *out, size_t max);

/* Load every record of tests/data/<name>; *out is calloc'ed (free()). */
size_t tdata_load(const char *name, struct tpkt **out);

/* Value of `key` in tests/data/<name> (a .keys file); must be exactly len
 * octets unless len_out is non-NULL, then up to len. */
void tdata_key(const char *name, const char *key, uint8_t *out, size_t len, size_t *len_out);

#endif
