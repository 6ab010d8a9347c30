/* libFuzzer target: the key agent's decoders of untrusted bytes, on both
 * legs: requests (what any local process may send to twamp-keyagent) and
 * replies (what the plugin sends the agent, and the agent its callers).
 * Whatever decodes must re-encode to the very same bytes, and satisfy the
 * rules of keyagent_proto.h, re-checked here independently. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyagent_proto.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_request(enum ka_leg leg, const uint8_t *data, size_t size)
{
	struct ka_request req;
	uint8_t out[KA_REQ_LEN];
	const char *why = NULL;
	enum ka_status st = ka_request_decode(leg, data, size, &req, &why);

	if (st != KA_OK) {
		CHECK(st == KA_MALFORMED || st == KA_BAD_VERSION);
		CHECK(why != NULL);
		return;
	}
	CHECK(why == NULL && size == KA_REQ_LEN);
	CHECK(req.type >= KA_PING && req.type <= KA_LOOKUP_PEER);
	CHECK(req.type != KA_LOOKUP_PEER || req.peer.family == 4 || req.peer.family == 6);
	CHECK(req.type == KA_LOOKUP_PEER || req.peer.family == 0);
	CHECK(ka_request_encode(leg, &req, out) == 0);
	CHECK(memcmp(out, data, KA_REQ_LEN) == 0);
}

static void check_reply(enum ka_leg leg, const uint8_t *data, size_t size)
{
	struct ka_reply rep;
	uint8_t out[KA_REPLY_LEN];
	const char *why = NULL;
	enum ka_status st = ka_reply_decode(leg, data, size, &rep, &why);

	if (st != KA_OK) {
		CHECK(st == KA_MALFORMED || st == KA_BAD_VERSION);
		CHECK(why != NULL && rep.key_len == 0);
		return;
	}
	CHECK(size == KA_REPLY_LEN && rep.status <= KA_STATUS_WIRE_MAX);
	CHECK(rep.type <= KA_LOOKUP_PEER);
	CHECK(strlen(rep.local_id) <= KA_ID_MAX && strlen(rep.remote_id) <= KA_ID_MAX);
	if (rep.status == KA_OK && rep.type != KA_PING) {
		CHECK(rep.key_len != 0 && rep.key_len == ka_prf_len(rep.prf));
		CHECK(ka_prf_name(rep.prf) != NULL);
		CHECK(rep.local.family == 4 || rep.local.family == 6);
		CHECK(rep.remote.family == 4 || rep.remote.family == 6);
	} else {
		CHECK(rep.key_len == 0 && rep.local.family == 0 && rep.remote.family == 0);
	}
	CHECK(ka_reply_encode(leg, &rep, out) == 0);
	CHECK(memcmp(out, data, KA_REPLY_LEN) == 0);
	ka_reply_wipe(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(KA_LEG_AGENT, data, size);
	check_request(KA_LEG_PLUGIN, data, size);
	check_reply(KA_LEG_AGENT, data, size);
	check_reply(KA_LEG_PLUGIN, data, size);
	return 0;
}
