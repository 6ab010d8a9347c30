/* TWAMP-Control messages: typed structs and wire codecs
 * (RFC 4656 §3, RFC 5357 §3, RFC 5938, RFC 6038; docs/protocol.md §2-§4).
 * No I/O, no crypto: encoders write plaintext with a zero HMAC field,
 * decoders read plaintext (control_crypto.h seals and opens the stream).
 * The byte layout of each message is drawn beside its codec in
 * control_msg.c. All integers are big-endian on the wire.
 *
 * Decoders take exactly one message, (buf, len): any other length is
 * TWC_E_SHORT or TWC_E_LONG. They check everything that needs no session
 * state; what needs it (the mode the server offered, whether RFC 6038 was
 * negotiated, whether a SID exists) is the caller's. MBZ fields are
 * ignored on receipt unless the protocol makes them an error (Conf-Sender,
 * Conf-Receiver, Schedule Slots and Packets in Request-TW-Session); every
 * encoder writes them as zero. On a length error the output struct is
 * zeroed; on any other error it holds the fields as read, for logs and for
 * choosing an Accept value (twc_err_accept).
 *
 * Encoders check the same rules, so they never emit what the decoders
 * refuse, and write exactly the message's length into buf (cap octets,
 * TWC_E_NOSPACE when smaller).
 */
#ifndef TWR_CONTROL_MSG_H
#define TWR_CONTROL_MSG_H

#include <stddef.h>
#include <stdint.h>

#define TWC_BLOCK 16
#define TWC_HMAC_LEN 16
#define TWC_SID_LEN 16
#define TWC_KEYID_LEN 80

#define TWC_GREETING_LEN 64
#define TWC_SETUP_LEN 164        /* RFC 4656 layout; see twc_setup_len() */
#define TWC_SERVER_START_LEN 48
#define TWC_REQUEST_LEN 112
#define TWC_ACCEPT_SESSION_LEN 48
#define TWC_START_LEN 32         /* Start-Sessions */
#define TWC_START_ACK_LEN 32
#define TWC_STOP_LEN 32          /* Stop-Sessions, TWAMP form */

/* RFC 5938 N-messages: 16-octet header, N SIDs, HMAC = 32 + 16*N octets.
 * N is read from an unauthenticated first block, and the whole message
 * must be buffered before its HMAC can be checked, so N bounds what a
 * peer can make us read and hold. Each SID must name a session of this
 * control connection, so N never legitimately exceeds the connection's
 * session count: 256 sessions per connection is far above any deployment
 * seen (twping asks for one) and caps a message at 4128 octets. The
 * control server's per-connection session limit must not exceed it. */
#define TWC_NMSG_MAX 256u
#define TWC_NMSG_LEN(n) (2 * TWC_BLOCK + TWC_SID_LEN * (size_t)(n))
#define TWC_NMSG_MAX_LEN TWC_NMSG_LEN(TWC_NMSG_MAX)

/* The longest message a control peer sends (the server's read buffer). */
#define TWC_MAX_MSG_LEN TWC_NMSG_MAX_LEN

/* Modes bits (docs/protocol.md §2.3) */
#define TWC_MODE_UNAUTH 0x001u
#define TWC_MODE_AUTH 0x002u
#define TWC_MODE_ENC 0x004u
#define TWC_MODE_MIXED 0x008u          /* RFC 5618: encrypted control, open test */
#define TWC_MODE_ISC 0x010u            /* RFC 5938 individual session control */
#define TWC_MODE_REFLECT_OCTETS 0x020u /* RFC 6038 */
#define TWC_MODE_SYMMETRICAL 0x040u    /* RFC 6038 */
#define TWC_MODE_IKEV2 0x080u          /* RFC 7717 IKEv2-derived shared secret */
#define TWC_MODE_DSCP_ECN 0x100u       /* RFC 7750 */
#define TWC_MODE_PTP 0x200u            /* RFC 8186 */
#define TWC_MODE_SECURITY 0x00fu
#define TWC_MODE_KNOWN 0x3ffu
#define TWC_MODE_SECURED (TWC_MODE_AUTH | TWC_MODE_ENC | TWC_MODE_MIXED)

/* Command numbers: first octet of client commands and of N-acks (§2.2) */
enum twc_cmd {
	TWC_CMD_START_SESSIONS = 2,
	TWC_CMD_STOP_SESSIONS = 3,
	TWC_CMD_REQUEST_TW_SESSION = 5,
	TWC_CMD_START_N_SESSIONS = 7,
	TWC_CMD_START_N_ACK = 8,
	TWC_CMD_STOP_N_SESSIONS = 9,
	TWC_CMD_STOP_N_ACK = 10,
};

