/* Giving up root (run_as.h). */
#include "run_as.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

void twr_priv_early(void)
{
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* PR_CAPBSET_READ fails past the kernel's last capability */
	for (unsigned long c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		(void)prctl(PR_CAPBSET_DROP, c, 0, 0, 0); /* EPERM without CAP_SETPCAP */
}

static int lookup_user(const char *name, struct twr_run_as *ra, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[16384];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(err, errlen, "no user \"%s\"", name);
		return -1;
	}
	if (pw.pw_uid == 0) {
		snprintf(err, errlen, "user \"%s\" has uid 0: not an unprivileged user; refused", name);
		return -1;
	}
	ra->uid = pw.pw_uid;
	ra->gid = pw.pw_gid;
	return 0;
}

int twr_group_id(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char buf[16384];

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(err, errlen, "no group \"%s\"", name);
		return -1;
	}
	*gid = gr.gr_gid;
	return 0;
}

int twr_run_as_resolve(const char *user, const char *group, struct twr_run_as *ra, char *err,
		       size_t errlen)
{
	memset(ra, 0, sizeof(*ra));
	if (!user || !*user) {
		if (group && *group) {
			snprintf(err, errlen, "group \"%s\" is configured without a user", group);
			return -1;
		}
		return 0;
	}
	if (strlen(user) >= sizeof(ra->user)) {
		snprintf(err, errlen, "user name \"%.40s...\" too long", user);
		return -1;
	}
	snprintf(ra->user, sizeof(ra->user), "%s", user);
	if (lookup_user(user, ra, err, errlen) != 0 ||
	    (group && *group && twr_group_id(group, &ra->gid, err, errlen) != 0))
		return -1;
	if (ra->gid == 0) {
		snprintf(err, errlen, "user \"%s\" would run with group root (gid 0); refused", user);
		return -1;
	}
	ra->ngroups = TWR_RUN_AS_GROUPS;
	if (getgrouplist(user, ra->gid, ra->groups, &ra->ngroups) < 0) {
		snprintf(err, errlen, "user \"%s\" is in more than %d groups", user, TWR_RUN_AS_GROUPS);
		return -1;
	}
	for (int i = 0; i < ra->ngroups; i++)
		if (ra->groups[i] == 0) {
			snprintf(err, errlen, "user \"%s\" is a member of group root (gid 0); refused",
				 user);
			return -1;
		}
	ra->set = true;
	return 0;
}

static bool is_root(void)
{
	uid_t r, e, s;

	return getresuid(&r, &e, &s) != 0 || r == 0 || e == 0 || s == 0;
}

int twr_run_as_refuse_root(const struct twr_run_as *ra, const char *leaf, char *err,
			   size_t errlen)
{
	if (ra->set || !is_root())
		return 0;
	snprintf(err, errlen,
		 "started as root and no %s is configured: refusing to run as root "
		 "(set %s to the unprivileged user to switch to)", leaf, leaf);
	return -1;
}

/* Empty inheritable, permitted and effective sets of the calling thread. */
static int caps_clear(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	return (int)syscall(SYS_capset, &h, d);
}

static bool caps_none(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return false;
	for (int i = 0; i < 2; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return false;
	return true;
}

/* "Name:\tv1\tv2..." of a status text: all of the first `n` values equal
 * want (decimal ids), or one value that is zero (hex capability sets). */
static const char *field(const char *status, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = status; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, len) == 0 && p[len] == ':')
			return p + len + 1;
	return NULL;
}

static bool ids_are(const char *v, unsigned long want)
{
	for (int i = 0; i < 4; i++) {
		char *end;
		unsigned long got;

		while (*v == ' ' || *v == '\t')
			v++;
		if (*v < '0' || *v > '9')
			return false;
		got = strtoul(v, &end, 10);
		if (got != want)
			return false;
		v = end;
	}
	return true;
}

static bool caps_zero(const char *v)
{
	char *end;

	while (*v == ' ' || *v == '\t')
		v++;
	if (!((*v >= '0' && *v <= '9') || (*v >= 'a' && *v <= 'f')))
		return false;
	return strtoull(v, &end, 16) == 0 && (*end == '\n' || *end == '\0');
}

const char *twr_status_dropped(const char *status, uid_t uid, gid_t gid)
{
	static const char *const caps[] = { "CapPrm", "CapEff", "CapAmb" };
	const char *v;

	if (!(v = field(status, "Uid")) || !ids_are(v, uid))
		return "a uid (real, effective, saved or filesystem) is not the user's";
	if (!(v = field(status, "Gid")) || !ids_are(v, gid))
		return "a gid (real, effective, saved or filesystem) is not the group's";
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (!(v = field(status, caps[i])) || !caps_zero(v))
			return "capabilities are left (CapPrm, CapEff or CapAmb not zero)";
	return NULL;
}

/* Every thread of the process, as the kernel reports it. */
static int check_threads(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int rc = 0;

	if (!d) {
		snprintf(err, errlen, "cannot check the threads: /proc/self/task: %s", strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char path[64], text[4096];
		const char *why;
		ssize_t n;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/status", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			continue; /* the thread has ended */
		text[n] = '\0';
		why = twr_status_dropped(text, uid, gid);
		if (why) {
			snprintf(err, errlen, "thread %s: %s (start threads after the privilege drop)",
				 e->d_name, why);
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

static int switch_ids(const struct twr_run_as *ra, char *err, size_t errlen)
{
	if (setgroups((size_t)ra->ngroups, ra->groups) != 0 ||
	    setresgid(ra->gid, ra->gid, ra->gid) != 0 || setresuid(ra->uid, ra->uid, ra->uid) != 0) {
		snprintf(err, errlen, "switching to user \"%s\": %s", ra->user, strerror(errno));
		return -1;
	}
	return 0;
}

int twr_run_as_drop(const struct twr_run_as *ra, char *err, size_t errlen)
{
	uid_t uid = getuid(), r, e, s;
	gid_t gid = getgid(), rg, eg, sg;

	if (is_root()) {
		if (!ra->set) {
			snprintf(err, errlen, "root with no user to switch to; refused");
			return -1;
		}
		if (switch_ids(ra, err, errlen) != 0)
			return -1;
		uid = ra->uid;
		gid = ra->gid;
	} else if (ra->set && (uid != ra->uid || geteuid() != ra->uid)) {
		snprintf(err, errlen, "running as uid %lu, cannot switch to user \"%s\" (uid %lu) "
			 "without root", (unsigned long)uid, ra->user, (unsigned long)ra->uid);
		return -1;
	}
	if (caps_clear() != 0) {
		snprintf(err, errlen, "clearing capabilities: %s", strerror(errno));
		return -1;
	}
	/* the proof: nothing of root can be had back */
	if (setuid(0) == 0 || setgid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errlen, "could switch back to root after the drop; refused");
		return -1;
	}
	if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 || r != uid ||
	    e != uid || s != uid || rg != gid || eg != gid || sg != gid || !caps_none()) {
		snprintf(err, errlen, "the drop did not take: ids or capabilities left");
		return -1;
	}
	return check_threads(uid, gid, err, errlen);
}
