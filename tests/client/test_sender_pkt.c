/* Session-Sender packets: known-answer packets (docs/protocol.md §11.4), the
 * reflector's view of what we build, opening replies (ours and perfSONAR
 * twampd's from the reference captures), and the time arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tdata.h"
#include "error_estimate.h"
#include "ntp_time.h"
#include "sender_pkt.h"

/* docs/protocol.md §11.4 test keys */
static const struct tw_keys kat_keys = {
	.aes = { 0xbc, 0x11, 0xe3, 0xb5, 0x54, 0x14, 0x62, 0xd6, 0xb1, 0x6b, 0xd9, 0x3b, 0x6c, 0xa0, 0x4b, 0xae },
	.hmac = { 0xcb, 0x18, 0x2e, 0xa6, 0xf5, 0x10, 0xd6, 0xb2, 0xfa, 0x32, 0x86, 0x27, 0xdb, 0x38, 0x84, 0x9f,
		  0xa6, 0xf8, 0x79, 0x9b, 0xdc, 0x24, 0x7a, 0x0b, 0x51, 0x14, 0x77, 0x05, 0x97, 0x9a, 0xcd, 0x76 },
};

/* Seq 1, TS e8000000 80000000, EE 0x8001 (docs/protocol.md §11.4) */
static const uint8_t kat_auth[48] = {
	0x58, 0x58, 0x85, 0xd9, 0xd6, 0xaa, 0xe2, 0xca, 0xd6, 0x74, 0xf2, 0x09, 0xf4, 0x69, 0xb2, 0xe2,
	0xe8, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x5e, 0xb4, 0xc3, 0xe5, 0xee, 0x9e, 0x07, 0x3c, 0xc9, 0xc0, 0xe7, 0xde, 0x7c, 0x14, 0x34, 0x5e,
};
static const uint8_t kat_enc[48] = {
	0x58, 0x58, 0x85, 0xd9, 0xd6, 0xaa, 0xe2, 0xca, 0xd6, 0x74, 0xf2, 0x09, 0xf4, 0x69, 0xb2, 0xe2,
	0x07, 0xc1, 0xd1, 0x89, 0xc9, 0x7b, 0x05, 0xe3, 0x65, 0xfa, 0xb0, 0xe9, 0xb8, 0x3f, 0xa3, 0xb6,
	0xa9, 0xcb, 0x77, 0xec, 0x86, 0x03, 0x61, 0x39, 0xce, 0x9b, 0x30, 0x65, 0x0d, 0x1a, 0x53, 0x63,
};

#define KAT_TS 0xe800000080000000ull

static void test_kat(void **state)
{
	struct spkt c;
	uint8_t buf[48];

	(void)state;
	assert_int_equal(spkt_init(&c, TW_SEC_AUTH, false, &kat_keys, 48, 0x8001, false, 0), 0);
	assert_false(c.ts_protected);
	assert_int_equal(spkt_prepare(&c, buf, 1), 0);
	assert_int_equal(spkt_finish(&c, buf, KAT_TS), 0);
	assert_memory_equal(buf, kat_auth, sizeof(buf));

	assert_int_equal(spkt_init(&c, TW_SEC_ENC, false, &kat_keys, 48, 0x8001, false, 0), 0);
	assert_true(c.ts_protected);
	assert_int_equal(spkt_prepare(&c, buf, 1), 0);
	assert_int_equal(spkt_finish(&c, buf, KAT_TS), 0);
	assert_memory_equal(buf, kat_enc, sizeof(buf));
}

