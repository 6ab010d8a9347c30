/* twamp-controld's server: the handlers assembled around one event loop
 * (ctl_loop.h; one thread, non-blocking sockets; the authentication
 * workers touch nothing but their jobs).
 *
 *   listeners (ctl_listen: admission by ctl_guard) ──admitted──▶ peers
 *   (ctl_peer: socket + ctl_conn state machine + timer) ──▶ ctl_dp
 *   (session API)
 *   state socket (ctl_statesock) ──▶ the YANG JSON document (ctl_state)
 *   key agent link (ctl_ika): whether greetings offer IKEv2Derived
 *   authentication pool (ctl_authpool): worker threads for the peers'
 *   PBKDF2 / key agent jobs, results back through an eventfd
 *   signalfd: SIGTERM/SIGINT stop the loop; every connection is then
 *   closed, which removes its sessions from the dataplane.
 *
 * Only the server knows every handler: it hands each what it may touch
 * (the loop, the configuration, the log, callbacks into the server), and
 * a handler knows the loop and none of the others. A housekeeping timer
 * ticks every second (block list expiry, the alarm's lower limit). */
#ifndef TWR_CTL_SERVER_H
#define TWR_CTL_SERVER_H

#include <stdint.h>
#include <sys/types.h>

#include "ctl_authpool.h"
#include "ctl_config.h"
#include "ctl_conn.h"
#include "ctl_counters.h"
#include "ctl_dp.h"
#include "ctl_guard.h"
#include "ctl_ika.h"
#include "ctl_listen.h"
#include "ctl_log.h"
#include "ctl_loop.h"
#include "ctl_peer.h"
#include "ctl_ports.h"
#include "ctl_statesock.h"

#define CTL_STATE_DEFAULT_PATH "/run/twamp-controld/state.sock"
#define CTL_DP_TIMEOUT_MS 1000u   /* one session API call */
#define CTL_TICK_MS 1000u

struct ctl_server {
	const struct ctl_config *cfg;
	struct ctl_loop loop;
	int sig_fd;
	struct ctl_listeners lis;
	struct ctl_peers peers;
	struct ctl_statesock state;
	struct ctl_ika ika;
	struct ctl_authpool pool;  /* authentication workers */
	struct ctl_timer tick;
	struct ctl_guard guard;
	struct ctl_counters ctr;
	struct ctl_ports *ports;
	struct ctl_dp *dp;
	struct ctl_log log;
	struct ctl_conn_env env;
	uint8_t dummy_secret[32];
	struct ly_ctx *yctx;       /* for the state JSON */
};

struct ctl_server_opts {
	const char *session_socket;
	const char *state_socket;
	uid_t run_uid;             /* who the server will run as: may own the state directory */
};

/* Everything up: log, dataplane client (FLUSH), listeners, state socket.
 * Returns -1 with the reason in err. */
int ctl_server_init(struct ctl_server *s, const struct ctl_config *cfg,
		    const struct ctl_server_opts *o, char *err, size_t errlen);
/* Starts the authentication workers (the process's only other threads,
 * so after the privilege drop), then runs until SIGTERM/SIGINT. Returns 0,
 * or -1 if the workers cannot start or epoll fails. */
int ctl_server_run(struct ctl_server *s);
/* Closes every connection (removing their sessions) and frees it all. */
void ctl_server_fini(struct ctl_server *s);

#endif
