/* The listening sockets and the admission of new control connections:
 * the control ACL, the block list and the connection limits are checked
 * before anything is sent (ctl_guard_admit); a refused connection is
 * closed at once, one admitted at a limit first makes another give way
 * (env->make_room), an admitted one is handed over through
 * env->admitted. */
#ifndef TWR_CTL_LISTEN_H
#define TWR_CTL_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_addr.h"
#include "ctl_config.h"
#include "ctl_counters.h"
#include "ctl_guard.h"
#include "ctl_log.h"
#include "ctl_loop.h"

/* What the listeners may touch. */
struct ctl_listen_env {
	struct ctl_loop *loop;
	const struct ctl_config *cfg;
	struct ctl_log *log;
	struct ctl_counters *ctr;
	struct ctl_guard *guard;
	/* the connections there are, for the limits */
	struct ctl_conn_counts (*counts)(void *arg, const struct ctl_ip *peer);
	/* close the connection that gives way to newcomer ("addr:port"):
	 * false if none may (ctl_peer_make_room) */
	bool (*make_room)(void *arg, enum ctl_admit why, const char *newcomer);
	/* an admitted connection: the callee owns fd */
	void (*admitted)(void *arg, int fd, const struct ctl_ip *peer, uint16_t pport,
			 const struct ctl_ip *local, uint16_t lport);
	void *arg;
};

struct ctl_listeners;

struct ctl_listener {
	struct ctl_listeners *set;
	int fd;
	struct ctl_ip ip;
	struct ctl_timer pause;    /* out of descriptors: accept again later */
};

struct ctl_listeners {
	struct ctl_listen_env env;
	struct ctl_listener lis[CTL_MAX_LISTEN + 2];
	size_t n;
};

/* Listen on server/listen (or on every address when none is given; one
 * address family may fail), unless admin-state is false. Returns -1 with
 * the reason in err. */
int ctl_listen_open(struct ctl_listeners *ls, const struct ctl_listen_env *env, char *err,
		    size_t errlen);
void ctl_listen_close(struct ctl_listeners *ls);

#endif
