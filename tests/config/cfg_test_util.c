/* Temporary directory and file copies for the configuration tests. */
#include "cfg_test_util.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[TU_PATH_MAX];

int tu_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/twr-cfgtest-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int tu_teardown(void **state)
{
	(void)state;
	if (!tmpdir[0])
		return 0;
	return nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

const char *tu_tmp_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", tmpdir, name);

	return n > 0 && (size_t)n < len ? buf : NULL;
}

const char *tu_data(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", TEST_DATA_DIR, name);

	return n > 0 && (size_t)n < len ? buf : NULL;
}

bool tu_is_root(void)
{
	return geteuid() == 0;
}

/* Write len bytes to a fresh file `path` (replacing any), then set mode and owner. */
static const char *put(const char *path, const void *data, size_t len, mode_t mode, uid_t uid)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	if (write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0 ||
	    (uid != geteuid() && fchown(fd, uid, (gid_t)-1) != 0)) {
		close(fd);
		return NULL;
	}
	return close(fd) == 0 ? path : NULL;
}

const char *tu_copy(const char *src, const char *name, mode_t mode, uid_t uid,
		    char *buf, size_t len)
{
	static char data[1 << 20];
	const char *ret = NULL;
	FILE *f = fopen(src, "rb");
	size_t n;

	if (!f || !tu_tmp_path(name, buf, len))
		goto out;
	n = fread(data, 1, sizeof(data), f);
	if (ferror(f) || n == sizeof(data))
		goto out;
	ret = put(buf, data, n, mode, uid);
out:
	if (f)
		fclose(f);
	return ret;
}

const char *tu_copy_data(const char *name, mode_t mode, uid_t uid, char *buf, size_t len)
{
	char src[TU_PATH_MAX];

	if (!tu_data(name, src, sizeof(src)))
		return NULL;
	return tu_copy(src, name, mode, uid, buf, len);
}

const char *tu_write(const char *name, const char *text, char *buf, size_t len)
{
	if (!tu_tmp_path(name, buf, len))
		return NULL;
	return put(buf, text, strlen(text), 0600, geteuid());
}
