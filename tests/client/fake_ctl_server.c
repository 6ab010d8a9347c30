/* Server side of TWAMP-Control for the client tests: see fake_ctl_server.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fake_ctl_server.h"

void fsrv_greeting(struct fsrv *s, uint8_t out[TWC_GREETING_LEN])
{
	struct twc_greeting g = { .modes = s->modes, .count = s->count };

	memcpy(s->challenge, "fake-challenge!!", 16);
	memcpy(s->salt, "fake-salt-16-oct", 16);
	memcpy(s->server_iv, "fake-server-iv!!", 16);
	memcpy(g.challenge, s->challenge, 16);
	memcpy(g.salt, s->salt, 16);
	assert_int_equal(twc_greeting_enc(&g, out, TWC_GREETING_LEN), TWC_OK);
}

void fsrv_setup(struct fsrv *s, const uint8_t *in, size_t len)
{
	struct twc_setup m;

	assert_int_equal(twc_setup_dec(in, len, &m), TWC_OK);
	s->mode = m.mode;
	memcpy(s->keyid, m.keyid, sizeof(s->keyid));
	if (twc_mode_secured(m.mode))
		assert_int_equal(twc_token_check(s->secret, s->secret_len, s->salt, s->count, m.token,
						 s->challenge, s->aes, s->hmac), TWC_OK);
	else /* open mode: everything after Mode is zero */
		assert_memory_equal(in + 4, (uint8_t[TWC_SETUP_LEN - 4]){ 0 }, TWC_SETUP_LEN - 4);
	s->cr = twc_ctl_crypto_new(m.mode, s->aes, s->hmac, m.client_iv, s->server_iv);
	assert_non_null(s->cr);
}

void fsrv_server_start(struct fsrv *s, uint8_t accept, uint8_t out[TWC_SERVER_START_LEN])
{
	struct twc_server_start m = { .accept = accept, .start_time = 0xe8000000abcdef01ull };

	memcpy(m.server_iv, s->server_iv, 16);
	if (accept)
		m.start_time = 0;
	assert_int_equal(twc_server_start_enc(&m, out, TWC_SERVER_START_LEN), TWC_OK);
	if (!accept)
		assert_int_equal(twc_seal_server_start(s->cr, out), TWC_OK);
}

void fsrv_request(struct fsrv *s, const uint8_t *in, size_t len)
{
	uint8_t msg[TWC_REQUEST_LEN];

	assert_int_equal(len, TWC_REQUEST_LEN);
	memcpy(msg, in, len);
	assert_int_equal(twc_open(s->cr, TWC_C2S, msg, len), TWC_OK);
	if (!twc_mode_secured(s->mode))  /* open mode: HMAC field zero */
		assert_memory_equal(msg + 96, (uint8_t[16]){ 0 }, 16);
	assert_true(s->nreq < 16);
	assert_int_equal(twc_request_dec(msg, len, &s->req[s->nreq++]), TWC_OK);
}

void fsrv_accept(struct fsrv *s, const struct twc_accept_session *m,
		 uint8_t out[TWC_ACCEPT_SESSION_LEN])
{
	assert_int_equal(twc_accept_session_enc(m, out, TWC_ACCEPT_SESSION_LEN), TWC_OK);
	assert_int_equal(twc_seal(s->cr, TWC_S2C, out, TWC_ACCEPT_SESSION_LEN), TWC_OK);
}

uint32_t fsrv_command(struct fsrv *s, const uint8_t *in, size_t len, uint8_t cmd)
{
	uint8_t msg[32];
	struct twc_stop stop = { 0 };

	assert_int_equal(len, 32);
	memcpy(msg, in, len);
	assert_int_equal(twc_open(s->cr, TWC_C2S, msg, len), TWC_OK);
	if (cmd == TWC_CMD_START_SESSIONS) {
		assert_int_equal(twc_start_dec(msg, len), TWC_OK);
		return 0;
	}
	assert_int_equal(twc_stop_dec(msg, len, &stop), TWC_OK);
	assert_int_equal(stop.accept, 0);
	return stop.nsessions;
}

void fsrv_start_ack(struct fsrv *s, uint8_t accept, uint8_t out[TWC_START_ACK_LEN])
{
	assert_int_equal(twc_start_ack_enc(accept, out, TWC_START_ACK_LEN), TWC_OK);
	assert_int_equal(twc_seal(s->cr, TWC_S2C, out, TWC_START_ACK_LEN), TWC_OK);
}

void fsrv_read_nmsg(struct fsrv *s, const uint8_t *in, size_t len, uint8_t cmd)
{
	uint8_t msg[TWC_NMSG_LEN(16)];

	assert_true(len <= sizeof(msg));
	memcpy(msg, in, len);
	assert_int_equal(twc_open(s->cr, TWC_C2S, msg, len), TWC_OK);
	assert_int_equal(twc_nmsg_dec(msg, len, cmd, &s->nmsg), TWC_OK);
}

size_t fsrv_nmsg(struct fsrv *s, const struct twc_nmsg *m, uint8_t *out, size_t cap)
{
	size_t len = TWC_NMSG_LEN(m->n);

	assert_int_equal(twc_nmsg_enc(m, out, cap), TWC_OK);
	assert_int_equal(twc_seal(s->cr, TWC_S2C, out, len), TWC_OK);
	return len;
}

void fsrv_free(struct fsrv *s)
{
	twc_ctl_crypto_free(s->cr);
	s->cr = NULL;
}
