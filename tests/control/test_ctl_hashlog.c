/* The hash-chained security log (control/ctl_hashlog.h): the line format,
 * its MAC recomputed here with OpenSSL directly, verification, and every
 * kind of tampering it must detect; the anchor (format, MAC, truncation at
 * a record boundary, an emptied log, a removed record, a tampered or
 * missing anchor); the HKDF of the log keys against known answers; the
 * file's security checks and going on with an existing chain only when it
 * matches its anchor. */
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
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, KEY, KLEN, NULL, NULL, why, sizeof(why)), 0);
	assert_int_equal(ctl_hashlog_verify_buf(buf, 0, KEY, KLEN, NULL, NULL, why, sizeof(why)), 0);
	/* another key */
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, (const uint8_t *)"x", 1, NULL, NULL, why, sizeof(why)), 1);
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
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, KEY, KLEN, NULL, NULL, why, sizeof(why)), 3);
	assert_non_null(strstr(why, "MAC does not verify"));
	/* line 3 removed */
	memcpy(buf, orig, l3);
	memcpy(buf + l3, orig + l4, n - l4);
	assert_int_equal(ctl_hashlog_verify_buf(buf, n - (l4 - l3), KEY, KLEN, NULL, NULL, why, sizeof(why)), 3);
	/* lines 2 and 3 swapped */
	memcpy(buf, orig, l2);
	memcpy(buf + l2, orig + l3, l4 - l3);
	memcpy(buf + l2 + (l4 - l3), orig + l2, l3 - l2);
	memcpy(buf + l4, orig + l4, n - l4);
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, KEY, KLEN, NULL, NULL, why, sizeof(why)), 2);
	/* the first line removed */
	assert_int_equal(ctl_hashlog_verify_buf(orig + l2, n - l2, KEY, KLEN, NULL, NULL, why, sizeof(why)), 1);
	/* a line with its sequence number changed and its MAC recomputed
	 * without the key cannot be made: a MAC edited to another value */
	memcpy(buf, orig, n);
	buf[l3 - 2] = buf[l3 - 2] == '0' ? '1' : '0';
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, KEY, KLEN, NULL, NULL, why, sizeof(why)), 2);
	/* a cut last line */
	assert_int_equal(ctl_hashlog_verify_buf(orig, n - 3, KEY, KLEN, NULL, NULL, why, sizeof(why)), 5);
	assert_non_null(strstr(why, "no final newline"));
	/* a line without MAC */
	memcpy(buf, orig, l2);
	memcpy(buf + l2, "2 x\n", 4);
	assert_int_equal(ctl_hashlog_verify_buf(buf, l2 + 4, KEY, KLEN, NULL, NULL, why, sizeof(why)), 2);
	/* removing the last records is not detectable from the file alone:
	 * that takes the anchor (verify_against_anchor) */
	assert_int_equal(ctl_hashlog_verify_buf(orig, l4, KEY, KLEN, NULL, NULL, why, sizeof(why)), 0);
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

static const struct ctl_hashlog_keys *test_keys(void)
{
	static struct ctl_hashlog_keys k;
	static const uint8_t log_key[] = "twamp-controld test log key 0123";

	assert_int_equal(ctl_hashlog_keys(log_key, sizeof(log_key) - 1, &k), 0);
	return &k;
}

struct files {
	char dir[32], log[96], anchor[112];
};

static void files_make(struct files *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/twr-hashlog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/sec.log", f->dir);
	snprintf(f->anchor, sizeof(f->anchor), "%s/sec.log.anchor", f->dir);
}

static void files_remove(struct files *f)
{
	unlink(f->log);
	unlink(f->anchor);
	assert_int_equal(rmdir(f->dir), 0); /* nothing else left behind */
}

static struct ctl_hashlog *open_log(const struct files *f, char *err, size_t errlen)
{
	const struct ctl_hashlog_opts o = {
		.path = f->log, .anchor_path = f->anchor, .keys = test_keys(), .require_root = false,
	};

	return ctl_hashlog_open(&o, err, errlen);
}

