/* The agent's listening Unix socket. */
#ifndef TWR_KA_LISTEN_H
#define TWR_KA_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

/* Create and listen on `path` with mode 0660 and group `gid` ((gid_t)-1:
 * the process's), set on the descriptor at bind (common/sock_dir.h). A
 * stale socket file is replaced; a socket some process still serves, or
 * any other kind of file, is refused. The directory is created (0755) if
 * missing, else it must be owned by root or `owner` (the user the agent
 * runs as) and writable by nobody else. Returns the descriptor, or -1 with
 * err. */
int ka_listen(const char *path, gid_t gid, uid_t owner, char *err, size_t errlen);

#endif
