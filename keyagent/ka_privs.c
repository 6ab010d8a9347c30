/* Privilege drop (ka_privs.h). */
#include "ka_privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ka_group_id(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(err, errlen, "no group \"%s\"", name);
		return -1;
	}
	*gid = gr.gr_gid;
	return 0;
}

int ka_user_ids(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(err, errlen, "no user \"%s\"", name);
		return -1;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

int ka_drop_privileges(const char *user, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	if (!user || !*user) {
		snprintf(err, errlen, "started as root without a 'user' to run as; refused");
		return -1;
	}
	if (ka_user_ids(user, &uid, &gid, err, errlen) != 0)
		return -1;
	if (uid == 0) {
		snprintf(err, errlen, "user \"%s\" is root; refused", user);
		return -1;
	}
	if (initgroups(user, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		snprintf(err, errlen, "switching to user \"%s\": %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		snprintf(err, errlen, "could still regain root after switching to \"%s\"", user);
		return -1;
	}
	return 0;
}
