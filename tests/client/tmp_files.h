/* A private temporary directory for tests that need real files (key file,
 * secret file): created by tmpf_setup, emptied of the listed names and
 * removed by tmpf_teardown. One directory per test program. */
#ifndef TWCLI_TEST_TMP_FILES_H
#define TWCLI_TEST_TMP_FILES_H

#include <stddef.h>
#include <sys/types.h>

/* mkdtemp under /tmp with `tag` in the name; 0 or -1 (cmocka setup style) */
int tmpf_setup(const char *tag);
/* remove the names (files or empty directories) and the directory */
int tmpf_teardown(const char *const *names, size_t n);
/* dir/name, in a static buffer */
char *tmpf_path(const char *name);
/* (re)create dir/name holding data, then chmod it to mode; returns the path */
const char *tmpf_write(const char *name, const void *data, size_t len, mode_t mode);

#endif
