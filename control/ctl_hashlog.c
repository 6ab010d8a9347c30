/* Hash-chained log records: format, MAC and verification (see
 * ctl_hashlog.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ctl_hashlog.h"
#include "ctl_hashlog_priv.h"
#include "secure_mem.h"

#define MAC_SEP " mac="

int ctl_hashlog_mac(const uint8_t *key, size_t keylen, const uint8_t prev[CTL_HASHLOG_MAC],
		    const char *record, size_t len, uint8_t mac[CTL_HASHLOG_MAC])
{
	uint8_t buf[CTL_HASHLOG_MAC + CTL_HASHLOG_LINE_MAX];
	unsigned int mlen = 0;
	int rc = -1;

	if (len > CTL_HASHLOG_LINE_MAX || keylen > INT32_MAX)
		return -1;
	memcpy(buf, prev, CTL_HASHLOG_MAC);
	memcpy(buf + CTL_HASHLOG_MAC, record, len);
	if (HMAC(EVP_sha256(), key, (int)keylen, buf, CTL_HASHLOG_MAC + len, mac, &mlen) &&
	    mlen == CTL_HASHLOG_MAC)
		rc = 0;
	wipe(buf, sizeof(buf));
	return rc;
}

void ctl_hashlog_iso_time(uint64_t unix_ns, char out[64])
{
	time_t s = (time_t)(unix_ns / 1000000000u);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(unix_ns / 1000000u % 1000u));
}

void ctl_hashlog_hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

size_t ctl_hashlog_line(char *out, size_t cap, uint64_t seq, uint64_t unix_ns, const char *text,
			const uint8_t *key, size_t keylen, uint8_t prev[CTL_HASHLOG_MAC])
{
	char ts[64], machex[2 * CTL_HASHLOG_MAC + 1];
	uint8_t mac[CTL_HASHLOG_MAC];
	int n;

	if (cap > CTL_HASHLOG_LINE_MAX + 1)
		cap = CTL_HASHLOG_LINE_MAX + 1;
	ctl_hashlog_iso_time(unix_ns, ts);
	n = snprintf(out, cap, "%llu %s %s", (unsigned long long)seq, ts, text);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	if (key) {
		if (ctl_hashlog_mac(key, keylen, prev, out, (size_t)n, mac) != 0)
			return 0;
		ctl_hashlog_hex(mac, sizeof(mac), machex);
		if ((size_t)n + strlen(MAC_SEP) + 2 * CTL_HASHLOG_MAC + 1 >= cap)
			return 0;
		n += snprintf(out + n, cap - (size_t)n, "%s%s", MAC_SEP, machex);
		memcpy(prev, mac, CTL_HASHLOG_MAC);
	}
	out[n++] = '\n';
	out[n] = '\0';
	return (size_t)n;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int ctl_hashlog_unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Split one line (no newline) into its record length, seq and MAC. */
static int parse_line(const char *line, size_t len, size_t *reclen, uint64_t *seq,
		      uint8_t mac[CTL_HASHLOG_MAC])
{
	const size_t tail = strlen(MAC_SEP) + 2 * CTL_HASHLOG_MAC;
	char digits[24];
	size_t i;

	if (len < tail + 1 || memcmp(line + len - tail, MAC_SEP, strlen(MAC_SEP)) != 0)
		return -1;
	*reclen = len - tail;
	for (i = 0; i < *reclen && i < 19 && line[i] >= '0' && line[i] <= '9'; i++)
		digits[i] = line[i];
	if (i == 0 || i >= *reclen || line[i] != ' ')
		return -1;
	digits[i] = '\0';
	*seq = strtoull(digits, NULL, 10);
	return ctl_hashlog_unhex(line + len - 2 * CTL_HASHLOG_MAC, mac, CTL_HASHLOG_MAC);
}

