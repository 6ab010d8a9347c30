/* Reading the capture extracts in tests/data (found through $TWR_TEST_DATA):
 * "<frame> <s|r> <hex>" packet lines and "<name> <hex>" key lines; '#'
 * starts a comment line. Failures fail the running cmocka test. */
#ifndef CAPDATA_H
#define CAPDATA_H

#include <stddef.h>
#include <stdint.h>

#define CAP_MAX_PKT 2048
#define CAP_MAX_PKTS 64

struct cap_pkt {
	char dir;               /* 's' sender -> reflector, 'r' reflector -> sender */
	size_t len;
	uint8_t data[CAP_MAX_PKT];
};

/* Loads up to CAP_MAX_PKTS packets of <name> into pkts; returns the count. */
size_t cap_load(const char *name, struct cap_pkt *pkts);

/* The value of `key` in <name>, exactly len octets. */
void cap_key(const char *name, const char *key, uint8_t *out, size_t len);

#endif