/* Accept values (§2.4) */
enum twc_accept {
	TWC_ACCEPT_OK = 0,
	TWC_ACCEPT_FAILURE = 1,
	TWC_ACCEPT_INTERNAL = 2,
	TWC_ACCEPT_NOT_SUPPORTED = 3,
	TWC_ACCEPT_PERMANENT = 4,
	TWC_ACCEPT_TEMPORARY = 5,
	TWC_ACCEPT_NO_SA = 6,     /* RFC 7717 seed: no IKEv2 SA for KeyID */
};
#define TWC_ACCEPT_MAX TWC_ACCEPT_NO_SA

enum twc_err {
	TWC_OK = 0,
	TWC_E_SHORT,         /* fewer octets than the message */
	TWC_E_LONG,          /* more octets than the message */
	TWC_E_NOSPACE,       /* encoder: output buffer too small */
	TWC_E_COMMAND,       /* command number not the expected / a known one */
	TWC_E_COUNT,         /* greeting Count not a power of 2 >= 1024 */
	TWC_E_MODE,          /* Set-Up-Response Mode not one security mode */
	TWC_E_ACCEPT,        /* Accept above 6 */
	TWC_E_IPVN,          /* IPVN neither 4 nor 6 */
	TWC_E_SENDER_ADDR,   /* IPv4 Sender Address with non-zero octets 4-15 */
	TWC_E_RECEIVER_ADDR, /* IPv4 Receiver Address likewise */
	TWC_E_CONF_SENDER,   /* Conf-Sender non-zero (TWAMP) */
	TWC_E_CONF_RECEIVER, /* Conf-Receiver non-zero (TWAMP) */
	TWC_E_SLOTS,         /* Number of Schedule Slots non-zero (TWAMP) */
	TWC_E_PACKETS,       /* Number of Packets non-zero (TWAMP) */
	TWC_E_TYPEP,         /* Type-P Descriptor not DSCP << 24 */
	TWC_E_NSESS,         /* N-message Number of Sessions above TWC_NMSG_MAX */
	TWC_E_BLOCKLEN,      /* crypto: length not a whole number of blocks */
	TWC_E_HMAC,          /* crypto: control HMAC does not verify */
	TWC_E_CHALLENGE,     /* crypto: Token does not echo the Challenge */
	TWC_E_CRYPTO,        /* crypto: OpenSSL failure */
	TWC_E_COUNT_ERRORS   /* number of values, not an error */
};

/* Static, never NULL ("unknown error" for a value out of range). */
const char *twc_strerror(enum twc_err e);

/* The Accept a server answers to a complete, authentic Request-TW-Session
 * that the decoder refused with e: 3 (not supported) for an IP version or
 * Type-P it does not know, 1 otherwise. */
uint8_t twc_err_accept(enum twc_err e);

/* ---- Server Greeting (server -> client, clear) ---- */
struct twc_greeting {
	uint32_t modes;          /* every mode the server offers; 0 = go away */
	uint8_t challenge[16];
	uint8_t salt[16];
	uint32_t count;          /* PBKDF2 iterations */
};
enum twc_err twc_greeting_enc(const struct twc_greeting *m, uint8_t *buf, size_t cap);
enum twc_err twc_greeting_dec(const uint8_t *buf, size_t len, struct twc_greeting *m);

/* ---- Set-Up-Response (client -> server, clear) ---- */
struct twc_setup {
	uint32_t mode;           /* one security bit + features; 0 = declines */
	uint8_t keyid[TWC_KEYID_LEN];
	uint8_t token[64];
	uint8_t client_iv[16];
};
/* Length of a Set-Up-Response whose first 4 octets carry `mode`: the
 * server reads the Mode, then the rest. 164 for every mode today. */
size_t twc_setup_len(uint32_t mode);
enum twc_err twc_setup_enc(const struct twc_setup *m, uint8_t *buf, size_t cap);
enum twc_err twc_setup_dec(const uint8_t *buf, size_t len, struct twc_setup *m);

/* ---- Server-Start (server -> client; octets 32-47 encrypted when the
 * mode is secured and Accept is 0: decode after twc_open_server_start) */
