/* Who is at the other end of a Unix socket: the credentials the kernel
 * recorded at connect(2) (SO_PEERCRED: pid, uid, primary gid; and
 * SO_PEERGROUPS: the supplementary groups), and the rule a daemon's local
 * API admits callers by. */
#ifndef TWR_PEER_CRED_H
#define TWR_PEER_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TWR_PEER_GROUPS 256

struct twr_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t groups[TWR_PEER_GROUPS];
	bool groups_truncated;  /* more groups than fit: the rest unknown */
};

/* The peer of a connected AF_UNIX socket. 0, or -1 with errno. */
int twr_peer_get(int fd, struct twr_peer *p);

/* Admitted: root, `self` (the daemon's own uid), or a member of `group`
 * (primary or supplementary; (gid_t)-1: no group admitted). */
bool twr_peer_permitted(const struct twr_peer *p, uid_t self, gid_t group);

#endif
