/* Unix socket peers (peer_cred.h). */
#include "peer_cred.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13 */
#endif

int twr_peer_get(int fd, struct twr_peer *p)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	memset(p, 0, sizeof(*p));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0)
		return -1;
	if (len != sizeof(uc)) {
		errno = EPROTO;
		return -1;
	}
	p->pid = uc.pid;
	p->uid = uc.uid;
	p->gid = uc.gid;
	len = sizeof(p->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) == 0) {
		p->ngroups = len / sizeof(p->groups[0]);
	} else if (errno == ERANGE) {
		p->groups_truncated = true; /* admitted only by what else it has */
	} else if (errno != ENOPROTOOPT) {
		return -1;
	}
	return 0;
}

bool twr_peer_permitted(const struct twr_peer *p, uid_t self, gid_t group)
{
	if (p->uid == 0 || p->uid == self)
		return true;
	if (group == (gid_t)-1)
		return false;
	if (p->gid == group)
		return true;
	for (size_t i = 0; i < p->ngroups && i < TWR_PEER_GROUPS; i++)
		if (p->groups[i] == group)
			return true;
	return false;
}
