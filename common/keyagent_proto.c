/* The key agent's messages: strict codecs (layouts in keyagent_proto.h).
 * Every decoded octet is checked: magic, version, type, MBZ fields,
 * address padding, lengths, identity characters and zero padding. */
#include "keyagent_proto.h"
#include "secure_mem.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* request offsets */
enum {
	RQ_VERSION = 4, RQ_TYPE = 5, RQ_MBZ1 = 6, RQ_SPI_I = 8, RQ_SPI_R = 16,
	RQ_FAMILY = 24, RQ_MBZ2 = 25, RQ_ADDR = 28, RQ_MBZ3 = 44,
};

/* reply offsets */
enum {
	RP_VERSION = 4, RP_TYPE = 5, RP_STATUS = 6, RP_FLAGS = 7, RP_PRF = 8,
	RP_KEYLEN = 10, RP_MBZ1 = 11, RP_SPI_I = 16, RP_SPI_R = 24, RP_LFAM = 32,
	RP_RFAM = 33, RP_LIDT = 34, RP_RIDT = 35, RP_LADDR = 36, RP_RADDR = 52,
	RP_LIDLEN = 68, RP_RIDLEN = 70, RP_KEY = 72, RP_LID = 136, RP_RID = 392,
};

#define FLAGS_KNOWN (KA_FLAG_LOCAL_ID_TRUNCATED | KA_FLAG_REMOTE_ID_TRUNCATED)

static const uint8_t *magic(enum ka_leg leg)
{
	return (const uint8_t *)(leg == KA_LEG_PLUGIN ? "IPPM" : "TWKA");
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n--)
		acc |= *p++;
	return acc == 0;
}

static bool addr_ok(const struct ka_addr *a, bool allow_none)
{
	if (a->family == 0)
		return allow_none && all_zero(a->a, sizeof(a->a));
	if (a->family == 4)
		return all_zero(a->a + 4, sizeof(a->a) - 4);
	return a->family == 6;
}

static void put_addr(uint8_t *fam, uint8_t *addr, const struct ka_addr *a)
{
	*fam = a->family;
	memcpy(addr, a->a, sizeof(a->a));
}

static void get_addr(struct ka_addr *a, uint8_t fam, const uint8_t *addr)
{
	a->family = fam;
	memcpy(a->a, addr, sizeof(a->a));
}

/* Type-specific rules shared by the encoder and the decoder. */
static const char *request_fields_ok(const struct ka_request *r)
{
	static const uint8_t zero[KA_SPI_LEN];
	bool spis_zero = !memcmp(r->spi_i, zero, KA_SPI_LEN) && !memcmp(r->spi_r, zero, KA_SPI_LEN);

	switch (r->type) {
	case KA_PING:
		return spis_zero && addr_ok(&r->peer, true) && r->peer.family == 0
			       ? NULL : "ping with SPIs or a peer";
	case KA_LOOKUP_SPI:
		if (!memcmp(r->spi_i, zero, KA_SPI_LEN) || !memcmp(r->spi_r, zero, KA_SPI_LEN))
			return "SPI lookup with a zero SPI";
		return r->peer.family == 0 && addr_ok(&r->peer, true) ? NULL
								       : "SPI lookup with a peer";
	case KA_LOOKUP_PEER:
		if (!spis_zero)
			return "peer lookup with SPIs";
		return r->peer.family != 0 && addr_ok(&r->peer, false) ? NULL
									: "bad peer address";
	default:
		return "unknown request type";
	}
}

int ka_request_encode(enum ka_leg leg, const struct ka_request *req, uint8_t out[KA_REQ_LEN])
{
	memset(out, 0, KA_REQ_LEN);
	if (request_fields_ok(req) != NULL)
		return -1;
	memcpy(out, magic(leg), 4);
	out[RQ_VERSION] = KA_VERSION;
	out[RQ_TYPE] = req->type;
	memcpy(out + RQ_SPI_I, req->spi_i, KA_SPI_LEN);
	memcpy(out + RQ_SPI_R, req->spi_r, KA_SPI_LEN);
	put_addr(out + RQ_FAMILY, out + RQ_ADDR, &req->peer);
	return 0;
}

/* Magic, then version: a peer speaking another version is told so. */
static enum ka_status check_head(enum ka_leg leg, const uint8_t *buf, size_t len, size_t want,
				 size_t vpos, const char **why)
{
	if (len < want) {
		*why = "truncated";
		return KA_MALFORMED;
	}
	if (len > want) {
		*why = "oversized";
		return KA_MALFORMED;
	}
	if (memcmp(buf, magic(leg), 4) != 0) {
		*why = "bad magic";
		return KA_MALFORMED;
	}
	if (buf[vpos] != KA_VERSION) {
		*why = "unsupported version";
		return KA_BAD_VERSION;
	}
	return KA_OK;
}

enum ka_status ka_request_decode(enum ka_leg leg, const uint8_t *buf, size_t len,
				 struct ka_request *req, const char **why)
{
	const char *reason = NULL;
	enum ka_status st;

