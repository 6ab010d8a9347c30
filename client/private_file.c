/* Private file checks and reading: see private_file.h. */
#include "private_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Ownership and mode of the open file. */
static int check_stat(int fd, uid_t owner, size_t max, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot stat: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		return -1;
	}
	if (st.st_uid != owner) {
		snprintf(err, errlen, "owned by uid %u, must be owned by uid %u", (unsigned)st.st_uid,
			 (unsigned)owner);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "mode %04o gives access to group or others; use chmod 600",
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if ((unsigned long long)st.st_size > max) {
		snprintf(err, errlen, "larger than %zu octets", max);
		return -1;
	}
	return 0;
}

/* At most max octets; -1 if the file is longer (it may have grown). */
static ssize_t read_all(int fd, char *buf, size_t max, char *err, size_t errlen)
{
	size_t len = 0;

	for (;;) {
		ssize_t r = read(fd, buf + len, max + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "read failed: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			return (ssize_t)len;
		len += (size_t)r;
		if (len > max) {
			snprintf(err, errlen, "larger than %zu octets", max);
			return -1;
		}
	}
}

ssize_t private_file_read(const char *path, uid_t owner, char *buf, size_t max, char *err,
			  size_t errlen)
{
	ssize_t len = -1;
	int fd;

	/* O_NOFOLLOW: a symbolic link is refused (ELOOP); O_NONBLOCK: a FIFO
	 * cannot stall us before fstat() rejects it */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, errlen, "is a symbolic link; refused");
		else
			snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (check_stat(fd, owner, max, err, errlen) == 0)
		len = read_all(fd, buf, max, err, errlen);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	return len;
}
