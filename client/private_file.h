/* Reading a small private file (key file, shared-secret file): it must be
 * a regular file (a symbolic link is refused), owned by the expected user,
 * with no permission bits for group or others, and small.
 */
#ifndef TWCLI_PRIVATE_FILE_H
#define TWCLI_PRIVATE_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Reads the whole file into buf (room for max + 1 octets; NUL-terminated).
 * Returns its length, or -1 with one line of reason in err (never quoting
 * the contents). The caller wipes buf. */
ssize_t private_file_read(const char *path, uid_t owner, char *buf, size_t max, char *err,
			  size_t errlen);

#endif