	memset(req, 0, sizeof(*req));
	st = check_head(leg, buf, len, KA_REQ_LEN, RQ_VERSION, &reason);
	if (st == KA_OK) {
		req->type = buf[RQ_TYPE];
		memcpy(req->spi_i, buf + RQ_SPI_I, KA_SPI_LEN);
		memcpy(req->spi_r, buf + RQ_SPI_R, KA_SPI_LEN);
		get_addr(&req->peer, buf[RQ_FAMILY], buf + RQ_ADDR);
		if (!all_zero(buf + RQ_MBZ1, 2) || !all_zero(buf + RQ_MBZ2, 3) ||
		    !all_zero(buf + RQ_MBZ3, 4))
			reason = "MBZ field not zero";
		else
			reason = request_fields_ok(req);
		st = reason ? KA_MALFORMED : KA_OK;
	}
	if (st != KA_OK) {
		uint8_t type = req->type;

		memset(req, 0, sizeof(*req));
		req->type = type; /* kept for the error reply and the audit line */
	}
	if (why)
		*why = reason;
	return st;
}

static const struct {
	uint16_t id;
	uint8_t len;
	const char *name;
} prfs[] = {
	/* IKEv2 transform type 2 (IANA); TIGER (3) has no length we could check */
	{ 1, 16, "HMAC_MD5" },      { 2, 20, "HMAC_SHA1" },     { 4, 16, "AES128_XCBC" },
	{ 5, 32, "HMAC_SHA2_256" }, { 6, 48, "HMAC_SHA2_384" }, { 7, 64, "HMAC_SHA2_512" },
	{ 8, 16, "AES128_CMAC" },
};

const char *ka_prf_name(uint16_t prf)
{
	for (size_t i = 0; i < sizeof(prfs) / sizeof(prfs[0]); i++)
		if (prfs[i].id == prf)
			return prfs[i].name;
	return NULL;
}

size_t ka_prf_len(uint16_t prf)
{
	for (size_t i = 0; i < sizeof(prfs) / sizeof(prfs[0]); i++)
		if (prfs[i].id == prf)
			return prfs[i].len;
	return 0;
}

const char *ka_status_name(int status)
{
	static const char *const names[] = {
		"OK", "NO_SA", "NOT_PERMITTED", "AGENT_DOWN", "MALFORMED", "VERSION", "INTERNAL",
		"NO_AGENT",
	};

	if (status < 0 || (size_t)status >= sizeof(names) / sizeof(names[0]))
		return "UNKNOWN";
	return names[status];
}

