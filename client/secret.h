/* The TWAMP-Control shared secret (the passphrase bound to a KeyID), from a
 * private file or typed on the terminal without echo.
 *
 * File: the rules of private_file.h (regular file, not a symbolic link,
 * owned by the invoking user, no group/other permission bits), at most
 * SECRET_MAX octets; one trailing newline ("\n" or "\r\n") is not part of
 * the passphrase. Every other octet is, as is.
 */
#ifndef TWCLI_SECRET_H
#define TWCLI_SECRET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SECRET_MAX 1024

struct secret {
	uint8_t buf[SECRET_MAX + 2];
	size_t len;
};

/* The passphrase in text[0, len): strip one trailing newline; refuse an
 * empty result or more than SECRET_MAX octets. Returns 0 or -1 (reason in
 * err); s is wiped on failure. */
int secret_parse(const char *text, size_t len, struct secret *s, char *err, size_t errlen);

/* Returns 0, or -1 with a reason in err; s is wiped on failure. */
int secret_from_file(const char *path, uid_t owner, struct secret *s, char *err, size_t errlen);

/* Prompt on /dev/tty with echo off and read one line. SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT and SIGTSTP cancel it ("interrupted"); the terminal is
 * restored on every path. Returns 0, or -1 with a reason in err. */
int secret_from_tty(const char *prompt, struct secret *s, char *err, size_t errlen);

void secret_wipe(struct secret *s);

#endif
