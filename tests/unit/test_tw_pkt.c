/* TWAMP-Test packet layouts, field access and reply building, including
 * the open-mode captures (twping O and M, twampy Light). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "byteorder.h"
#include "ntp_time.h"
#include "tdata.h"
#include "tw_pkt.h"

/* ---- layouts: the offsets of docs/protocol.md §6.1/§6.2 ------------------- */
static void check_layout(const struct tw_layout *l, unsigned base, unsigned ts, unsigned ee,
			 unsigned enc, unsigned mac, unsigned hmac)
{
	assert_int_equal(l->base_len, base);
	assert_int_equal(l->ts_off, ts);
	assert_int_equal(l->errest_off, ee);
	assert_int_equal(l->enc_len, enc);
	assert_int_equal(l->mac_len, mac);
	if (mac)
		assert_int_equal(l->hmac_off, hmac);
	assert_true(l->base_len <= (l->reflector ? TW_MAX_REFLECTOR_BASE : TW_MAX_SENDER_BASE));
}

static void check_refl(const struct tw_layout *l, unsigned rx, unsigned sseq, unsigned sts,
		       unsigned see, unsigned ttl)
{
	assert_true(l->reflector);
	assert_int_equal(l->rx_ts_off, rx);
	assert_int_equal(l->snd_seq_off, sseq);
	assert_int_equal(l->snd_ts_off, sts);
	assert_int_equal(l->snd_errest_off, see);
	assert_int_equal(l->ttl_off, ttl);
}

static void test_layouts(void **state)
{
	(void)state;
	check_layout(tw_sender_layout(TW_SEC_OPEN, false), 14, 4, 12, 0, 0, 0);
	check_layout(tw_sender_layout(TW_SEC_OPEN, true), 41, 4, 12, 0, 0, 0);
	check_layout(tw_sender_layout(TW_SEC_AUTH, false), 48, 16, 24, 16, 16, 32);
	check_layout(tw_sender_layout(TW_SEC_ENC, false), 48, 16, 24, 32, 32, 32);
	check_layout(tw_sender_layout(TW_SEC_AUTH, true), 112, 16, 24, 16, 16, 96);
	check_layout(tw_sender_layout(TW_SEC_ENC, true), 112, 16, 24, 96, 96, 96);
	assert_false(tw_sender_layout(TW_SEC_OPEN, false)->reflector);

	check_layout(tw_reflector_layout(TW_SEC_OPEN), 41, 4, 12, 0, 0, 0);
	check_refl(tw_reflector_layout(TW_SEC_OPEN), 16, 24, 28, 36, 40);
	check_layout(tw_reflector_layout(TW_SEC_AUTH), 112, 16, 24, 16, 16, 96);
	check_refl(tw_reflector_layout(TW_SEC_AUTH), 32, 48, 64, 72, 80);
	check_layout(tw_reflector_layout(TW_SEC_ENC), 112, 16, 24, 96, 96, 96);
	check_refl(tw_reflector_layout(TW_SEC_ENC), 32, 48, 64, 72, 80);
}

static void test_reply_len(void **state)
{
	const struct tw_layout *ro = tw_reflector_layout(TW_SEC_OPEN);
	const struct tw_layout *ra = tw_reflector_layout(TW_SEC_AUTH);

	(void)state;
	assert_int_equal(tw_reply_len(14, ro), 41);
	assert_int_equal(tw_reply_len(41, ro), 41);
	assert_int_equal(tw_reply_len(100, ro), 100);
	assert_int_equal(tw_reply_len(48, ra), 112);
	assert_int_equal(tw_reply_len(112, ra), 112);
	assert_int_equal(tw_reply_len(1500, ra), 1500);
}

/* ---- field access ------------------------------------------------------- */
static const struct tw_sender_fields SF = {
	.seq = 0x01020304, .ts = 0x1112131415161718ull, .errest = 0x8123,
};

