/* Unix socket files: directory, mode and group (sock_dir.h). */
#include "sock_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <unistd.h>

const char *twr_sock_dir_judge(const struct stat *st, uid_t owner)
{
	if (!S_ISDIR(st->st_mode))
		return "not a directory";
	if (st->st_uid != 0 && (owner == (uid_t)-1 || st->st_uid != owner))
		return "owned by another user than root or the daemon's";
	if (st->st_mode & S_IWOTH)
		return "writable by others";
	if (st->st_mode & S_IWGRP)
		return "writable by its group";
	return NULL;
}

/* The directory part of path ("." for a bare name). */
static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* A directory this process has just made: group and mode through its fd. */
static int finish_new(int fd, const struct twr_sock_dir *d, const char **why)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || st.st_uid != geteuid()) {
		*why = "replaced while it was being made";
		return -1;
	}
	if ((d->gid != (gid_t)-1 && fchown(fd, (uid_t)-1, d->gid) != 0) ||
	    fchmod(fd, d->mode) != 0) {
		*why = strerror(errno);
		return -1;
	}
	return 0;
}

int twr_sock_dir_prepare(const char *sock_path, const struct twr_sock_dir *d, char *err,
			 size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *why = NULL;
	bool made = false;
	struct stat st;
	int fd;

	dir_of(sock_path, dir, sizeof(dir));
	if (mkdir(dir, 0700) == 0)
		made = true;
	else if (errno != EEXIST) {
		snprintf(err, errlen, "socket directory %s: %s", dir, strerror(errno));
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "socket directory %s: %s", dir,
			 errno == ELOOP || errno == ENOTDIR ? "not a directory (or a symbolic link)"
							    : strerror(errno));
		return -1;
	}
	if (made && finish_new(fd, d, &why) != 0) {
		/* left for the operator to look at: it may not be ours any more */
	} else if (fstat(fd, &st) != 0) {
		why = strerror(errno);
	} else {
		why = twr_sock_dir_judge(&st, d->owner);
	}
	close(fd);
	if (why) {
		snprintf(err, errlen, "socket directory %s: %s; refused", dir, why);
		return -1;
	}
	return 0;
}

int twr_sock_clear_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; refused", path);
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: stale socket: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int twr_sock_addr(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, n);
	return 0;
}

/* bind(2) with the filesystem gid set to gid, and a umask no wider than mode. */
static int bind_as(int fd, const struct sockaddr_un *sa, mode_t mode, gid_t gid)
{
	gid_t prev = 0;
	mode_t old;
	int rc, saved;

	if (gid != (gid_t)-1) {
		prev = (gid_t)setfsgid(gid);
		if ((gid_t)setfsgid((gid_t)-1) != gid) { /* -1 only reads it back */
			setfsgid(prev);
			errno = EPERM;
			return -1;
		}
	}
	old = umask(0777 & ~mode);
	rc = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	saved = errno;
	umask(old);
	if (gid != (gid_t)-1)
		setfsgid(prev);
	errno = saved;
	return rc;
}

int twr_sock_bind(int fd, const char *path, mode_t mode, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;

	if (twr_sock_addr(&sa, path) != 0) {
		snprintf(err, errlen, "%s: not a usable socket path", path);
		return -1;
	}
	if (fchmod(fd, mode) != 0 || bind_as(fd, &sa, mode, gid) != 0) {
		snprintf(err, errlen, "%s: bind%s: %s", path,
			 gid != (gid_t)-1 && errno == EPERM ? " with the socket's group" : "",
			 strerror(errno));
		return -1;
	}
	/* a set-group-ID directory would have imposed its own group */
	if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode) || (st.st_mode & 07777) != mode ||
	    (gid != (gid_t)-1 && st.st_gid != gid)) {
		snprintf(err, errlen, "%s: the bound socket has not mode %04o%s; refused", path,
			 (unsigned)mode, gid != (gid_t)-1 ? " and the configured group" : "");
		unlink(path);
		return -1;
	}
	return 0;
}
