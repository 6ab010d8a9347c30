/* Unix socket files of the daemons: their directory, their mode and group.
 *
 * The directory: created when missing (mode and group set through its
 * descriptor), else checked: a directory (not a symbolic link) owned by
 * root or by the daemon's user, writable by nobody else (no group or other
 * write bit). Only the socket's own directory is judged.
 *
 * The socket: its mode is set on the descriptor before bind(2) (Linux
 * gives the new file the socket inode's mode, less the umask) under a umask
 * that allows nothing wider, and its group is the filesystem gid in force
 * during bind(2) (setfsgid), so no chmod or chown by path ever follows the
 * bind. What bind made is then checked. */
#ifndef TWR_SOCK_DIR_H
#define TWR_SOCK_DIR_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

struct twr_sock_dir {
	mode_t mode;   /* of a directory made here, e.g. 0750 */
	gid_t gid;     /* its group; (gid_t)-1: the creator's */
	uid_t owner;   /* an owner allowed besides root; (uid_t)-1: root only */
};

/* NULL if st is an acceptable socket directory for owner, else the static
 * reason. (Pure: the unit tests feed it stat buffers.) */
const char *twr_sock_dir_judge(const struct stat *st, uid_t owner);

/* Make or check the directory of sock_path. Returns 0, or -1 with
 * "socket directory DIR: reason" in err. */
int twr_sock_dir_prepare(const char *sock_path, const struct twr_sock_dir *d, char *err,
			 size_t errlen);

/* Remove what a previous run left at path: nothing there, or a socket
 * (removed) is fine; anything else is refused. 0, or -1 with err. */
int twr_sock_clear_stale(const char *path, char *err, size_t errlen);

/* Fill sa for path; -1 if it does not fit sun_path. */
int twr_sock_addr(struct sockaddr_un *sa, const char *path);

/* Bind the AF_UNIX socket fd to path with exactly `mode` and group `gid`
 * ((gid_t)-1: the process's). Returns 0, or -1 with err (nothing left at
 * path). */
int twr_sock_bind(int fd, const char *path, mode_t mode, gid_t gid, char *err, size_t errlen);

#endif
