/* Giving up root: a daemon opens what needs privileges (listening sockets,
 * root-owned log files), then switches for good to an unprivileged user,
 * with no capability left in any of its threads.
 *
 *   twr_priv_early()            first thing in main(), before any thread:
 *                               no_new_privs, empty bounding and ambient sets
 *   twr_run_as_resolve(...)     the configured user (and group), looked up
 *                               while /etc is still readable
 *   twr_run_as_refuse_root(...) started as root with no user: refuse at once
 *   ... open sockets and files ...
 *   twr_run_as_drop(...)        setgroups, setresgid, setresuid (glibc does
 *                               them in every thread), no capabilities, and
 *                               the proof that it cannot be undone
 *
 * Supplementary groups: root's are dropped; the user's own memberships from
 * the group database are kept (that is how the daemon reaches a socket of
 * a group it was made a member of), plus the configured group. */
#ifndef TWR_RUN_AS_H
#define TWR_RUN_AS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TWR_RUN_AS_NAME 33
#define TWR_RUN_AS_GROUPS 64

struct twr_run_as {
	bool set;                       /* a user is configured */
	char user[TWR_RUN_AS_NAME];
	uid_t uid;
	gid_t gid;                      /* the configured group, else the user's primary */
	int ngroups;
	gid_t groups[TWR_RUN_AS_GROUPS]; /* supplementary: gid first, then the memberships */
};

/* no_new_privs; every capability out of the bounding and ambient sets
 * (where the process may: a process without CAP_SETPCAP keeps its bounding
 * set, which no_new_privs makes harmless). Effective and permitted sets
 * are untouched: the daemon still binds and opens what it must. Threads
 * created afterwards inherit all of it. */
void twr_priv_early(void);

/* user "" (or NULL): nothing configured, ra->set false. Otherwise the user
 * (not uid 0) and the group (group "" or NULL: the user's primary group)
 * must exist. Returns 0, or -1 with the reason in err. */
int twr_run_as_resolve(const char *user, const char *group, struct twr_run_as *ra, char *err,
		       size_t errlen);

/* gid of a group name; -1 with err if there is none. */
int twr_group_id(const char *name, gid_t *gid, char *err, size_t errlen);

/* The refusal to run as root: -1 with a message naming `leaf` (the
 * configuration leaf to set) when the process is root and ra has no user. */
int twr_run_as_refuse_root(const struct twr_run_as *ra, const char *leaf, char *err,
			   size_t errlen);

/* As root: switch to ra for good. Not root: ra must be unset or name the
 * current uid (nothing to switch). Either way, no capability is left in
 * any thread, and switching back to root must fail. Returns 0, or -1 with
 * the reason in err (the caller exits). */
int twr_run_as_drop(const struct twr_run_as *ra, char *err, size_t errlen);

/* One /proc/.../status text judged against the drop: Uid and Gid lines all
 * `uid`/`gid`, CapPrm, CapEff and CapAmb zero. NULL when it holds, else a
 * static reason. (Pure: the unit tests feed it texts.) */
const char *twr_status_dropped(const char *status, uid_t uid, gid_t gid);

#endif