/* Printable ASCII, exactly n characters, zeros after them. */
static bool id_field_ok(const uint8_t *f, size_t n)
{
	if (n > KA_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (f[i] < 0x20 || f[i] > 0x7e)
			return false;
	return all_zero(f + n, KA_ID_FIELD - n);
}

static const char *reply_fields_ok(const struct ka_reply *r)
{
	if (r->type < KA_PING || r->type > KA_LOOKUP_PEER) {
		if (r->type != 0 || (r->status != KA_MALFORMED && r->status != KA_BAD_VERSION))
			return "bad reply type";
	}
	if (r->status > KA_STATUS_WIRE_MAX)
		return "bad status";
	if (r->flags & ~FLAGS_KNOWN)
		return "unknown flags";
	if (r->status != KA_OK || r->type == KA_PING)
		return NULL; /* the rest is checked to be zero */
	if (ka_prf_len(r->prf) == 0 || r->key_len != ka_prf_len(r->prf))
		return "unknown PRF or key length";
	if (!addr_ok(&r->local, false) || !addr_ok(&r->remote, false))
		return "bad address";
	return NULL;
}

static void put_id(uint8_t *len_field, uint8_t *field, const char *id)
{
	size_t n = strnlen(id, KA_ID_MAX);

	len_field[0] = (uint8_t)(n >> 8);
	len_field[1] = (uint8_t)n;
	memcpy(field, id, n);
}

int ka_reply_encode(enum ka_leg leg, const struct ka_reply *rep, uint8_t out[KA_REPLY_LEN])
{
	memset(out, 0, KA_REPLY_LEN);
	if (reply_fields_ok(rep) != NULL)
		return -1;
	memcpy(out, magic(leg), 4);
	out[RP_VERSION] = KA_VERSION;
	out[RP_TYPE] = rep->type | KA_REPLY_BIT;
	out[RP_STATUS] = rep->status;
	if (rep->status != KA_OK || rep->type == KA_PING)
		return 0;
	out[RP_FLAGS] = rep->flags;
	out[RP_PRF] = (uint8_t)(rep->prf >> 8);
	out[RP_PRF + 1] = (uint8_t)rep->prf;
	out[RP_KEYLEN] = rep->key_len;
	memcpy(out + RP_SPI_I, rep->spi_i, KA_SPI_LEN);
	memcpy(out + RP_SPI_R, rep->spi_r, KA_SPI_LEN);
	put_addr(out + RP_LFAM, out + RP_LADDR, &rep->local);
	put_addr(out + RP_RFAM, out + RP_RADDR, &rep->remote);
	out[RP_LIDT] = rep->local_id_type;
	out[RP_RIDT] = rep->remote_id_type;
	put_id(out + RP_LIDLEN, out + RP_LID, rep->local_id);
	put_id(out + RP_RIDLEN, out + RP_RID, rep->remote_id);
	memcpy(out + RP_KEY, rep->key, rep->key_len);
	if (!id_field_ok(out + RP_LID, (size_t)out[RP_LIDLEN] << 8 | out[RP_LIDLEN + 1]) ||
	    !id_field_ok(out + RP_RID, (size_t)out[RP_RIDLEN] << 8 | out[RP_RIDLEN + 1])) {
		wipe(out, KA_REPLY_LEN);
		return -1;
	}
	return 0;
}

/* The body of an OK reply to a lookup (octets 8 on). */
static const char *decode_body(const uint8_t *buf, struct ka_reply *r)
{
	size_t llen = (size_t)buf[RP_LIDLEN] << 8 | buf[RP_LIDLEN + 1];
	size_t rlen = (size_t)buf[RP_RIDLEN] << 8 | buf[RP_RIDLEN + 1];

	if (buf[RP_MBZ1] != 0 || !all_zero(buf + 12, 4))
		return "MBZ field not zero";
	r->prf = (uint16_t)(buf[RP_PRF] << 8 | buf[RP_PRF + 1]);
	r->key_len = buf[RP_KEYLEN];
	if (r->key_len > KA_KEY_MAX || !all_zero(buf + RP_KEY + r->key_len, KA_KEY_MAX - r->key_len))
		return "bad key length or key padding";
	memcpy(r->key, buf + RP_KEY, r->key_len);
	memcpy(r->spi_i, buf + RP_SPI_I, KA_SPI_LEN);
	memcpy(r->spi_r, buf + RP_SPI_R, KA_SPI_LEN);
	get_addr(&r->local, buf[RP_LFAM], buf + RP_LADDR);
	get_addr(&r->remote, buf[RP_RFAM], buf + RP_RADDR);
	r->local_id_type = buf[RP_LIDT];
	r->remote_id_type = buf[RP_RIDT];
	if (!id_field_ok(buf + RP_LID, llen) || !id_field_ok(buf + RP_RID, rlen))
		return "bad identity";
	memcpy(r->local_id, buf + RP_LID, llen);
	memcpy(r->remote_id, buf + RP_RID, rlen);
	return NULL;
}

enum ka_status ka_reply_decode(enum ka_leg leg, const uint8_t *buf, size_t len,
			       struct ka_reply *rep, const char **why)
{
	const char *reason = NULL;
	enum ka_status st;

	memset(rep, 0, sizeof(*rep));
	st = check_head(leg, buf, len, KA_REPLY_LEN, RP_VERSION, &reason);
	if (st == KA_OK && !(buf[RP_TYPE] & KA_REPLY_BIT)) {
		reason = "not a reply";
		st = KA_MALFORMED;
	}
	if (st == KA_OK) {
		rep->type = buf[RP_TYPE] & (uint8_t)~KA_REPLY_BIT;
		rep->status = buf[RP_STATUS];
		rep->flags = buf[RP_FLAGS];
		if (rep->status != KA_OK || rep->type == KA_PING)
			reason = all_zero(buf + RP_FLAGS, KA_REPLY_LEN - RP_FLAGS)
					 ? NULL : "error reply with data";
		else
			reason = decode_body(buf, rep);
		if (!reason)
			reason = reply_fields_ok(rep);
		st = reason ? KA_MALFORMED : KA_OK;
	}
	if (st != KA_OK)
		ka_reply_wipe(rep);
	if (why)
		*why = reason;
	return st;
}

void ka_reply_error(struct ka_reply *rep, uint8_t type, enum ka_status status)
{
	ka_reply_wipe(rep);
	rep->type = type;
	rep->status = (uint8_t)status;
}

void ka_reply_wipe(struct ka_reply *rep)
{
	wipe(rep, sizeof(*rep));
}

int ka_addr_from_sockaddr(struct ka_addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		a->family = 4;
		memcpy(a->a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			a->family = 4;
			memcpy(a->a, in6->s6_addr + 12, 4);
		} else {
			a->family = 6;
			memcpy(a->a, in6->s6_addr, 16);
		}
		return 0;
	}
	return -1;
}

int ka_addr_parse(struct ka_addr *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->a) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a->a) == 1) {
		struct ka_addr mapped = { 0 };
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

		memcpy(&s6.sin6_addr, a->a, 16);
		ka_addr_from_sockaddr(&mapped, (struct sockaddr *)&s6, sizeof(s6));
		*a = mapped;
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return -1;
}

const char *ka_addr_format(const struct ka_addr *a, char *buf, size_t len)
{
	int af = a->family == 4 ? AF_INET : AF_INET6;

	if ((a->family != 4 && a->family != 6) || !inet_ntop(af, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}

bool ka_addr_equal(const struct ka_addr *x, const struct ka_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, sizeof(x->a)) == 0;
}
