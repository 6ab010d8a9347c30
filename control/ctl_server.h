/* twamp-controld's event loop: one thread, epoll, non-blocking sockets.
 *
 *   listeners ──accept──▶ admission (ctl_guard) ──▶ ctl_peer (socket +
 *   ctl_conn state machine + timer) ──▶ ctl_dp (session API)
 *   state socket ──▶ JSON of the operational state (ctl_state.c)
 *   signalfd: SIGTERM/SIGINT end the loop; every connection is then
 *   closed, which removes its sessions from the dataplane.
 *
 * Timers (ctl_timer.h): per connection the authentication timeout (until
 * Server-Start), SERVWAIT after it, and a short linger for a closing
 * connection whose last message is still queued; plus a housekeeping tick
 * every second (block list expiry, the alarm's lower limit). Nothing a
 * client sends blocks the loop: reads are exactly the length the state
 * machine waits for, at most CTL_READ_BUDGET octets per wakeup and
 * connection, output is queued and written when the socket is writable,
 * and a client that does not read stops being read from. */
#ifndef TWR_CTL_SERVER_H
#define TWR_CTL_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_config.h"
#include "ctl_conn.h"
#include "ctl_counters.h"
#include "ctl_dp.h"
#include "ctl_guard.h"
#include "ctl_log.h"
#include "ctl_loop.h"
#include "ctl_ports.h"
#include "ctl_timer.h"

#define CTL_STATE_DEFAULT_PATH "/run/twamp-controld/state.sock"
#define CTL_READ_BUDGET 8192u     /* octets read per connection and wakeup */
#define CTL_OUT_HIGH 8192u        /* stop reading a peer with this much queued */
#define CTL_LINGER_MS 2000u       /* a closing connection's last write */
#define CTL_DP_TIMEOUT_MS 1000u   /* one session API call */
#define CTL_TICK_MS 1000u

enum ctl_ev_kind { CTL_EV_LISTEN, CTL_EV_PEER, CTL_EV_STATE_LISTEN, CTL_EV_STATE_CLIENT,
		   CTL_EV_SIGNAL, CTL_EV_KEYAGENT };

/* What an epoll event points at: the first member of each owner. */
struct ctl_ev {
	enum ctl_ev_kind kind;
	int fd;                    /* -1 once closed */
	struct ctl_ev *dead;       /* graveyard link */
};

struct ctl_peer {
	struct ctl_ev ev;          /* first */
	struct ctl_server *srv;
	struct ctl_conn *conn;
	struct ctl_timer timer;
	bool pending;              /* counted in npending */
	bool want_out;             /* EPOLLOUT armed */
	const char *close_reason;
	struct ctl_peer *prev, *next;
};

struct ctl_state_client {
	struct ctl_ev ev;          /* first */
	struct ctl_server *srv;
	char *buf;
	size_t len, off;
	struct ctl_timer timer;
	struct ctl_state_client *prev, *next;
};

struct ctl_listener {
	struct ctl_ev ev;          /* first */
	struct ctl_server *srv;
	struct ctl_ip ip;
	struct ctl_timer pause;    /* out of descriptors: accept again later */
};

/* The link to twamp-keyagent (RFC 7717 keys; ctl_ika.c).
 *
 * Whether greetings offer IKEv2Derived is the key agent's answer to a
 * ping made every CTL_KA_PING_MS through the event loop (non-blocking
 * connect and send, the reply read when the socket is readable, given up
 * after key-agent-timeout), so the loop never waits for it: a change
 * (charon stopped or back) shows in greetings within CTL_KA_PING_MS +
 * key-agent-timeout, 2.5 s with the defaults. The first ping, at start-up,
 * is a blocking one.
 *
 * The lookup for a Set-Up-Response is blocking (ka_lookup_spi) and
 * bounded by key-agent-timeout (default 500 ms, at most 3000): the loop
 * stalls at worst that long per IKEv2 set-up; its answer updates the
 * state too (agent or charon gone: no longer offered). */
#define CTL_KA_PING_MS 2000u

