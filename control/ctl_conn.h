/* One TWAMP-Control connection, server side, as a state machine fed with
 * the octets the client sent and producing the octets to send back: no
 * socket in here, so tests and the fuzzer drive it directly (the
 * connection's socket, ctl_peer.c, does the I/O).
 *
 *   new ──▶ SETUP ──Set-Up-Response──▶ REQUEST ◀──Stop-Sessions── TEST
 *   (greeting        (Server-Start        │  Request-TW-Session      ▲
 *    queued)          Accept 0)           │  → Accept-Session        │
 *                                         └──Start-Sessions──────────┘
 *                                            → Start-Ack
 *   RFC 5938 (Mode bit 0x10): Start-N / Stop-N in REQUEST and TEST,
 *   Request-TW-Session and Start-Sessions also in TEST.
 *   Anything else (unknown command, a command out of order, an HMAC that
 *   does not verify, a message the decoder refuses, Server-Start Accept
 *   not 0) ──▶ CLOSING: the caller sends what is queued and closes.
 *
 * Reading: ctl_conn_want() says how many more octets complete the unit
 * being read (Set-Up-Response: its Mode, then the rest; a command: its
 * first block, which is decrypted and peeked for the command and length,
 * then the rest of exactly that message), so the caller reads exactly
 * that much; ctl_conn_input() also takes any amount and frames it itself.
 *
 * PBKDF2 (Count = 2^count, ~10-40 ms at count 15), and in IKEv2-derived
 * mode the key agent's lookup, are an authentication job (ctl_auth.h),
 * prepared once the whole Set-Up-Response has arrived. With
 * env->auth_async the connection then waits (ctl_conn_auth_waiting: it
 * wants no input, and is still pending authentication) until its owner
 * has the job run off the loop (ctl_conn_auth_take, ctl_authpool.h) and
 * hands the result to ctl_conn_auth_done; otherwise the job runs inline
 * (the unit tests, the fuzzer). */
#ifndef TWR_CTL_CONN_H
#define TWR_CTL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control_crypto.h"
#include "control_msg.h"
#include "ctl_addr.h"
#include "ctl_auth.h"
#include "ctl_config.h"
#include "ctl_counters.h"
#include "ctl_dp.h"
#include "ctl_log.h"
#include "ctl_ports.h"
#include "ctl_request.h"
#include "keyagent_proto.h"

/* Modes this server supports (DSCP-ECN, RFC 7750, and PTP, RFC 8186, are
 * outside its scope): a configured mode outside them is not offered.
 * IKEv2Derived (RFC 7717) is offered only while env->ike_offer says the
 * key agent answers. */
#define CTL_MODES_SUPPORTED                                                     \
	(TWC_MODE_UNAUTH | TWC_MODE_AUTH | TWC_MODE_ENC | TWC_MODE_MIXED | TWC_MODE_ISC | \
	 TWC_MODE_REFLECT_OCTETS | TWC_MODE_SYMMETRICAL | TWC_MODE_IKEV2)

#define CTL_OUT_MAX 65536u   /* queued output beyond this: the peer does not read */
#define CTL_PORT_TRIES 16    /* ports tried when the dataplane says EEXIST */

/* Everything outside a connection, shared by all of a server's. */
struct ctl_conn_env {
	const struct ctl_config *cfg;
	struct ctl_dp *dp;
	struct ctl_ports *ports;
	struct ctl_counters *ctr;
	struct ctl_log *log;                /* NULL: no log */
	uint64_t start_time;                /* NTP: Server-Start Start-Time */
	const uint8_t *dummy_secret;        /* PBKDF2 input for unknown KeyIDs */
	size_t dummy_len;
	void (*random)(void *arg, uint8_t *buf, size_t n);
	uint64_t (*ntp_now)(void *arg);     /* SID timestamps */
	uint64_t (*mono_ms)(void *arg);     /* idle tracking */
	/* a Set-Up-Response authenticated (true) or failed to (false) */
	void (*auth_result)(void *arg, const struct ctl_ip *peer, bool ok);
	/* RFC 7717 keys (ctl_ika.h); both NULL: IKEv2Derived never offered.
	 * ike_offer: may the greeting offer it now (never blocks).
	 * ike_lookup: the key of the IKE SA with these SPIs, from the key
	 * agent; blocks for at most server/ikev2-derived/key-agent-timeout.
	 * With auth_async it runs on an authentication worker: it may read
	 * only what never changes (ctl_auth_lookup_fn). ike_seen (may be
	 * NULL): the lookup's answer, on the loop thread once it is back. */
	bool (*ike_offer)(void *arg);
	enum ka_status (*ike_lookup)(void *arg, const uint8_t spi_i[KA_SPI_LEN],
				     const uint8_t spi_r[KA_SPI_LEN], struct ka_reply *out);
	void (*ike_seen)(void *arg, enum ka_status st);
	/* authentication jobs are run by the connection's owner (the pool)
	 * rather than inline: see ctl_conn_auth_take */
	bool auth_async;
	void *arg;
};

