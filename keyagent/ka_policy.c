/* Policy decisions: caller match, lookup kind, peer prefix. */
#include "ka_policy.h"

static bool caller_matches(const struct ka_rule *r, uid_t uid, gid_t gid)
{
	return (!r->has_uid || r->uid == (uint32_t)uid) && (!r->has_gid || r->gid == (uint32_t)gid) &&
	       (r->has_uid || r->has_gid);
}

bool ka_prefix_contains(const struct cfg_prefix *p, const struct ka_addr *a)
{
	unsigned full = p->len / 8u, rest = p->len % 8u;

	if (a->family != p->ipver || (p->ipver != 4 && p->ipver != 6) ||
	    p->len > (p->ipver == 4 ? 32 : 128))
		return false;
	for (unsigned i = 0; i < full; i++)
		if (a->a[i] != p->addr[i])
			return false;
	if (rest == 0)
		return true;
	return ((a->a[full] ^ p->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool kind_allowed(const struct ka_rule *r, uint8_t type)
{
	switch (type) {
	case KA_PING:
		return true;
	case KA_LOOKUP_SPI:
		return r->allow_spi;
	case KA_LOOKUP_PEER:
		return r->allow_peer;
	default:
		return false;
	}
}

static bool peer_allowed(const struct ka_rule *r, const struct ka_addr *peer)
{
	for (size_t i = 0; i < r->nprefixes && i < KA_MAX_PREFIXES; i++)
		if (ka_prefix_contains(&r->prefixes[i], peer))
			return true;
	return false;
}

const struct ka_rule *ka_policy_permits(const struct ka_policy *pol, uid_t uid, gid_t gid,
					uint8_t type, const struct ka_addr *peer)
{
	for (size_t i = 0; i < pol->nrules && i < KA_MAX_RULES; i++) {
		const struct ka_rule *r = &pol->rules[i];

		if (!caller_matches(r, uid, gid) || !kind_allowed(r, type))
			continue;
		if (type == KA_PING || peer == NULL || peer_allowed(r, peer))
			return r;
	}
	return NULL;
}
