/* The configuration loader in a child process (cfg_isolate.h). */
#include "cfg_isolate.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "secure_mem.h"

/* The shared mapping: this header, out, err. */
struct result {
	volatile int done;  /* the child got to the end (if its status is lost) */
	int rc;
	uint8_t pad[64 - 2 * sizeof(int)];
};

static void reason(char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "configuration loader: %s: %s", what, strerror(e));
}

/* The child's exit: fn done, status lost to a SIGCHLD ignored: trust done. */
static int child_status(pid_t pid, const struct result *r, char *err, size_t errlen)
{
	int st;
	pid_t w;

	do
		w = waitpid(pid, &st, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return r->done ? 0 : (reason(err, errlen, "lost the child", errno), -1);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && r->done)
		return 0;
	if (WIFSIGNALED(st))
		snprintf(err, errlen, "configuration loader died of signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(err, errlen, "configuration loader exited with status %d",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return -1;
}

int cfg_isolated(cfg_isolated_fn fn, void *ctx, void *out, size_t outlen, char *err,
		 size_t errlen)
{
	size_t len = sizeof(struct result) + outlen + errlen;
	struct result *r;
	uint8_t *o;
	char *e;
	pid_t pid;
	int rc = -1;

	r = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		reason(err, errlen, "shared memory", errno);
		return -1;
	}
	madvise(r, len, MADV_DONTDUMP); /* best effort: it holds the keys */
	o = (uint8_t *)(r + 1);
	e = (char *)o + outlen;
	memcpy(o, out, outlen);
	pid = fork();
	if (pid == 0) {
		r->rc = fn(ctx, o, e, errlen);
		r->done = 1;
		_exit(0); /* no atexit handlers, no stdio flush: the parent's */
	}
	if (pid < 0) {
		reason(err, errlen, "fork", errno);
	} else if (child_status(pid, r, err, errlen) == 0) {
		rc = r->rc;
		memcpy(out, o, outlen);
		if (errlen > 0) {
			e[errlen - 1] = '\0';
			snprintf(err, errlen, "%s", e);
		}
	}
	wipe(r, len);
	munmap(r, len);
	return rc;
}
