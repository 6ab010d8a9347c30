/* TWAMP-Control codecs (control_msg.h): round trips, every validation
 * error, every wrong length, the peek helper. The captured exchanges are
 * decoded in test_control_crypto.c, after decryption. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control_msg.h"

#define GUARD 0xa5

static void seq_bytes(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void assert_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			fail_msg("octet %zu is 0x%02x, want 0", i, p[i]);
}

/* a guard-filled buffer one octet longer than the message: the encoder
 * must write every octet of the message and none after it */
static uint8_t *guarded(size_t len)
{
	uint8_t *b = malloc(len + 1);

	assert_non_null(b);
	memset(b, GUARD, len + 1);
	return b;
}

static void check_guard(const uint8_t *b, size_t len)
{
	assert_int_equal(b[len], GUARD);
}

/* heap copy of exactly len octets, so ASan sees any read past it */
static uint8_t *exact_copy(const uint8_t *src, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	assert_non_null(b);
	if (len)
		memcpy(b, src, len);
	return b;
}

/* ---- Server Greeting ------------------------------------------------- */

static struct twc_greeting sample_greeting(void)
{
	struct twc_greeting g = { .modes = 0x3f, .count = 2048 };

	seq_bytes(g.challenge, 16, 0x10);
	seq_bytes(g.salt, 16, 0x20);
	return g;
}

static void test_greeting_roundtrip(void **state)
{
	struct twc_greeting g = sample_greeting(), d;
	uint8_t *b = guarded(TWC_GREETING_LEN);

	(void)state;
	assert_int_equal(twc_greeting_enc(&g, b, TWC_GREETING_LEN + 1), TWC_OK);
	check_guard(b, TWC_GREETING_LEN);
	assert_zero(b, 12);
	assert_zero(b + 52, 12);
	assert_int_equal(b[15], 0x3f);
	assert_int_equal(b[16], 0x10);
	assert_int_equal(b[32], 0x20);
	assert_int_equal(b[50], 0x08);
	memset(&d, 0xff, sizeof(d));
	assert_int_equal(twc_greeting_dec(b, TWC_GREETING_LEN, &d), TWC_OK);
	assert_int_equal(d.modes, g.modes);
	assert_memory_equal(d.challenge, g.challenge, 16);
	assert_memory_equal(d.salt, g.salt, 16);
	assert_int_equal(d.count, 2048);

	/* unused and MBZ octets are ignored; modes 0 (go away) is a message */
	memset(b, 0xee, 12);
	memset(b + 52, 0xee, 12);
	memset(b + 12, 0, 4);
	assert_int_equal(twc_greeting_dec(b, TWC_GREETING_LEN, &d), TWC_OK);
	assert_int_equal(d.modes, 0);
	free(b);
}

static void test_greeting_count(void **state)
{
	static const uint32_t bad[] = { 0, 1, 512, 1023, 1025, 1536, 3072, 0xffffffffu };
	static const uint32_t good[] = { 1024, 2048, 32768, 0x80000000u };
	struct twc_greeting g = sample_greeting(), d;
	uint8_t b[TWC_GREETING_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		g.count = bad[i];
		assert_int_equal(twc_greeting_enc(&g, b, sizeof(b)), TWC_E_COUNT);
		b[48] = (uint8_t)(bad[i] >> 24);
		b[49] = (uint8_t)(bad[i] >> 16);
		b[50] = (uint8_t)(bad[i] >> 8);
		b[51] = (uint8_t)bad[i];
		assert_int_equal(twc_greeting_dec(b, sizeof(b), &d), TWC_E_COUNT);
		assert_int_equal(d.count, bad[i]); /* fields as read, for logs */
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		g.count = good[i];
		assert_int_equal(twc_greeting_enc(&g, b, sizeof(b)), TWC_OK);
		assert_int_equal(twc_greeting_dec(b, sizeof(b), &d), TWC_OK);
		assert_int_equal(d.count, good[i]);
	}
}

/* ---- Set-Up-Response ------------------------------------------------- */

static struct twc_setup sample_setup(uint32_t mode)
{
	struct twc_setup s = { .mode = mode };

	memcpy(s.keyid, "testuser", 8);
	seq_bytes(s.token, 64, 0x40);
	seq_bytes(s.client_iv, 16, 0xc0);
	return s;
}

