/* Audit lines:
 *   2025-06-01T12:00:00.123Z pid=812 uid=998 gid=998 request=spi
 *   spi=0123456789abcdef:fedcba9876543210 peer=- status=OK client=ctl
 *   prf=HMAC_SHA2_256 remote=10.99.0.2 remote-id="moon.example" reason="..."
 * (one line). The key is never passed here. */
#include "ka_audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct out {
	char *buf;
	size_t len, n;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (o->n >= o->len)
		return;
	va_start(ap, fmt);
	w = vsnprintf(o->buf + o->n, o->len - o->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		o->n += (size_t)w < o->len - o->n ? (size_t)w : o->len - o->n - 1;
}

static void put_quoted(struct out *o, const char *s)
{
	put(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			put(o, "\\x%02x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

static void put_spi(struct out *o, const uint8_t *spi)
{
	for (int i = 0; i < KA_SPI_LEN; i++)
		put(o, "%02x", spi[i]);
}

static const char *type_name(uint8_t type)
{
	switch (type) {
	case KA_PING: return "ping";
	case KA_LOOKUP_SPI: return "spi";
	case KA_LOOKUP_PEER: return "peer";
	default: return "?";
	}
}

static void put_time(struct out *o)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	put(o, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
}

size_t ka_audit_format(const struct ka_audit_rec *r, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	char a[64];

	if (len < 2) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	buf[0] = '\0';
	put_time(&o);
	put(&o, " pid=%ld uid=%lu gid=%lu request=%s", (long)r->caller.pid,
	    (unsigned long)r->caller.uid, (unsigned long)r->caller.gid, type_name(r->type));
	if (r->has_spis) {
		put(&o, " spi=");
		put_spi(&o, r->spi_i);
		put(&o, ":");
		put_spi(&o, r->spi_r);
	}
	if (r->peer.family)
		put(&o, " peer=%s", ka_addr_format(&r->peer, a, sizeof(a)));
	put(&o, " status=%s", ka_status_name(r->status));
	if (r->rule)
		put(&o, " client=%s", r->rule);
	if (r->remote.family) {
		const char *prf = ka_prf_name(r->prf);

		put(&o, " prf=%s remote=%s remote-id=", prf ? prf : "?",
		    ka_addr_format(&r->remote, a, sizeof(a)));
		put_quoted(&o, r->remote_id);
	}
	if (r->reason) {
		put(&o, " reason=");
		put_quoted(&o, r->reason);
	}
	if (o.n + 1 < o.len) {
		buf[o.n++] = '\n';
		buf[o.n] = '\0';
	} else {
		buf[o.len - 2] = '\n'; /* cut, but still one line */
		o.n = o.len - 1;
	}
	return o.n;
}

/* A regular file only: no FIFO (would block), no device, no link. */
int ka_audit_open(const char *path)
{
	struct stat st;
	int fd;

	if (!path || !*path)
		return STDERR_FILENO;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
		  0640);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) != 0) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

void ka_audit_write(int fd, const struct ka_audit_rec *rec)
{
	char line[1024];
	size_t n = ka_audit_format(rec, line, sizeof(line));

	if (write(fd, line, n) != (ssize_t)n && fd != STDERR_FILENO)
		fprintf(stderr, "twamp-keyagent: audit log write failed (%s): %s", strerror(errno),
			line);
}
