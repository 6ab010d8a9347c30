/* Socket directories and socket files (common/sock_dir.h): the judgement
 * of a directory, making and checking one, the stale-file rule, and a bind
 * whose mode comes from the descriptor. Runs as any user (in a private
 * temporary directory); the group part needs root and is skipped without. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sock_dir.h"

static struct stat dir_st(uid_t uid, mode_t mode)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_uid = uid;
	st.st_mode = S_IFDIR | mode;
	return st;
}

static void test_judge(void **state)
{
	struct stat st;

	(void)state;
	st = dir_st(0, 0755);
	assert_null(twr_sock_dir_judge(&st, (uid_t)-1));
	st = dir_st(0, 0750);
	assert_null(twr_sock_dir_judge(&st, 991));
	st = dir_st(991, 0700);
	assert_null(twr_sock_dir_judge(&st, 991));           /* the daemon's own */
	assert_string_equal(twr_sock_dir_judge(&st, (uid_t)-1),
			    "owned by another user than root or the daemon's");
	assert_string_equal(twr_sock_dir_judge(&st, 992),
			    "owned by another user than root or the daemon's");
	st = dir_st(0, 0777);
	assert_string_equal(twr_sock_dir_judge(&st, 991), "writable by others");
	st = dir_st(0, 01777);                                /* /tmp: sticky is no help */
	assert_string_equal(twr_sock_dir_judge(&st, 991), "writable by others");
	st = dir_st(0, 0775);
	assert_string_equal(twr_sock_dir_judge(&st, 991), "writable by its group");
	st = dir_st(0, 0755);
	st.st_mode = S_IFREG | 0755;
	assert_string_equal(twr_sock_dir_judge(&st, 991), "not a directory");
}

static char base[64];

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/twr-t-sockdir-XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_prepare_makes_a_missing_directory(void **state)
{
	const struct twr_sock_dir d = { .mode = 0750, .gid = (gid_t)-1, .owner = (uid_t)-1 };
	char path[128], dir[128], err[256];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/made", base);
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	umask(0); /* the mode is set on the descriptor, not left to the umask */
	if (geteuid() == 0) {
		assert_int_equal(twr_sock_dir_prepare(path, &d, err, sizeof(err)), 0);
	} else {
		/* a user that is not root makes it, and must be allowed to own it */
		const struct twr_sock_dir mine = { .mode = 0750, .gid = (gid_t)-1, .owner = geteuid() };

		assert_int_equal(twr_sock_dir_prepare(path, &mine, err, sizeof(err)), 0);
	}
	umask(022);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	/* present now: checked, accepted again */
	assert_int_equal(twr_sock_dir_prepare(path, &(struct twr_sock_dir){ 0700, (gid_t)-1,
							    geteuid() }, err, sizeof(err)), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750); /* an existing one is not changed */
}

static void test_prepare_refuses_a_loose_directory(void **state)
{
	const struct twr_sock_dir d = { .mode = 0750, .gid = (gid_t)-1, .owner = geteuid() };
	char path[128], dir[128], link[128], err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/loose", base);
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(twr_sock_dir_prepare(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by others; refused"));
	assert_non_null(strstr(err, dir));
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(twr_sock_dir_prepare(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by its group; refused"));
	/* a symbolic link to a good directory is refused too */
	assert_int_equal(chmod(dir, 0700), 0);
	snprintf(link, sizeof(link), "%s/link", base);
	assert_int_equal(symlink(dir, link), 0);
	snprintf(path, sizeof(path), "%s/s.sock", link);
	assert_int_equal(twr_sock_dir_prepare(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory (or a symbolic link)"));
	/* its parent missing: a clear error */
	snprintf(path, sizeof(path), "%s/no/such/s.sock", base);
	assert_int_equal(twr_sock_dir_prepare(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file or directory"));
}

static void test_stale_and_bind(void **state)
{
	char path[128], file[128], err[256];
	struct stat st;
	int fd, fd2;

	(void)state;
	snprintf(path, sizeof(path), "%s/b.sock", base);
	assert_int_equal(twr_sock_clear_stale(path, err, sizeof(err)), 0); /* nothing there */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	umask(0); /* nothing from the umask: the descriptor's mode alone */
	assert_int_equal(twr_sock_bind(fd, path, 0640, (gid_t)-1, err, sizeof(err)), 0);
	umask(022);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	close(fd);
	/* what it left is a socket: removed */
	assert_int_equal(twr_sock_clear_stale(path, err, sizeof(err)), 0);
	assert_int_equal(lstat(path, &st), -1);
	/* anything else is refused and left alone */
	snprintf(file, sizeof(file), "%s/f", base);
	fd2 = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd2 >= 0);
	close(fd2);
	assert_int_equal(twr_sock_clear_stale(file, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a socket; refused"));
	assert_int_equal(lstat(file, &st), 0);
	/* a path that does not fit sun_path */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(file, 'a', sizeof(file) - 1);
	file[0] = '/';
	file[sizeof(file) - 1] = '\0';
	assert_int_equal(twr_sock_bind(fd, file, 0600, (gid_t)-1, err, sizeof(err)), -1);
	close(fd);
}

static void test_bind_with_a_group(void **state)
{
	char path[128], err[256];
	struct stat st;
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(path, sizeof(path), "%s/g.sock", base);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(twr_sock_bind(fd, path, 0660, 65534, err, sizeof(err)), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 65534);
	close(fd);
	unlink(path);
	/* the process's fsgid is back to root's afterwards */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(twr_sock_bind(fd, path, 0600, (gid_t)-1, err, sizeof(err)), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_gid, getegid());
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_prepare_makes_a_missing_directory),
		cmocka_unit_test(test_prepare_refuses_a_loose_directory),
		cmocka_unit_test(test_stale_and_bind),
		cmocka_unit_test(test_bind_with_a_group),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
