/* The local security log file: opened once with its security checked and
 * its chain verified against its anchor, appended one whole line per
 * write(2) (O_APPEND), continuing the chain of what the file already holds;
 * and the anchor file, rewritten in place (see ctl_hashlog.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl_config.h"
#include "ctl_hashlog.h"
#include "secmem.h"
#include "secure_mem.h"

#define TAIL_READ (2 * CTL_HASHLOG_LINE_MAX)

struct ctl_hashlog {
	int fd;
	int afd;                 /* the anchor file, kept open: rewritten in place */
	uint64_t seq;
	uint8_t prev[CTL_HASHLOG_MAC];
	bool chained;
	bool require_root;
	struct ctl_hashlog_keys keys;
	char anchor_path[CTL_PATH_MAX];
	uint64_t anchored_seq;   /* of the last anchor written; UINT64_MAX: none yet */
	uint64_t unanchored;     /* records past the anchor at open */
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

/* No chain: the last record of the file, to go on with its numbering. */
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
				"numbering starts afresh\n", path);
}

/* With a chain: the whole log must verify and match its anchor before the
 * chain goes on. */
static int resume_chain(struct ctl_hashlog *h, const char *path, char *err, size_t errlen)
{
	struct ctl_hashlog_end end;
	char why[384];
	long rc;
	int afd = open(h->anchor_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (afd >= 0) { /* the anchor is under the same file-security rule */
		int bad = check_file(afd, h->require_root, h->anchor_path, err, errlen);

		close(afd);
		if (bad)
			return -1;
	}
	rc = ctl_hashlog_check(path, h->anchor_path, &h->keys, &end, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen,
			 "local security log %s does not verify against its anchor %s: %s; "
			 "refusing to continue this chain: keep both files for investigation, "
			 "move them aside (rotate the log) and start again",
			 path, h->anchor_path, why);
		return -1;
	}
	h->seq = end.seq;
	memcpy(h->prev, end.mac, sizeof(h->prev));
	h->unanchored = end.after_anchor;
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void hashlog_free(struct ctl_hashlog *h)
{
	if (h->fd >= 0)
		close(h->fd);
	if (h->afd >= 0)
		close(h->afd);
	secmem_free(h, sizeof(*h)); /* wiped */
}

struct ctl_hashlog *ctl_hashlog_open(const struct ctl_hashlog_opts *o, char *err, size_t errlen)
{
	/* the chain keys: on pages out of core dumps (secmem.h) */
	struct ctl_hashlog *h = secmem_alloc(sizeof(*h));

	if (!h) {
		snprintf(err, errlen, "%s: out of memory", o->path);
		return NULL;
	}
	h->afd = -1;
	h->chained = o->keys != NULL;
	h->require_root = o->require_root;
	h->anchored_seq = UINT64_MAX;
	if (h->chained) {
		h->keys = *o->keys;
		if (!o->anchor_path ||
		    snprintf(h->anchor_path, sizeof(h->anchor_path), "%s", o->anchor_path) >=
			    (int)sizeof(h->anchor_path)) {
			snprintf(err, errlen, "%s: no usable anchor-file path", o->path);
			h->fd = -1;
			hashlog_free(h);
			return NULL;
		}
	}
	h->fd = open(o->path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (h->fd < 0) {
		snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
		hashlog_free(h);
		return NULL;
	}
	if (check_file(h->fd, o->require_root, o->path, err, errlen) != 0 ||
	    (h->chained && resume_chain(h, o->path, err, errlen) != 0)) {
		hashlog_free(h);
		return NULL;
	}
	if (!h->chained) {
		read_tail(h, o->path);
		return h;
	}
	/* opened now, written for the life of the server: no directory access
	 * is needed later (a server that has given up root keeps its files) */
	h->afd = open(h->anchor_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (h->afd < 0 || check_file(h->afd, o->require_root, h->anchor_path, err, errlen) != 0) {
		if (h->afd < 0)
			snprintf(err, errlen, "%s: %s", h->anchor_path, strerror(errno));
		hashlog_free(h);
		return NULL;
	}
	if (ctl_hashlog_anchor(h, realtime_ns(), true, NULL, 0) < 0) {
		snprintf(err, errlen, "%s: cannot write the anchor: %s", h->anchor_path,
			 strerror(errno));
		hashlog_free(h);
		return NULL;
	}
	return h;
}

uint64_t ctl_hashlog_unanchored(const struct ctl_hashlog *h)
{
	return h->unanchored;
}

int ctl_hashlog_append(struct ctl_hashlog *h, uint64_t unix_ns, const char *text)
{
	char line[CTL_HASHLOG_LINE_MAX + 1];
	uint8_t prev[CTL_HASHLOG_MAC];
	size_t n;

	memcpy(prev, h->prev, sizeof(prev));
	n = ctl_hashlog_line(line, sizeof(line), h->seq + 1, unix_ns, text,
			     h->chained ? h->keys.chain : NULL, sizeof(h->keys.chain), prev);
	if (n == 0 || write(h->fd, line, n) != (ssize_t)n)
		return -1;
	h->seq++;
	memcpy(h->prev, prev, sizeof(prev));
	return 0;
}

/* The anchor line has a fixed length (ctl_hashlog_anchor_line): the new
 * one overwrites the old in place, in one pwrite(2) of one line, and is on
 * disk (fdatasync) before the call returns. A crash in the middle of that
 * write would leave an anchor that does not verify: the server then refuses
 * to start, never accepts a shortened log. */
static int replace_anchor(int afd, const char *buf, size_t n)
{
	if (pwrite(afd, buf, n, 0) != (ssize_t)n || ftruncate(afd, (off_t)n) != 0 ||
	    fdatasync(afd) != 0)
		return -1;
	return 0;
}

int ctl_hashlog_anchor(struct ctl_hashlog *h, uint64_t unix_ns, bool force, char *line,
		       size_t linecap)
{
	char buf[256];
	size_t n;

	if (!h || !h->chained || (!force && h->seq == h->anchored_seq))
		return 0;
	if (fsync(h->fd) != 0) /* the records the anchor covers are on disk first */
		return -1;
	n = ctl_hashlog_anchor_line(buf, sizeof(buf), h->seq, h->prev, unix_ns, h->keys.anchor);
	if (n == 0) {
		errno = EOVERFLOW;
		return -1;
	}
	if (replace_anchor(h->afd, buf, n) != 0)
		return -1;
	h->anchored_seq = h->seq;
	if (line && linecap > 0)
		snprintf(line, linecap, "%.*s", (int)(n - 1), buf);
	return 1;
}

void ctl_hashlog_close(struct ctl_hashlog *h)
{
	if (h)
		hashlog_free(h);
}
