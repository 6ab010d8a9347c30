/* libFuzzer target: the TWAMP-Control codecs and control-stream crypto on
 * hostile input (control_msg.h, control_crypto.h).
 *
 * Input: byte 0, then the body. (byte 0 & 0x7f) % N_CODECS picks a codec;
 * the body, in a heap buffer of its exact size, goes to its decoder. A
 * message that decodes is encoded again into a buffer of exactly its size;
 * that encoding must decode, and encode to the same octets.
 *
 * Then the body is read as a control stream with fixed keys (the session
 * keys and IVs of the twping mode A capture, so captured streams are valid
 * seeds), the way the peers read it:
 *   bit 7 of byte 0 clear: client->server, as a server reads it: decrypt
 *     the first block, peek, decrypt the rest, verify, decode;
 *   bit 7 set: server->client, as a client reads it: Server-Start (fold),
 *     Accept-Session, Start-Ack.
 * Each in the secured mode (stops at the first HMAC failure) and in open
 * mode (no crypto, so the fuzzer reaches every decoder through the peek).
 * A message that verifies must seal again, on a mirror stream, to the very
 * octets received. Property violations abort.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control_crypto.h"
#include "control_msg.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* twping_mode_A: AES and HMAC Session-keys, Client-IV, Server-IV */
static const uint8_t AES[16] = {
	0x07, 0x19, 0x85, 0xf5, 0x5e, 0x23, 0x6f, 0xb0,
	0x13, 0x70, 0x51, 0x25, 0xbd, 0x7b, 0x80, 0xaf,
};
static const uint8_t HMAC[32] = {
	0xd6, 0xb2, 0x33, 0xb4, 0x6e, 0x33, 0xfe, 0xa6, 0xe8, 0x23, 0x23, 0x99, 0x76, 0xa3, 0x26, 0x12,
	0xe2, 0xaa, 0x87, 0x8a, 0x47, 0xb4, 0x55, 0x43, 0xab, 0xc3, 0x56, 0x20, 0x9d, 0xd2, 0x7a, 0x37,
};
static const uint8_t CIV[16] = {
	0xd8, 0x11, 0xca, 0x06, 0x02, 0xe9, 0xd8, 0x9f,
	0x74, 0x86, 0x7a, 0x99, 0x37, 0xc5, 0x01, 0x7c,
};
static const uint8_t SIV[16] = {
	0x99, 0x8e, 0x6b, 0x00, 0xa5, 0xe3, 0x45, 0x56,
	0xfc, 0x31, 0x1e, 0x59, 0x76, 0xe8, 0x59, 0x49,
};

static void check_err(enum twc_err e)
{
	CHECK((unsigned)e < TWC_E_COUNT_ERRORS);
	CHECK(twc_strerror(e)[0] != '\0');
}

/* ---- decode, then encode what was decoded ---------------------------- */

typedef enum twc_err (*rt_fn)(const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint8_t arg);

static enum twc_err rt_greeting(const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint8_t arg)
{
	struct twc_greeting m;
	enum twc_err e = twc_greeting_dec(in, len, &m);

	(void)arg;
	return e != TWC_OK ? e : twc_greeting_enc(&m, out, cap);
}

static enum twc_err rt_setup(const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint8_t arg)
{
	struct twc_setup m;
	enum twc_err e = twc_setup_dec(in, len, &m);

	(void)arg;
	if (e == TWC_OK)
		CHECK(len == twc_setup_len(m.mode));
	return e != TWC_OK ? e : twc_setup_enc(&m, out, cap);
}

static enum twc_err rt_server_start(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
				    uint8_t arg)
{
	struct twc_server_start m;
	enum twc_err e = twc_server_start_dec(in, len, &m);

	(void)arg;
	return e != TWC_OK ? e : twc_server_start_enc(&m, out, cap);
}

static enum twc_err rt_request(const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint8_t arg)
{
	struct twc_request m;
	enum twc_err e = twc_request_dec(in, len, &m);

	(void)arg;
	if (e != TWC_OK && e != TWC_E_SHORT && e != TWC_E_LONG)
		CHECK(twc_err_accept(e) <= TWC_ACCEPT_MAX);
	return e != TWC_OK ? e : twc_request_enc(&m, out, cap);
}

