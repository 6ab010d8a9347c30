/* Session-Sender of one TWAMP Light test session on kernel sockets: sends
 * `count` packets at `interval`, keeps at most `window` unanswered packets in
 * flight, verifies and matches the replies, and feeds them to the statistics.
 * A packet stops counting against the window once it is answered or older
 * than `timeout` (it is then presumed lost, but a later reply is still
 * counted until the session ends). The session ends `timeout` after the last
 * send, or as soon as every packet has been answered.
 *
 * Used by the `light` command; the TWAMP-Control client runs the same loop
 * for each session it negotiated, several at once (light_run_many), on
 * sockets it opened before the negotiation (their ports go in the requests).
 */
#ifndef TWCLI_LIGHT_SENDER_H
#define TWCLI_LIGHT_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stats.h"
#include "tw_crypto.h"
#include "tw_pkt.h"

#define LIGHT_MAX_COUNT 10000000u
#define LIGHT_MIN_WINDOW 8u
#define LIGHT_MAX_WINDOW 1024u
#define LIGHT_MAX_SESSIONS 64u
#define LIGHT_ERR_LEN 256

struct tsock;

struct light_cfg {
	struct sockaddr_storage dst;     /* reflector address and port */
	struct sockaddr_storage src;     /* bind address and port, if has_src */
	bool has_src;
	enum tw_sec sec;
	bool symmetrical;
	const struct tw_keys *keys;      /* auth/enc; NULL in open mode */
	uint32_t count;                  /* 1 .. LIGHT_MAX_COUNT */
	uint64_t interval_ns;            /* 0: as fast as the window allows */
	uint64_t timeout_ns;
	uint16_t size;                   /* UDP payload of each sender packet */
	int dscp;                        /* -1: system default */
	bool fill_random;
	bool synced;                     /* set the S bit in our Error Estimate */
	uint32_t window;                 /* 0: derived from the receive buffer */
	const volatile sig_atomic_t *stop; /* if set and non-zero: end now */
	const struct tsock *sock;        /* an open socket to use (stays the
					  * caller's), or NULL: open one */
	bool reflect_octets;             /* RFC 6038: write server_octets at */
	uint16_t server_octets;          /*   the start of the padding */
};

#define LIGHT_ERR_SETUP (-1) /* bad parameters or socket setup failed: nothing sent */
#define LIGHT_ERR_IO (-2)    /* a send/receive error or *stop ended the session early */
#define LIGHT_ERR_WATCH (-3) /* light_run_many: the watched descriptor woke up */

/* Run the session. st must be initialised with a capacity >= cfg->count.
 * Returns 0, or LIGHT_ERR_* with a reason in err; after LIGHT_ERR_IO st
 * holds what was measured until then. */
int light_run(const struct light_cfg *cfg, struct stats *st, char *err, size_t errlen);

struct light_result {
	int rc;                  /* 0 or LIGHT_ERR_SETUP / LIGHT_ERR_IO */
	char err[LIGHT_ERR_LEN]; /* why, when rc != 0 */
};

/* Run n sessions (1..LIGHT_MAX_SESSIONS) at once in this thread,
 * interleaved, each as light_run would run it alone: cfgs[i] feeds sts[i]
 * and its outcome goes to res[i]. Every session is set up before any
 * packet is sent; one that fails to set up leaves all unsent
 * (LIGHT_ERR_SETUP). watch_fd >= 0 is a descriptor on which nothing is
 * expected meanwhile (the TWAMP-Control connection): when it becomes
 * readable or fails, every unfinished session ends (LIGHT_ERR_IO, "control
 * connection") and LIGHT_ERR_WATCH is returned, the caller says why.
 * Otherwise returns 0, or LIGHT_ERR_IO if any session ended early. */
int light_run_many(const struct light_cfg *cfgs, struct stats *sts, struct light_result *res,
		   size_t n, int watch_fd);

/* The window used for a receive buffer of rcvbuf octets and packets of
 * `size` octets: about half the buffer's worth of replies, clamped to
 * [LIGHT_MIN_WINDOW, LIGHT_MAX_WINDOW]. */
uint32_t light_auto_window(int rcvbuf, uint16_t size);

#endif