static void test_sender_rw(void **state)
{
	(void)state;
	for (int sec = TW_SEC_OPEN; sec <= TW_SEC_ENC; sec++) {
		for (int sym = 0; sym < 2; sym++) {
			const struct tw_layout *l = tw_sender_layout((enum tw_sec)sec, sym);
			uint8_t p[TW_MAX_SENDER_BASE + 4];
			struct tw_sender_fields f;
			size_t nz = 0;

			memset(p, 0xee, sizeof(p));
			tw_sender_write(p, l, &SF);
			tw_sender_read(p, l, &f);
			assert_int_equal(f.seq, SF.seq);
			assert_true(f.ts == SF.ts);
			assert_int_equal(f.errest, SF.errest);
			/* big-endian at the right places */
			assert_int_equal(p[0], 0x01);
			assert_int_equal(p[3], 0x04);
			assert_int_equal(p[l->ts_off], 0x11);
			assert_int_equal(p[l->ts_off + 7], 0x18);
			assert_int_equal(p[l->errest_off], 0x81);
			assert_int_equal(p[l->errest_off + 1], 0x23);
			/* every other header octet (MBZ, HMAC) zeroed, beyond untouched */
			for (size_t i = 0; i < l->base_len; i++)
				nz += p[i] != 0;
			assert_int_equal(nz, 14); /* the 14 non-zero field octets above */
			assert_int_equal(p[l->base_len], 0xee);
		}
	}
}

static const struct tw_reflector_fields RF = {
	.seq = 0xa1a2a3a4, .ts = 0xb1b2b3b4b5b6b7b8ull, .errest = 0xc1c2,
	.rx_ts = 0xd1d2d3d4d5d6d7d8ull,
	.snd = { .seq = 0xe1e2e3e4, .ts = 0xf1f2f3f4f5f6f7f8ull, .errest = 0x9192 },
	.sender_ttl = 0x99,
};

static void test_reflector_rw(void **state)
{
	(void)state;
	for (int sec = TW_SEC_OPEN; sec <= TW_SEC_ENC; sec++) {
		const struct tw_layout *l = tw_reflector_layout((enum tw_sec)sec);
		uint8_t p[TW_MAX_REFLECTOR_BASE + 4];
		struct tw_reflector_fields f;
		size_t nz = 0;

		memset(p, 0xee, sizeof(p));
		tw_reflector_write(p, l, &RF);
		tw_reflector_read(p, l, &f);
		assert_int_equal(f.seq, RF.seq);
		assert_true(f.ts == RF.ts);
		assert_int_equal(f.errest, RF.errest);
		assert_true(f.rx_ts == RF.rx_ts);
		assert_int_equal(f.snd.seq, RF.snd.seq);
		assert_true(f.snd.ts == RF.snd.ts);
		assert_int_equal(f.snd.errest, RF.snd.errest);
		assert_int_equal(f.sender_ttl, RF.sender_ttl);
		for (size_t i = 0; i < l->base_len; i++)
			nz += p[i] != 0;
		assert_int_equal(nz, 4 + 8 + 2 + 8 + 4 + 8 + 2 + 1);
		assert_int_equal(p[l->base_len], 0xee);

		tw_put_ts(p, l, 0x0102030405060708ull);
		assert_int_equal(p[l->ts_off], 0x01);
		assert_int_equal(p[l->ts_off + 7], 0x08);
	}
}

/* ---- tw_build_reply --------------------------------------------------------- */

/* The per-session options of a reply, as the tests vary them. */
struct reply_opts {
	uint16_t reflect_len;
	bool seq_from_sender;
};

/* tw_build_reply with the header fields of f, and f's Timestamp written
 * after it, as a reflector stamps its reply (the builder leaves it 0). */
static int build_reply(uint8_t *p, size_t req_len, size_t cap, const struct tw_layout *snd,
		       const struct tw_layout *refl, const struct tw_reflector_fields *f,
		       const struct reply_opts *o, size_t *rlen)
{
	struct tw_reply_hdr h = {
		.seq = f->seq, .errest = f->errest, .rx_ts = f->rx_ts, .sender_ttl = f->sender_ttl,
		.seq_from_sender = o != NULL && o->seq_from_sender,
		.reflect_len = o != NULL ? o->reflect_len : 0,
	};
	int rc = tw_build_reply(p, req_len, cap, snd, refl, &h, rlen);

	if (rc == 0)
		tw_put_ts(p, refl, f->ts);
	return rc;
}

