/* Private temporary files for the client tests (tmp_files.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmp_files.h"

static char dir[64];

int tmpf_setup(const char *tag)
{
	snprintf(dir, sizeof(dir), "/tmp/twc-%s-XXXXXX", tag);
	return mkdtemp(dir) ? 0 : -1;
}

char *tmpf_path(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

int tmpf_teardown(const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unlink(tmpf_path(names[i]));
		rmdir(tmpf_path(names[i]));
	}
	return rmdir(dir);
}

const char *tmpf_write(const char *name, const void *data, size_t len, mode_t mode)
{
	const char *p = tmpf_path(name);
	int fd;

	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}