enum ctl_cs {
	CTL_CS_SETUP,
	CTL_CS_REQUEST,
	CTL_CS_TEST,
	CTL_CS_CLOSING,
};

struct ctl_sess {
	uint8_t sid[16];
	struct ctl_req_spec spec;
	uint16_t port;             /* reflector UDP port */
	uint8_t state;             /* enum twr_session_state */
};

struct ctl_conn {
	const struct ctl_conn_env *env;
	struct ctl_ip peer, local;
	uint16_t peer_port, local_port;
	char name[CTL_ADDR_STR];   /* peer "addr:port" for logs */
	enum ctl_cs state;
	enum ctl_cs before_close;  /* state when it started closing */
	bool authenticated;        /* with a key (KeyID or IKEv2 SA): logs not aggregated */
	uint32_t offered;          /* Modes of our Server Greeting */
	uint32_t mode;             /* negotiated; 0 before Set-Up-Response */
	char keyid[4 * TWC_KEYID_LEN + 1]; /* escaped (ctl_escape); "" in IKEv2 mode */
	/* IKEv2Derived: the SA the key came from (the key is not kept) */
	bool ike;
	uint8_t spi_i[KA_SPI_LEN], spi_r[KA_SPI_LEN];
	char ike_remote_id[KA_ID_FIELD];
	uint8_t challenge[16], salt[16];
	uint8_t aes[16], hmac[32];          /* control session keys */
	struct twc_ctl_crypto *crypto;
	/* the authentication job (auth_async): prepared, not yet taken */
	struct ctl_auth_job *job;
	bool auth_wait;            /* its result is not back yet */
	/* input: the message being read */
	uint8_t in[TWC_MAX_MSG_LEN];
	size_t in_len, in_want;
	bool peeked;               /* first block of a command decrypted */
	uint8_t cmd;
	/* output not yet handed to the socket */
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	/* sessions installed, not stopped */
	struct ctl_sess *sess;
	size_t nsess, sess_cap;
	uint64_t created_ms, last_msg_ms;
	uint64_t ran_ms;           /* accepted, or its started sessions last ended */
	bool heard;                /* the peer has sent an octet */
	bool settled;              /* auth_result told: not abandoned when it closes */
};

/* A connection with its Server Greeting queued. NULL on allocation
 * failure. Addresses as ctl_ip_from_sockaddr gives them. */
struct ctl_conn *ctl_conn_new(const struct ctl_conn_env *env, const struct ctl_ip *peer,
			      uint16_t peer_port, const struct ctl_ip *local, uint16_t local_port);
/* Removes from the dataplane every session not stopped, releases their
 * ports, wipes the keys, logs the close with `reason`. NULL allowed. */
void ctl_conn_free(struct ctl_conn *c, const char *reason);

size_t ctl_conn_want(const struct ctl_conn *c);
/* Feed octets; returns false once the connection is closing (the rest of
 * data is then ignored). Octets fed while the authentication job is out
 * are ignored as well: read only ctl_conn_want() octets. */
bool ctl_conn_input(struct ctl_conn *c, const uint8_t *data, size_t n);

/* Queued output: pointer and length; then how much was sent. */
const uint8_t *ctl_conn_output(const struct ctl_conn *c, size_t *n);
void ctl_conn_sent(struct ctl_conn *c, size_t n);

static inline bool ctl_conn_closing(const struct ctl_conn *c)
{
	return c->state == CTL_CS_CLOSING;
}
/* Has completed Set-Up-Response / Server-Start (not pending). */
bool ctl_conn_set_up(const struct ctl_conn *c);
/* In the middle of a message (some of it read). */
static inline bool ctl_conn_mid_message(const struct ctl_conn *c)
{
	return c->in_len > 0;
}

/* Waiting for the result of its authentication job (auth_async). */
static inline bool ctl_conn_auth_waiting(const struct ctl_conn *c)
{
	return c->auth_wait;
}
/* The job a complete Set-Up-Response prepared, for the caller to run
 * (off the loop) and hand back to ctl_conn_auth_done; NULL if none. The
 * caller owns it from here (and frees it, ctl_auth_job_free). */
struct ctl_auth_job *ctl_conn_auth_take(struct ctl_conn *c);
/* The job's result (or its refusal, j->refused: the pool's queue was
 * full): Server-Start is queued, as for an inline check. */
void ctl_conn_auth_done(struct ctl_conn *c, struct ctl_auth_job *j);

/* Close from outside (timeouts, errors): counts ctr, logs the reason. */
void ctl_conn_abort(struct ctl_conn *c, enum ctl_ctr ctr, const char *reason);