static size_t slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void spill(const char *path, const char *buf, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
}

static void file_append_and_verify(void **state)
{
	const struct ctl_hashlog_keys *k = test_keys();
	struct files fs;
	char err[512], why[256], buf[4096];
	struct ctl_hashlog *h;
	struct ctl_hashlog_end end;
	const struct ctl_hashlog_opts plain = { .require_root = true };
	struct ctl_hashlog_opts o;
	FILE *f;

	(void)state;
	files_make(&fs);
	h = open_log(&fs, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(ctl_hashlog_append(h, 1, "first"), 0);
	assert_int_equal(ctl_hashlog_append(h, 2, "second"), 0);
	ctl_hashlog_close(h); /* no anchor for these two: written by nobody */
	assert_int_equal(ctl_hashlog_check(fs.log, fs.anchor, k, &end, why, sizeof(why)), 0);
	/* the anchor of the empty log at open says seq 0: records after it */
	assert_int_equal(end.seq, 2);
	assert_int_equal(end.after_anchor, 2);
	/* reopened: the chain goes on with sequence number 3 */
	h = open_log(&fs, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(ctl_hashlog_unanchored(h), 2); /* then anchored again at open */
	assert_int_equal(ctl_hashlog_append(h, 3, "third"), 0);
	ctl_hashlog_close(h);
	assert_int_equal(slurp(fs.log, buf, sizeof(buf)) > 0, 1);
	assert_memory_equal(strstr(buf, "third") - 27, "3 ", 2);
	assert_int_equal(ctl_hashlog_verify_file(fs.log, k->chain, sizeof(k->chain), NULL, &end,
						 why, sizeof(why)), 0);
	assert_int_equal(end.seq, 3);
	/* tamper in place */
	f = fopen(fs.log, "r+");
	fseek(f, 30, SEEK_SET);
	fputc('X', f);
	fclose(f);
	assert_int_equal(ctl_hashlog_verify_file(fs.log, k->chain, sizeof(k->chain), NULL, NULL,
						 why, sizeof(why)), 1);
	/* and the server refuses to go on with it */
	assert_null(open_log(&fs, err, sizeof(err)));
	assert_non_null(strstr(err, "line 1: MAC does not verify"));
	assert_non_null(strstr(err, "rotate the log"));
	/* file security: group-writable refused when root ownership is required */
	chmod(fs.log, 0620);
	o = plain;
	o.path = fs.log;
	assert_null(ctl_hashlog_open(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "writable by group or others"));
	unlink(fs.log);
	/* a symbolic link is not followed */
	assert_int_equal(symlink("/etc/hostname", fs.log), 0);
	o.require_root = false;
	assert_null(ctl_hashlog_open(&o, err, sizeof(err)));
	unlink(fs.log);
	assert_int_equal(ctl_hashlog_verify_file(fs.log, k->chain, sizeof(k->chain), NULL, NULL,
						 why, sizeof(why)), CTL_HASHLOG_UNREADABLE);
	files_remove(&fs);
}

/* RFC 5869 A.3 (no salt, no info) and the two labels, computed apart
 * (Python's hmac module: HKDF-Extract with 32 zero octets, Expand). */
static void kdf_known_answers(void **state)
{
	static const uint8_t ikm[22] = { 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
					 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
					 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b };
	static const uint8_t a3[32] = {
		0x8d, 0xa4, 0xe7, 0x75, 0xa5, 0x63, 0xc1, 0x8f, 0x71, 0x5f, 0x80, 0x2a, 0x06, 0x3c, 0x5a, 0x31,
		0xb8, 0xa1, 0x1f, 0x5c, 0x5e, 0xe1, 0x87, 0x9e, 0xc3, 0x45, 0x4e, 0x5f, 0x3c, 0x73, 0x8d, 0x2d,
	};
	static const uint8_t chain[32] = {
		0x67, 0xcc, 0x0c, 0x31, 0x53, 0x40, 0xac, 0x3a, 0x2e, 0x29, 0x22, 0xb4, 0xc0, 0x4b, 0xb3, 0x91,
		0x2c, 0xfa, 0xfa, 0xde, 0xe3, 0xf0, 0xe3, 0x67, 0xe5, 0xc8, 0xe3, 0x3f, 0x10, 0xa0, 0x50, 0x17,
	};
	static const uint8_t anchor[32] = {
		0x0f, 0x44, 0xdf, 0x55, 0x78, 0x5e, 0x4c, 0xb2, 0x0c, 0x39, 0x2f, 0x28, 0x98, 0x64, 0x1d, 0xaa,
		0xf5, 0x30, 0xf2, 0xed, 0x62, 0x2d, 0x50, 0x63, 0x15, 0xd0, 0x38, 0x6e, 0xd3, 0x1e, 0xd0, 0x88,
	};
	uint8_t out[32];
	const struct ctl_hashlog_keys *k = test_keys();

	(void)state;
	assert_int_equal(ctl_hashlog_derive(ikm, sizeof(ikm), "", out), 0);
	assert_memory_equal(out, a3, 32);
	assert_string_equal(CTL_HASHLOG_LABEL_CHAIN, "twamp-controld log chain");
	assert_string_equal(CTL_HASHLOG_LABEL_ANCHOR, "twamp-controld log anchor");
	assert_memory_equal(k->chain, chain, 32);
	assert_memory_equal(k->anchor, anchor, 32);
}

static void anchor_line_and_parse(void **state)
{
	const struct ctl_hashlog_keys *k = test_keys();
	uint8_t head[32], mac[32];
	char line[256], bad[512], why[128], hex[65];
	struct ctl_hashlog_anchor a;
	unsigned mlen;
	size_t n, reclen;

	(void)state;
	for (int i = 0; i < 32; i++)
		head[i] = (uint8_t)(0xa0 + i);
	n = ctl_hashlog_anchor_line(line, sizeof(line), 1234, head, 1795000000123000000ull,
				    k->anchor);
	assert_true(n > 0);
	assert_string_equal(line + n - 1, "\n");
	assert_int_equal(n, 204); /* fixed length */
	assert_memory_equal(line, "anchor v1 seq=00000000000000001234 head=a0a1a2a3", 48);
	assert_non_null(strstr(line, " time=2026-11-18T"));
	/* mac = HMAC-SHA256(Ka, the line up to " mac=") */
	reclen = (size_t)(strstr(line, " mac=") - line);
	HMAC(EVP_sha256(), k->anchor, 32, (const unsigned char *)line, reclen, mac, &mlen);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	assert_memory_equal(line + reclen + 5, hex, 64);
	assert_int_equal(ctl_hashlog_anchor_parse(line, n, k->anchor, &a, why, sizeof(why)), 0);
	assert_int_equal(a.seq, 1234);
	assert_memory_equal(a.head, head, 32);
	assert_string_equal(a.time, "2026-11-18T11:06:40.123Z");
	/* tampered: the sequence number lowered */
	memcpy(bad, line, n);
	bad[strlen("anchor v1 seq=0000000000000000")] = '0';
	assert_int_equal(ctl_hashlog_anchor_parse(bad, n, k->anchor, &a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "MAC does not verify"));
	/* another key */
	assert_int_equal(ctl_hashlog_anchor_parse(line, n, k->chain, &a, why, sizeof(why)), -1);
	/* malformed: empty, no newline, two lines, junk */
	assert_int_equal(ctl_hashlog_anchor_parse("", 0, k->anchor, &a, why, sizeof(why)), -1);
	assert_int_equal(ctl_hashlog_anchor_parse(line, n - 1, k->anchor, &a, why, sizeof(why)), -1);
	memcpy(bad, line, n);
	memcpy(bad + n, line, n);
	assert_int_equal(ctl_hashlog_anchor_parse(bad, 2 * n, k->anchor, &a, why, sizeof(why)), -1);
	assert_int_equal(ctl_hashlog_anchor_parse("anchor v1 seq=x\n", 16, k->anchor, &a, why,
						  sizeof(why)), -1);
	/* a sequence number of another width, or above 2^64 - 1 */
	memcpy(bad, line, n);
	memmove(bad + 14, bad + 15, n - 15);
	assert_int_equal(ctl_hashlog_anchor_parse(bad, n - 1, k->anchor, &a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "malformed sequence number"));
	memcpy(bad, line, n);
	memcpy(bad + 14, "18446744073709551616", 20);
	assert_int_equal(ctl_hashlog_anchor_parse(bad, n, k->anchor, &a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "malformed sequence number"));
}

/* A log of n records under the test chain key, and an anchor at seq. */
static size_t chain_log(char *buf, size_t cap, int n, int anchor_seq,
			struct ctl_hashlog_anchor *a)
{
	const struct ctl_hashlog_keys *k = test_keys();
	uint8_t prev[CTL_HASHLOG_MAC] = { 0 };
	size_t off = 0;

	memset(a, 0, sizeof(*a));
	snprintf(a->time, sizeof(a->time), "T");
	for (int i = 1; i <= n; i++) {
		char text[64];

		snprintf(text, sizeof(text), "event %d", i);
		off += ctl_hashlog_line(buf + off, cap - off, (uint64_t)i, (uint64_t)i * 1000000u, text,
					k->chain, sizeof(k->chain), prev);
		if (i == anchor_seq) {
			a->seq = (uint64_t)i;
			memcpy(a->head, prev, sizeof(prev));
		}
	}
	return off;
}

static void verify_against_anchor(void **state)
{
	const struct ctl_hashlog_keys *k = test_keys();
	struct ctl_hashlog_anchor a, other;
	struct ctl_hashlog_end end;
	char buf[4096], cut[4096], why[256];
	size_t n = chain_log(buf, sizeof(buf), 5, 5, &a), l3, l4;

	(void)state;
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, k->chain, 32, &a, &end, why, sizeof(why)), 0);
	assert_int_equal(end.seq, 5);
	assert_int_equal(end.after_anchor, 0);
	/* truncated at a record boundary: intact as a chain, short of its anchor */
	l4 = line_at(buf, 4);
	assert_int_equal(ctl_hashlog_verify_buf(buf, l4, k->chain, 32, NULL, NULL, why, sizeof(why)), 0);
	assert_int_equal(ctl_hashlog_verify_buf(buf, l4, k->chain, 32, &a, NULL, why, sizeof(why)),
			 CTL_HASHLOG_TRUNCATED);
	assert_non_null(strstr(why, "truncated: the log ends at record 3"));
	/* emptied */
	assert_int_equal(ctl_hashlog_verify_buf(buf, 0, k->chain, 32, &a, NULL, why, sizeof(why)),
			 CTL_HASHLOG_TRUNCATED);
	assert_non_null(strstr(why, "emptied"));
	/* a removed middle record: the chain breaks at the next one */
	l3 = line_at(buf, 3);
	memcpy(cut, buf, l3);
	memcpy(cut + l3, buf + l4, n - l4);
	assert_int_equal(ctl_hashlog_verify_buf(cut, n - (l4 - l3), k->chain, 32, &a, NULL, why,
						sizeof(why)), 3);
	/* records after the anchor are allowed and counted */
	chain_log(buf, sizeof(buf), 5, 3, &a);
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, k->chain, 32, &a, &end, why, sizeof(why)), 0);
	assert_int_equal(end.after_anchor, 2);
	assert_non_null(strstr(why, "2 records after the anchor"));
	/* an anchor of another log of the same length: diverged */
	other = a;
	other.head[0] ^= 1;
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, k->chain, 32, &other, NULL, why, sizeof(why)),
			 CTL_HASHLOG_DIVERGED);
	/* the anchor of an empty log with a head that is not zero */
	memset(&other, 0, sizeof(other));
	other.head[31] = 1;
	assert_int_equal(ctl_hashlog_verify_buf(buf, n, k->chain, 32, &other, NULL, why, sizeof(why)),
			 CTL_HASHLOG_DIVERGED);
}

