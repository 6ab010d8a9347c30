/* The operational-state socket: a Unix SOCK_STREAM socket, mode 0600. A
 * reader connects, gets the document env->build makes (the state as YANG
 * JSON, ctl_state.h), and the server closes. Writes are non-blocking like
 * everything else; a reader that does not take the document within
 * CTL_STATE_TIMEOUT_MS is dropped, and at most CTL_STATE_CLIENTS are
 * served at once. */
#ifndef TWR_CTL_STATESOCK_H
#define TWR_CTL_STATESOCK_H

#include <stddef.h>
#include <sys/types.h>

#include "ctl_counters.h"
#include "ctl_log.h"
#include "ctl_loop.h"

#define CTL_STATE_CLIENTS 16
#define CTL_STATE_TIMEOUT_MS 5000u

/* What the state socket may touch. */
struct ctl_statesock_env {
	struct ctl_loop *loop;
	struct ctl_log *log;
	struct ctl_counters *ctr;
	char *(*build)(void *arg);   /* the document (malloc'ed), NULL on failure */
	void *arg;
	uid_t dir_owner;             /* may own the socket's directory, besides root */
};

struct ctl_state_reader;

struct ctl_statesock {
	struct ctl_statesock_env env;
	int fd;                      /* -1: not open */
	char path[108];
	struct ctl_state_reader *readers;
	unsigned n;                  /* readers being served */
};

/* Listen on path: its directory made (0750) if missing, else checked
 * (common/sock_dir.h); a stale socket replaced, any other file refused;
 * the mode set through the descriptor. Returns -1 with the reason in err. */
int ctl_statesock_open(struct ctl_statesock *ss, const struct ctl_statesock_env *env,
		       const char *path, char *err, size_t errlen);
/* Drops every reader, closes and removes the socket. */
void ctl_statesock_close(struct ctl_statesock *ss);

#endif