static void test_init_limits(void **state)
{
	struct spkt c;

	(void)state;
	assert_int_equal(spkt_min_size(TW_SEC_OPEN, false), 14);
	assert_int_equal(spkt_min_size(TW_SEC_OPEN, true), 41);
	assert_int_equal(spkt_min_size(TW_SEC_AUTH, false), 48);
	assert_int_equal(spkt_min_size(TW_SEC_ENC, true), 112);
	assert_int_equal(spkt_init(&c, TW_SEC_OPEN, false, NULL, 13, 0, false, 0), -1);
	assert_int_equal(spkt_init(&c, TW_SEC_OPEN, false, NULL, 9001, 0, false, 0), -1);
	assert_int_equal(spkt_init(&c, TW_SEC_OPEN, false, NULL, 9000, 0, false, 0), 0);
	assert_int_equal(spkt_init(&c, TW_SEC_AUTH, false, NULL, 48, 0, false, 0), -1);
	assert_int_equal(spkt_init(&c, TW_SEC_ENC, true, &kat_keys, 111, 0, false, 0), -1);
}

/* What a reflector reads from our packet: every mode, both formats. */
static void test_reflector_view(void **state)
{
	static const enum tw_sec secs[] = { TW_SEC_OPEN, TW_SEC_AUTH, TW_SEC_ENC };
	uint8_t buf[300];

	(void)state;
	for (size_t m = 0; m < 3; m++)
		for (int sym = 0; sym < 2; sym++) {
			const struct tw_layout *l = tw_sender_layout(secs[m], sym);
			const struct tw_keys *k = secs[m] == TW_SEC_OPEN ? NULL : &kat_keys;
			struct tw_sender_fields f;
			struct spkt c;
			size_t nonzero = 0;

			assert_int_equal(spkt_init(&c, secs[m], sym, k, 300, 0x3f01, true, 42), 0);
			memset(buf, 0, sizeof(buf));
			assert_int_equal(spkt_prepare(&c, buf, 77 + (uint32_t)m), 0);
			assert_int_equal(spkt_finish(&c, buf, 0x1122334455667788ull), 0);
			if (k)
				assert_int_equal(tw_unprotect(buf, sizeof(buf), l, k), 0);
			tw_sender_read(buf, l, &f);
			assert_int_equal(f.seq, 77 + m);
			assert_true(f.ts == 0x1122334455667788ull);
			assert_int_equal(f.errest, 0x3f01);
			for (size_t i = l->base_len; i < sizeof(buf); i++)
				nonzero += buf[i] != 0;
			/* random fill: about 1 in 256 octets is zero */
			assert_true(nonzero > (sizeof(buf) - l->base_len) / 2);
		}
}

