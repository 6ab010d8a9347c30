/* Key file: parsing (valid, bad hex, wrong length) and the safety checks
 * (group/other permissions, owner, symbolic link, not a regular file, size).
 * Files are created in a private temporary directory, removed afterwards. */
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

#include "keyfile.h"
#include "tmp_files.h"

/* AES 00..0f, HMAC 10..2f, with whitespace of every kind */
static const char good_text[] =
	"00010203 04050607 08090a0b 0c0d0e0f\n"
	"\t101112131415161718191A1B1C1D1E1F\r\n"
	"   202122232425262728292a2b2c2d2e2f   \n";

static int setup(void **state)
{
	(void)state;
	return tmpf_setup("keyfile");
}

static int teardown(void **state)
{
	static const char *const names[] = { "key", "link", "big", "sub" };

	(void)state;
	return tmpf_teardown(names, sizeof(names) / sizeof(names[0]));
}

static void expect_refused(const char *path, uid_t owner, const char *reason)
{
	struct tw_keys k;
	char err[256] = "";

	memset(&k, 0x5a, sizeof(k));
	assert_int_equal(keyfile_read(path, owner, &k, err, sizeof(err)), -1);
	if (!strstr(err, reason))
		fail_msg("error '%s' does not mention '%s'", err, reason);
}

static void test_parse_valid(void **state)
{
	struct tw_keys k;
	char err[256];

	(void)state;
	assert_int_equal(keyfile_parse(good_text, strlen(good_text), &k, err, sizeof(err)), 0);
	for (int i = 0; i < TW_AES_KEY_LEN; i++)
		assert_int_equal(k.aes[i], i);
	for (int i = 0; i < TW_HMAC_KEY_LEN; i++)
		assert_int_equal(k.hmac[i], 0x10 + i);
}

static void test_parse_bad(void **state)
{
	char text[200];
	struct tw_keys k;
	char err[256];

	(void)state;
	/* a non-hex character */
	memcpy(text, good_text, sizeof(good_text));
	text[5] = 'g';
	memset(&k, 0x5a, sizeof(k));
	assert_int_equal(keyfile_parse(text, strlen(text), &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid character at offset 5"));
	for (size_t i = 0; i < sizeof(k.aes); i++)
		assert_int_equal(k.aes[i], 0);  /* wiped on failure */
	/* one octet short, one digit short, one octet long */
	assert_int_equal(keyfile_parse(good_text, strlen(good_text) - 6, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "found 94"));
	assert_int_equal(keyfile_parse(good_text, strlen(good_text) - 5, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "found 95"));
	snprintf(text, sizeof(text), "%s ab", good_text);
	assert_int_equal(keyfile_parse(text, strlen(text), &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "found 98"));
	assert_int_equal(keyfile_parse("", 0, &k, err, sizeof(err)), -1);
	/* an embedded NUL is not whitespace */
	memcpy(text, good_text, sizeof(good_text));
	text[8] = '\0';
	assert_int_equal(keyfile_parse(text, strlen(good_text), &k, err, sizeof(err)), -1);
}

static void test_read_valid(void **state)
{
	const char *p = tmpf_write("key", good_text, strlen(good_text), 0600);
	struct tw_keys k;
	char err[256];

	(void)state;
	assert_int_equal(keyfile_read(p, getuid(), &k, err, sizeof(err)), 0);
	assert_int_equal(k.aes[15], 0x0f);
	assert_int_equal(k.hmac[31], 0x2f);
	/* owner-only modes narrower than 0600 are fine too */
	assert_int_equal(chmod(p, 0400), 0);
	assert_int_equal(keyfile_read(p, getuid(), &k, err, sizeof(err)), 0);
}

static void test_read_bad_content(void **state)
{
	(void)state;
	expect_refused(tmpf_write("key", "00zz", 4, 0600), getuid(), "invalid character");
	expect_refused(tmpf_write("key", good_text, 20, 0600), getuid(), "expected 96 hex digits");
}

static void test_insecure_mode(void **state)
{
	(void)state;
	expect_refused(tmpf_write("key", good_text, strlen(good_text), 0644), getuid(), "mode 0644");
	expect_refused(tmpf_write("key", good_text, strlen(good_text), 0640), getuid(), "group or others");
	expect_refused(tmpf_write("key", good_text, strlen(good_text), 0602), getuid(), "group or others");
	expect_refused(tmpf_write("key", good_text, strlen(good_text), 0610), getuid(), "group or others");
}

static void test_other_owner(void **state)
{
	const char *p = tmpf_write("key", good_text, strlen(good_text), 0600);

	(void)state;
	/* the file is ours; expecting someone else must refuse it */
	expect_refused(p, getuid() + 1, "owned by uid");
	/* and, where we may chown, a file of someone else with us expecting us */
	if (geteuid() == 0) {
		assert_int_equal(chown(p, 4242, 4242), 0);
		expect_refused(p, getuid(), "owned by uid 4242");
	}
}

static void test_symlink(void **state)
{
	const char *target = tmpf_write("key", good_text, strlen(good_text), 0600);
	char link_path[128];

	(void)state;
	snprintf(link_path, sizeof(link_path), "%s", tmpf_path("link"));
	unlink(link_path);
	assert_int_equal(symlink(target, link_path), 0);
	expect_refused(link_path, getuid(), "symbolic link");
}

static void test_not_regular_or_missing(void **state)
{
	char sub[128];

	(void)state;
	snprintf(sub, sizeof(sub), "%s", tmpf_path("sub"));
	assert_int_equal(mkdir(sub, 0700), 0);
	expect_refused(sub, getuid(), "not a regular file");
	expect_refused(tmpf_path("does-not-exist"), getuid(), "cannot open");
}

static void test_too_big(void **state)
{
	static char big[KEYFILE_MAX_SIZE + 10];

	(void)state;
	memset(big, ' ', sizeof(big));
	memcpy(big, good_text, strlen(good_text));
	expect_refused(tmpf_write("big", big, sizeof(big), 0600), getuid(), "larger than");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_read_valid),
		cmocka_unit_test(test_read_bad_content),
		cmocka_unit_test(test_insecure_mode),
		cmocka_unit_test(test_other_owner),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_not_regular_or_missing),
		cmocka_unit_test(test_too_big),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