static enum twc_err rt_accept(const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint8_t arg)
{
	struct twc_accept_session m;
	enum twc_err e = twc_accept_session_dec(in, len, &m);

	(void)arg;
	return e != TWC_OK ? e : twc_accept_session_enc(&m, out, cap);
}

static enum twc_err rt_start(const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint8_t arg)
{
	enum twc_err e = twc_start_dec(in, len);

	(void)arg;
	return e != TWC_OK ? e : twc_start_enc(out, cap);
}

static enum twc_err rt_start_ack(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
				 uint8_t arg)
{
	uint8_t accept;
	enum twc_err e = twc_start_ack_dec(in, len, &accept);

	(void)arg;
	return e != TWC_OK ? e : twc_start_ack_enc(accept, out, cap);
}

static enum twc_err rt_stop(const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint8_t arg)
{
	struct twc_stop m;
	enum twc_err e = twc_stop_dec(in, len, &m);

	(void)arg;
	return e != TWC_OK ? e : twc_stop_enc(&m, out, cap);
}

static enum twc_err rt_nmsg(const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint8_t cmd)
{
	struct twc_nmsg *m = malloc(sizeof(*m));
	enum twc_err e;

	CHECK(m);
	e = twc_nmsg_dec(in, len, cmd, m);
	if (e == TWC_OK) {
		CHECK(m->cmd == cmd && m->n <= TWC_NMSG_MAX && len == TWC_NMSG_LEN(m->n));
		e = twc_nmsg_enc(m, out, cap);
	}
	free(m);
	return e;
}

static const struct codec {
	rt_fn rt;
	uint8_t arg;
} CODECS[] = {
	{ rt_greeting, 0 }, { rt_setup, 0 }, { rt_server_start, 0 }, { rt_request, 0 },
	{ rt_accept, 0 }, { rt_start, 0 }, { rt_start_ack, 0 }, { rt_stop, 0 },
	{ rt_nmsg, TWC_CMD_START_N_SESSIONS }, { rt_nmsg, TWC_CMD_START_N_ACK },
	{ rt_nmsg, TWC_CMD_STOP_N_SESSIONS }, { rt_nmsg, TWC_CMD_STOP_N_ACK },
};
#define N_CODECS (sizeof(CODECS) / sizeof(CODECS[0]))

static enum twc_err roundtrip(const struct codec *c, const uint8_t *msg, size_t len)
{
	uint8_t *in = malloc(len ? len : 1), *y = malloc(len ? len : 1), *z = malloc(len ? len : 1);
	enum twc_err e;

	CHECK(in && y && z);
	if (len)
		memcpy(in, msg, len);
	e = c->rt(in, len, y, len, c->arg);
	check_err(e);
	if (e == TWC_OK) {
		CHECK(c->rt(y, len, z, len, c->arg) == TWC_OK);
		CHECK(memcmp(y, z, len) == 0);
	}
	free(in);
	free(y);
	free(z);
	return e;
}

static const struct codec *codec_of_cmd(uint8_t cmd)
{
	switch (cmd) {
	case TWC_CMD_START_SESSIONS: return &CODECS[5];
	case TWC_CMD_STOP_SESSIONS: return &CODECS[7];
	case TWC_CMD_REQUEST_TW_SESSION: return &CODECS[3];
	default: return &CODECS[8 + (cmd - TWC_CMD_START_N_SESSIONS)];
	}
}

/* ---- streams ----------------------------------------------------------- */

static struct twc_ctl_crypto *ctl(uint32_t mode)
{
	struct twc_ctl_crypto *c = twc_ctl_crypto_new(mode, AES, HMAC, CIV, SIV);

	CHECK(c);
	return c;
}

/* A message that verified seals again to the octets received. */
static void mirror_seal(struct twc_ctl_crypto *tx, enum twc_dir d, const uint8_t *plain,
			const uint8_t *wire, size_t len)
{
	uint8_t *b = malloc(len);

	CHECK(b);
	memcpy(b, plain, len);
	CHECK(twc_seal(tx, d, b, len) == TWC_OK);
	if (twc_ctl_crypto_secured(tx))
		CHECK(memcmp(b, wire, len) == 0);
	free(b);
}