static void test_zero_fill(void **state)
{
	struct spkt c;
	uint8_t buf[100];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(spkt_init(&c, TW_SEC_OPEN, false, NULL, 100, 0, false, 1), 0);
	assert_int_equal(spkt_prepare(&c, buf, 0), 0);
	assert_int_equal(spkt_finish(&c, buf, 5), 0);
	for (size_t i = 14; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
}

/* RFC 6038: the Server Octets open the padding (after the symmetrical MBZ
 * area), over the fill, in every mode; none when the padding has no room. */
static void test_server_octets(void **state)
{
	static const enum tw_sec secs[] = { TW_SEC_OPEN, TW_SEC_AUTH, TW_SEC_ENC };
	struct spkt c;
	uint8_t buf[200];

	(void)state;
	for (size_t m = 0; m < 3; m++)
		for (int sym = 0; sym < 2; sym++) {
			const struct tw_keys *k = secs[m] == TW_SEC_OPEN ? NULL : &kat_keys;
			uint16_t base = spkt_min_size(secs[m], sym);

			assert_int_equal(spkt_init(&c, secs[m], sym, k, 150, 0, true, 7), 0);
			spkt_set_server_octets(&c, 0xbeef);
			assert_int_equal(spkt_prepare(&c, buf, 3), 0);
			assert_int_equal(spkt_finish(&c, buf, 9), 0);
			assert_int_equal(buf[base], 0xbe);
			assert_int_equal(buf[base + 1], 0xef);
		}
	memset(buf, 0, sizeof(buf));
	assert_int_equal(spkt_init(&c, TW_SEC_OPEN, false, NULL, 15, 0, false, 0), 0);
	spkt_set_server_octets(&c, 0xbeef);
	assert_int_equal(spkt_prepare(&c, buf, 0), 0);
	assert_int_equal(buf[14], 0);      /* one octet of padding: left alone */
	assert_int_equal(buf[15], 0);
}

/* A reply as a reflector builds it, from a request we built. */
static size_t make_reply(struct spkt *c, uint8_t *buf, size_t cap, uint32_t seq, uint64_t t1,
			 uint64_t t2, uint64_t t3, uint16_t errest)
{
	struct tw_reply_hdr hdr = {
		.seq_from_sender = true, .errest = errest, .rx_ts = t2, .sender_ttl = 250,
	};
	size_t len;

	assert_int_equal(spkt_prepare(c, buf, seq), 0);
	assert_int_equal(spkt_finish(c, buf, t1), 0);
	if (c->keys)
		assert_int_equal(tw_unprotect(buf, c->size, c->snd, c->keys), 0);
	assert_int_equal(tw_build_reply(buf, c->size, cap, c->snd, c->refl, &hdr, &len), 0);
	tw_put_ts(buf, c->refl, t3);
	if (c->keys)
		assert_int_equal(tw_protect(buf, len, c->refl, c->keys), 0);
	return len;
}

static void test_open_reply(void **state)
{
	static const enum tw_sec secs[] = { TW_SEC_OPEN, TW_SEC_AUTH, TW_SEC_ENC };
	uint8_t buf[200];

	(void)state;
	for (size_t m = 0; m < 3; m++) {
		const struct tw_keys *k = secs[m] == TW_SEC_OPEN ? NULL : &kat_keys;
		struct tw_reflector_fields f;
		struct spkt c;
		size_t len;

		assert_int_equal(spkt_init(&c, secs[m], false, k, spkt_min_size(secs[m], false), 0, false, 0), 0);
		len = make_reply(&c, buf, sizeof(buf), 9, 1000, 2000, 3000, 0x8001);
		assert_int_equal(len, c.refl->base_len);
		assert_int_equal(spkt_open_reply(&c, buf, len, &f), SPKT_REPLY_OK);
		assert_int_equal(f.seq, 9);
		assert_int_equal(f.snd.seq, 9);
		assert_int_equal(f.snd.ts, 1000);
		assert_int_equal(f.rx_ts, 2000);
		assert_int_equal(f.ts, 3000);
		assert_int_equal(f.errest, 0x8001);
		assert_int_equal(f.sender_ttl, 250);

		len = make_reply(&c, buf, sizeof(buf), 9, 1000, 2000, 3000, 0x8001);
		assert_int_equal(spkt_open_reply(&c, buf, len - 1, &f), SPKT_REPLY_SHORT);
		if (!k)
			continue;
		/* any octet the MAC covers, and the MAC itself */
		buf[c.refl->mac_len - 1] ^= 0x01;
		assert_int_equal(spkt_open_reply(&c, buf, len, &f), SPKT_REPLY_AUTH_FAIL);
		len = make_reply(&c, buf, sizeof(buf), 9, 1000, 2000, 3000, 0x8001);
		buf[c.refl->hmac_off + 15] ^= 0x80;
		assert_int_equal(spkt_open_reply(&c, buf, len, &f), SPKT_REPLY_AUTH_FAIL);
	}
}

static void test_sample(void **state)
{
	const uint64_t t1 = ntp_from_unix_ns(1700000000000000000ull);
	const uint64_t t2 = ntp_from_unix_ns(1700000000001000000ull);  /* +1 ms */
	const uint64_t t3 = ntp_from_unix_ns(1700000000001010000ull);  /* +10 us */
	const uint64_t t4 = ntp_from_unix_ns(1700000000003010000ull);  /* +2 ms */
	struct tw_reflector_fields f = { .ts = t3, .rx_ts = t2, .errest = 0x8001, .sender_ttl = 254 };
	struct stats_reply s;
	struct spkt c;

	(void)state;
	f.snd.seq = 4;
	assert_int_equal(spkt_init(&c, TW_SEC_OPEN, false, NULL, 14, errest_encode(true, 1e-3), false, 0), 0);
	spkt_sample(&c, &f, t1, t4, 64, &s);
	/* NTP fractions round to ~0.23 ns: allow a nanosecond either way */
	assert_int_equal(s.seq, 4);
	assert_true(llabs(s.rtt_ns - 3000000) <= 1);
	assert_true(llabs(s.fwd_ns - 1000000) <= 1);
	assert_true(llabs(s.bwd_ns - 2000000) <= 1);
	assert_true(llabs(s.resid_ns - 10000) <= 1);
	assert_true(s.synced);
	assert_int_equal(s.sender_ttl, 254);
	assert_int_equal(s.reply_ttl, 64);
	/* synchronised only when both say so */
	f.errest = 0x0001;
	spkt_sample(&c, &f, t1, t4, 64, &s);
	assert_false(s.synced);
	assert_int_equal(spkt_init(&c, TW_SEC_OPEN, false, NULL, 14, errest_encode(false, 1e-3), false, 0), 0);
	f.errest = 0x8001;
	spkt_sample(&c, &f, t1, t4, 64, &s);
	assert_false(s.synced);
}

/* perfSONAR twping/twampd (reference captures): each reply opens and echoes
 * the request with the same sequence number (twping may send the next
 * request before the previous reply arrives). */
#define MAX_SEQ 64

static void check_capture(const char *name, enum tw_sec sec, const struct tw_keys *k)
{
	struct tpkt *pkts;
	uint64_t sent_ts[MAX_SEQ];
	bool sent[MAX_SEQ] = { false };
	size_t n = tdata_load(name, &pkts), replies = 0;
	struct spkt c;

	assert_int_equal(spkt_init(&c, sec, false, k, spkt_min_size(sec, false), 0, false, 0), 0);
	for (size_t i = 0; i < n; i++) {
		struct tw_sender_fields sf;
		struct tw_reflector_fields f;

		if (pkts[i].dir == 's') {
			if (k)
				assert_int_equal(tw_unprotect(pkts[i].data, pkts[i].len, c.snd, k), 0);
			tw_sender_read(pkts[i].data, c.snd, &sf);
			assert_true(sf.seq < MAX_SEQ);
			sent[sf.seq] = true;
			sent_ts[sf.seq] = sf.ts;
			continue;
		}
		assert_int_equal(spkt_open_reply(&c, pkts[i].data, pkts[i].len, &f), SPKT_REPLY_OK);
		assert_true(f.snd.seq < MAX_SEQ && sent[f.snd.seq]);
		assert_true(f.snd.ts == sent_ts[f.snd.seq]);
		assert_int_equal(f.sender_ttl, 255);
		assert_true(ntp_diff_ns(f.ts, f.rx_ts) >= 0);
		replies++;
	}
	free(pkts);
	assert_int_equal(replies, 20);
}

static void test_twping_captures(void **state)
{
	struct tw_keys k;

	(void)state;
	check_capture("twping_mode_O.test.hex", TW_SEC_OPEN, NULL);
	check_capture("twping_mode_M.test.hex", TW_SEC_OPEN, NULL);
	tdata_key("twping_mode_A.keys", "test_aes_key", k.aes, sizeof(k.aes), NULL);
	tdata_key("twping_mode_A.keys", "test_hmac_key", k.hmac, sizeof(k.hmac), NULL);
	check_capture("twping_mode_A.test.hex", TW_SEC_AUTH, &k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat),
		cmocka_unit_test(test_init_limits),
		cmocka_unit_test(test_reflector_view),
		cmocka_unit_test(test_zero_fill),
		cmocka_unit_test(test_server_octets),
		cmocka_unit_test(test_open_reply),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_twping_captures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
