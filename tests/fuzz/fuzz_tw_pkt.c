/* libFuzzer target: the reflector's per-packet path on hostile input.
 *
 * The input is a whole Ethernet frame. It is classified with np_parse; a
 * UDP payload is then turned into a reply for every sender layout and
 * security, protected and checked to unprotect again, fed to tw_unprotect
 * as a sender packet, and the frame is rewritten into a reply that must
 * parse back as valid UDP, its checksum finished from the request's carry
 * exactly as summed in full. Buffers are
 * heap-allocated at their exact size so that ASan catches any access past
 * them. Property violations abort.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_parse.h"
#include "tw_crypto.h"
#include "tw_pkt.h"

#define MAX_FRAME 4096

static const struct tw_keys KEYS = {
	.aes = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f },
	.hmac = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		  0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
		  0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
		  0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f },
};

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_info(const struct np_info *i, size_t size)
{
	CHECK(i->ipver == 4 || i->ipver == 6);
	CHECK(i->nvlans <= NP_MAX_VLANS);
	CHECK(i->l3_off < i->l4_off && i->l4_off + 8u == i->payload_off);
	CHECK((size_t)i->payload_off + i->payload_len <= i->frame_len);
	CHECK(i->frame_len <= size);
}

static void reply_payload(const uint8_t *pl, size_t len, enum tw_sec sec, bool sym,
			  const struct tw_reply_hdr *hdr)
{
	const struct tw_layout *snd = tw_sender_layout(sec, sym);
	const struct tw_layout *refl = tw_reflector_layout(sec);
	size_t cap = tw_reply_len(len, refl), rlen = 0;
	uint8_t *buf = malloc(cap), *req = malloc(len ? len : 1);
	int rc;

	CHECK(buf && req);
	memcpy(buf, pl, len);
	rc = tw_build_reply(buf, len, cap, snd, refl, hdr, &rlen);
	CHECK(rc == (len < snd->base_len ? -1 : 0));
	if (rc == 0) {
		CHECK(rlen == cap);
		tw_put_ts(buf, refl, 0xe800000080000000ull);
		CHECK(tw_protect(buf, rlen, refl, &KEYS) == 0);
		CHECK(tw_unprotect(buf, rlen, refl, &KEYS) == 0);
	}
	/* one octet less room than needed is refused */
	if (len >= snd->base_len)
		CHECK(tw_build_reply(buf, len, cap - 1, snd, refl, hdr, &rlen) == -1);

	memcpy(req, pl, len);
	(void)tw_unprotect(req, len, snd, &KEYS);
	free(req);
	free(buf);
}

static void reply_frame(const uint8_t *frame, const struct np_info *i, uint16_t new_len, int dscp)
{
	size_t need = (size_t)i->payload_off + new_len;
	uint8_t *f = malloc(need);
	struct np_info ri;
	size_t n;

	CHECK(f);
	memcpy(f, frame, need < i->frame_len ? need : i->frame_len);
	if (need > i->frame_len)
		memset(f + i->frame_len, 0x5a, need - i->frame_len);
	n = np_make_reply(f, i, new_len, dscp);
	CHECK(n == need);
	np_udp_csum_set(f, i);
	CHECK(np_parse(f, n, &ri) == NP_UDP);
	CHECK(np_udp_csum_ok(f, &ri));
	CHECK(ri.payload_len == new_len && ri.ttl == 255);
	CHECK(ri.sport == i->dport && ri.dport == i->sport);
	CHECK(memcmp(ri.src, i->dst, 16) == 0 && memcmp(ri.dst, i->src, 16) == 0);
	free(f);
}

/* A reply as long as the request, whose payload octets [0, pre) are
 * rewritten: its checksum finished from the request's carry is the one
 * summed in full, and valid. */
static void reply_carry(const uint8_t *frame, const struct np_info *i, uint16_t pre, int dscp)
{
	uint8_t *a = malloc(i->frame_len), *b = malloc(i->frame_len);
	struct np_info ri;
	uint64_t carry;

	CHECK(a && b);
	memcpy(a, frame, i->frame_len);
	(void)np_udp_csum_verify_carry(a, i, pre, &carry);
	for (uint16_t k = 0; k < pre; k++)
		a[i->payload_off + k] ^= (uint8_t)(0xa5 + k);
	np_make_reply(a, i, i->payload_len, dscp);
	memcpy(b, a, i->frame_len);
	np_udp_csum_store(a, i, np_udp_csum_reply_acc(a, i, pre, carry), 0);
	np_udp_csum_set(b, i);
	CHECK(memcmp(a, b, i->frame_len) == 0);
	CHECK(np_parse(a, i->frame_len, &ri) == NP_UDP && np_udp_csum_ok(a, &ri));
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_info info;
	struct tw_reply_hdr h = {
		.seq = 1, .errest = 0x8001, .rx_ts = 0xe800000040000000ull, .sender_ttl = 255,
	};
	const uint8_t *pl;
	uint16_t pre;
	enum np_result r;

	if (size > MAX_FRAME)
		return 0;
	r = np_parse(data, size, &info);
	if (r != NP_UDP)
		return 0;
	check_info(&info, size);
	/* the carried checksum gives the same verdict, whatever the split */
	pre = (uint16_t)((data[size - 1] % (info.payload_len / 2 + 1)) * 2);
	{
		uint64_t carry;

		CHECK(np_udp_csum_verify_carry(data, &info, pre, &carry) ==
		      np_udp_csum_ok(data, &info));
	}
	reply_carry(data, &info, pre, (int)data[size - 1] % 65 - 1);

	pl = data + info.payload_off;
	/* options from the last frame octet: reflect length and seq mode */
	h.reflect_len = (uint16_t)(data[size - 1] & 0x7f);
	h.seq_from_sender = data[size - 1] & 0x80;
	for (int sec = TW_SEC_OPEN; sec <= TW_SEC_ENC; sec++)
		for (int sym = 0; sym < 2; sym++)
			reply_payload(pl, info.payload_len, (enum tw_sec)sec, sym, &h);

	reply_frame(data, &info, (uint16_t)tw_reply_len(info.payload_len,
							 tw_reflector_layout(TW_SEC_AUTH)),
		    (data[size - 1] & 0x40) ? -1 : data[size - 1] & 0x3f);
	reply_frame(data, &info, 0, -1);
	return 0;
}
