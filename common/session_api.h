/* Session API between the TWAMP-Control server and the dataplane.
 *
 * Transport: a Unix SOCK_SEQPACKET socket (default /run/twamp-reflector/
 * session.sock; mode 0660 with the group dataplane/session-socket-group,
 * else 0600, owned by the dataplane's user). The dataplane admits root, its
 * own uid and members of that group (SO_PEERCRED), and disconnects a
 * client idle for session-api-idle-timeout. One request
 * message, one reply message; messages keep their boundaries. Integers are in
 * host byte order (both ends are on the same host); every message starts
 * with the common header and has a fixed size per op. The dataplane refuses
 * (and counts) any message whose version, op or length is wrong, or whose
 * fields are out of range, with status TWR_API_EINVAL; it never trusts a
 * field it did not check.
 *
 *   request  = twr_api_hdr ‖ body (op-specific, below)
 *   reply    = twr_api_hdr (same op and seq) ‖ twr_api_reply ‖ body
 *
 * op          request body                  reply body
 * ---------   ---------------------------   -------------------------------
 * ADD         twr_api_session               -
 * START       twr_api_sid                   -
 * STOP        twr_api_stop                  -   (keeps reflecting for timeout_ms,
 *                                                 then the dataplane removes it)
 * REMOVE      twr_api_sid                   -   (keys wiped)
 * COUNTERS    twr_api_sid                   twr_api_counters
 * FLUSH       -                             -   (remove every API session: a
 *                                                 restarted control server
 *                                                 starts clean)
 * INFO        -                             twr_api_info
 *
 * A session exists from ADD; it reflects from START (or from ADD if
 * TWR_SF_START_NOW) until REMOVE, until timeout_ms after STOP, or until it
 * received nothing for refwait_s seconds once started. Sessions are named by
 * their SID, which the control server allocates.
 */
#ifndef TWR_SESSION_API_H
#define TWR_SESSION_API_H

#include <stddef.h>
#include <stdint.h>

#define TWR_API_VERSION 1
#define TWR_API_DEFAULT_PATH "/run/twamp-reflector/session.sock"
#define TWR_API_MAX_MSG 512

enum twr_api_op {
	TWR_OP_ADD = 1,
	TWR_OP_START = 2,
	TWR_OP_STOP = 3,
	TWR_OP_REMOVE = 4,
	TWR_OP_COUNTERS = 5,
	TWR_OP_FLUSH = 6,
	TWR_OP_INFO = 7,
};

enum twr_api_status {
	TWR_API_OK = 0,
	TWR_API_EINVAL = 1,   /* malformed message or field out of range */
	TWR_API_EEXIST = 2,   /* SID or 5-tuple already installed */
	TWR_API_ENOENT = 3,   /* no such SID */
	TWR_API_ENOSPC = 4,   /* session table full (Accept 4) */
	TWR_API_EAGAIN = 5,   /* temporary shortage (Accept 5) */
	TWR_API_EINTERNAL = 6,
	TWR_API_EPERM = 7,    /* refused by the dataplane's policy: a reserved test
	                       * port (common/port_policy.h) */
};
#define TWR_API_STATUS_MAX TWR_API_EPERM

struct twr_api_hdr {
	uint16_t version;  /* TWR_API_VERSION */
	uint16_t op;       /* enum twr_api_op */
	uint32_t len;      /* whole message, header included */
	uint32_t seq;      /* echoed in the reply */
	uint32_t reserved; /* 0 */
};

struct twr_api_reply {
	uint32_t status;   /* enum twr_api_status */
	uint32_t reserved;
};

struct twr_api_sid {
	uint8_t sid[16];
};

/* session flags */
#define TWR_SF_SYMMETRICAL 0x01u  /* RFC 6038 symmetrical sender format */
#define TWR_SF_REFLECT_OCTETS 0x02u
#define TWR_SF_DSCP_SET 0x04u     /* write `dscp` instead of reflecting */
#define TWR_SF_START_NOW 0x08u
#define TWR_SF_ALL 0x0fu

struct twr_api_session {
	uint8_t sid[16];
	uint8_t ipver;            /* 4 or 6 */
	uint8_t sec;              /* enum tw_sec: 0 open/mixed, 1 auth, 2 enc */
	uint8_t flags;            /* TWR_SF_* */
	uint8_t dscp;             /* 0..63, with TWR_SF_DSCP_SET */
	uint8_t reflector_addr[16]; /* local; IPv4 in the first 4 octets */
	uint8_t sender_addr[16];
	uint16_t reflector_port;
	uint16_t sender_port;
	uint16_t reflect_len;     /* Length of Padding to Reflect (RFC 6038) */
	uint16_t reserved;
	uint32_t timeout_ms;      /* keep reflecting this long after STOP */
	uint32_t refwait_s;       /* remove after this long without packets; 0 = never */
	uint8_t aes_key[16];      /* test AES key (sec != open) */
	uint8_t hmac_key[32];     /* test HMAC key */
};

struct twr_api_stop {
	uint8_t sid[16];
};

struct twr_api_counters {
	uint64_t rx;           /* test packets received for this session */
	uint64_t reflected;
	uint64_t auth_fail;
	uint64_t malformed;    /* too short for the mode */
	uint64_t tx_drop;      /* reply could not be sent */
	uint64_t last_rx_unix_ns;
	uint32_t state;        /* enum twr_session_state */
	uint32_t reserved;
};

enum twr_session_state {
	TWR_SS_INSTALLED = 0,
	TWR_SS_ACTIVE = 1,
	TWR_SS_STOPPING = 2,
};

struct twr_api_info {
	uint32_t max_sessions;
	uint32_t sessions;
	uint32_t workers;
	uint32_t reserved;
};

/* Expected total length of a request of `op`, 0 for an unknown op. */
size_t twr_api_req_len(uint16_t op);

/* Check a request's header and fields. Returns TWR_API_OK or
 * TWR_API_EINVAL (with a static reason in *why). `msg` has n octets. */
enum twr_api_status twr_api_check_req(const void *msg, size_t n, const char **why);

#endif