struct twc_server_start {
	uint8_t accept;
	uint8_t server_iv[16];
	uint64_t start_time;     /* NTP timestamp, host order (ntp_time.h) */
};
enum twc_err twc_server_start_enc(const struct twc_server_start *m, uint8_t *buf, size_t cap);
enum twc_err twc_server_start_dec(const uint8_t *buf, size_t len, struct twc_server_start *m);

/* ---- Request-TW-Session (command 5) ---- */
struct twc_request {
	uint8_t ipvn;              /* 4 or 6 */
	uint16_t sender_port;
	uint16_t receiver_port;
	uint8_t sender_addr[16];   /* IPv4: octets 0-3, rest zero; all zero = */
	uint8_t receiver_addr[16]; /*   the control connection's address */
	uint8_t sid[16];           /* zero from a client */
	uint32_t padding_len;
	uint64_t start_time;       /* NTP timestamp; 0 = at Start-Sessions */
	uint64_t timeout;          /* NTP-format duration */
	uint32_t type_p;           /* DSCP << 24 */
	uint16_t octets_to_reflect;  /* RFC 6038; zero without Reflect Octets */
	uint16_t pad_to_reflect;     /* RFC 6038 Length of Padding to Reflect */
};
#define TWC_TYPEP_DSCP(t) ((uint8_t)(((t) >> 24) & 0x3f))
#define TWC_TYPEP(dscp) ((uint32_t)((dscp) & 0x3f) << 24)
enum twc_err twc_request_enc(const struct twc_request *m, uint8_t *buf, size_t cap);
enum twc_err twc_request_dec(const uint8_t *buf, size_t len, struct twc_request *m);

/* ---- Accept-Session (server -> client) ---- */
struct twc_accept_session {
	uint8_t accept;
	uint16_t port;             /* reflector UDP port */
	uint8_t sid[16];
	uint16_t reflected_octets; /* RFC 6038 */
	uint16_t server_octets;    /* RFC 6038 */
};
enum twc_err twc_accept_session_enc(const struct twc_accept_session *m, uint8_t *buf, size_t cap);
enum twc_err twc_accept_session_dec(const uint8_t *buf, size_t len, struct twc_accept_session *m);

/* ---- Start-Sessions (command 2) and Start-Ack ---- */
enum twc_err twc_start_enc(uint8_t *buf, size_t cap);
enum twc_err twc_start_dec(const uint8_t *buf, size_t len);
enum twc_err twc_start_ack_enc(uint8_t accept, uint8_t *buf, size_t cap);
enum twc_err twc_start_ack_dec(const uint8_t *buf, size_t len, uint8_t *accept);

/* ---- Stop-Sessions (command 3, TWAMP form) ---- */
struct twc_stop {
	uint8_t accept;            /* 0 = normal stop */
	uint32_t nsessions;
};
enum twc_err twc_stop_enc(const struct twc_stop *m, uint8_t *buf, size_t cap);
enum twc_err twc_stop_dec(const uint8_t *buf, size_t len, struct twc_stop *m);

/* ---- RFC 5938 Start-N-Sessions, Start-N-Ack, Stop-N-Sessions,
 * Stop-N-Ack (⚠ UNCONFIRMED layouts, see control_msg.c) ---- */
struct twc_nmsg {
	uint8_t cmd;               /* enum twc_cmd, 7..10 */
	uint8_t accept;            /* 8, 10 (and 9, ⚠); always 0 for 7 */
	uint32_t n;                /* Number of Sessions, <= TWC_NMSG_MAX */
	uint8_t sid[TWC_NMSG_MAX][TWC_SID_LEN];
};
/* Encodes TWC_NMSG_LEN(m->n) octets. */
enum twc_err twc_nmsg_enc(const struct twc_nmsg *m, uint8_t *buf, size_t cap);
/* `cmd` is the command expected (7..10); another one is TWC_E_COMMAND. */
enum twc_err twc_nmsg_dec(const uint8_t *buf, size_t len, uint8_t cmd, struct twc_nmsg *m);

/* ---- Peek (docs/protocol.md §4.9 point 4) ----
 * From the decrypted first block of a command, its number and the total
 * length of the message it starts (for N-messages from N, so the caller
 * knows how many octets to read next). *cmd is always set; *msg_len is 0
 * on an error: TWC_E_COMMAND for a number that starts no message TWAMP
 * knows (1, 4, 6, 11 included), TWC_E_NSESS for N above TWC_NMSG_MAX. */
enum twc_err twc_peek(const uint8_t block[TWC_BLOCK], uint8_t *cmd, size_t *msg_len);

#endif
