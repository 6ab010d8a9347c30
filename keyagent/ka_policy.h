/* The agent's policy: which callers (uid/gid from SO_PEERCRED) may ask
 * for which lookups about which IKE peers (address prefixes). */
#ifndef TWR_KA_POLICY_H
#define TWR_KA_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "cfg_prefix.h"
#include "keyagent_proto.h"

#define KA_MAX_RULES 64
#define KA_MAX_PREFIXES 32
#define KA_RULE_NAME 65

struct ka_rule {
	char name[KA_RULE_NAME];
	bool has_uid, has_gid;
	uint32_t uid, gid;
	bool allow_spi, allow_peer;
	size_t nprefixes;
	struct cfg_prefix prefixes[KA_MAX_PREFIXES]; /* host bits zero */
};

struct ka_policy {
	size_t nrules;
	struct ka_rule rules[KA_MAX_RULES];
};

/* Is the address inside the prefix (same family, first len bits)? */
bool ka_prefix_contains(const struct cfg_prefix *p, const struct ka_addr *a);

/* May the caller make a request of `type` (enum ka_type) about `peer`?
 * peer NULL: not known yet (an SPI lookup before charon answered): any
 * rule for the caller allowing the kind will do. PING: any rule for the
 * caller. Returns the first matching rule, or NULL. */
const struct ka_rule *ka_policy_permits(const struct ka_policy *pol, uid_t uid, gid_t gid,
					uint8_t type, const struct ka_addr *peer);

#endif
