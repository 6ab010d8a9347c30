/* The local security log file: opened once with its security checked,
 * appended one whole line per write(2) (O_APPEND), continuing the chain of
 * what the file already holds (see ctl_hashlog.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_hashlog.h"
#include "secmem.h"
#include "secure_mem.h"

#define TAIL_READ (2 * CTL_HASHLOG_LINE_MAX)

struct ctl_hashlog {
	int fd;
	uint64_t seq;
	uint8_t prev[CTL_HASHLOG_MAC];
	uint8_t key[256];
	size_t keylen;
	bool chained;
};

static int check_file(int fd, bool require_root, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (require_root && st.st_uid != 0) {
		snprintf(err, errlen, "%s: not owned by root (file-security require-root-owner)", path);
		return -1;
	}
	if (require_root && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "%s: writable by group or others (file-security)", path);
		return -1;
	}
	return 0;
}

/* The last records of the file, to go on with its chain. */
static void read_tail(struct ctl_hashlog *h, const char *path)
{
	char buf[TAIL_READ];
	off_t size = lseek(h->fd, 0, SEEK_END), from;
	ssize_t n;
	size_t skip = 0;

	if (size <= 0)
		return;
	from = size > TAIL_READ ? size - TAIL_READ : 0;
	n = pread(h->fd, buf, sizeof(buf), from);
	if (n <= 0)
		return;
	if (from > 0) { /* start at a line boundary */
		char *nl = memchr(buf, '\n', (size_t)n);

		skip = nl ? (size_t)(nl - buf) + 1 : (size_t)n;
	}
	if (ctl_hashlog_tail(buf + skip, (size_t)n - skip, &h->seq, h->prev) != 0)
		fprintf(stderr, "twamp-controld: warning: %s: last record unreadable; "
				"the chain starts afresh (verification will stop there)\n", path);
}

struct ctl_hashlog *ctl_hashlog_open(const char *path, const uint8_t *key, size_t keylen,
				     bool require_root, char *err, size_t errlen)
{
	/* the chain key: on pages out of core dumps (secmem.h) */
	struct ctl_hashlog *h = secmem_alloc(sizeof(*h));

	if (!h || keylen > sizeof(h->key)) {
		snprintf(err, errlen, "%s: %s", path, h ? "hash-chain key too long" : "out of memory");
		secmem_free(h, sizeof(*h));
		return NULL;
	}
	h->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (h->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		secmem_free(h, sizeof(*h));
		return NULL;
	}
	if (check_file(h->fd, require_root, path, err, errlen) != 0) {
		close(h->fd);
		secmem_free(h, sizeof(*h));
		return NULL;
	}
	h->chained = key != NULL;
	if (key) {
		memcpy(h->key, key, keylen);
		h->keylen = keylen;
	}
	read_tail(h, path);
	return h;
}

int ctl_hashlog_append(struct ctl_hashlog *h, uint64_t unix_ns, const char *text)
{
	char line[CTL_HASHLOG_LINE_MAX + 1];
	uint8_t prev[CTL_HASHLOG_MAC];
	size_t n;

	memcpy(prev, h->prev, sizeof(prev));
	n = ctl_hashlog_line(line, sizeof(line), h->seq + 1, unix_ns, text,
			     h->chained ? h->key : NULL, h->keylen, prev);
	if (n == 0 || write(h->fd, line, n) != (ssize_t)n)
		return -1;
	h->seq++;
	memcpy(h->prev, prev, sizeof(prev));
	return 0;
}

void ctl_hashlog_close(struct ctl_hashlog *h)
{
	if (!h)
		return;
	close(h->fd);
	secmem_free(h, sizeof(*h)); /* wiped */
}

long ctl_hashlog_verify_file(const char *path, const uint8_t *key, size_t keylen, char *why,
			     size_t whylen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	long rc;

	if (!f) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			char *nb = cap > (SIZE_MAX / 2) ? NULL : realloc(buf, cap ? 2 * cap : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(why, whylen, "%s: out of memory", path);
				return -1;
			}
			buf = nb;
			cap = cap ? 2 * cap : 65536;
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	rc = ferror(f) ? -1 : ctl_hashlog_verify_buf(buf, n, key, keylen, why, whylen);
	if (rc == -1 && ferror(f))
		snprintf(why, whylen, "%s: read error", path);
	fclose(f);
	free(buf);
	return rc;
}
