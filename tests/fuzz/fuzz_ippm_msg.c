/* libFuzzer target: the charon plugin's message code (keyagent/plugin/
 * ippm_msg.c, which runs inside root charon) against the project's own
 * codec of the same layout (common/keyagent_proto.c, "IPPM" leg): two
 * independent implementations of docs/protocol.md's key agent messages.
 *
 * Input: octets 0..47 are a request as the agent's socket delivers it to
 * the plugin; the rest gives the fields of the plugin's reply (status,
 * flags, PRF, key, families, addresses, ID types, identities), taken in
 * that order (zeros when the input runs out). With byte 48 bit 7 set the
 * fields are first made valid (a known PRF and its key length, IPv4 or
 * IPv6 addresses with zero padding, printable identities), as the plugin's
 * lookup would give them.
 *
 * Properties (abort on violation): ippm_request_parse and
 * ka_request_decode accept the same requests with the same status and the
 * same fields; for an accepted request, the reply ippm_reply_build makes
 * is octet for octet what ka_reply_encode makes of the same fields
 * whenever the latter accepts them, and is decoded by the agent
 * (ka_reply_decode) either as exactly those fields or refused whole; valid
 * fields are always accepted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ippm_msg.h"
#include "keyagent_proto.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

struct cursor {
	const uint8_t *p;
	size_t n;
};

static void take(struct cursor *c, void *out, size_t n)
{
	size_t k = n < c->n ? n : c->n;

	memcpy(out, c->p, k);
	memset((uint8_t *)out + k, 0, n - k);
	c->p += k;
	c->n -= k;
}

static uint8_t take8(struct cursor *c)
{
	uint8_t v;

	take(c, &v, 1);
	return v;
}

static void take_id(struct cursor *c, char id[IPPM_ID_FIELD])
{
	uint8_t len = take8(c);

	take(c, id, len);
	memset(id + len, 0, IPPM_ID_FIELD - len);
}

static void check_request(const uint8_t *buf, ippm_request_t *ir, struct ka_request *kr)
{
	int ist = ippm_request_parse(buf, ir);
	const char *why = NULL;
	enum ka_status kst = ka_request_decode(KA_LEG_PLUGIN, buf, IPPM_REQ_LEN, kr, &why);

	CHECK((ist == IPPM_OK) == (kst == KA_OK));
	CHECK((ist == IPPM_MALFORMED) == (kst == KA_MALFORMED));
	CHECK((ist == IPPM_BAD_VERSION) == (kst == KA_BAD_VERSION));
	if (ist != IPPM_OK)
		return;
	CHECK(ir->type == kr->type);
	CHECK(!memcmp(ir->spi_i, kr->spi_i, 8) && !memcmp(ir->spi_r, kr->spi_r, 8));
	CHECK(ir->family == kr->peer.family && !memcmp(ir->addr, kr->peer.a, 16));
}

static void make_valid(ippm_reply_t *r)
{
	static const uint16_t prf[] = { 1, 2, 4, 5, 6, 7, 8 };

	r->prf = prf[r->prf % 7];
	r->key_len = (uint8_t)ka_prf_len(r->prf);
	r->status = r->status % 7 == 1 ? IPPM_NO_SA : IPPM_OK;
	r->flags &= 3;
	r->local_family = r->local_family & 1 ? 6 : 4;
	r->remote_family = r->remote_family & 1 ? 6 : 4;
	if (r->local_family == 4)
		memset(r->local_addr + 4, 0, 12);
	if (r->remote_family == 4)
		memset(r->remote_addr + 4, 0, 12);
	for (size_t i = 0; r->local_id[i]; i++)
		r->local_id[i] = (char)(0x20 + (uint8_t)r->local_id[i] % 95);
	for (size_t i = 0; r->remote_id[i]; i++)
		r->remote_id[i] = (char)(0x20 + (uint8_t)r->remote_id[i] % 95);
}

static void to_ka(const ippm_reply_t *r, struct ka_reply *k)
{
	memset(k, 0, sizeof(*k));
	k->type = r->type;
	k->status = r->status;
	k->flags = r->flags;
	k->prf = r->prf;
	k->key_len = r->key_len;
	memcpy(k->key, r->key, sizeof(k->key));
	memcpy(k->spi_i, r->spi_i, 8);
	memcpy(k->spi_r, r->spi_r, 8);
	k->local.family = r->local_family;
	k->remote.family = r->remote_family;
	memcpy(k->local.a, r->local_addr, 16);
	memcpy(k->remote.a, r->remote_addr, 16);
	k->local_id_type = r->local_id_type;
	k->remote_id_type = r->remote_id_type;
	memcpy(k->local_id, r->local_id, sizeof(k->local_id));
	memcpy(k->remote_id, r->remote_id, sizeof(k->remote_id));
}

static void check_reply(const ippm_request_t *req, struct cursor *c)
{
	ippm_reply_t r;
	struct ka_reply want, got;
	uint8_t built[IPPM_REPLY_LEN], encoded[KA_REPLY_LEN];
	const char *why = NULL;
	uint8_t sel = take8(c);
	enum ka_status st;
	int enc_rc;

	memset(&r, 0, sizeof(r));
	r.type = req->type;
	memcpy(r.spi_i, req->spi_i, 8);
	memcpy(r.spi_r, req->spi_r, 8);
	r.status = take8(c);
	r.flags = take8(c);
	r.prf = (uint16_t)(take8(c) << 8);
	r.prf |= take8(c);
	r.key_len = take8(c);
	take(c, r.key, sizeof(r.key));
	r.local_family = take8(c);
	r.remote_family = take8(c);
	take(c, r.local_addr, 16);
	take(c, r.remote_addr, 16);
	r.local_id_type = take8(c);
	r.remote_id_type = take8(c);
	take_id(c, r.local_id);
	take_id(c, r.remote_id);
	if (sel & 0x80)
		make_valid(&r);
	if (r.key_len > IPPM_KEY_MAX)
		r.key_len = IPPM_KEY_MAX; /* the plugin's PRFs give at most 64 */
	if (r.key_len < IPPM_KEY_MAX)
		memset(r.key + r.key_len, 0, IPPM_KEY_MAX - r.key_len);

	ippm_reply_build(&r, built);
	to_ka(&r, &want);
	enc_rc = ka_reply_encode(KA_LEG_PLUGIN, &want, encoded);
	if (enc_rc == 0)
		CHECK(memcmp(built, encoded, sizeof(built)) == 0);
	st = ka_reply_decode(KA_LEG_PLUGIN, built, sizeof(built), &got, &why);
	if (sel & 0x80)
		CHECK(st == KA_OK);
	if (st != KA_OK) {
		CHECK(st == KA_MALFORMED && why != NULL);
		return;
	}
	/* what the agent read is what the plugin meant */
	CHECK(got.type == r.type && got.status == r.status);
	if (r.status == IPPM_OK && r.type != IPPM_PING) {
		CHECK(got.flags == r.flags && got.prf == r.prf && got.key_len == r.key_len);
		CHECK(!memcmp(got.key, r.key, r.key_len));
		CHECK(!memcmp(got.spi_i, r.spi_i, 8) && !memcmp(got.spi_r, r.spi_r, 8));
		CHECK(got.local.family == r.local_family && !memcmp(got.local.a, r.local_addr, 16));
		CHECK(got.remote.family == r.remote_family && !memcmp(got.remote.a, r.remote_addr, 16));
		CHECK(got.local_id_type == r.local_id_type && got.remote_id_type == r.remote_id_type);
		CHECK(!strcmp(got.local_id, r.local_id) && !strcmp(got.remote_id, r.remote_id));
	}
	CHECK(ka_reply_encode(KA_LEG_PLUGIN, &got, encoded) == 0);
	CHECK(memcmp(built, encoded, sizeof(built)) == 0);
	ka_reply_wipe(&got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *req_buf;
	ippm_request_t ir;
	struct ka_request kr;
	struct cursor c;

	if (size < IPPM_REQ_LEN)
		return 0;
	req_buf = malloc(IPPM_REQ_LEN); /* exactly the request: ASan sees past it */
	CHECK(req_buf);
	memcpy(req_buf, data, IPPM_REQ_LEN);
	check_request(req_buf, &ir, &kr);
	free(req_buf);
	if (ippm_request_parse(data, &ir) != IPPM_OK)
		return 0;
	c = (struct cursor){ data + IPPM_REQ_LEN, size - IPPM_REQ_LEN };
	check_reply(&ir, &c);
	return 0;
}