static void test_setup_roundtrip(void **state)
{
	struct twc_setup s = sample_setup(TWC_MODE_ENC | TWC_MODE_ISC), d;
	uint8_t *b = guarded(TWC_SETUP_LEN);

	(void)state;
	assert_int_equal(twc_setup_len(s.mode), 164);
	assert_int_equal(twc_setup_len(TWC_MODE_AUTH | TWC_MODE_IKEV2), 164);
	assert_int_equal(twc_setup_enc(&s, b, TWC_SETUP_LEN + 1), TWC_OK);
	check_guard(b, TWC_SETUP_LEN);
	assert_int_equal(b[3], 0x14);
	assert_memory_equal(b + 4, "testuser", 8);
	assert_zero(b + 12, 72);
	assert_int_equal(b[84], 0x40);
	assert_int_equal(b[147], 0x7f);
	assert_int_equal(b[148], 0xc0);
	assert_int_equal(twc_setup_dec(b, TWC_SETUP_LEN, &d), TWC_OK);
	assert_int_equal(d.mode, s.mode);
	assert_memory_equal(d.keyid, s.keyid, TWC_KEYID_LEN);
	assert_memory_equal(d.token, s.token, 64);
	assert_memory_equal(d.client_iv, s.client_iv, 16);
	free(b);
}

static void test_setup_mode(void **state)
{
	static const uint32_t bad[] = {
		0x3, 0x6, 0xc, 0xf, 0x10, 0x20 | 0x40, 0x400 | 0x2, 0x80000004u,
		TWC_MODE_UNAUTH | TWC_MODE_IKEV2, TWC_MODE_IKEV2,
	};
	static const uint32_t good[] = {
		0, 1, 2, 4, 8, 0x12, 0x3f2, TWC_MODE_ENC | TWC_MODE_IKEV2, 0x11 | 0x20 | 0x40,
	};
	uint8_t b[TWC_SETUP_LEN];
	struct twc_setup s, d;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = sample_setup(bad[i]);
		assert_int_equal(twc_setup_enc(&s, b, sizeof(b)), TWC_E_MODE);
		s.mode = TWC_MODE_AUTH;
		assert_int_equal(twc_setup_enc(&s, b, sizeof(b)), TWC_OK);
		b[0] = (uint8_t)(bad[i] >> 24);
		b[1] = (uint8_t)(bad[i] >> 16);
		b[2] = (uint8_t)(bad[i] >> 8);
		b[3] = (uint8_t)bad[i];
		assert_int_equal(twc_setup_dec(b, sizeof(b), &d), TWC_E_MODE);
		assert_int_equal(d.mode, bad[i]);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		s = sample_setup(good[i]);
		assert_int_equal(twc_setup_enc(&s, b, sizeof(b)), TWC_OK);
		assert_int_equal(twc_setup_dec(b, sizeof(b), &d), TWC_OK);
		assert_int_equal(d.mode, good[i]);
	}
}

/* ---- Server-Start ---------------------------------------------------- */

static void test_server_start(void **state)
{
	struct twc_server_start s = { .accept = 0, .start_time = 0xeead066086ecaeeaull }, d;
	uint8_t *b = guarded(TWC_SERVER_START_LEN);

	(void)state;
	seq_bytes(s.server_iv, 16, 0x90);
	assert_int_equal(twc_server_start_enc(&s, b, TWC_SERVER_START_LEN + 1), TWC_OK);
	check_guard(b, TWC_SERVER_START_LEN);
	assert_zero(b, 16);
	assert_int_equal(b[16], 0x90);
	assert_int_equal(b[32], 0xee);
	assert_int_equal(b[39], 0xea);
	assert_zero(b + 40, 8);
	assert_int_equal(twc_server_start_dec(b, TWC_SERVER_START_LEN, &d), TWC_OK);
	assert_int_equal(d.accept, 0);
	assert_memory_equal(d.server_iv, s.server_iv, 16);
	assert_int_equal(d.start_time, s.start_time);

	memset(b, 0xee, 15);           /* MBZ ignored */
	memset(b + 40, 0xee, 8);
	for (unsigned a = 0; a <= 255; a++) {
		b[15] = (uint8_t)a;
		assert_int_equal(twc_server_start_dec(b, TWC_SERVER_START_LEN, &d),
				 a <= TWC_ACCEPT_MAX ? TWC_OK : TWC_E_ACCEPT);
		assert_int_equal(d.accept, a);
		s.accept = (uint8_t)a;
		assert_int_equal(twc_server_start_enc(&s, b, TWC_SERVER_START_LEN),
				 a <= TWC_ACCEPT_MAX ? TWC_OK : TWC_E_ACCEPT);
	}
	free(b);
}

/* ---- Request-TW-Session ---------------------------------------------- */

static struct twc_request sample_request(uint8_t ipvn)
{
	struct twc_request r = {
		.ipvn = ipvn, .sender_port = 50001, .receiver_port = 862,
		.padding_len = 64, .start_time = 0xe800000080000000ull,
		.timeout = 0x0000000200000000ull, .type_p = TWC_TYPEP(46),
		.octets_to_reflect = 0xbeef, .pad_to_reflect = 2,
	};