/* A pending connection (before Server-Start, not closing) that the peer
 * closed or reset: an abandoned authentication, counted and logged with
 * `why`, and reported as a failure (auth_result), once. */
void ctl_conn_abandoned(struct ctl_conn *c, const char *why);

/* open-idle-timeout: when an unauthenticated connection without started
 * sessions is to be closed (UINT64_MAX: never, e.g. a secured mode or
 * sessions running); ctl_conn_open_idle_left: milliseconds from now. */
uint64_t ctl_conn_open_idle_deadline(const struct ctl_conn *c);
uint64_t ctl_conn_open_idle_left(const struct ctl_conn *c, uint64_t now_ms);

/* SERVWAIT (RFC 5357 §3.1): milliseconds until the connection has been
 * idle for server/servwait, 0 if it is now. Idle = no complete control
 * message; monitoring is suspended while sessions are started (from
 * Start-Sessions to Stop-Sessions), and resumes when the dataplane has
 * removed every started session (REFWAIT), which this finds out by asking
 * for their counters (sessions it no longer has are forgotten). */
uint64_t ctl_conn_servwait_left(struct ctl_conn *c, uint64_t now_ms);

const char *ctl_cs_str(enum ctl_cs s);

/* ---- internal, shared by ctl_conn*.c ---- */
void ctl_conn_queue(struct ctl_conn *c, const uint8_t *msg, size_t len);
/* seal (HMAC + encrypt in secured modes) and queue a server message */
void ctl_conn_send(struct ctl_conn *c, uint8_t *msg, size_t len);
void ctl_conn_fail(struct ctl_conn *c, enum ctl_ctr ctr, int level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An event of the connection (ctl_log_peer): aggregated by the peer's
 * address under kind until it has authenticated with a key, through the
 * budget only after that (an accountable peer, bounded by the limits). */
void ctl_conn_log(struct ctl_conn *c, int level, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* start closing; the caller has logged and counted why */
void ctl_conn_close_quiet(struct ctl_conn *c);
void ctl_conn_greet(struct ctl_conn *c);
void ctl_conn_setup(struct ctl_conn *c);
/* Server-Start: Accept 0 opens the streams (REQUEST state); any other
 * Accept goes out all zero but for it, and the caller closes */
void ctl_conn_server_start(struct ctl_conn *c, uint8_t accept, const uint8_t client_iv[16]);
/* a Set-Up-Response whose Mode has IKEv2Derived (ctl_conn_ike.c) */
void ctl_conn_setup_ike(struct ctl_conn *c, const struct twc_setup *s);
/* A job with the inputs common to both kinds (Salt, Challenge, Count,
 * Token, Client-IV); NULL, with the connection failed (Accept 2), when
 * out of memory. */
struct ctl_auth_job *ctl_conn_auth_job_new(struct ctl_conn *c, enum ctl_auth_kind kind,
					   const struct twc_setup *s);
/* Run j inline, or leave it for the owner to take (auth_async). */
void ctl_conn_auth_start(struct ctl_conn *c, struct ctl_auth_job *j);
/* An IKE job's result (ctl_conn_ike.c) */
void ctl_conn_ike_done(struct ctl_conn *c, struct ctl_auth_job *j);
/* the outcome of the set-up for ip-block (env->auth_result), told once */
void ctl_conn_auth_result(struct ctl_conn *c, bool ok);
/* The outcome of a token check (twc_token_check into c->aes, c->hmac), for
 * the passphrase and the IKEv2 set-up alike. Accepted: counted, Server-Start
 * Accept 0. Refused: the session keys wiped; an OpenSSL failure answers
 * Accept 2 and fails the connection (returns false); otherwise the failed
 * authentication is counted and true returned: the caller logs why, then
 * calls ctl_conn_auth_refused (Accept 1, close). */
void ctl_conn_auth_accepted(struct ctl_conn *c, const uint8_t client_iv[16]);
bool ctl_conn_token_refused(struct ctl_conn *c, enum twc_err e);
void ctl_conn_auth_refused(struct ctl_conn *c);
bool ctl_conn_cmd_allowed(const struct ctl_conn *c, uint8_t cmd);
void ctl_conn_command(struct ctl_conn *c);
void ctl_conn_request(struct ctl_conn *c);
struct ctl_sess *ctl_conn_find_sess(struct ctl_conn *c, const uint8_t sid[16]);
/* dataplane START / STOP of one session; returns the API status */
int ctl_conn_sess_start(struct ctl_conn *c, struct ctl_sess *s);
int ctl_conn_sess_stop(struct ctl_conn *c, struct ctl_sess *s);
/* forget session i (port released), without telling the dataplane */
void ctl_conn_sess_drop(struct ctl_conn *c, size_t i);

#endif