enum ctl_ka_state {
	CTL_KA_UNUSED,        /* modes without IKEv2Derived: never asked */
	CTL_KA_OK,            /* agent and charon answer: offered */
	CTL_KA_CHARON_DOWN,   /* AGENT_DOWN */
	CTL_KA_UNREACHABLE,   /* NO_AGENT: no socket, refused, no answer in time */
	CTL_KA_ERROR,         /* an answer we cannot use (NOT_PERMITTED, MALFORMED, ...) */
};

struct ctl_ika {
	struct ctl_ev ev;          /* first: the ping in flight, fd -1 when none */
	struct ctl_server *srv;
	enum ctl_ka_state state;
	struct ctl_timer timer;    /* next ping, or the deadline of the one in flight */
	uint32_t ping_ms;          /* CTL_KA_PING_MS (tests: shorter, set before init) */
	uint8_t reply[KA_REPLY_LEN];
	size_t got;
};

struct ctl_server {
	const struct ctl_config *cfg;
	int epfd;
	struct ctl_ev sig;
	struct ctl_listener lis[CTL_MAX_LISTEN + 2];
	size_t nlis;
	struct ctl_ev state_lis;
	char state_path[108];
	struct ctl_timers timers;
	struct ctl_timer tick;
	struct ctl_guard guard;
	struct ctl_counters ctr;
	struct ctl_ports *ports;
	struct ctl_dp *dp;
	struct ctl_log log;
	struct ctl_conn_env env;
	uint8_t dummy_secret[32];
	struct ctl_peer *clients;
	uint32_t nclients, npending;
	struct ctl_state_client *state_clients;
	struct ctl_ev *graveyard;  /* closed in this batch, freed after it */
	unsigned nstate;           /* state readers being served */
	struct ly_ctx *yctx;       /* for the state JSON */
	struct ctl_ika ika;
	bool stop;
};

struct ctl_server_opts {
	const char *session_socket;
	const char *state_socket;
};

/* Everything up: log, dataplane client (FLUSH), listeners, state socket.
 * Returns -1 with the reason in err. */
int ctl_server_init(struct ctl_server *s, const struct ctl_config *cfg,
		    const struct ctl_server_opts *o, char *err, size_t errlen);
/* Runs until SIGTERM/SIGINT. Returns 0, or -1 if epoll fails. */
int ctl_server_run(struct ctl_server *s);
/* Closes every connection (removing their sessions) and frees it all. */
void ctl_server_fini(struct ctl_server *s);

/* ---- internal, shared by ctl_server*.c ---- */
int ctl_listen_open(struct ctl_server *s, char *err, size_t errlen);
void ctl_listen_accept(struct ctl_server *s, struct ctl_listener *l);
void ctl_peer_add(struct ctl_server *s, int fd, const struct ctl_ip *peer, uint16_t pport,
		    const struct ctl_ip *local, uint16_t lport);
void ctl_peer_event(struct ctl_peer *cl, uint32_t events);
void ctl_peer_close(struct ctl_peer *cl, const char *reason);
/* Free a closed client or state reader after the current batch of events
 * (another event of the batch may still point at it). */
void ctl_bury(struct ctl_server *s, struct ctl_ev *ev);
int ctl_statesock_open(struct ctl_server *s, const char *path, char *err, size_t errlen);
void ctl_statesock_accept(struct ctl_server *s);
void ctl_statesock_event(struct ctl_state_client *sc, uint32_t events);
void ctl_statesock_close_all(struct ctl_server *s);
/* The key agent link: first (blocking) ping and the schedule, when modes
 * has IKEv2Derived; the env hooks (arg: the server). */
void ctl_ika_init(struct ctl_server *s);
void ctl_ika_event(struct ctl_ika *k, uint32_t events);
void ctl_ika_fini(struct ctl_ika *k);
bool ctl_ika_offer(void *arg);
enum ka_status ctl_ika_lookup(void *arg, const uint8_t spi_i[KA_SPI_LEN],
			      const uint8_t spi_r[KA_SPI_LEN], struct ka_reply *out);
const char *ctl_ka_state_str(enum ctl_ka_state st);
/* The operational state as YANG JSON (malloc'ed), NULL on failure. */
char *ctl_state_json(struct ctl_server *s);

#endif
