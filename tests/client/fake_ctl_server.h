/* A TWAMP-Control server side built from common's codecs and stream
 * crypto, for driving the client state machine (ctl_client.h) through
 * exchanges the twping captures do not contain: several sessions, RFC 5938
 * N-messages, RFC 6038 fields, refusals. Every step asserts (cmocka). */
#ifndef FAKE_CTL_SERVER_H
#define FAKE_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control_crypto.h"
#include "control_msg.h"

struct fsrv {
	/* set by the caller before fsrv_greeting */
	uint32_t modes, count;
	const uint8_t *secret;
	size_t secret_len;
	/* filled in */
	uint8_t challenge[16], salt[16], server_iv[16];
	uint32_t mode;                  /* the client's Set-Up-Response Mode */
	uint8_t keyid[TWC_KEYID_LEN];
	uint8_t aes[16], hmac[32];      /* from the Token */
	struct twc_ctl_crypto *cr;
	unsigned nreq;
	struct twc_request req[16];     /* Request-TW-Session as received */
	struct twc_nmsg nmsg;           /* the last N-message received */
};

void fsrv_greeting(struct fsrv *s, uint8_t out[TWC_GREETING_LEN]);
/* Reads the Set-Up-Response: Token checked against the secret. */
void fsrv_setup(struct fsrv *s, const uint8_t *in, size_t len);
void fsrv_server_start(struct fsrv *s, uint8_t accept, uint8_t out[TWC_SERVER_START_LEN]);
/* Reads one Request-TW-Session into s->req[s->nreq++]. */
void fsrv_request(struct fsrv *s, const uint8_t *in, size_t len);
void fsrv_accept(struct fsrv *s, const struct twc_accept_session *m,
		 uint8_t out[TWC_ACCEPT_SESSION_LEN]);
/* Reads Start-Sessions (cmd 2) or Stop-Sessions (cmd 3); returns the
 * Stop-Sessions Number of Sessions (0 for Start). */
uint32_t fsrv_command(struct fsrv *s, const uint8_t *in, size_t len, uint8_t cmd);
void fsrv_start_ack(struct fsrv *s, uint8_t accept, uint8_t out[TWC_START_ACK_LEN]);
/* Reads an N-message of command cmd into s->nmsg. */
void fsrv_read_nmsg(struct fsrv *s, const uint8_t *in, size_t len, uint8_t cmd);
/* Writes an N-message (sealed); returns its length. */
size_t fsrv_nmsg(struct fsrv *s, const struct twc_nmsg *m, uint8_t *out, size_t cap);
void fsrv_free(struct fsrv *s);

#endif
