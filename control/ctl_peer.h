/* The server's side of each control connection's socket: reads exactly
 * what its state machine (ctl_conn.h) waits for, writes what it queued,
 * and runs its timer (the authentication timeout until Server-Start,
 * SERVWAIT and open-idle-timeout after it, a short linger while its last
 * message is queued). A pending connection the peer closes or resets is
 * an abandoned authentication (ctl_conn_abandoned).
 *
 * Nothing a client sends blocks the loop: at most CTL_READ_BUDGET octets
 * are read per wakeup and connection, output is written when the socket
 * is writable, and a client that does not read stops being read from.
 * A complete Set-Up-Response's authentication job goes to the pool
 * (ctl_authpool.h); meanwhile the connection is neither read (its state
 * machine wants nothing) nor timed differently: it is pending until
 * Server-Start, under the authentication timeout, and closing it cancels
 * the job.
 * A peer touches the loop, the pool and its connection's environment
 * (ctl_conn_env: configuration, log, counters), nothing else. */
#ifndef TWR_CTL_PEER_H
#define TWR_CTL_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_addr.h"
#include "ctl_authpool.h"
#include "ctl_conn.h"
#include "ctl_guard.h"
#include "ctl_loop.h"

#define CTL_READ_BUDGET 8192u     /* octets read per connection and wakeup */
#define CTL_OUT_HIGH 8192u        /* stop reading a peer with this much queued */
#define CTL_LINGER_MS 2000u       /* a closing connection's last write */

struct ctl_peers;

struct ctl_peer {
	struct ctl_peers *set;
	int fd;
	struct ctl_conn *conn;
	struct ctl_timer timer;
	bool pending;              /* counted in npending */
	struct ctl_auth_job *job;  /* in the pool, result not back */
	struct ctl_peer *prev, *next;
};

/* Every open connection. */
struct ctl_peers {
	struct ctl_loop *loop;
	const struct ctl_conn_env *env;
	struct ctl_authpool *pool; /* runs the jobs when env->auth_async */
	struct ctl_peer *head;
	uint32_t n, npending;      /* npending: before Server-Start */
};

void ctl_peer_init(struct ctl_peers *ps, struct ctl_loop *loop, const struct ctl_conn_env *env);
/* Takes an accepted, admitted connection's fd and sends the greeting;
 * closes fd if it cannot. */
void ctl_peer_add(struct ctl_peers *ps, int fd, const struct ctl_ip *peer, uint16_t pport,
		  const struct ctl_ip *local, uint16_t lport);
/* Closes and frees p: its sessions leave the dataplane. */
void ctl_peer_close(struct ctl_peer *p, const char *reason);
void ctl_peer_close_all(struct ctl_peers *ps, const char *reason);
/* For admission: every connection, the pending ones, those from ip's
 * source (ctl_guard_source). */
struct ctl_conn_counts ctl_peer_counts(const struct ctl_peers *ps, const struct ctl_guard *g,
				       const struct ctl_ip *ip);
/* A new connection (newcomer: its "addr:port") was admitted with why
 * (CTL_ADMIT_EVICT_PENDING / _IDLE): close the connection that gives way
 * first (ctl_guard_before), with a counter and a log line naming both.
 * false when none may. An evicted connection is not an abandoned
 * authentication. */
bool ctl_peer_make_room(struct ctl_peers *ps, enum ctl_admit why, const char *newcomer);

#endif
