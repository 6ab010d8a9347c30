/* Hash-chained log records: format, MAC and verification (see
 * ctl_hashlog.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ctl_hashlog.h"
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

static void iso_time(uint64_t unix_ns, char out[64])
{
	time_t s = (time_t)(unix_ns / 1000000000u);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(unix_ns / 1000000u % 1000u));
}

static void hex(const uint8_t *p, size_t n, char *out)
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
	iso_time(unix_ns, ts);
	n = snprintf(out, cap, "%llu %s %s", (unsigned long long)seq, ts, text);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	if (key) {
		if (ctl_hashlog_mac(key, keylen, prev, out, (size_t)n, mac) != 0)
			return 0;
		hex(mac, sizeof(mac), machex);
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

static int unhex(const char *s, uint8_t *out, size_t n)
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
	return unhex(line + len - 2 * CTL_HASHLOG_MAC, mac, CTL_HASHLOG_MAC);
}

static long bad(long lineno, char *why, size_t whylen, const char *reason)
{
	snprintf(why, whylen, "line %ld: %s", lineno, reason);
	return lineno;
}

long ctl_hashlog_verify_buf(const char *buf, size_t n, const uint8_t *key, size_t keylen,
			    char *why, size_t whylen)
{
	uint8_t prev[CTL_HASHLOG_MAC] = { 0 }, mac[CTL_HASHLOG_MAC], want[CTL_HASHLOG_MAC];
	size_t off = 0;
	long lineno = 0;
	uint64_t seq, last = 0;

	snprintf(why, whylen, "ok");
	while (off < n) {
		const char *nl = memchr(buf + off, '\n', n - off);
		size_t len = nl ? (size_t)(nl - (buf + off)) : n - off, reclen;

		lineno++;
		if (!nl)
			return bad(lineno, why, whylen, "no final newline (cut record)");
		if (len > CTL_HASHLOG_LINE_MAX)
			return bad(lineno, why, whylen, "line too long");
		if (parse_line(buf + off, len, &reclen, &seq, mac) != 0)
			return bad(lineno, why, whylen, "no sequence number or MAC");
		if (seq != last + 1)
			return bad(lineno, why, whylen, "sequence number out of order");
		if (ctl_hashlog_mac(key, keylen, prev, buf + off, reclen, want) != 0 ||
		    !ct_equal(want, mac, sizeof(mac)))
			return bad(lineno, why, whylen, "MAC does not verify");
		memcpy(prev, mac, sizeof(prev));
		last = seq;
		off += len + 1;
	}
	return 0;
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