/* Verification, one line at a time (a buffer or a file read in pieces). */
struct vstate {
	const uint8_t *key;
	size_t keylen;
	const struct ctl_hashlog_anchor *a;
	uint8_t prev[CTL_HASHLOG_MAC];
	uint64_t last;
	long lineno;
	bool at_anchor;       /* the anchor's record was seen */
	bool anchor_matches;  /* with the anchor's MAC */
};

static long bad(long lineno, char *why, size_t whylen, const char *reason)
{
	snprintf(why, whylen, "line %ld: %s", lineno, reason);
	return lineno;
}

/* One line without its newline: 0, or the line number with why. */
static long vline(struct vstate *v, const char *line, size_t len, char *why, size_t whylen)
{
	uint8_t mac[CTL_HASHLOG_MAC], want[CTL_HASHLOG_MAC];
	size_t reclen;
	uint64_t seq;

	v->lineno++;
	if (len > CTL_HASHLOG_LINE_MAX)
		return bad(v->lineno, why, whylen, "line too long");
	if (parse_line(line, len, &reclen, &seq, mac) != 0)
		return bad(v->lineno, why, whylen, "no sequence number or MAC");
	if (seq != v->last + 1)
		return bad(v->lineno, why, whylen, "sequence number out of order");
	if (ctl_hashlog_mac(v->key, v->keylen, v->prev, line, reclen, want) != 0 ||
	    !ct_equal(want, mac, sizeof(mac)))
		return bad(v->lineno, why, whylen, "MAC does not verify");
	memcpy(v->prev, mac, sizeof(v->prev));
	v->last = seq;
	if (v->a && seq == v->a->seq) {
		v->at_anchor = true;
		v->anchor_matches = ct_equal(mac, v->a->head, sizeof(mac));
	}
	return 0;
}

/* After the last line: the chain is intact; is it the anchor's? */
static long vend(const struct vstate *v, struct ctl_hashlog_end *end, char *why, size_t whylen)
{
	const struct ctl_hashlog_anchor *a = v->a;
	static const uint8_t zero[CTL_HASHLOG_MAC];

	if (end) {
		end->seq = v->last;
		memcpy(end->mac, v->prev, sizeof(end->mac));
		end->after_anchor = a && v->last > a->seq ? v->last - a->seq : 0;
	}
	if (a && v->last < a->seq) {
		if (v->last == 0)
			snprintf(why, whylen, "emptied: no record, but the anchor of %s covers %llu "
					      "records", a->time, (unsigned long long)a->seq);
		else
			snprintf(why, whylen, "truncated: the log ends at record %llu, but the anchor "
					      "of %s covers %llu records", (unsigned long long)v->last,
				 a->time, (unsigned long long)a->seq);
		return CTL_HASHLOG_TRUNCATED;
	}
	if (a && ((a->seq == 0 && !ct_equal(a->head, zero, sizeof(zero))) ||
		  (a->seq > 0 && (!v->at_anchor || !v->anchor_matches)))) {
		snprintf(why, whylen, "record %llu is not the one the anchor of %s was written for "
				      "(the log was replaced or rewritten)", (unsigned long long)a->seq,
			 a->time);
		return CTL_HASHLOG_DIVERGED;
	}
	if (a && v->last > a->seq)
		snprintf(why, whylen, "ok; %llu records after the anchor of %s (not covered by it)",
			 (unsigned long long)(v->last - a->seq), a->time);
	else
		snprintf(why, whylen, "ok");
	return 0;
}

long ctl_hashlog_verify_buf(const char *buf, size_t n, const uint8_t *key, size_t keylen,
			    const struct ctl_hashlog_anchor *a, struct ctl_hashlog_end *end,
			    char *why, size_t whylen)
{
	struct vstate v = { .key = key, .keylen = keylen, .a = a };
	size_t off = 0;
	long rc;

	while (off < n) {
		const char *nl = memchr(buf + off, '\n', n - off);

		if (!nl)
			return bad(v.lineno + 1, why, whylen, "no final newline (cut record)");
		rc = vline(&v, buf + off, (size_t)(nl - (buf + off)), why, whylen);
		if (rc != 0)
			return rc;
		off = (size_t)(nl - buf) + 1;
	}
	return vend(&v, end, why, whylen);
}