/* Read one command the way a server does; returns its length, 0 to stop. */
static size_t read_command(struct twc_ctl_crypto *rx, struct twc_ctl_crypto *tx,
			   const uint8_t *p, size_t left)
{
	uint8_t first[TWC_BLOCK], cmd, *msg;
	size_t len;
	enum twc_err e;

	if (left < TWC_BLOCK)
		return 0;
	CHECK(twc_decrypt(rx, TWC_C2S, p, first, TWC_BLOCK) == TWC_OK);
	e = twc_peek(first, &cmd, &len);
	check_err(e);
	if (e != TWC_OK || len > left)
		return 0;
	CHECK(len >= 2 * TWC_BLOCK && len % TWC_BLOCK == 0 && len <= TWC_MAX_MSG_LEN);
	msg = malloc(len);
	CHECK(msg);
	memcpy(msg, first, TWC_BLOCK);
	CHECK(twc_decrypt(rx, TWC_C2S, p + TWC_BLOCK, msg + TWC_BLOCK, len - TWC_BLOCK) == TWC_OK);
	e = twc_verify(rx, TWC_C2S, msg, len);
	CHECK(e == TWC_OK || e == TWC_E_HMAC);
	if (e == TWC_OK) {
		e = roundtrip(codec_of_cmd(cmd), msg, len);
		CHECK(e != TWC_E_SHORT && e != TWC_E_LONG && e != TWC_E_COMMAND);
		mirror_seal(tx, TWC_C2S, msg, p, len);
	}
	free(msg);
	return e == TWC_E_HMAC ? 0 : len;
}

static void client_stream(uint32_t mode, const uint8_t *p, size_t len)
{
	struct twc_ctl_crypto *rx = ctl(mode), *tx = ctl(mode);
	size_t off = 0, n;

	while ((n = read_command(rx, tx, p + off, len - off)) != 0)
		off += n;
	twc_ctl_crypto_free(rx);
	twc_ctl_crypto_free(tx);
}

/* One server reply of `len` octets at *off; false to stop. */
static bool read_reply(struct twc_ctl_crypto *rx, struct twc_ctl_crypto *tx, const uint8_t *p,
		       size_t total, size_t *off, const struct codec *c, size_t len)
{
	uint8_t *msg;
	enum twc_err e;

	if (total - *off < len)
		return false;
	msg = malloc(len);
	CHECK(msg);
	memcpy(msg, p + *off, len);
	e = twc_open(rx, TWC_S2C, msg, len);
	CHECK(e == TWC_OK || e == TWC_E_HMAC);
	if (e == TWC_OK) {
		check_err(roundtrip(c, msg, len));
		mirror_seal(tx, TWC_S2C, msg, p + *off, len);
	}
	free(msg);
	*off += len;
	return e == TWC_OK;
}

static void server_stream(uint32_t mode, const uint8_t *p, size_t len)
{
	struct twc_ctl_crypto *rx = ctl(mode), *tx = ctl(mode);
	uint8_t ss[TWC_SERVER_START_LEN], again[TWC_SERVER_START_LEN];
	size_t off = TWC_SERVER_START_LEN;

	if (len >= TWC_SERVER_START_LEN) {
		memcpy(ss, p, sizeof(ss));
		CHECK(twc_open_server_start(rx, ss) == TWC_OK);
		check_err(roundtrip(&CODECS[2], ss, sizeof(ss)));
		memcpy(again, ss, sizeof(ss));
		CHECK(twc_seal_server_start(tx, again) == TWC_OK);
		CHECK(memcmp(again, p, sizeof(again)) == 0);
		if (read_reply(rx, tx, p, len, &off, &CODECS[4], TWC_ACCEPT_SESSION_LEN))
			read_reply(rx, tx, p, len, &off, &CODECS[6], TWC_START_ACK_LEN);
	}
	twc_ctl_crypto_free(rx);
	twc_ctl_crypto_free(tx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body = data + 1;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	roundtrip(&CODECS[(data[0] & 0x7f) % N_CODECS], body, len);
	if (data[0] & 0x80) {
		server_stream(TWC_MODE_AUTH, body, len);
		server_stream(TWC_MODE_UNAUTH, body, len);
	} else {
		client_stream(TWC_MODE_ENC, body, len);
		client_stream(TWC_MODE_UNAUTH, body, len);
	}
	return 0;
}
