/* Validation of session API requests (see session_api.h). The message
 * arrives from a local socket and is still treated as hostile: it is
 * copied out with memcpy (no alignment assumed) and every field the
 * dataplane will use is range-checked here. */
#include <stdbool.h>
#include <string.h>

#include "secure_mem.h"
#include "session_api.h"
#include "tw_pkt.h"

#define HDR_LEN sizeof(struct twr_api_hdr)

size_t twr_api_req_len(uint16_t op)
{
	switch (op) {
	case TWR_OP_ADD:
		return HDR_LEN + sizeof(struct twr_api_session);
	case TWR_OP_START:
	case TWR_OP_REMOVE:
	case TWR_OP_COUNTERS:
		return HDR_LEN + sizeof(struct twr_api_sid);
	case TWR_OP_STOP:
		return HDR_LEN + sizeof(struct twr_api_stop);
	case TWR_OP_FLUSH:
	case TWR_OP_INFO:
		return HDR_LEN;
	default:
		return 0;
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* IPv4 addresses sit in the first 4 octets, the other 12 are zero. The
 * unspecified address matches no packet and is refused. */
static bool addr_ok(const uint8_t a[16], uint8_t ipver)
{
	if (ipver == 4 && !all_zero(a + 4, 12))
		return false;
	return !all_zero(a, ipver == 4 ? 4 : 16);
}

static const char *check_session(const struct twr_api_session *s)
{
	if (s->ipver != 4 && s->ipver != 6)
		return "ipver not 4 or 6";
	if (s->sec > TW_SEC_ENC)
		return "sec out of range";
	if (s->flags & ~TWR_SF_ALL)
		return "unknown flags";
	if (s->dscp > 63)
		return "dscp out of range";
	if (!addr_ok(s->reflector_addr, s->ipver))
		return "bad reflector address";
	if (!addr_ok(s->sender_addr, s->ipver))
		return "bad sender address";
	if (s->reflector_port == 0 || s->sender_port == 0)
		return "port zero";
	if (s->reflect_len && !(s->flags & TWR_SF_REFLECT_OCTETS))
		return "reflect_len without TWR_SF_REFLECT_OCTETS";
	if (s->reserved != 0)
		return "reserved field not zero";
	return NULL;
}

enum twr_api_status twr_api_check_req(const void *msg, size_t n, const char **why)
{
	struct twr_api_hdr h;
	struct twr_api_session s;
	const char *reason = NULL;
	size_t want;

	if (n < HDR_LEN) {
		reason = "shorter than the header";
		goto bad;
	}
	memcpy(&h, msg, HDR_LEN);
	want = twr_api_req_len(h.op);
	if (h.version != TWR_API_VERSION)
		reason = "unsupported version";
	else if (want == 0)
		reason = "unknown op";
	else if (h.len != n || n != want)
		reason = "wrong length for op";
	else if (h.reserved != 0)
		reason = "reserved field not zero";
	if (reason)
		goto bad;

	if (h.op == TWR_OP_ADD) {
		memcpy(&s, (const uint8_t *)msg + HDR_LEN, sizeof(s));
		reason = check_session(&s);
		wipe(&s, sizeof(s)); /* the copy held the test keys */
		if (reason)
			goto bad;
	}
	if (why)
		*why = "ok";
	return TWR_API_OK;
bad:
	if (why)
		*why = reason;
	return TWR_API_EINVAL;
}