	if (ipvn == 4) {
		memcpy(r.sender_addr, (uint8_t[]){ 10, 99, 0, 2 }, 4);
		memcpy(r.receiver_addr, (uint8_t[]){ 10, 99, 0, 1 }, 4);
	} else {
		seq_bytes(r.sender_addr, 16, 0xf0);
		seq_bytes(r.receiver_addr, 16, 0xe0);
	}
	return r;
}

static void assert_request_equal(const struct twc_request *a, const struct twc_request *b)
{
	assert_int_equal(a->ipvn, b->ipvn);
	assert_int_equal(a->sender_port, b->sender_port);
	assert_int_equal(a->receiver_port, b->receiver_port);
	assert_memory_equal(a->sender_addr, b->sender_addr, 16);
	assert_memory_equal(a->receiver_addr, b->receiver_addr, 16);
	assert_memory_equal(a->sid, b->sid, 16);
	assert_int_equal(a->padding_len, b->padding_len);
	assert_int_equal(a->start_time, b->start_time);
	assert_int_equal(a->timeout, b->timeout);
	assert_int_equal(a->type_p, b->type_p);
	assert_int_equal(a->octets_to_reflect, b->octets_to_reflect);
	assert_int_equal(a->pad_to_reflect, b->pad_to_reflect);
}

static void test_request_roundtrip(void **state)
{
	(void)state;
	for (uint8_t v = 4; v <= 6; v += 2) {
		struct twc_request r = sample_request(v), d;
		uint8_t *b = guarded(TWC_REQUEST_LEN);

		seq_bytes(r.sid, 16, 0x30);
		assert_int_equal(twc_request_enc(&r, b, TWC_REQUEST_LEN + 1), TWC_OK);
		check_guard(b, TWC_REQUEST_LEN);
		assert_int_equal(b[0], 5);
		assert_int_equal(b[1], v);
		assert_zero(b + 2, 10);
		assert_int_equal(b[12] << 8 | b[13], 50001);
		assert_int_equal(b[14] << 8 | b[15], 862);
		assert_int_equal(b[67], 64);
		assert_int_equal(b[84], 46);    /* 00 ‖ DSCP */
		assert_int_equal(b[88] << 8 | b[89], 0xbeef);
		assert_int_equal(b[91], 2);
		assert_zero(b + 92, 20);   /* MBZ and the HMAC field */
		assert_int_equal(twc_request_dec(b, TWC_REQUEST_LEN, &d), TWC_OK);
		assert_request_equal(&d, &r);
		assert_int_equal(TWC_TYPEP_DSCP(d.type_p), 46);

		/* MBZ nibble, MBZ 92-95 and the HMAC field are not looked at */
		b[1] |= 0xf0;
		memset(b + 92, 0xee, 20);
		assert_int_equal(twc_request_dec(b, TWC_REQUEST_LEN, &d), TWC_OK);
		assert_request_equal(&d, &r);
		free(b);
	}
}

/* Octet `off` set to `val` in a valid request gives `want`. */
static void request_case(size_t off, uint8_t val, enum twc_err want)
{
	struct twc_request r = sample_request(4), d;
	uint8_t b[TWC_REQUEST_LEN];

	assert_int_equal(twc_request_enc(&r, b, sizeof(b)), TWC_OK);
	b[off] = val;
	if (twc_request_dec(b, sizeof(b), &d) != want)
		fail_msg("octet %zu = 0x%02x: got %s, want %s", off, val,
			 twc_strerror(twc_request_dec(b, sizeof(b), &d)), twc_strerror(want));
}

