/* libFuzzer target: the hash-chained security log's verification
 * (control/ctl_hashlog.h: `twamp-controld --verify-log`) and the reading of
 * an existing file's last record (ctl_hashlog_tail, where a restarted
 * server goes on from) on hostile file contents.
 *
 * Input: byte 0 selects, the rest is the log file.
 *   bit 0  reseal: before verification, every line that has the shape of a
 *          record ("... mac=" and 64 characters) gets the MAC of the chain
 *          under the test key, so that the fuzzer gets past the MACs to
 *          the sequence numbers and the framing
 *   bit 1  no key (a zero-length key, as an empty key-chain secret)
 *   bit 2  the file entry point too (ctl_hashlog_verify_file on the bytes
 *          written to a file), not only the buffer's
 * The verification is kept to the public entry points (a file, a buffer),
 * without an anchor, so that the target follows the format when the format
 * changes; the anchor file's parser is not fuzzed here.
 *
 * Properties (abort on violation): the file and the buffer verify alike;
 * the result is 0 or the number of a line of the input, with a one-line
 * reason; a log that verifies has its last record read back by
 * ctl_hashlog_tail (the sequence number is the number of lines, the MAC
 * that of the last line), and a record appended after it with
 * ctl_hashlog_line verifies too, while one with any other sequence
 * number does not. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_hashlog.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define TAIL_LEN (5 + 2 * CTL_HASHLOG_MAC) /* " mac=" and the hex digits */

static const uint8_t KEY[32] = "fuzz hash-chain key, 32 octets!";
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/twr-fuzz-hashlog-XXXXXX";

	(void)argc;
	(void)argv;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/security.log", dir);
	return 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
}

/* Give every record-shaped line the chain's MAC. */
static void reseal(char *buf, size_t n, const uint8_t *key, size_t keylen)
{
	uint8_t prev[CTL_HASHLOG_MAC] = { 0 };
	size_t off = 0;

	while (off < n) {
		char *nl = memchr(buf + off, '\n', n - off);
		size_t len = nl ? (size_t)(nl - (buf + off)) : n - off;
		char *line = buf + off;

		if (len > TAIL_LEN && len <= CTL_HASHLOG_LINE_MAX &&
		    memcmp(line + len - TAIL_LEN, " mac=", 5) == 0 &&
		    ctl_hashlog_mac(key, keylen, prev, line, len - TAIL_LEN, prev) == 0)
			hex(prev, CTL_HASHLOG_MAC, line + len - 2 * CTL_HASHLOG_MAC);
		off += len + 1;
	}
}

static long count_lines(const char *buf, size_t n)
{
	long lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	return lines + (n > 0 && buf[n - 1] != '\n');
}

static void check_why(const char *why, size_t cap)
{
	size_t n = strnlen(why, cap);

	CHECK(n > 0 && n < cap && memchr(why, '\n', n) == NULL);
}

static bool use_file;

static long verify_both(const char *buf, size_t n, const uint8_t *key, size_t keylen)
{
	char why[256], why2[256];
	long rc, rc2;
	int fd;

	rc = ctl_hashlog_verify_buf(buf, n, key, keylen, NULL, NULL, why, sizeof(why));
	check_why(why, sizeof(why));
	if (use_file) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		CHECK(fd >= 0);
		CHECK(n == 0 || write(fd, buf, n) == (ssize_t)n);
		close(fd);
		rc2 = ctl_hashlog_verify_file(path, key, keylen, NULL, NULL, why2, sizeof(why2));
		CHECK(rc == rc2 && strcmp(why, why2) == 0);
	}
	CHECK(rc >= 0 && rc <= count_lines(buf, n));
	return rc;
}

/* A log that verifies: go on from its tail as a restarted server would. */
static void check_continue(char *buf, size_t n, const uint8_t *key, size_t keylen)
{
	uint8_t prev[CTL_HASHLOG_MAC], saved[CTL_HASHLOG_MAC];
	char line[CTL_HASHLOG_LINE_MAX + 1];
	uint64_t seq;
	size_t len;
	char *more;

	CHECK(ctl_hashlog_tail(buf, n, &seq, prev) == 0);
	CHECK(seq == (uint64_t)count_lines(buf, n));
	memcpy(saved, prev, sizeof(prev));
	more = malloc(n + sizeof(line));
	CHECK(more);
	memcpy(more, buf, n);
	len = ctl_hashlog_line(line, sizeof(line), seq + 1, 1795000000123456789ull,
			       "fuzz: the next record", key, keylen, prev);
	CHECK(len > 0 && line[len - 1] == '\n');
	memcpy(more + n, line, len);
	CHECK(verify_both(more, n + len, key, keylen) == 0);
	/* the same record numbered otherwise breaks the chain at that line */
	len = ctl_hashlog_line(line, sizeof(line), seq + 2, 1795000000123456789ull,
			       "fuzz: the next record", key, keylen, saved);
	CHECK(len > 0);
	memcpy(more + n, line, len);
	CHECK(verify_both(more, n + len, key, keylen) == (long)seq + 1);
	free(more);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *key;
	size_t keylen, n;
	char *buf;
	uint64_t seq;
	uint8_t prev[CTL_HASHLOG_MAC];

	if (size < 1)
		return 0;
	use_file = data[0] & 4;
	key = data[0] & 2 ? (const uint8_t *)"" : KEY;
	keylen = data[0] & 2 ? 0 : sizeof(KEY);
	n = size - 1;
	buf = malloc(n ? n : 1); /* exactly the file's size: ASan sees past it */
	CHECK(buf);
	memcpy(buf, data + 1, n);
	if (data[0] & 1)
		reseal(buf, n, key, keylen);
	/* the tail of anything: no crash, and a sane answer */
	if (ctl_hashlog_tail(buf, n, &seq, prev) != 0)
		CHECK(seq == 0);
	if (verify_both(buf, n, key, keylen) == 0)
		check_continue(buf, n, key, keylen);
	free(buf);
	return 0;
}
