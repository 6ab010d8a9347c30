/* TWAMP Light key file: the test AES key (16 octets) followed by the test
 * HMAC key (32 octets), written as 96 hexadecimal digits; whitespace anywhere
 * is ignored, nothing else is allowed. There is no TWAMP-Control to derive
 * keys in TWAMP Light, so both ends are provisioned with the same file.
 *
 * The file must be a regular file (not a symbolic link), owned by the
 * expected user and without any permission bits for group or others.
 */
#ifndef TWCLI_KEYFILE_H
#define TWCLI_KEYFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "tw_crypto.h"

#define KEYFILE_HEX_DIGITS (2 * (TW_AES_KEY_LEN + TW_HMAC_KEY_LEN))
#define KEYFILE_MAX_SIZE 4096

/* Parse the file's text into keys. Returns 0, or -1 with a reason in err
 * (never quoting key material); *out is wiped on failure. */
int keyfile_parse(const char *text, size_t len, struct tw_keys *out, char *err, size_t errlen);

/* Open, check ownership and mode, read and parse. Every buffer that held key
 * material is wiped. Returns 0, or -1 with a reason in err. */
int keyfile_read(const char *path, uid_t owner, struct tw_keys *out, char *err, size_t errlen);

#endif