static void test_request_errors(void **state)
{
	(void)state;
	request_case(0, 1, TWC_E_COMMAND);   /* OWAMP Request-Session */
	request_case(0, 2, TWC_E_COMMAND);
	request_case(1, 0, TWC_E_IPVN);
	request_case(1, 5, TWC_E_IPVN);
	request_case(1, 0x40, TWC_E_IPVN);   /* 4 in the MBZ nibble is not IPVN 4 */
	request_case(2, 1, TWC_E_CONF_SENDER);
	request_case(3, 1, TWC_E_CONF_RECEIVER);
	for (size_t off = 4; off < 8; off++)
		request_case(off, 1, TWC_E_SLOTS);
	for (size_t off = 8; off < 12; off++)
		request_case(off, 0x80, TWC_E_PACKETS);
	for (size_t off = 20; off < 32; off++)
		request_case(off, 1, TWC_E_SENDER_ADDR);
	for (size_t off = 36; off < 48; off++)
		request_case(off, 1, TWC_E_RECEIVER_ADDR);
	request_case(84, 0x40, TWC_E_TYPEP);  /* PHB-ID form, prefix 01 */
	request_case(84, 0x80, TWC_E_TYPEP);
	request_case(85, 0x01, TWC_E_TYPEP);
	request_case(87, 0x01, TWC_E_TYPEP);
	request_case(84, 0x3f, TWC_OK);       /* DSCP 63 */
	request_case(92, 0xff, TWC_OK);
	request_case(100, 0xff, TWC_OK);

	/* IPv6 uses every address octet */
	struct twc_request r = sample_request(6), d;
	uint8_t b[TWC_REQUEST_LEN];

	memset(r.sender_addr, 0xff, 16);
	assert_int_equal(twc_request_enc(&r, b, sizeof(b)), TWC_OK);
	assert_int_equal(twc_request_dec(b, sizeof(b), &d), TWC_OK);

	/* the encoder refuses what the decoder refuses */
	r = sample_request(5);
	assert_int_equal(twc_request_enc(&r, b, sizeof(b)), TWC_E_IPVN);
	r = sample_request(4);
	r.sender_addr[15] = 1;
	assert_int_equal(twc_request_enc(&r, b, sizeof(b)), TWC_E_SENDER_ADDR);
	r = sample_request(4);
	r.receiver_addr[4] = 1;
	assert_int_equal(twc_request_enc(&r, b, sizeof(b)), TWC_E_RECEIVER_ADDR);
	r = sample_request(4);
	r.type_p = 0x40000000u;
	assert_int_equal(twc_request_enc(&r, b, sizeof(b)), TWC_E_TYPEP);
}

/* ---- Accept-Session, Start-Sessions, Start-Ack, Stop-Sessions --------- */

static void test_accept_session(void **state)
{
	struct twc_accept_session a = { .accept = 0, .port = 0x498a, .reflected_octets = 0xbeef,
					.server_octets = 0x1234 }, d;
	uint8_t *b = guarded(TWC_ACCEPT_SESSION_LEN);

	(void)state;
	seq_bytes(a.sid, 16, 0x70);
	assert_int_equal(twc_accept_session_enc(&a, b, TWC_ACCEPT_SESSION_LEN + 1), TWC_OK);
	check_guard(b, TWC_ACCEPT_SESSION_LEN);
	assert_int_equal(b[1], 0);
	assert_int_equal(b[2], 0x49);
	assert_int_equal(b[4], 0x70);
	assert_int_equal(b[20], 0xbe);
	assert_int_equal(b[23], 0x34);
	assert_zero(b + 24, 24);
	assert_int_equal(twc_accept_session_dec(b, TWC_ACCEPT_SESSION_LEN, &d), TWC_OK);
	assert_int_equal(d.port, a.port);
	assert_memory_equal(d.sid, a.sid, 16);
	assert_int_equal(d.reflected_octets, a.reflected_octets);
	assert_int_equal(d.server_octets, a.server_octets);

	b[1] = 0xee;                  /* MBZ ignored */
	memset(b + 24, 0xee, 24);
	assert_int_equal(twc_accept_session_dec(b, TWC_ACCEPT_SESSION_LEN, &d), TWC_OK);
	b[0] = 7;
	assert_int_equal(twc_accept_session_dec(b, TWC_ACCEPT_SESSION_LEN, &d), TWC_E_ACCEPT);
	assert_int_equal(d.accept, 7);
	a.accept = 7;
	assert_int_equal(twc_accept_session_enc(&a, b, TWC_ACCEPT_SESSION_LEN), TWC_E_ACCEPT);
	free(b);
}

static void test_start_and_ack(void **state)
{
	uint8_t *b = guarded(TWC_START_LEN), acc = 0xff;

	(void)state;
	assert_int_equal(twc_start_enc(b, TWC_START_LEN + 1), TWC_OK);
	check_guard(b, TWC_START_LEN);
	assert_int_equal(b[0], 2);
	assert_zero(b + 1, 31);
	assert_int_equal(twc_start_dec(b, TWC_START_LEN), TWC_OK);
	memset(b + 1, 0xee, 31);      /* MBZ and HMAC field ignored */
	assert_int_equal(twc_start_dec(b, TWC_START_LEN), TWC_OK);
	b[0] = 3;
	assert_int_equal(twc_start_dec(b, TWC_START_LEN), TWC_E_COMMAND);

	memset(b, GUARD, TWC_START_ACK_LEN + 1);
	assert_int_equal(twc_start_ack_enc(5, b, TWC_START_ACK_LEN + 1), TWC_OK);
	check_guard(b, TWC_START_ACK_LEN);
	assert_int_equal(b[0], 5);
	assert_zero(b + 1, 31);
	assert_int_equal(twc_start_ack_dec(b, TWC_START_ACK_LEN, &acc), TWC_OK);
	assert_int_equal(acc, 5);
	b[0] = 9;
	assert_int_equal(twc_start_ack_dec(b, TWC_START_ACK_LEN, &acc), TWC_E_ACCEPT);
	assert_int_equal(acc, 9);
	assert_int_equal(twc_start_ack_enc(9, b, TWC_START_ACK_LEN), TWC_E_ACCEPT);
	free(b);
}

