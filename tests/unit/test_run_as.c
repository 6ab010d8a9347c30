/* Giving up root (common/run_as.h): the judgement of /proc status texts,
 * the resolution of users and groups, the refusal to run as root, and the
 * drop itself in a child process (as root only), with a thread started
 * before it. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_as.h"

#define STATUS(uid, gid, prm, eff, amb)                                                    \
	"Name:\ttwamp-controld\nUmask:\t0022\nState:\tS (sleeping)\n"                       \
	"Uid:\t" uid "\nGid:\t" gid "\nGroups:\t991 992\n"                                 \
	"CapInh:\t0000000000000000\nCapPrm:\t" prm "\nCapEff:\t" eff "\n"                  \
	"CapBnd:\t000001ffffffffff\nCapAmb:\t" amb "\nNoNewPrivs:\t1\n"

#define ZERO "0000000000000000"

static void test_status_judged(void **state)
{
	(void)state;
	assert_null(twr_status_dropped(STATUS("991\t991\t991\t991", "992\t992\t992\t992", ZERO,
					      ZERO, ZERO), 991, 992));
	/* a saved or filesystem uid of root is not a drop */
	assert_non_null(twr_status_dropped(STATUS("991\t991\t0\t991", "992\t992\t992\t992", ZERO,
						  ZERO, ZERO), 991, 992));
	assert_non_null(twr_status_dropped(STATUS("991\t991\t991\t0", "992\t992\t992\t992", ZERO,
						  ZERO, ZERO), 991, 992));
	assert_non_null(twr_status_dropped(STATUS("991\t991\t991\t991", "992\t0\t992\t992", ZERO,
						  ZERO, ZERO), 991, 992));
	/* 9910 is not 991 */
	assert_non_null(twr_status_dropped(STATUS("9910\t991\t991\t991", "992\t992\t992\t992",
						  ZERO, ZERO, ZERO), 991, 992));
	/* any capability left in the permitted, effective or ambient set */
	assert_string_equal(twr_status_dropped(STATUS("991\t991\t991\t991", "992\t992\t992\t992",
						      "0000000000000400", ZERO, ZERO), 991, 992),
			    "capabilities are left (CapPrm, CapEff or CapAmb not zero)");
	assert_non_null(twr_status_dropped(STATUS("991\t991\t991\t991", "992\t992\t992\t992", ZERO,
						  "0000000000000001", ZERO), 991, 992));
	assert_non_null(twr_status_dropped(STATUS("991\t991\t991\t991", "992\t992\t992\t992", ZERO,
						  ZERO, "0000000000000400"), 991, 992));
	/* lines missing or garbled */
	assert_non_null(twr_status_dropped("Name:\tx\n", 991, 992));
	assert_non_null(twr_status_dropped("Uid:\t991\t991\n", 991, 992));
	assert_non_null(twr_status_dropped(STATUS("991\t991\t991\t991", "992\t992\t992\t992", "zz",
						  ZERO, ZERO), 991, 992));
	assert_non_null(twr_status_dropped("", 0, 0));
}

static void test_resolve(void **state)
{
	struct twr_run_as ra;
	char err[256];

	(void)state;
	assert_int_equal(twr_run_as_resolve("", NULL, &ra, err, sizeof(err)), 0);
	assert_false(ra.set);
	assert_int_equal(twr_run_as_resolve(NULL, NULL, &ra, err, sizeof(err)), 0);
	assert_false(ra.set);
	assert_int_equal(twr_run_as_resolve("", "nogroup", &ra, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "without a user"));
	assert_int_equal(twr_run_as_resolve("twr-t-no-such-user", NULL, &ra, err, sizeof(err)), -1);
	assert_string_equal(err, "no user \"twr-t-no-such-user\"");
	assert_int_equal(twr_run_as_resolve("root", NULL, &ra, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "uid 0"));
	assert_int_equal(twr_run_as_resolve("nobody", "root", &ra, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "gid 0"));
	assert_int_equal(twr_run_as_resolve("nobody", "twr-t-no-such-group", &ra, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "no group \"twr-t-no-such-group\"");
	assert_int_equal(twr_run_as_resolve("nobody", NULL, &ra, err, sizeof(err)), 0);
	assert_true(ra.set);
	assert_int_equal(ra.uid, 65534);
	assert_int_equal(ra.gid, 65534);
	assert_true(ra.ngroups >= 1);
	assert_int_equal(ra.groups[0], 65534);
	assert_string_equal(ra.user, "nobody");
}

static void test_refuse_root(void **state)
{
	struct twr_run_as none = { 0 }, some = { .set = true };
	char err[256];

	(void)state;
	assert_int_equal(twr_run_as_refuse_root(&some, "server/user", err, sizeof(err)), 0);
	if (geteuid() != 0) {
		assert_int_equal(twr_run_as_refuse_root(&none, "server/user", err, sizeof(err)), 0);
		return;
	}
	assert_int_equal(twr_run_as_refuse_root(&none, "server/user", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "started as root and no server/user is configured: "
				    "refusing to run as root"));
}

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

/* In a child: early, a thread, the drop; exit 0 if it all held. */
static int child_drop(const char *user)
{
	struct twr_run_as ra;
	pthread_t t;
	char err[512];

	twr_priv_early();
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 || prctl(PR_CAPBSET_READ, 0, 0, 0, 0) != 0)
		return 10;
	if (pthread_create(&t, NULL, idle_thread, NULL) != 0)
		return 11;
	if (twr_run_as_resolve(user, NULL, &ra, err, sizeof(err)) != 0)
		return 12;
	if (twr_run_as_drop(&ra, err, sizeof(err)) != 0) {
		fprintf(stderr, "drop: %s\n", err);
		return 13;
	}
	if (getuid() != 65534 || geteuid() != 65534 || getgid() != 65534 || setuid(0) == 0 ||
	    setgroups(0, NULL) == 0)
		return 14;
	/* a second drop (nothing left to switch) holds too */
	return twr_run_as_drop(&ra, err, sizeof(err)) == 0 ? 0 : 15;
}

static void test_drop_in_a_child(void **state)
{
	int st;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_drop("nobody"));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_drop_without_root(void **state)
{
	struct twr_run_as none = { 0 }, other = { .set = true, .uid = 12345, .gid = 12345 };
	char err[256];
	int st;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* not root (any more): nothing to switch, and no other user either */
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(20);
		snprintf(other.user, sizeof(other.user), "other");
		if (twr_run_as_drop(&other, err, sizeof(err)) != -1 || !strstr(err, "without root"))
			_exit(21);
		_exit(twr_run_as_drop(&none, err, sizeof(err)) == 0 ? 0 : 22);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_judged),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_refuse_root),
		cmocka_unit_test(test_drop_in_a_child),
		cmocka_unit_test(test_drop_without_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