/* The file and its anchor as the server keeps them, and what it refuses. */
static void anchored_file(void **state)
{
	const struct ctl_hashlog_keys *k = test_keys();
	struct files fs;
	char err[512], why[512], buf[8192], abuf[256], line[256];
	struct ctl_hashlog *h;
	struct ctl_hashlog_end end;
	size_t n, an;

	(void)state;
	files_make(&fs);
	h = open_log(&fs, err, sizeof(err));
	assert_non_null(h);
	for (int i = 1; i <= 4; i++) {
		char text[32];

		snprintf(text, sizeof(text), "record %d", i);
		assert_int_equal(ctl_hashlog_append(h, (uint64_t)i, text), 0);
	}
	assert_int_equal(ctl_hashlog_anchor(h, 5, false, line, sizeof(line)), 1);
	assert_memory_equal(line, "anchor v1 seq=00000000000000000004 ", 35);
	/* not grown: no new anchor unless forced */
	assert_int_equal(ctl_hashlog_anchor(h, 6, false, line, sizeof(line)), 0);
	assert_int_equal(ctl_hashlog_anchor(h, 6, true, line, sizeof(line)), 1);
	assert_int_equal(ctl_hashlog_append(h, 7, "record 5"), 0);
	ctl_hashlog_close(h);
	/* one record past the anchor (a crash): consistent, reported */
	assert_int_equal(ctl_hashlog_check(fs.log, fs.anchor, k, &end, why, sizeof(why)), 0);
	assert_int_equal(end.after_anchor, 1);
	n = slurp(fs.log, buf, sizeof(buf));
	an = slurp(fs.anchor, abuf, sizeof(abuf));
	/* truncated at a record boundary: refused by the check and at open */
	spill(fs.log, buf, line_at(buf, 4));
	assert_int_equal(ctl_hashlog_check(fs.log, fs.anchor, k, &end, why, sizeof(why)),
			 CTL_HASHLOG_TRUNCATED);
	assert_null(open_log(&fs, err, sizeof(err)));
	assert_non_null(strstr(err, "truncated: the log ends at record 3"));
	assert_non_null(strstr(err, "rotate the log"));
	/* emptied */
	spill(fs.log, buf, 0);
	assert_null(open_log(&fs, err, sizeof(err)));
	assert_non_null(strstr(err, "emptied"));
	/* the anchor removed, the log kept */
	spill(fs.log, buf, n);
	unlink(fs.anchor);
	assert_int_equal(ctl_hashlog_check(fs.log, fs.anchor, k, &end, why, sizeof(why)),
			 CTL_HASHLOG_TRUNCATED);
	assert_null(open_log(&fs, err, sizeof(err)));
	assert_non_null(strstr(err, "no anchor"));
	/* a tampered anchor */
	abuf[strlen("anchor v1 seq=0000000000000000000")] = '3'; /* seq 3 */
	spill(fs.anchor, abuf, an);
	assert_int_equal(ctl_hashlog_check(fs.log, fs.anchor, k, &end, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "MAC does not verify"));
	assert_null(open_log(&fs, err, sizeof(err)));
	/* both gone (rotated): a fresh chain starts */
	unlink(fs.log);
	unlink(fs.anchor);
	h = open_log(&fs, err, sizeof(err));
	assert_non_null(h);
	ctl_hashlog_close(h);
	assert_int_equal(ctl_hashlog_check(fs.log, fs.anchor, k, &end, why, sizeof(why)), 0);
	assert_int_equal(end.seq, 0);
	files_remove(&fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(line_format_and_mac),
		cmocka_unit_test(verify_intact),
		cmocka_unit_test(tampering_detected),
		cmocka_unit_test(tail_continues_chain),
		cmocka_unit_test(file_append_and_verify),
		cmocka_unit_test(kdf_known_answers),
		cmocka_unit_test(anchor_line_and_parse),
		cmocka_unit_test(verify_against_anchor),
		cmocka_unit_test(anchored_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