static void test_stop(void **state)
{
	struct twc_stop s = { .accept = 2, .nsessions = 0x01020304 }, d;
	uint8_t *b = guarded(TWC_STOP_LEN);

	(void)state;
	assert_int_equal(twc_stop_enc(&s, b, TWC_STOP_LEN + 1), TWC_OK);
	check_guard(b, TWC_STOP_LEN);
	assert_int_equal(b[0], 3);
	assert_int_equal(b[1], 2);
	assert_zero(b + 2, 2);
	assert_int_equal(b[4], 1);
	assert_int_equal(b[7], 4);
	assert_zero(b + 8, 24);
	assert_int_equal(twc_stop_dec(b, TWC_STOP_LEN, &d), TWC_OK);
	assert_int_equal(d.accept, 2);
	assert_int_equal(d.nsessions, 0x01020304);
	memset(b + 2, 0xee, 2);       /* MBZ ignored */
	memset(b + 8, 0xee, 24);
	assert_int_equal(twc_stop_dec(b, TWC_STOP_LEN, &d), TWC_OK);
	b[1] = 7;
	assert_int_equal(twc_stop_dec(b, TWC_STOP_LEN, &d), TWC_E_ACCEPT);
	b[1] = 0;
	b[0] = 2;
	assert_int_equal(twc_stop_dec(b, TWC_STOP_LEN, &d), TWC_E_COMMAND);
	s.accept = 200;
	assert_int_equal(twc_stop_enc(&s, b, TWC_STOP_LEN), TWC_E_ACCEPT);
	free(b);
}

/* ---- RFC 5938 N-messages ---------------------------------------------- */

static struct twc_nmsg *sample_nmsg(uint8_t cmd, uint8_t accept, uint32_t n)
{
	struct twc_nmsg *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->cmd = cmd;
	m->accept = accept;
	m->n = n;
	for (uint32_t i = 0; i < n && i < TWC_NMSG_MAX; i++)
		seq_bytes(m->sid[i], 16, (uint8_t)(i * 16));
	return m;
}

static void nmsg_roundtrip(uint8_t cmd, uint8_t accept, uint32_t n)
{
	struct twc_nmsg *m = sample_nmsg(cmd, accept, n), *d = calloc(1, sizeof(*d));
	size_t len = TWC_NMSG_LEN(n);
	uint8_t *b = guarded(len);

	assert_non_null(d);
	assert_int_equal(twc_nmsg_enc(m, b, len + 1), TWC_OK);
	check_guard(b, len);
	assert_int_equal(b[0], cmd);
	assert_int_equal(b[1], cmd == TWC_CMD_START_N_SESSIONS ? 0 : accept);
	assert_zero(b + 2, 10);
	assert_int_equal((uint32_t)b[12] << 24 | b[13] << 16 | b[14] << 8 | b[15], n);
	if (n)
		assert_memory_equal(b + 16, m->sid, 16 * (size_t)n);
	assert_zero(b + len - 16, 16);
	assert_int_equal(twc_nmsg_dec(b, len, cmd, d), TWC_OK);
	assert_int_equal(d->cmd, cmd);
	assert_int_equal(d->accept, cmd == TWC_CMD_START_N_SESSIONS ? 0 : accept);
	assert_int_equal(d->n, n);
	assert_memory_equal(d->sid, m->sid, 16 * (size_t)n);
	free(b);
	free(m);
	free(d);
}

static void test_nmsg_roundtrip(void **state)
{
	(void)state;
	for (uint8_t cmd = 7; cmd <= 10; cmd++) {
		nmsg_roundtrip(cmd, 0, 0);
		nmsg_roundtrip(cmd, 3, 1);
		nmsg_roundtrip(cmd, 6, 5);
		nmsg_roundtrip(cmd, 0, TWC_NMSG_MAX);
	}
}