/* A file in pieces: whole lines are verified as they complete; a line
 * longer than the limit is kept to its first octets and refused. */
struct lines {
	char line[CTL_HASHLOG_LINE_MAX + 1];
	size_t len;
	bool too_long;
};

static long feed(struct vstate *v, struct lines *l, const char *p, size_t n, char *why,
		 size_t whylen)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t seg = nl ? (size_t)(nl - p) : n;
		long rc;

		if (l->len + seg > sizeof(l->line))
			l->too_long = true;
		else {
			memcpy(l->line + l->len, p, seg);
			l->len += seg;
		}
		if (!nl)
			return 0;
		rc = l->too_long ? bad(v->lineno + 1, why, whylen, "line too long")
				 : vline(v, l->line, l->len, why, whylen);
		if (rc != 0)
			return rc;
		l->len = 0;
		p += seg + 1;
		n -= seg + 1;
	}
	return 0;
}

long ctl_hashlog_verify_file(const char *path, const uint8_t *key, size_t keylen,
			     const struct ctl_hashlog_anchor *a, struct ctl_hashlog_end *end,
			     char *why, size_t whylen)
{
	struct vstate v = { .key = key, .keylen = keylen, .a = a };
	struct lines l;
	char chunk[16384];
	long rc = 0;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return CTL_HASHLOG_UNREADABLE;
	}
	memset(&l, 0, sizeof(l));
	while (rc == 0 && (got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			rc = CTL_HASHLOG_UNREADABLE;
			break;
		}
		rc = feed(&v, &l, chunk, (size_t)got, why, whylen);
	}
	close(fd);
	if (rc == 0 && (l.len > 0 || l.too_long))
		rc = bad(v.lineno + 1, why, whylen, "no final newline (cut record)");
	wipe(&l, sizeof(l));
	return rc != 0 ? rc : vend(&v, end, why, whylen);
}

long ctl_hashlog_check(const char *log_path, const char *anchor_path,
		       const struct ctl_hashlog_keys *k, struct ctl_hashlog_end *end, char *why,
		       size_t whylen)
{
	struct ctl_hashlog_anchor a;
	struct ctl_hashlog_end e;
	char awhy[256];
	long rc;
	int ar = ctl_hashlog_anchor_read(anchor_path, k->anchor, &a, awhy, sizeof(awhy));

	if (ar < 0) {
		snprintf(why, whylen, "%s", awhy);
		return -1;
	}
	rc = ctl_hashlog_verify_file(log_path, k->chain, sizeof(k->chain), ar == 0 ? &a : NULL, &e,
				     why, whylen);
	if (end)
		*end = e;
	if (rc == 0 && ar == 1 && e.seq > 0) {
		snprintf(why, whylen, "%llu records but no anchor (%s is missing): it was removed, "
				      "or the log was not written by this server",
			 (unsigned long long)e.seq, anchor_path);
		return CTL_HASHLOG_TRUNCATED;
	}
	return rc;
}

int ctl_hashlog_tail(const char *buf, size_t n, uint64_t *seq, uint8_t prev[CTL_HASHLOG_MAC])
{
	size_t end, start, reclen;

	*seq = 0;
	memset(prev, 0, CTL_HASHLOG_MAC);
	if (n == 0)
		return 0;
	if (buf[n - 1] != '\n')
		return -1;
	end = n - 1;
	start = end;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	if (parse_line(buf + start, end - start, &reclen, seq, prev) != 0) {
		*seq = 0;
		memset(prev, 0, CTL_HASHLOG_MAC);
		return -1;
	}
	return 0;
}
