/* libFuzzer target: the client's receive path for TWAMP-Test replies, as
 * twamp-client's sender loop runs it for every datagram (client/
 * light_sender.c on_reply, for TWAMP Light and full TWAMP alike): open the
 * reply (client/sender_pkt.c spkt_open_reply: length, HMAC, decryption),
 * check that it echoes a packet we sent, take the sample (spkt_sample:
 * round trip, one-way delays, residence from hostile timestamps), add it
 * to the statistics (client/stats.c), and summarise them at the end
 * (medians, p99, IPDV, loss) as the report does.
 *
 * on_reply itself is static in the sender loop, which needs sockets and a
 * clock; its steps are called here in its order, with its echo check
 * (sequence number below those sent, timestamp the one sent).
 *
 * Input: byte 0: bits 0-1 security (0 open, 1 authenticated, 2 encrypted,
 * 3 open), bit 2 symmetrical sender format, bit 3 the replies are made
 * here from fields and sealed with the session keys (else raw octets,
 * which rarely pass an HMAC), bit 4 our clock synchronised (S bit). 16
 * packets were "sent", sequence numbers 0..15 at 1 ms intervals. Then
 * replies, each:
 *   raw    2 octets of length, the octets
 *   made   sequence number selector (mod 20: 16..19 were never sent),
 *          reflector sequence number (4), Timestamp T3 (8), Error
 *          Estimate (2), Receive Timestamp T2 (8), sender TTL (1), flags
 *          (bit 0: a sender timestamp we did not send), padding (1),
 *          receive time T4 after T1 (4, in 2^-32 s)
 *
 * Properties (abort on violation): a reply shorter than the reflector's
 * base length is SHORT; a made reply opens and reads back the fields it
 * was made of; the statistics' verdicts (first, reordered, duplicate) are
 * those of a model kept here; the summary counts what the model counted
 * (received, lost, duplicates, reordered, loss %), and every distribution
 * is ordered: min <= median <= max, min <= p99 <= max, min <= mean <= max;
 * UndefinedBehaviorSanitizer watches the arithmetic on hostile times. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error_estimate.h"
#include "sender_pkt.h"
#include "stats.h"
#include "tw_crypto.h"
#include "tw_pkt.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define SENT 16
#define T1_BASE (0xeb00000000000000ull)

static const struct tw_keys KEYS = {
	.aes = { 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
		 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50 },
	.hmac = { 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
		  0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
		  0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
		  0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f },
};

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct cursor *c, unsigned octets)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < octets; i++) {
		v = v << 8 | (c->n ? *c->p : 0);
		if (c->n) {
			c->p++;
			c->n--;
		}
	}
	return v;
}

struct model {
	bool seen[SENT];
	int64_t highest;
	uint64_t received, duplicates, reordered, verified;
};

static uint64_t t1_of(uint32_t seq)
{
	return T1_BASE + (uint64_t)seq * 4294967u; /* 1 ms apart */
}

/* One reply, made from fields or raw: into a heap buffer of its exact length. */
static uint8_t *next_reply(struct cursor *c, bool made, const struct spkt *pkt,
			   struct tw_reflector_fields *want, uint64_t *t4, size_t *len)
{
	uint8_t *buf;

	if (!made) {
		*len = (size_t)take(c, 2);
		if (*len > c->n)
			*len = c->n;
		buf = malloc(*len ? *len : 1);
		CHECK(buf);
		memcpy(buf, c->p, *len);
		c->p += *len;
		c->n -= *len;
		*t4 = T1_BASE + (uint64_t)SENT * 4294967u + 0x10000000u;
		return buf;
	}
	memset(want, 0, sizeof(*want));
	want->snd.seq = (uint32_t)(take(c, 1) % 20);
	want->seq = (uint32_t)take(c, 4);
	want->ts = take(c, 8);
	want->errest = (uint16_t)take(c, 2);
	want->rx_ts = take(c, 8);
	want->sender_ttl = (uint8_t)take(c, 1);
	want->snd.ts = t1_of(want->snd.seq) ^ (take(c, 1) & 1);
	want->snd.errest = pkt->errest;
	*len = pkt->refl->base_len + (size_t)take(c, 1);
	*t4 = t1_of(want->snd.seq) + take(c, 4);
	buf = calloc(1, *len);
	CHECK(buf);
	tw_reflector_write(buf, pkt->refl, want);
	if (pkt->keys)
		CHECK(tw_protect(buf, *len, pkt->refl, pkt->keys) == 0);
	return buf;
}

