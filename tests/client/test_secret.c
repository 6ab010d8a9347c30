/* The TWAMP-Control shared secret (client/secret.h): newline stripping,
 * empty and oversized passphrases, and the file safety rules (group/other
 * permission bits, owner, symbolic link, not a regular file, size). Files
 * are created in a private temporary directory, removed afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "tmp_files.h"

static int setup(void **state)
{
	(void)state;
	return tmpf_setup("secret");
}

static int teardown(void **state)
{
	static const char *const names[] = { "s", "link", "sub" };

	(void)state;
	return tmpf_teardown(names, sizeof(names) / sizeof(names[0]));
}

static void expect_text(const char *text, size_t len, const char *want, size_t want_len)
{
	struct secret s;
	char err[200];

	assert_int_equal(secret_parse(text, len, &s, err, sizeof(err)), 0);
	assert_int_equal(s.len, want_len);
	assert_memory_equal(s.buf, want, want_len);
	secret_wipe(&s);
	assert_int_equal(s.len, 0);
}

static void expect_refused_text(const char *text, size_t len, const char *reason)
{
	struct secret s;
	char err[200] = "";

	memset(&s, 0xaa, sizeof(s));
	assert_int_equal(secret_parse(text, len, &s, err, sizeof(err)), -1);
	if (!strstr(err, reason))
		fail_msg("'%s' lacks '%s'", err, reason);
	assert_int_equal(s.len, 0);
	assert_memory_equal(s.buf, (uint8_t[sizeof(s.buf)]){ 0 }, sizeof(s.buf));
}

static void test_parse(void **state)
{
	char big[SECRET_MAX + 2];

	(void)state;
	expect_text("pass", 4, "pass", 4);
	expect_text("pass\n", 5, "pass", 4);
	expect_text("pass\r\n", 6, "pass", 4);
	expect_text("pass\n\n", 6, "pass\n", 5);        /* one newline only */
	expect_text(" sp ace \t", 9, " sp ace \t", 9);   /* everything else kept */
	expect_text("a\0b\n", 4, "a\0b", 3);            /* octets, not a C string */
	expect_refused_text("", 0, "empty");
	expect_refused_text("\n", 1, "empty");
	expect_refused_text("\r\n", 2, "empty");
	memset(big, 'x', sizeof(big));
	expect_text(big, SECRET_MAX, big, SECRET_MAX);
	big[SECRET_MAX] = '\n';
	expect_text(big, SECRET_MAX + 1, big, SECRET_MAX);
	memset(big, 'x', sizeof(big));
	expect_refused_text(big, SECRET_MAX + 1, "longer than 1024");
}

static void expect_refused_file(const char *path, uid_t owner, const char *reason)
{
	struct secret s;
	char err[200] = "";

	assert_int_equal(secret_from_file(path, owner, &s, err, sizeof(err)), -1);
	if (!strstr(err, reason))
		fail_msg("'%s' lacks '%s'", err, reason);
	assert_null(strstr(err, "hunter2"));  /* never quotes the secret */
	assert_int_equal(s.len, 0);
}

static void test_file_ok(void **state)
{
	struct secret s;
	char err[200];

	(void)state;
	tmpf_write("s", "hunter2\n", 8, 0600);
	assert_int_equal(secret_from_file(tmpf_path("s"), getuid(), &s, err, sizeof(err)), 0);
	assert_int_equal(s.len, 7);
	assert_memory_equal(s.buf, "hunter2", 7);
	secret_wipe(&s);
	tmpf_write("s", "hunter2", 7, 0400);   /* read-only for the owner is fine */
	assert_int_equal(secret_from_file(tmpf_path("s"), getuid(), &s, err, sizeof(err)), 0);
	assert_int_equal(s.len, 7);
	secret_wipe(&s);
}

static void test_file_mode(void **state)
{
	static const mode_t bad[] = { 0640, 0604, 0660, 0644, 0601, 0610, 0602, 0620 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = tmpf_write("s", "hunter2\n", 8, bad[i]);
		char want[32];

		snprintf(want, sizeof(want), "mode %04o", (unsigned)bad[i]);
		expect_refused_file(p, getuid(), want);
	}
}

static void test_file_owner(void **state)
{
	const char *p;

	(void)state;
	p = tmpf_write("s", "hunter2\n", 8, 0600);
	expect_refused_file(p, getuid() + 1, "owned by uid");
	if (geteuid() == 0) {     /* root can give the file away */
		assert_int_equal(chown(p, 4242, (gid_t)-1), 0);
		expect_refused_file(p, getuid(), "owned by uid 4242");
	}
}

static void test_file_kind(void **state)
{
	const char *target;

	(void)state;
	target = tmpf_write("s", "hunter2\n", 8, 0600);
	unlink(tmpf_path("link"));
	assert_int_equal(symlink(target, tmpf_path("link")), 0);
	expect_refused_file(tmpf_path("link"), getuid(), "symbolic link");
	assert_int_equal(mkdir(tmpf_path("sub"), 0700), 0);
	expect_refused_file(tmpf_path("sub"), getuid(), "not a regular file");
	expect_refused_file(tmpf_path("missing"), getuid(), "cannot open");
}

static void test_file_size(void **state)
{
	static char big[SECRET_MAX + 4];

	(void)state;
	memset(big, 'x', sizeof(big));
	expect_refused_file(tmpf_write("s", big, sizeof(big), 0600), getuid(), "larger than");
	tmpf_write("s", "\n", 1, 0600);
	expect_refused_file(tmpf_path("s"), getuid(), "empty");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_file_ok),
		cmocka_unit_test(test_file_mode),
		cmocka_unit_test(test_file_owner),
		cmocka_unit_test(test_file_kind),
		cmocka_unit_test(test_file_size),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