/* The builder leaves the Timestamp 0 and writes no octet past the reply. */
static void test_reply_ts_zero(void **state)
{
	const struct tw_layout *sa = tw_sender_layout(TW_SEC_AUTH, false);
	const struct tw_layout *ra = tw_reflector_layout(TW_SEC_AUTH);
	struct tw_reply_hdr h = { .seq = 1, .rx_ts = 0x0102030405060708ull, .errest = 0x8001 };
	uint8_t p[160], zero[8] = { 0 };
	size_t rlen = 0;

	(void)state;
	memset(p, 0xee, sizeof(p));
	tw_sender_write(p, sa, &SF);
	assert_int_equal(tw_build_reply(p, 120, sizeof(p), sa, ra, &h, &rlen), 0);
	assert_int_equal(rlen, 120);
	assert_memory_equal(p + ra->ts_off, zero, 8);
	assert_int_equal(p[120], 0xee);
}
static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void test_reply_errors(void **state)
{
	const struct tw_layout *sa = tw_sender_layout(TW_SEC_AUTH, false);
	const struct tw_layout *ra = tw_reflector_layout(TW_SEC_AUTH);
	uint8_t p[256];
	size_t rlen = 12345;

	(void)state;
	memset(p, 0, sizeof(p));
	assert_int_equal(build_reply(p, 47, sizeof(p), sa, ra, &RF, NULL, &rlen), -1);
	assert_int_equal(build_reply(p, 48, 111, sa, ra, &RF, NULL, &rlen), -1);
	assert_int_equal(build_reply(p, 200, 199, sa, ra, &RF, NULL, &rlen), -1);
	assert_int_equal(rlen, 12345);
	assert_int_equal(build_reply(p, 48, 112, sa, ra, &RF, NULL, &rlen), 0);
	assert_int_equal(rlen, 112);
}

/* A 14-octet open request grows to 41; the extension is zeroed. */
static void test_reply_short_open(void **state)
{
	const struct tw_layout *so = tw_sender_layout(TW_SEC_OPEN, false);
	const struct tw_layout *ro = tw_reflector_layout(TW_SEC_OPEN);
	uint8_t p[64];
	size_t rlen = 0;
	struct tw_reflector_fields f;

	(void)state;
	memset(p, 0xee, sizeof(p));
	tw_sender_write(p, so, &SF);
	assert_int_equal(build_reply(p, 14, sizeof(p), so, ro, &RF, NULL, &rlen), 0);
	assert_int_equal(rlen, 41);
	tw_reflector_read(p, ro, &f);
	assert_int_equal(f.seq, RF.seq);
	assert_true(f.ts == RF.ts);
	assert_int_equal(f.errest, RF.errest);
	assert_true(f.rx_ts == RF.rx_ts);
	assert_int_equal(f.snd.seq, SF.seq);   /* from the request, not hdr_in */
	assert_true(f.snd.ts == SF.ts);
	assert_int_equal(f.snd.errest, SF.errest);
	assert_int_equal(f.sender_ttl, RF.sender_ttl);
	assert_int_equal(p[14], 0);            /* MBZ 14-15 */
	assert_int_equal(p[38], 0);            /* MBZ 38-39 */
	assert_int_equal(p[41], 0xee);         /* beyond the reply: untouched */
}

/* Longer request: padding beyond the reflector header stays in place; an
 * auth request (48 + 20) shorter than the auth reflector base grows to 112. */
static void test_reply_padding(void **state)
{
	const struct tw_layout *sa = tw_sender_layout(TW_SEC_AUTH, false);
	const struct tw_layout *ra = tw_reflector_layout(TW_SEC_AUTH);
	uint8_t p[300], orig[300];
	size_t rlen = 0;
	struct tw_reflector_fields f;

	(void)state;
	fill_pattern(p, sizeof(p), 3);
	tw_sender_write(p, sa, &SF);
	memcpy(orig, p, sizeof(p));
	assert_int_equal(build_reply(p, 200, sizeof(p), sa, ra, &RF, NULL, &rlen), 0);
	assert_int_equal(rlen, 200);
	assert_memory_equal(p + 112, orig + 112, 200 - 112);
	assert_memory_equal(p + 96, (uint8_t[16]){ 0 }, 16); /* HMAC field zero */
	tw_reflector_read(p, ra, &f);
	assert_int_equal(f.snd.seq, SF.seq);
	assert_true(f.snd.ts == SF.ts);

	fill_pattern(p, sizeof(p), 3);
	tw_sender_write(p, sa, &SF);
	assert_int_equal(build_reply(p, 68, sizeof(p), sa, ra, &RF, NULL, &rlen), 0);
	assert_int_equal(rlen, 112);
	assert_memory_equal(p + 112, orig + 112, sizeof(p) - 112); /* beyond: untouched */
	tw_reflector_read(p, ra, &f);
	assert_int_equal(f.snd.seq, SF.seq);
}