static void check_fields(const struct tw_reflector_fields *got, const struct tw_reflector_fields *want)
{
	CHECK(got->seq == want->seq && got->ts == want->ts && got->errest == want->errest);
	CHECK(got->rx_ts == want->rx_ts && got->sender_ttl == want->sender_ttl);
	CHECK(got->snd.seq == want->snd.seq && got->snd.ts == want->snd.ts);
}

static void add_to_model(struct model *m, uint32_t seq, enum stats_verdict v)
{
	if (m->seen[seq]) {
		CHECK(v == STATS_DUPLICATE);
		m->duplicates++;
		return;
	}
	m->seen[seq] = true;
	m->received++;
	if ((int64_t)seq < m->highest) {
		CHECK(v == STATS_REORDERED);
		m->reordered++;
	} else {
		CHECK(v == STATS_FIRST);
		m->highest = seq;
	}
}

static void check_dist(const struct dist *d)
{
	if (d->n == 0)
		return;
	CHECK(d->min <= d->median && d->median <= d->max);
	CHECK(d->min <= d->p99 && d->p99 <= d->max);
	CHECK(d->min <= d->mean && d->mean <= d->max);
}

static void check_summary(const struct stats *st, const struct model *m)
{
	struct stats_summary s;

	CHECK(stats_summarize(st, &s) == 0);
	CHECK(s.sent == SENT && s.received == m->received && s.lost == SENT - m->received);
	CHECK(s.duplicates == m->duplicates && s.reordered == m->reordered);
	CHECK(s.loss_pct >= 0.0 && s.loss_pct <= 100.0);
	CHECK(s.rtt.n == m->received);
	check_dist(&s.rtt);
	check_dist(&s.fwd);
	check_dist(&s.bwd);
	check_dist(&s.resid);
	CHECK(s.ipdv.n < SENT);
	if (s.ipdv.n) {
		CHECK(s.ipdv.min <= s.ipdv.max);
		CHECK(s.ipdv.mean_abs <= s.ipdv.max_abs && s.ipdv.p99_abs <= s.ipdv.max_abs);
		CHECK(s.ipdv.mean_abs >= 0 && s.ipdv.p99_abs >= 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data + 1, size ? size - 1 : 0 };
	struct model m = { .highest = -1 };
	struct stats st;
	struct spkt pkt;
	enum tw_sec sec;
	bool sym, made;
	uint16_t errest;

	if (size < 1)
		return 0;
	sec = (enum tw_sec)((data[0] & 3) == 3 ? 0 : data[0] & 3);
	sym = data[0] & 4;
	made = data[0] & 8;
	errest = data[0] & 16 ? ERREST_S | 1 : 1;
	CHECK(spkt_init(&pkt, sec, sym, sec == TW_SEC_OPEN ? NULL : &KEYS, spkt_min_size(sec, sym),
			errest, false, 1) == 0);
	CHECK(stats_init(&st, SENT) == 0);
	stats_set_sent(&st, SENT);
	while (c.n > 0) {
		struct tw_reflector_fields f, want;
		struct stats_reply sample;
		enum spkt_reply r;
		uint64_t t4;
		size_t len;
		uint8_t *buf = next_reply(&c, made, &pkt, &want, &t4, &len);

		r = spkt_open_reply(&pkt, buf, len, &f);
		if (len < pkt.refl->base_len)
			CHECK(r == SPKT_REPLY_SHORT);
		if (made)
			CHECK(r == SPKT_REPLY_OK);
		free(buf);
		if (r == SPKT_REPLY_AUTH_FAIL) {
			stats_auth_failure(&st);
			continue;
		}
		if (r != SPKT_REPLY_OK) {
			stats_invalid(&st);
			continue;
		}
		if (made)
			check_fields(&f, &want);
		/* on_reply's echo check: a packet we sent, with the timestamp we sent */
		if (f.snd.seq >= SENT || f.snd.ts != t1_of(f.snd.seq)) {
			stats_invalid(&st);
			continue;
		}
		spkt_sample(&pkt, &f, t1_of(f.snd.seq), t4, 64, &sample);
		CHECK(sample.seq == f.snd.seq && sample.reply_ttl == 64);
		add_to_model(&m, f.snd.seq, stats_add_reply(&st, &sample));
	}
	check_summary(&st, &m);
	stats_free(&st);
	return 0;
}
