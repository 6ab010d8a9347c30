/* SID allocation (see ctl_sid.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "ctl_sid.h"
#include "ntp_time.h"

void ctl_sid_make(const struct ctl_ip *receiver, uint64_t ntp, const uint8_t rnd[4],
		  uint8_t sid[16])
{
	if (receiver->ver == 4) {
		memcpy(sid, receiver->a, 4);
	} else {
		uint8_t md[SHA256_DIGEST_LENGTH];

		SHA256(receiver->a, 16, md);
		memcpy(sid, md, 4);
	}
	ntp_put(sid + 4, ntp);
	memcpy(sid + 12, rnd, 4);
}

void ctl_sid_hex(const uint8_t sid[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", sid[i]);
}