/* Reflect octets: moved to the start of the reflector padding, bounded by
 * both paddings; the rest of the padding stays in place. */
static void test_reply_reflect_octets(void **state)
{
	const struct tw_layout *so = tw_sender_layout(TW_SEC_OPEN, false);
	const struct tw_layout *sym = tw_sender_layout(TW_SEC_OPEN, true);
	const struct tw_layout *ro = tw_reflector_layout(TW_SEC_OPEN);
	const struct tw_layout *sa = tw_sender_layout(TW_SEC_AUTH, false);
	const struct tw_layout *ra = tw_reflector_layout(TW_SEC_AUTH);
	struct reply_opts o = { .reflect_len = 4 };
	uint8_t p[300], orig[300];
	size_t rlen = 0;

	(void)state;
	/* open 14 + 40: octets 14..17 go to 41..44; 45..53 stay */
	fill_pattern(p, sizeof(p), 9);
	tw_sender_write(p, so, &SF);
	memcpy(orig, p, sizeof(p));
	assert_int_equal(build_reply(p, 54, sizeof(p), so, ro, &RF, &o, &rlen), 0);
	assert_int_equal(rlen, 54);
	assert_memory_equal(p + 41, orig + 14, 4);
	assert_memory_equal(p + 45, orig + 45, 9);

	/* bounded by the reflector padding: 14 + 30 -> 3 octets of room */
	o.reflect_len = 100;
	fill_pattern(p, sizeof(p), 9);
	tw_sender_write(p, so, &SF);
	assert_int_equal(build_reply(p, 44, sizeof(p), so, ro, &RF, &o, &rlen), 0);
	assert_int_equal(rlen, 44);
	assert_memory_equal(p + 41, orig + 14, 3);

	/* bounded by the sender padding: auth 48 + 80 -> 16 of room, 80 sent;
	 * symmetrical open 41 + 2 -> 2 */
	o.reflect_len = 20;
	fill_pattern(p, sizeof(p), 9);
	tw_sender_write(p, sa, &SF);
	memcpy(orig, p, sizeof(p));
	assert_int_equal(build_reply(p, 128, sizeof(p), sa, ra, &RF, &o, &rlen), 0);
	assert_int_equal(rlen, 128);
	assert_memory_equal(p + 112, orig + 48, 16);

	fill_pattern(p, sizeof(p), 9);
	tw_sender_write(p, sym, &SF);
	memcpy(orig, p, sizeof(p));
	assert_int_equal(build_reply(p, 43, sizeof(p), sym, ro, &RF, &o, &rlen), 0);
	assert_int_equal(rlen, 43);
	assert_memory_equal(p + 41, orig + 41, 2);

	/* no sender padding: nothing reflected; octets 48-111 (past the
	 * request) hold exactly the reflector header, nothing stale */
	{
		struct tw_reflector_fields want = RF;
		uint8_t ref[112];

		want.snd = SF;
		tw_reflector_write(ref, ra, &want);
		fill_pattern(p, sizeof(p), 9);
		tw_sender_write(p, sa, &SF);
		assert_int_equal(build_reply(p, 48, sizeof(p), sa, ra, &RF, &o, &rlen), 0);
		assert_int_equal(rlen, 112);
		assert_memory_equal(p, ref, 112);
	}
}

