/* Running unprivileged: resolve the configured user and group, and give
 * up root once the socket and the audit log are open. */
#ifndef TWR_KA_PRIVS_H
#define TWR_KA_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

/* gid of a group name; -1 with err if there is none. */
int ka_group_id(const char *name, gid_t *gid, char *err, size_t errlen);

/* The user's uid and primary gid; -1 with err if there is none. */
int ka_user_ids(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen);

/* As root: switch to `user` with its groups, for good (a later setuid(0)
 * must fail). Not root: nothing to do. Returns 0 or -1 with err. */
int ka_drop_privileges(const char *user, char *err, size_t errlen);

#endif
