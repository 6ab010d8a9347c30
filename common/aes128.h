/* AES-128 on whole 16-octet blocks with a zero IV and no padding: the one
 * shape TWAMP uses for test packets, test keys and the Set-Up-Response
 * token (RFC 4656 §3.1, §4.1.2). OpenSSL 3 EVP underneath. The control
 * stream's chained CBC (IV carried across messages) is not this. */
#ifndef TWR_AES128_H
#define TWR_AES128_H

#include <stddef.h>
#include <stdint.h>

/* n must be a multiple of 16; in == out is allowed. Returns 0, or -1 on a
 * bad length or an OpenSSL failure. enc: 1 encrypt, 0 decrypt. */
int aes128_ecb(int enc, const uint8_t key[16], const uint8_t *in, uint8_t *out, size_t n);
int aes128_cbc_iv0(int enc, const uint8_t key[16], const uint8_t *in, uint8_t *out, size_t n);

#endif
