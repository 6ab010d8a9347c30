/* TWAMP-Control Control-Client as a state machine (RFC 4656 §3, RFC 5357
 * §3, RFC 5618, RFC 5938, RFC 6038; docs/protocol.md §4-§5, §7.1). No I/O and no
 * randomness of its own: it is told how many octets it wants next, is fed
 * exactly those, and leaves what is to be sent in an output buffer. The
 * random values (session keys, Client-IV) come in from the caller, so the
 * whole exchange can be replayed in tests.
 *
 *   server                              client (this)
 *   Server Greeting (64)       ----->   check Modes (0x80 too for RFC 7717
 *                                       IKEv2-derived keys), Count; Token
 *                              <-----   Set-Up-Response (164; Mode 0
 *                                       when we decline what is offered)
 *   Server-Start (48)          ----->   Accept; Server-IV; streams
 *                              <-----   Request-TW-Session #1 (112)
 *   Accept-Session (48)        ----->   SID, port; test keys
 *     ... one Request / Accept pair per session ...
 *                              <-----   Start-Sessions (32) or
 *                                       Start-N-Sessions (32+16N, RFC 5938)
 *   Start-Ack (32) or
 *   Start-N-Ack (32+16N)       ----->   CTL_TESTING: the caller runs the
 *                                       test sessions, then ctl_stop()
 *                              <-----   Stop-Sessions (32) or
 *                                       Stop-N-Sessions (32+16N)
 *   Stop-N-Ack (32+16N)        ----->   CTL_DONE (after Stop-Sessions the
 *                                       server sends nothing: CTL_DONE)
 *
 * Driving it:
 *   ctl_init(); loop { send ctl_output(); n = ctl_need(); if !n break;
 *   read n octets; ctl_input() }   -> stops in CTL_TESTING or CTL_FAILED
 *   ctl_stop(); the same loop      -> CTL_DONE or CTL_FAILED
 *   ctl_free()                        wipes every key
 */
#ifndef TWCLI_CTL_CLIENT_H
#define TWCLI_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control_crypto.h"
#include "control_msg.h"
#include "tw_crypto.h"

/* Sessions per control connection from this client (well below
 * TWC_NMSG_MAX, which bounds what a server may be asked for). */
#define CTL_MAX_SESSIONS 16u
#define CTL_ERR_LEN 256

/* What the client draws at random (getrandom in twamp_run). */
struct ctl_random {
	uint8_t aes[16];         /* AES Session-key */
	uint8_t hmac[32];        /* HMAC Session-key */
	uint8_t client_iv[16];
};

struct ctl_cfg {
	uint32_t security;       /* one of TWC_MODE_UNAUTH/AUTH/ENC/MIXED */
	bool individual;         /* RFC 5938: Start-N / Stop-N (mode 0x10) */
	bool reflect_octets;     /* RFC 6038 (mode 0x20) */
	bool symmetrical;        /* RFC 6038 (mode 0x40) */
	uint8_t keyid[TWC_KEYID_LEN];  /* secured modes */
	const uint8_t *secret;   /* secured modes: the shared secret, needed */
	size_t secret_len;       /*   until the Set-Up-Response is out */
	/* RFC 7717 (mode 0x80, secured modes only): keyid holds SPIi then
	 * SPIr of the IKE SA (twamp_ike_keyid), secret its prf(SK_d, "IPPM") */
	bool ikev2;
	unsigned max_count_exp;  /* refuse a Count above 2^this (10..30, TW_COUNT_MAX_EXP) */
	unsigned nsessions;      /* 1..CTL_MAX_SESSIONS */
	struct twc_request req[CTL_MAX_SESSIONS]; /* as sent (SID must be zero) */
};

enum ctl_state {
	CTL_GREETING = 0,        /* wants the Server Greeting */
	CTL_SERVER_START,
	CTL_ACCEPT,              /* wants Accept-Session for session `next` */
	CTL_START_ACK,
	CTL_TESTING,             /* sessions started; waits for ctl_stop() */
	CTL_STOP_N_ACK,
	CTL_DONE,
	CTL_FAILED,
};

