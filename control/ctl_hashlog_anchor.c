/* The anchor of the local log: its one line, written and authenticated
 * under the anchor key (see ctl_hashlog.h). The parser is strict: the
 * exact fields in their order, lower-case hex, one line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ctl_hashlog.h"
#include "ctl_hashlog_priv.h"
#include "secure_mem.h"

#define ANCHOR_MAX 256   /* longest anchor line */
#define MAC_SEP " mac="

static int anchor_mac(const uint8_t akey[CTL_HASHLOG_KEY], const char *rec, size_t len,
		      uint8_t mac[CTL_HASHLOG_MAC])
{
	unsigned int mlen = 0;

	return HMAC(EVP_sha256(), akey, CTL_HASHLOG_KEY, (const unsigned char *)rec, len, mac,
		    &mlen) && mlen == CTL_HASHLOG_MAC ? 0 : -1;
}

size_t ctl_hashlog_anchor_line(char *out, size_t cap, uint64_t seq,
			       const uint8_t head[CTL_HASHLOG_MAC], uint64_t unix_ns,
			       const uint8_t akey[CTL_HASHLOG_KEY])
{
	char ts[64], hhex[2 * CTL_HASHLOG_MAC + 1], mhex[2 * CTL_HASHLOG_MAC + 1];
	uint8_t mac[CTL_HASHLOG_MAC];
	int n;

	ctl_hashlog_iso_time(unix_ns, ts);
	ctl_hashlog_hex(head, CTL_HASHLOG_MAC, hhex);
	/* fixed length: seq in 20 digits, the time in 24 characters */
	n = snprintf(out, cap, "anchor v1 seq=%020llu head=%s time=%s", (unsigned long long)seq,
		     hhex, ts);
	if (n < 0 || (size_t)n >= cap || anchor_mac(akey, out, (size_t)n, mac) != 0)
		return 0;
	ctl_hashlog_hex(mac, sizeof(mac), mhex);
	if ((size_t)n + strlen(MAC_SEP) + 2 * CTL_HASHLOG_MAC + 2 > cap)
		return 0;
	n += snprintf(out + n, cap - (size_t)n, "%s%s\n", MAC_SEP, mhex);
	return (size_t)n;
}

static int fail(char *why, size_t whylen, const char *reason)
{
	snprintf(why, whylen, "anchor: %s", reason);
	return -1;
}

/* "key=" at *p: advance past it or fail */
static bool take(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

/* exactly 20 decimal digits, at most UINT64_MAX */
static bool take_seq(const char **p, const char *end, uint64_t *seq)
{
	uint64_t v = 0;

	if (end - *p < 20)
		return false;
	for (int i = 0; i < 20; i++) {
		unsigned d = (unsigned)((*p)[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p += 20;
	*seq = v;
	return true;
}

int ctl_hashlog_anchor_parse(const char *buf, size_t n, const uint8_t akey[CTL_HASHLOG_KEY],
			     struct ctl_hashlog_anchor *a, char *why, size_t whylen)
{
	const size_t tail = strlen(MAC_SEP) + 2 * CTL_HASHLOG_MAC + 1;
	const char *p = buf, *end, *t;
	uint8_t mac[CTL_HASHLOG_MAC], want[CTL_HASHLOG_MAC];
	size_t tlen;

	memset(a, 0, sizeof(*a));
	if (n == 0)
		return fail(why, whylen, "empty");
	if (n > ANCHOR_MAX || n < tail || buf[n - 1] != '\n' || memchr(buf, '\n', n - 1))
		return fail(why, whylen, "not one line of the anchor format");
	end = buf + n - tail;
	if (memcmp(end, MAC_SEP, strlen(MAC_SEP)) != 0 ||
	    ctl_hashlog_unhex(end + strlen(MAC_SEP), mac, sizeof(mac)) != 0)
		return fail(why, whylen, "no MAC");
	if (!take(&p, end, "anchor v1 seq=") || !take_seq(&p, end, &a->seq) ||
	    !take(&p, end, " head=") || end - p < 2 * CTL_HASHLOG_MAC ||
	    ctl_hashlog_unhex(p, a->head, sizeof(a->head)) != 0)
		return fail(why, whylen, "malformed sequence number or head");
	p += 2 * CTL_HASHLOG_MAC;
	if (!take(&p, end, " time="))
		return fail(why, whylen, "malformed time");
	t = p;
	tlen = (size_t)(end - t);
	if (tlen == 0 || tlen >= sizeof(a->time) || memchr(t, ' ', tlen))
		return fail(why, whylen, "malformed time");
	for (size_t i = 0; i < tlen; i++)
		if (t[i] < 0x21 || t[i] > 0x7e)
			return fail(why, whylen, "malformed time");
	if (anchor_mac(akey, buf, (size_t)(end - buf), want) != 0 ||
	    !ct_equal(want, mac, sizeof(mac))) {
		memset(a, 0, sizeof(*a));
		return fail(why, whylen, "MAC does not verify (altered, or written under another "
					 "log-key)");
	}
	memcpy(a->time, t, tlen);
	a->time[tlen] = '\0';
	return 0;
}

int ctl_hashlog_anchor_read(const char *path, const uint8_t akey[CTL_HASHLOG_KEY],
			    struct ctl_hashlog_anchor *a, char *why, size_t whylen)
{
	char buf[ANCHOR_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char r[160];

	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (ctl_hashlog_anchor_parse(buf, (size_t)n, akey, a, r, sizeof(r)) != 0) {
		snprintf(why, whylen, "%s: %s", path, r);
		return -1;
	}
	return 0;
}
