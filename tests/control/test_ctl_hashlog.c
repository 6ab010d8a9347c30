/* The hash-chained security log (control/ctl_hashlog.h): the line format,
 * its MAC recomputed here with OpenSSL directly, verification, and every
 * kind of tampering it must detect; the file's security checks and going
 * on with an existing chain. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ctl_hashlog.h"

static const uint8_t KEY[] = "log-key-0123456789";
#define KLEN (sizeof(KEY) - 1)

static size_t make_log(char *buf, size_t cap, int n)
{
	uint8_t prev[CTL_HASHLOG_MAC] = { 0 };
	size_t off = 0;

	for (int i = 1; i <= n; i++) {
		char text[64];
		size_t k;

		snprintf(text, sizeof(text), "event number %d peer=10.99.1.1:4000%d", i, i);
		k = ctl_hashlog_line(buf + off, cap - off, (uint64_t)i,
				     1795000000000000000ull + (uint64_t)i * 1000000u, text, KEY, KLEN,
				     prev);
		assert_true(k > 0);
		off += k;
	}
	return off;
}

static void line_format_and_mac(void **state)
{
	uint8_t prev[CTL_HASHLOG_MAC] = { 0 }, mac[32], buf[32 + 128];
	char line[CTL_HASHLOG_LINE_MAX + 1], hex[65];
	unsigned mlen;
	size_t n, reclen;

	(void)state;
	n = ctl_hashlog_line(line, sizeof(line), 1, 1795000000123000000ull, "hello world", KEY, KLEN,
			     prev);
	assert_true(n > 0);
	assert_int_equal(line[n - 1], '\n');
	assert_memory_equal(line, "1 2026-11-18T", 13);
	assert_non_null(strstr(line, ".123Z hello world mac="));
	reclen = (size_t)(strstr(line, " mac=") - line);
	/* HMAC-SHA256(K, 32 zero octets ‖ record) */
	memset(buf, 0, 32);
	memcpy(buf + 32, line, reclen);
	HMAC(EVP_sha256(), KEY, KLEN, buf, 32 + reclen, mac, &mlen);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	assert_memory_equal(line + reclen + 5, hex, 64);
	assert_memory_equal(prev, mac, 32);
	/* without a key: no MAC */
	n = ctl_hashlog_line(line, sizeof(line), 2, 0, "plain", NULL, 0, prev);
	assert_string_equal(line, "2 1970-01-01T00:00:00.000Z plain\n");
}

static void verify_intact(void **state)
{
	char buf[4096], why[128];
	size_t n = make_log(buf, sizeof(buf), 5);

	(void)state;
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, KEY, KLEN, why, sizeof(why)), 0);
	assert_int_equal(ctl_hashlog_verify_buf(buf, 0, KEY, KLEN, why, sizeof(why)), 0);
	/* another key */
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, (const uint8_t *)"x", 1, why, sizeof(why)), 1);
}

/* offset of the start of line k (1-based) */
static size_t line_at(const char *buf, int k)
{
	size_t off = 0;

	while (--k > 0)
		off = (size_t)(strchr(buf + off, '\n') - buf) + 1;
	return off;
}