static void test_nmsg_errors(void **state)
{
	struct twc_nmsg *m = sample_nmsg(TWC_CMD_STOP_N_SESSIONS, 0, 2);
	struct twc_nmsg *d = calloc(1, sizeof(*d));
	uint8_t b[TWC_NMSG_LEN(2)], big[TWC_NMSG_LEN(2) + 16];

	(void)state;
	assert_non_null(d);
	assert_int_equal(twc_nmsg_enc(m, b, sizeof(b)), TWC_OK);
	/* another command than expected, or not an N-message at all */
	assert_int_equal(twc_nmsg_dec(b, sizeof(b), TWC_CMD_START_N_SESSIONS, d), TWC_E_COMMAND);
	assert_int_equal(d->cmd, TWC_CMD_STOP_N_SESSIONS);
	assert_int_equal(twc_nmsg_dec(b, sizeof(b), TWC_CMD_STOP_SESSIONS, d), TWC_E_COMMAND);
	b[0] = TWC_CMD_STOP_SESSIONS;
	assert_int_equal(twc_nmsg_dec(b, sizeof(b), TWC_CMD_STOP_SESSIONS, d), TWC_E_COMMAND);
	b[0] = TWC_CMD_STOP_N_SESSIONS;
	/* Accept in 8, 9 (⚠), 10; octet 1 of 7 is MBZ and ignored */
	for (uint8_t cmd = 7; cmd <= 10; cmd++) {
		b[0] = cmd;
		b[1] = 7;
		assert_int_equal(twc_nmsg_dec(b, sizeof(b), cmd, d),
				 cmd == TWC_CMD_START_N_SESSIONS ? TWC_OK : TWC_E_ACCEPT);
		m->cmd = cmd;
		m->accept = 7;
		assert_int_equal(twc_nmsg_enc(m, b, sizeof(b)),
				 cmd == TWC_CMD_START_N_SESSIONS ? TWC_OK : TWC_E_ACCEPT);
	}
	/* N above the limit, whatever the length */
	b[12] = 0, b[13] = 0, b[14] = (TWC_NMSG_MAX + 1) >> 8, b[15] = (TWC_NMSG_MAX + 1) & 0xff;
	assert_int_equal(twc_nmsg_dec(b, sizeof(b), b[0], d), TWC_E_NSESS);
	b[12] = 0xff;
	assert_int_equal(twc_nmsg_dec(b, sizeof(b), b[0], d), TWC_E_NSESS);
	m->n = TWC_NMSG_MAX + 1;
	assert_int_equal(twc_nmsg_enc(m, big, sizeof(big)), TWC_E_NSESS);
	m->n = 2;
	m->cmd = 6;
	assert_int_equal(twc_nmsg_enc(m, big, sizeof(big)), TWC_E_COMMAND);
	/* N and the length disagree */
	m->cmd = TWC_CMD_START_N_ACK;
	m->accept = 0;
	assert_int_equal(twc_nmsg_enc(m, big, sizeof(big)), TWC_OK);
	big[15] = 3;
	assert_int_equal(twc_nmsg_dec(big, TWC_NMSG_LEN(2), TWC_CMD_START_N_ACK, d), TWC_E_SHORT);
	big[15] = 1;
	assert_int_equal(twc_nmsg_dec(big, TWC_NMSG_LEN(2), TWC_CMD_START_N_ACK, d), TWC_E_LONG);
	free(m);
	free(d);
}

/* ---- lengths: every truncation and extension is refused --------------- */

typedef enum twc_err (*dec_fn)(const uint8_t *buf, size_t len);

static enum twc_err dec_greeting(const uint8_t *b, size_t n)
{
	struct twc_greeting m;

	return twc_greeting_dec(b, n, &m);
}

static enum twc_err dec_setup(const uint8_t *b, size_t n)
{
	struct twc_setup m;

	return twc_setup_dec(b, n, &m);
}

static enum twc_err dec_server_start(const uint8_t *b, size_t n)
{
	struct twc_server_start m;

	return twc_server_start_dec(b, n, &m);
}

static enum twc_err dec_request(const uint8_t *b, size_t n)
{
	struct twc_request m;

	return twc_request_dec(b, n, &m);
}

static enum twc_err dec_accept(const uint8_t *b, size_t n)
{
	struct twc_accept_session m;

	return twc_accept_session_dec(b, n, &m);
}

static enum twc_err dec_start_ack(const uint8_t *b, size_t n)
{
	uint8_t a;

	return twc_start_ack_dec(b, n, &a);
}

static enum twc_err dec_stop(const uint8_t *b, size_t n)
{
	struct twc_stop m;

	return twc_stop_dec(b, n, &m);
}

/* msg holds a valid message of `len` octets followed by room for 48 more */
static void every_length(dec_fn dec, const uint8_t *msg, size_t len)
{
	for (size_t n = 0; n <= len + 48; n++) {
		uint8_t *b = exact_copy(msg, n);
		enum twc_err e = dec(b, n);
		enum twc_err want = n < len ? TWC_E_SHORT : n > len ? TWC_E_LONG : TWC_OK;

		if (e != want)
			fail_msg("length %zu of %zu: got %s", n, len, twc_strerror(e));
		free(b);
	}
}

