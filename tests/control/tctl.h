/* Test support for the control server's state machine (control/ctl_conn.h):
 * a fake dataplane that keeps a session table like the real one (SID and
 * 5-tuple unique, ENOENT for unknown SIDs) and can be told to fail; an
 * environment with injected random octets, clocks and a log capture; and
 * a minimal Control-Client built on the common codecs and crypto. */
#ifndef TWR_TCTL_H
#define TWR_TCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control_crypto.h"
#include "ctl_conn.h"

#define FAKE_MAX_SESS 64
#define FAKE_MAX_CALLS 256
#define TENV_MAX_LINES 128

struct fake_call {
	uint16_t op;
	uint8_t sid[16];
	struct twr_api_session add;    /* for ADD */
};

struct fake_dp {
	struct ctl_dp dp;              /* first */
	bool down;                     /* every call: CTL_DP_DOWN */
	int script[16];                /* statuses returned by the next calls */
	size_t nscript;
	struct fake_call calls[FAKE_MAX_CALLS];
	size_t ncalls;
	struct {
		bool used;
		struct twr_api_session s;
		uint8_t state;
	} sess[FAKE_MAX_SESS];
};

/* A key agent for IKEv2Derived (env ike hooks, after tenv_ike()). */
struct fake_agent {
	bool up;                       /* what ike_offer says */
	enum ka_status status;         /* what a lookup returns */
	struct ka_reply rep;           /* its reply when status is KA_OK */
	unsigned lookups;
	uint8_t spi_i[KA_SPI_LEN], spi_r[KA_SPI_LEN]; /* of the last lookup */
};

struct tenv {
	struct ctl_conn_env env;
	struct ctl_config cfg;
	struct ctl_counters ctr;
	struct ctl_ports *ports;
	struct fake_dp fdp;
	struct ctl_log log;
	uint8_t rnd[256];              /* random octets handed out first */
	size_t rnd_len, rnd_off;
	uint8_t rnd_next;              /* then 0x01, 0x02, ... */
	uint64_t ntp, mono;
	char lines[TENV_MAX_LINES][CTL_LOG_TEXT_MAX];
	size_t nlines;
	unsigned auth_ok, auth_fail;
	struct fake_agent agent;
};

/* Defaults: every implemented mode offered, count 10, ports
 * 49152..65535, key "testuser" = "interop-passphrase", 4 sessions per
 * connection, test-timeout 2000 ms, refwait 900 s. */
void tenv_init(struct tenv *t);
void tenv_fini(struct tenv *t);
void tenv_random(struct tenv *t, const uint8_t *p, size_t n);
/* Install the key agent hooks: up, answering KA_OK with `key` (len
 * octets, PRF HMAC-SHA2-256) for an SA whose remote address is the
 * connection's peer 10.99.1.1 and identity "client.test". */
void tenv_ike(struct tenv *t, const uint8_t *key, size_t len);
/* index of the first captured log line containing s, or -1 */
int tenv_log_find(const struct tenv *t, const char *s);
size_t fake_installed(const struct fake_dp *f);

/* Address helpers */
struct ctl_ip tip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
struct ctl_ip tip6(const char *text);

/* A connection from 10.99.1.1:40000 to 10.99.1.2:862 (greeting queued) */
struct ctl_conn *tconn_new(struct tenv *t);
/* Take the queued output (exactly n octets expected; fails otherwise). */
void tconn_take(struct ctl_conn *c, uint8_t *out, size_t n);
size_t tconn_pending(const struct ctl_conn *c);

/* ---- a Control-Client ---- */
struct tclient {
	uint32_t mode;
	uint8_t aes[16], hmac[32], civ[16];
	struct twc_ctl_crypto *cc;
};

/* Greeting in, Set-Up-Response out (mode, KeyID, secret). */
void tclient_setup(struct tclient *tc, const uint8_t greeting[TWC_GREETING_LEN], uint32_t mode,
		   const char *keyid, const char *secret, uint8_t out[TWC_SETUP_LEN]);
/* The same with a KeyID of 80 octets and a binary secret. */
void tclient_setup_raw(struct tclient *tc, const uint8_t greeting[TWC_GREETING_LEN],
		       uint32_t mode, const uint8_t keyid[TWC_KEYID_LEN], const uint8_t *secret,
		       size_t secret_len, uint8_t out[TWC_SETUP_LEN]);
/* Server-Start in: its Accept (the server stream is opened on Accept 0). */
uint8_t tclient_server_start(struct tclient *tc, uint8_t ss[TWC_SERVER_START_LEN]);
void tclient_seal(struct tclient *tc, uint8_t *msg, size_t len);
/* open a server message; returns the twc_err */
int tclient_open(struct tclient *tc, uint8_t *msg, size_t len);
void tclient_free(struct tclient *tc);

/* Full handshake on a new connection: returns it in REQUEST state. */
struct ctl_conn *tconn_ready(struct tenv *t, struct tclient *tc, uint32_t mode);
/* Send a plaintext command (sealed here), return the connection's liveness. */
bool tconn_cmd(struct ctl_conn *c, struct tclient *tc, uint8_t *msg, size_t len);
/* Request-TW-Session with sender/receiver zero (the connection's), and
 * the Accept-Session decoded. */
uint8_t tconn_request(struct ctl_conn *c, struct tclient *tc, const struct twc_request *r,
		      struct twc_accept_session *as);
struct twc_request treq_default(void);

#endif