static void tampering_detected(void **state)
{
	char orig[4096], buf[4096], why[128];
	size_t n = make_log(orig, sizeof(orig), 5);
	size_t l2 = line_at(orig, 2), l3 = line_at(orig, 3), l4 = line_at(orig, 4);

	(void)state;
	/* a changed character in line 3's text */
	memcpy(buf, orig, n);
	buf[l3 + 40] ^= 1;
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, KEY, KLEN, why, sizeof(why)), 3);
	assert_non_null(strstr(why, "MAC does not verify"));
	/* line 3 removed */
	memcpy(buf, orig, l3);
	memcpy(buf + l3, orig + l4, n - l4);
	assert_int_equal(ctl_hashlog_verify_buf(buf, n - (l4 - l3), KEY, KLEN, why, sizeof(why)), 3);
	/* lines 2 and 3 swapped */
	memcpy(buf, orig, l2);
	memcpy(buf + l2, orig + l3, l4 - l3);
	memcpy(buf + l2 + (l4 - l3), orig + l2, l3 - l2);
	memcpy(buf + l4, orig + l4, n - l4);
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, KEY, KLEN, why, sizeof(why)), 2);
	/* the first line removed */
	assert_int_equal(ctl_hashlog_verify_buf(orig + l2, n - l2, KEY, KLEN, why, sizeof(why)), 1);
	/* a line with its sequence number changed and its MAC recomputed
	 * without the key cannot be made: a MAC edited to another value */
	memcpy(buf, orig, n);
	buf[l3 - 2] = buf[l3 - 2] == '0' ? '1' : '0';
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, KEY, KLEN, why, sizeof(why)), 2);
	/* a cut last line */
	assert_int_equal(ctl_hashlog_verify_buf(orig, n - 3, KEY, KLEN, why, sizeof(why)), 5);
	assert_non_null(strstr(why, "no final newline"));
	/* a line without MAC */
	memcpy(buf, orig, l2);
	memcpy(buf + l2, "2 x\n", 4);
	assert_int_equal(ctl_hashlog_verify_buf(buf, l2 + 4, KEY, KLEN, why, sizeof(why)), 2);
	/* removing the last records is not detectable from the file alone
	 * (ctl_hashlog.h says so) */
	assert_int_equal(ctl_hashlog_verify_buf(orig, l4, KEY, KLEN, why, sizeof(why)), 0);
}

static void tail_continues_chain(void **state)
{
	char buf[4096];
	size_t n = make_log(buf, sizeof(buf), 3);
	uint64_t seq;
	uint8_t prev[32], want[32];

	(void)state;
	assert_int_equal(ctl_hashlog_tail(buf, n, &seq, prev), 0);
	assert_int_equal(seq, 3);
	make_log(buf, sizeof(buf), 3); /* the prev after 3 lines: recompute */
	{
		uint8_t p[32] = { 0 };
		char line[CTL_HASHLOG_LINE_MAX + 1];

		for (int i = 1; i <= 3; i++) {
			char text[64];

			snprintf(text, sizeof(text), "event number %d peer=10.99.1.1:4000%d", i, i);
			ctl_hashlog_line(line, sizeof(line), (uint64_t)i,
					 1795000000000000000ull + (uint64_t)i * 1000000u, text, KEY,
					 KLEN, p);
		}
		memcpy(want, p, 32);
	}
	assert_memory_equal(prev, want, 32);
	assert_int_equal(ctl_hashlog_tail("", 0, &seq, prev), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(ctl_hashlog_tail("junk\n", 5, &seq, prev), -1);
}

static void file_append_and_verify(void **state)
{
	char dir[] = "/tmp/twr-hashlog-XXXXXX", path[128], err[256], why[256];
	struct ctl_hashlog *h;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sec.log", dir);
	h = ctl_hashlog_open(path, KEY, KLEN, false, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(ctl_hashlog_append(h, 1, "first"), 0);
	assert_int_equal(ctl_hashlog_append(h, 2, "second"), 0);
	ctl_hashlog_close(h);
	/* reopened: the chain goes on */
	h = ctl_hashlog_open(path, KEY, KLEN, false, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(ctl_hashlog_append(h, 3, "third"), 0);
	ctl_hashlog_close(h);
	assert_int_equal(ctl_hashlog_verify_file(path, KEY, KLEN, why, sizeof(why)), 0);
	/* tamper in place */
	f = fopen(path, "r+");
	fseek(f, 30, SEEK_SET);
	fputc('X', f);
	fclose(f);
	assert_int_equal(ctl_hashlog_verify_file(path, KEY, KLEN, why, sizeof(why)), 1);
	/* file security: group-writable refused when root ownership is required */
	chmod(path, 0620);
	assert_null(ctl_hashlog_open(path, KEY, KLEN, true, err, sizeof(err)));
	assert_non_null(strstr(err, "writable by group or others"));
	unlink(path);
	/* a symbolic link is not followed */
	assert_int_equal(symlink("/etc/hostname", path), 0);
	assert_null(ctl_hashlog_open(path, KEY, KLEN, false, err, sizeof(err)));
	unlink(path);
	assert_int_equal(ctl_hashlog_verify_file(path, KEY, KLEN, why, sizeof(why)), -1);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(line_format_and_mac),
		cmocka_unit_test(verify_intact),
		cmocka_unit_test(tampering_detected),
		cmocka_unit_test(tail_continues_chain),
		cmocka_unit_test(file_append_and_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