static void test_reply_seq_from_sender(void **state)
{
	const struct tw_layout *so = tw_sender_layout(TW_SEC_OPEN, false);
	const struct tw_layout *ro = tw_reflector_layout(TW_SEC_OPEN);
	struct reply_opts o = { .seq_from_sender = true };
	struct tw_reflector_fields f;
	uint8_t p[64];
	size_t rlen;

	(void)state;
	tw_sender_write(p, so, &SF);
	assert_int_equal(build_reply(p, 14, sizeof(p), so, ro, &RF, &o, &rlen), 0);
	tw_reflector_read(p, ro, &f);
	assert_int_equal(f.seq, SF.seq);
	o.seq_from_sender = false;
	tw_sender_write(p, so, &SF);
	assert_int_equal(build_reply(p, 14, sizeof(p), so, ro, &RF, &o, &rlen), 0);
	tw_reflector_read(p, ro, &f);
	assert_int_equal(f.seq, RF.seq);
}

/* ---- captures -------------------------------------------------------------- */
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const struct tpkt *find_request(const struct tpkt *v, size_t n, uint32_t seq)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].dir == 's' && be32(v[i].data) == seq)
			return &v[i];
	fail_msg("no request with seq %u", seq);
	return NULL;
}

/* Rebuild every reply of an open capture from its request and the reply's
 * own header fields, and compare the first `cmp` octets (0: all). */
static void check_open_capture(const char *file, size_t want_req_len, size_t want_rep_len,
			       size_t cmp, size_t expect_pairs)
{
	const struct tw_layout *so = tw_sender_layout(TW_SEC_OPEN, false);
	const struct tw_layout *ro = tw_reflector_layout(TW_SEC_OPEN);
	struct tpkt *v;
	size_t n = tdata_load(file, &v), pairs = 0;

	for (size_t i = 0; i < n; i++) {
		struct tw_reflector_fields r;
		struct tw_sender_fields s;
		const struct tpkt *req;
		uint8_t rep[TDATA_MAX_PKT] = { 0 }, buf[TDATA_MAX_PKT];
		size_t rlen = 0;

		if (v[i].dir != 'r')
			continue;
		assert_int_equal(v[i].len, want_rep_len);
		memcpy(rep, v[i].data, v[i].len); /* zero-extended if short */
		tw_reflector_read(rep, ro, &r);
		req = find_request(v, n, r.snd.seq);
		assert_int_equal(req->len, want_req_len);
		tw_sender_read(req->data, so, &s);
		assert_true(s.ts == r.snd.ts);
		assert_int_equal(s.errest, r.snd.errest);

		memcpy(buf, req->data, req->len);
		assert_int_equal(build_reply(buf, req->len, sizeof(buf), so, ro, &r, NULL, &rlen), 0);
		assert_int_equal(rlen, tw_reply_len(req->len, ro));
		assert_memory_equal(buf, v[i].data, cmp ? cmp : rlen);
		pairs++;
	}
	assert_int_equal(pairs, expect_pairs);
	free(v);
}

/* twping sends 14 + 27 octets in open and mixed mode and twampd answers
 * with the 41-octet reflector header: every octet is determined. */
static void test_capture_mode_o(void **state)
{
	(void)state;
	check_open_capture("twping_mode_O.test.hex", 41, 41, 0, 20);
}

/* mixed mode: open test packets (RFC 5618); two pairs arrive reordered */
static void test_capture_mode_m(void **state)
{
	(void)state;
	check_open_capture("twping_mode_M.test.hex", 41, 41, 0, 20);
}

/* twampy's responder answers with 38 octets: the 41-octet layout without
 * its last three (MBZ 38-39 and Sender TTL at 40). Octets 0-37 must match
 * ours; octets 38-40 of our reply are MBZ and the TTL, which twampy omits. */
static void test_capture_twampy(void **state)
{
	(void)state;
	check_open_capture("twampy_light_sender_to_responder.test.hex", 41, 38, 38, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_reply_len),
		cmocka_unit_test(test_sender_rw),
		cmocka_unit_test(test_reflector_rw),
		cmocka_unit_test(test_reply_errors),
		cmocka_unit_test(test_reply_short_open),
		cmocka_unit_test(test_reply_padding),
		cmocka_unit_test(test_reply_reflect_octets),
		cmocka_unit_test(test_reply_seq_from_sender),
		cmocka_unit_test(test_reply_ts_zero),
		cmocka_unit_test(test_capture_mode_o),
		cmocka_unit_test(test_capture_mode_m),
		cmocka_unit_test(test_capture_twampy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
