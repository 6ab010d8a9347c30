/* Helpers for the configuration tests: a private temporary directory, and
 * copies of the committed test files with the owner and mode a test needs
 * (the committed files themselves are never changed). */
#ifndef TWR_CFG_TEST_UTIL_H
#define TWR_CFG_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TU_PATH_MAX 512

/* Create the temporary directory (group setup) and remove it with all its
 * contents (group teardown). cmocka group setup/teardown signatures. */
int tu_setup(void **state);
int tu_teardown(void **state);

/* Path of `name` in the temporary directory. */
const char *tu_tmp_path(const char *name, char *buf, size_t len);

/* Copy src (a full path) to the temporary directory as `name`, then chmod
 * and chown it. Returns the new path in buf, or NULL. */
const char *tu_copy(const char *src, const char *name, mode_t mode, uid_t uid,
		    char *buf, size_t len);

/* Copy tests/config/data/<name> (as above). */
const char *tu_copy_data(const char *name, mode_t mode, uid_t uid, char *buf, size_t len);

/* Write text to `name` in the temporary directory, owner root mode 0600. */
const char *tu_write(const char *name, const char *text, char *buf, size_t len);

/* Full path of a committed test file (tests/config/data/<name>). */
const char *tu_data(const char *name, char *buf, size_t len);

/* Tests that set owners need root. */
bool tu_is_root(void);

/* cmocka-friendly: fail with both strings shown unless needle is in hay. */
#define assert_contains(hay, needle)                                          \
	do {                                                                  \
		if (!strstr((hay), (needle)))                                 \
			fail_msg("\"%s\" not in \"%s\"", (needle), (hay));    \
	} while (0)

#endif
