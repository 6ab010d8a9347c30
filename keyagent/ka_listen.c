/* Listening socket setup (ka_listen.h). */
#include "ka_listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sock_dir.h"

/* A leftover from a previous run may go; a live socket or a file not. */
static int clear_stale(const char *path, const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat st;
	int fd, live;

	if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return twr_sock_clear_stale(path, err, errlen); /* nothing, or refused */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	if (live) {
		snprintf(err, errlen, "%s is served by another process (another agent?)", path);
		return -1;
	}
	return twr_sock_clear_stale(path, err, errlen);
}

int ka_listen(const char *path, gid_t gid, uid_t owner, char *err, size_t errlen)
{
	const struct twr_sock_dir dir = { .mode = 0755, .gid = (gid_t)-1, .owner = owner };
	struct sockaddr_un sun;
	int fd;

	if (twr_sock_addr(&sun, path) != 0) {
		snprintf(err, errlen, "%s: not a usable socket path", path);
		return -1;
	}
	if (twr_sock_dir_prepare(path, &dir, err, errlen) != 0 ||
	    clear_stale(path, &sun, err, errlen) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (twr_sock_bind(fd, path, 0660, gid, err, errlen) != 0) {
		close(fd);
		return -1;
	}
	if (listen(fd, 64) != 0) {
		snprintf(err, errlen, "%s: listen: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}