static void test_every_length(void **state)
{
	uint8_t m[TWC_SETUP_LEN + 48] = { 0 };
	struct twc_greeting g = sample_greeting();
	struct twc_setup s = sample_setup(TWC_MODE_AUTH);
	struct twc_server_start ss = { 0 };
	struct twc_request r = sample_request(6);
	struct twc_accept_session a = { .port = 1 };
	struct twc_stop st = { .nsessions = 1 };

	(void)state;
	assert_int_equal(twc_greeting_enc(&g, m, sizeof(m)), TWC_OK);
	every_length(dec_greeting, m, TWC_GREETING_LEN);
	assert_int_equal(twc_setup_enc(&s, m, sizeof(m)), TWC_OK);
	every_length(dec_setup, m, TWC_SETUP_LEN);
	assert_int_equal(twc_server_start_enc(&ss, m, sizeof(m)), TWC_OK);
	every_length(dec_server_start, m, TWC_SERVER_START_LEN);
	assert_int_equal(twc_request_enc(&r, m, sizeof(m)), TWC_OK);
	every_length(dec_request, m, TWC_REQUEST_LEN);
	assert_int_equal(twc_accept_session_enc(&a, m, sizeof(m)), TWC_OK);
	every_length(dec_accept, m, TWC_ACCEPT_SESSION_LEN);
	assert_int_equal(twc_start_enc(m, sizeof(m)), TWC_OK);
	every_length(twc_start_dec, m, TWC_START_LEN);
	assert_int_equal(twc_start_ack_enc(0, m, sizeof(m)), TWC_OK);
	every_length(dec_start_ack, m, TWC_START_ACK_LEN);
	assert_int_equal(twc_stop_enc(&st, m, sizeof(m)), TWC_OK);
	every_length(dec_stop, m, TWC_STOP_LEN);
}

static void test_every_length_nmsg(void **state)
{
	static const uint32_t ns[] = { 0, 1, 3, TWC_NMSG_MAX };
	struct twc_nmsg *d = calloc(1, sizeof(*d));

	(void)state;
	assert_non_null(d);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct twc_nmsg *m = sample_nmsg(TWC_CMD_STOP_N_ACK, 0, ns[i]);
		size_t len = TWC_NMSG_LEN(ns[i]);
		uint8_t *full = calloc(1, len + 48);

		assert_non_null(full);
		assert_int_equal(twc_nmsg_enc(m, full, len + 48), TWC_OK);
		for (size_t n = 0; n <= len + 48; n++) {
			uint8_t *b = exact_copy(full, n);
			enum twc_err want = n < len ? TWC_E_SHORT : n > len ? TWC_E_LONG : TWC_OK;

			assert_int_equal(twc_nmsg_dec(b, n, TWC_CMD_STOP_N_ACK, d), want);
			free(b);
		}
		free(full);
		free(m);
	}
	free(d);
}

/* Encoders: TWC_E_NOSPACE for a buffer one octet short, which is left
 * untouched. */
static void test_encoder_room(void **state)
{
	uint8_t b[TWC_NMSG_LEN(1) + 1];
	struct twc_greeting g = sample_greeting();
	struct twc_setup s = sample_setup(TWC_MODE_AUTH);
	struct twc_server_start ss = { 0 };
	struct twc_request r = sample_request(4);
	struct twc_accept_session a = { 0 };
	struct twc_stop st = { 0 };
	struct twc_nmsg *m = sample_nmsg(TWC_CMD_START_N_SESSIONS, 0, 1);

	(void)state;
	memset(b, GUARD, sizeof(b));
	assert_int_equal(twc_greeting_enc(&g, b, TWC_GREETING_LEN - 1), TWC_E_NOSPACE);
	assert_int_equal(twc_setup_enc(&s, b, 0), TWC_E_NOSPACE);
	assert_int_equal(twc_server_start_enc(&ss, b, TWC_SERVER_START_LEN - 1), TWC_E_NOSPACE);
	assert_int_equal(twc_request_enc(&r, b, TWC_REQUEST_LEN - 1), TWC_E_NOSPACE);
	assert_int_equal(twc_accept_session_enc(&a, b, TWC_ACCEPT_SESSION_LEN - 1), TWC_E_NOSPACE);
	assert_int_equal(twc_start_enc(b, TWC_START_LEN - 1), TWC_E_NOSPACE);
	assert_int_equal(twc_start_ack_enc(0, b, TWC_START_ACK_LEN - 1), TWC_E_NOSPACE);
	assert_int_equal(twc_stop_enc(&st, b, TWC_STOP_LEN - 1), TWC_E_NOSPACE);
	assert_int_equal(twc_nmsg_enc(m, b, TWC_NMSG_LEN(1) - 1), TWC_E_NOSPACE);
	for (size_t i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], GUARD);
	free(m);
}

