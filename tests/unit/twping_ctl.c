/* Control replay of a twping capture (see twping_ctl.h).
 *
 * Stream layout (PS; docs/protocol.md §5.2-§5.3), each direction one CBC chain:
 *   server->client, IV = Server-IV: Server-Start[32..48) ‖ Accept-Session ‖ Start-Ack
 *   client->server, IV = Client-IV: Request-TW-Session ‖ Start-Sessions ‖ Stop-Sessions
 * The first server HMAC also covers the Server-Start block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "kdf.h"
#include "tdata.h"
#include "twping_ctl.h"

void cbc_decrypt(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
		 uint8_t *out, size_t n)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv), 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	assert_int_equal(EVP_DecryptUpdate(ctx, out, &l1, in, (int)n), 1);
	assert_int_equal(EVP_DecryptFinal_ex(ctx, out + l1, &l2), 1);
	assert_int_equal(l1 + l2, (int)n);
	EVP_CIPHER_CTX_free(ctx);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* the k-th (0-based) record sent in direction dir */
static const struct tpkt *nth(const struct tpkt *v, size_t n, char dir, int k)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].dir == dir && k-- == 0)
			return &v[i];
	fail_msg("control record %c#%d missing", dir, k);
	return NULL;
}

static void check_hmac(const uint8_t *key, const uint8_t *data, size_t len, const uint8_t *want)
{
	uint8_t mac[TW_HMAC_LEN];

	assert_int_equal(tw_hmac16(key, 32, data, len, mac), 0);
	assert_memory_equal(mac, want, TW_HMAC_LEN);
}

static void server_stream(const struct tpkt *ss, const struct tpkt *acc,
			  const struct tpkt *ack, struct twping_ctl *c)
{
	uint8_t ct[16 + 48 + 32], pt[sizeof(ct)];

	assert_int_equal(ss->len, 48);
	assert_int_equal(acc->len, 48);
	assert_int_equal(ack->len, 32);
	assert_int_equal(ss->data[15], 0); /* Accept */
	memcpy(c->server_iv, ss->data + 16, 16);
	memcpy(ct, ss->data + 32, 16);
	memcpy(ct + 16, acc->data, 48);
	memcpy(ct + 64, ack->data, 32);
	cbc_decrypt(c->aes_sess, c->server_iv, ct, pt, sizeof(ct));

	/* Accept-Session: HMAC over Server-Start block ‖ its octets 0-31 */
	check_hmac(c->hmac_sess, pt, 16 + 32, pt + 16 + 32);
	assert_int_equal(pt[16], 0);                 /* Accept */
	c->port = (uint16_t)(pt[16 + 2] << 8 | pt[16 + 3]);
	memcpy(c->sid, pt + 16 + 4, 16);
	/* Start-Ack: fresh context, octets 0-15 */
	check_hmac(c->hmac_sess, pt + 64, 16, pt + 64 + 16);
	assert_int_equal(pt[64], 0);                 /* Accept */
}

static void client_stream(const struct tpkt *req, const struct tpkt *start, struct twping_ctl *c)
{
	uint8_t ct[112 + 32], pt[sizeof(ct)];

	assert_int_equal(req->len, 112);
	assert_int_equal(start->len, 32);
	memcpy(ct, req->data, 112);
	memcpy(ct + 112, start->data, 32);
	cbc_decrypt(c->aes_sess, c->client_iv, ct, pt, sizeof(ct));
	assert_int_equal(pt[0], 5);                  /* Request-TW-Session */
	check_hmac(c->hmac_sess, pt, 96, pt + 96);
	c->padding_len = be32(pt + 64);
	assert_memory_equal(pt + 48, (uint8_t[16]){ 0 }, 16); /* SID 0 from the client */
	assert_int_equal(pt[112], 2);                /* Start-Sessions */
	check_hmac(c->hmac_sess, pt + 112, 16, pt + 112 + 16);
}

void twping_ctl_replay(const char *name, struct twping_ctl *c)
{
	char file[128];
	struct tpkt *v;
	size_t n, plen;
	uint8_t pass[128], challenge[16];
	const struct tpkt *greet, *setup;

	memset(c, 0, sizeof(*c));
	snprintf(file, sizeof(file), "%s.keys", name);
	tdata_key(file, "passphrase", pass, sizeof(pass), &plen);
	snprintf(file, sizeof(file), "%s.control.hex", name);
	n = tdata_load(file, &v);

	greet = nth(v, n, 's', 0);
	assert_int_equal(greet->len, 64);
	memcpy(c->challenge, greet->data + 16, 16);
	memcpy(c->salt, greet->data + 32, 16);
	c->count = be32(greet->data + 48);
	assert_int_equal(tw_token_key(pass, plen, c->salt, c->count, c->token_key), 0);

	setup = nth(v, n, 'c', 0);
	assert_int_equal(setup->len, 164);
	assert_int_equal(tw_token_decrypt(c->token_key, setup->data + 84, challenge,
					  c->aes_sess, c->hmac_sess), 0);
	assert_memory_equal(challenge, c->challenge, 16);
	memcpy(c->client_iv, setup->data + 148, 16);

	server_stream(nth(v, n, 's', 1), nth(v, n, 's', 2), nth(v, n, 's', 3), c);
	client_stream(nth(v, n, 'c', 1), nth(v, n, 'c', 2), c);
	assert_int_equal(tw_keys_derive(c->sid, c->aes_sess, c->hmac_sess, &c->test), 0);
	free(v);
}
