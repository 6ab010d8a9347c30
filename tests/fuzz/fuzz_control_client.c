/* libFuzzer target: the TWAMP-Control client state machine
 * (client/ctl_client.h) fed a hostile server byte stream.
 *
 * Input: byte 0 picks the client's configuration, the rest is everything
 * the server sends, cut into the pieces the machine asks for (ctl_need),
 * each in a heap buffer of exactly that size:
 *   bits 0-1  security: open, auth, enc, mixed
 *   bit 2     RFC 5938 individual session control
 *   bit 3     RFC 6038 reflect octets    bit 4  symmetrical size
 *   bits 5-6  sessions - 1 (1..4)        bit 7  Stop with Accept 1
 * The client's random values and secret are those of the twping mode A
 * capture, so a captured server stream is a valid seed that reaches the
 * test state (corpus/fuzz_control_client/: the server halves of the twping
 * mode A, E and wrong-passphrase exchanges behind their configuration
 * byte, and open-mode streams through Start-Ack, Start-N-Ack and
 * Stop-N-Ack). The Count limit is 2^11, so the PBKDF2 stays cheap.
 *
 * Properties (abort on violation): every output has the length of a
 * message the client may send in its state; the state only moves forward
 * or to CTL_FAILED, which then wants nothing; a failure always has a
 * one-line reason; the machine never asks for more than the largest
 * message; ctl_free wipes the test keys.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

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
static const char PASS[] = "interop-passphrase";

static void make_cfg(uint8_t sel, struct ctl_cfg *cfg)
{
	static const uint32_t sec[4] = { TWC_MODE_UNAUTH, TWC_MODE_AUTH, TWC_MODE_ENC, TWC_MODE_MIXED };

	memset(cfg, 0, sizeof(*cfg));
	cfg->security = sec[sel & 3];
	cfg->individual = sel & 4;
	cfg->reflect_octets = sel & 8;
	cfg->symmetrical = sel & 16;
	cfg->nsessions = 1u + ((sel >> 5) & 3);
	memcpy(cfg->keyid, "testuser", 8);
	cfg->secret = (const uint8_t *)PASS;
	cfg->secret_len = sizeof(PASS) - 1;
	cfg->max_count_exp = 11;
	for (unsigned i = 0; i < cfg->nsessions; i++) {
		cfg->req[i].ipvn = 4;
		cfg->req[i].sender_port = (uint16_t)(9037 + i);
		cfg->req[i].receiver_port = 9037;
		cfg->req[i].sender_addr[0] = cfg->req[i].receiver_addr[0] = 127;
		cfg->req[i].sender_addr[3] = cfg->req[i].receiver_addr[3] = 1;
		cfg->req[i].padding_len = 64;
		cfg->req[i].timeout = 2ull << 32;
		cfg->req[i].octets_to_reflect = cfg->reflect_octets ? (uint16_t)(0x1234 + i) : 0;
		cfg->req[i].pad_to_reflect = cfg->reflect_octets ? 2 : 0;
	}
}

/* The length of what the client may send, given the state it is now in
 * (after the message was made). */
static bool output_ok(const struct ctl_client *c, size_t n)
{
	size_t nmsg = TWC_NMSG_LEN(c->cfg.nsessions);

	switch (c->state) {
	case CTL_SERVER_START:
		return n == TWC_SETUP_LEN;
	case CTL_ACCEPT:
		return n == TWC_REQUEST_LEN;
	case CTL_START_ACK:
		return n == (c->cfg.individual ? nmsg : TWC_START_LEN);
	case CTL_STOP_N_ACK:
		return n == nmsg;
	case CTL_DONE:
		return n == TWC_STOP_LEN;
	case CTL_FAILED:
		return n == TWC_SETUP_LEN;   /* the Mode 0 decline */
	default:
		return false;
	}
}

static void check_step(const struct ctl_client *c, enum ctl_state before, enum ctl_result r)
{
	CHECK(c->state == CTL_FAILED || c->state >= before);
	CHECK((r == CTL_OK) == (c->state != CTL_FAILED));
	if (c->state == CTL_FAILED) {
		CHECK(c->err[0] != '\0');
		CHECK(strlen(c->err) < CTL_ERR_LEN);
		CHECK(memchr(c->err, '\n', strlen(c->err)) == NULL);
		CHECK(c->result != CTL_OK);
	}
}

/* Feeds the stream; returns when the machine wants nothing or the input
 * runs out. */
static void run(struct ctl_client *c, const uint8_t *data, size_t size, uint8_t stop_accept)
{
	size_t off = 0;

	for (;;) {
		size_t n, need;
		const uint8_t *out = ctl_output(c, &n);
		enum ctl_state before = c->state;
		uint8_t *piece;
		enum ctl_result r;

		CHECK((out != NULL) == (n != 0));
		CHECK(!out || output_ok(c, n));
		need = ctl_need(c);
		if (need == 0 && c->state == CTL_TESTING) {
			r = ctl_stop(c, stop_accept);
			check_step(c, before, r);
			continue;
		}
		if (need == 0 || size - off < need)
			return;
		CHECK(need <= TWC_NMSG_LEN(CTL_MAX_SESSIONS));
		piece = malloc(need);
		CHECK(piece);
		memcpy(piece, data + off, need);
		off += need;
		r = ctl_input(c, piece, need);
		free(piece);
		check_step(c, before, r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_client c;   /* 5 KiB: off the stack */
	struct ctl_random rnd;
	struct ctl_cfg cfg;

	if (size < 1)
		return 0;
	make_cfg(data[0], &cfg);
	memcpy(rnd.aes, AES, sizeof(AES));
	memcpy(rnd.hmac, HMAC, sizeof(HMAC));
	memcpy(rnd.client_iv, CIV, sizeof(CIV));
	CHECK(ctl_init(&c, &cfg, &rnd) == CTL_OK);
	run(&c, data + 1, size - 1, data[0] >> 7);
	ctl_free(&c);
	for (unsigned i = 0; i < CTL_MAX_SESSIONS; i++) {
		static const struct tw_keys zero;

		CHECK(!memcmp(&c.sess[i].keys, &zero, sizeof(zero)));
	}
	CHECK(c.crypto == NULL);
	return 0;
}
