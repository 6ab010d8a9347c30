/* libFuzzer target: session API request validation. Anything accepted must
 * satisfy, re-checked here independently, what the dataplane relies on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session_api.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_session(const struct twr_api_session *s)
{
	static const uint8_t zero[16];

	CHECK(s->ipver == 4 || s->ipver == 6);
	CHECK(s->sec <= 2);
	CHECK((s->flags & ~TWR_SF_ALL) == 0);
	CHECK(s->dscp <= 63);
	CHECK(s->reflector_port != 0 && s->sender_port != 0);
	CHECK(s->reserved == 0);
	if (s->ipver == 4) {
		CHECK(memcmp(s->reflector_addr + 4, zero, 12) == 0);
		CHECK(memcmp(s->sender_addr + 4, zero, 12) == 0);
	}
	CHECK(memcmp(s->reflector_addr, zero, 16) != 0);
	CHECK(memcmp(s->sender_addr, zero, 16) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	enum twr_api_status st = twr_api_check_req(data, size, &why);
	struct twr_api_hdr h;
	struct twr_api_session s;

	CHECK(why != NULL);
	if (st != TWR_API_OK) {
		CHECK(st == TWR_API_EINVAL);
		return 0;
	}
	CHECK(size >= sizeof(h));
	memcpy(&h, data, sizeof(h));
	CHECK(h.version == TWR_API_VERSION && h.reserved == 0);
	CHECK(h.len == size && twr_api_req_len(h.op) == size);
	CHECK(size <= TWR_API_MAX_MSG);
	if (h.op == TWR_OP_ADD) {
		memcpy(&s, data + sizeof(h), sizeof(s));
		check_session(&s);
	}
	return 0;
}