enum ctl_result {
	CTL_OK = 0,
	CTL_REFUSED,             /* the server said no: Modes 0, Accept != 0 */
	CTL_UNSUPPORTED,         /* what we want is not offered, Count too large */
	CTL_PROTOCOL,            /* malformed or unauthentic server message */
	CTL_INTERNAL,            /* crypto failure, misuse of this API */
	CTL_CONNECTION,          /* the connection failed (ctl_fail only) */
};

/* A negotiated session (valid once its Accept-Session is in). */
struct ctl_session {
	uint8_t sid[TWC_SID_LEN];
	uint16_t port;           /* reflector UDP port */
	uint16_t server_octets;  /* RFC 6038 */
	struct tw_keys keys;     /* test keys, Authenticated and Encrypted modes */
};

struct ctl_client {
	struct ctl_cfg cfg;
	struct ctl_random rnd;
	enum ctl_state state;
	enum ctl_result result;  /* of the first failure */
	struct twc_greeting greeting;
	uint32_t mode;           /* the Set-Up-Response Mode we sent */
	uint64_t server_start_time; /* NTP, from Server-Start */
	uint8_t accept;          /* the non-zero Accept that refused, else 0 */
	struct twc_ctl_crypto *crypto;
	unsigned next;           /* session whose Accept-Session is awaited */
	struct ctl_session sess[CTL_MAX_SESSIONS];
	bool nack_head;          /* N-ack: first block in, rest awaited */
	uint8_t in[TWC_NMSG_LEN(CTL_MAX_SESSIONS)]; /* N-ack being read */
	struct twc_nmsg nmsg;    /* N-message being built or read */
	uint8_t out[TWC_NMSG_LEN(CTL_MAX_SESSIONS)];
	size_t out_len;
	char err[CTL_ERR_LEN];
};

/* Copies cfg (not the secret) and rnd. Returns CTL_OK, or CTL_INTERNAL for
 * a cfg this client cannot send (then ctl_error says why). */
enum ctl_result ctl_init(struct ctl_client *c, const struct ctl_cfg *cfg,
			 const struct ctl_random *rnd);

/* Octets wanted next; 0 when output is pending, in CTL_TESTING, CTL_DONE
 * or CTL_FAILED. A failed machine may still have output pending (the
 * Mode 0 Set-Up-Response that declines an offer): send it, then close. */
size_t ctl_need(const struct ctl_client *c);

/* Feed exactly ctl_need() octets (buf is used as scratch). On an error the
 * state becomes CTL_FAILED and the result is returned again by every later
 * call; ctl_error() says why in one line. */
enum ctl_result ctl_input(struct ctl_client *c, const uint8_t *buf, size_t len);

/* The message to send now, or NULL (*len 0); taking it clears it. */
const uint8_t *ctl_output(struct ctl_client *c, size_t *len);

/* In CTL_TESTING: stop every session (Stop-Sessions with `accept`, 0 for a
 * normal stop; with individual control Stop-N-Sessions). */
enum ctl_result ctl_stop(struct ctl_client *c, uint8_t accept);

const char *ctl_error(const struct ctl_client *c);

/* Record a failure found outside the machine (connection lost, timeout,
 * the server speaking out of turn), unless it has already failed. */
void ctl_fail(struct ctl_client *c, enum ctl_result r, const char *why);

/* Wipes the keys (session, test, stream contexts) and forgets the secret;
 * the state, the negotiated ports and SIDs and ctl_error() stay readable. */
void ctl_free(struct ctl_client *c);

/* Meaning of an Accept value ("authentication failed" needs the context:
 * see ctl_client.c), e.g. "temporary resource limitation". */
const char *ctl_accept_text(uint8_t accept);

/* Mode bits as words: "open, auth, enc, mixed, individual-session-control"
 * (into buf; "none" for 0). */
void ctl_modes_text(uint32_t modes, char *buf, size_t len);

/* "open", "auth", "enc", "mixed" for a security bit, else "?" */
const char *ctl_security_name(uint32_t security);

/* The KeyID of the IKEv2-derived mode (docs/protocol.md §8.1): SPIi in octets
 * 0-7, SPIr in 8-15, the rest zero. */
void ctl_ike_keyid(uint8_t keyid[TWC_KEYID_LEN], const uint8_t spi_i[8], const uint8_t spi_r[8]);

#endif