/* ---- peek ------------------------------------------------------------ */

static void peek_case(const uint8_t *block, enum twc_err want, uint8_t want_cmd, size_t want_len)
{
	uint8_t cmd = 0;
	size_t len = 1;

	assert_int_equal(twc_peek(block, &cmd, &len), want);
	assert_int_equal(cmd, want_cmd);
	assert_int_equal(len, want_len);
}

static void test_peek(void **state)
{
	uint8_t m[TWC_REQUEST_LEN];
	struct twc_request r = sample_request(4);
	struct twc_stop st = { 0 };
	uint8_t blk[16] = { 0 };

	(void)state;
	assert_int_equal(twc_request_enc(&r, m, sizeof(m)), TWC_OK);
	peek_case(m, TWC_OK, 5, TWC_REQUEST_LEN);
	assert_int_equal(twc_start_enc(m, sizeof(m)), TWC_OK);
	peek_case(m, TWC_OK, 2, TWC_START_LEN);
	assert_int_equal(twc_stop_enc(&st, m, sizeof(m)), TWC_OK);
	peek_case(m, TWC_OK, 3, TWC_STOP_LEN);
	for (uint8_t cmd = 7; cmd <= 10; cmd++) {
		struct twc_nmsg *n = sample_nmsg(cmd, 0, 3);
		uint8_t nb[TWC_NMSG_LEN(3)];

		assert_int_equal(twc_nmsg_enc(n, nb, sizeof(nb)), TWC_OK);
		peek_case(nb, TWC_OK, cmd, sizeof(nb));
		nb[12] = 0, nb[13] = 0, nb[14] = TWC_NMSG_MAX >> 8, nb[15] = TWC_NMSG_MAX & 0xff;
		peek_case(nb, TWC_OK, cmd, TWC_NMSG_MAX_LEN);
		nb[15]++;
		peek_case(nb, TWC_E_NSESS, cmd, 0);
		nb[12] = 0xff;
		peek_case(nb, TWC_E_NSESS, cmd, 0);
		free(n);
	}
	static const uint8_t unknown[] = { 0, 1, 4, 6, 11, 12, 0x80, 0xff };
	for (size_t i = 0; i < sizeof(unknown); i++) {
		blk[0] = unknown[i];
		peek_case(blk, TWC_E_COMMAND, unknown[i], 0);
	}
	assert_true(TWC_MAX_MSG_LEN >= TWC_SETUP_LEN && TWC_MAX_MSG_LEN >= TWC_NMSG_MAX_LEN);
}

/* ---- errors ---------------------------------------------------------- */

static void test_strerror(void **state)
{
	(void)state;
	for (int i = 0; i < TWC_E_COUNT_ERRORS; i++) {
		const char *s = twc_strerror((enum twc_err)i);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_string_not_equal(s, "unknown error");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(s, twc_strerror((enum twc_err)j));
	}
	assert_string_equal(twc_strerror(TWC_E_COUNT_ERRORS), "unknown error");
	assert_string_equal(twc_strerror((enum twc_err)-1), "unknown error");

	assert_int_equal(twc_err_accept(TWC_E_TYPEP), TWC_ACCEPT_NOT_SUPPORTED);
	assert_int_equal(twc_err_accept(TWC_E_IPVN), TWC_ACCEPT_NOT_SUPPORTED);
	assert_int_equal(twc_err_accept(TWC_E_CONF_SENDER), TWC_ACCEPT_FAILURE);
	assert_int_equal(twc_err_accept(TWC_E_SLOTS), TWC_ACCEPT_FAILURE);
	assert_int_equal(twc_err_accept(TWC_E_SENDER_ADDR), TWC_ACCEPT_FAILURE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_roundtrip),
		cmocka_unit_test(test_greeting_count),
		cmocka_unit_test(test_setup_roundtrip),
		cmocka_unit_test(test_setup_mode),
		cmocka_unit_test(test_server_start),
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_request_errors),
		cmocka_unit_test(test_accept_session),
		cmocka_unit_test(test_start_and_ack),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_nmsg_roundtrip),
		cmocka_unit_test(test_nmsg_errors),
		cmocka_unit_test(test_every_length),
		cmocka_unit_test(test_every_length_nmsg),
		cmocka_unit_test(test_encoder_room),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
