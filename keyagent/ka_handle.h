/* Answering one caller's request: decode, policy, ask charon's plugin,
 * check what it returned against the policy again. */
#ifndef TWR_KA_HANDLE_H
#define TWR_KA_HANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "ka_audit.h"
#include "ka_config.h"
#include "keyagent_proto.h"

/* buf/len: what the caller sent. transport: non-NULL when reading it
 * failed (truncated, oversized, timed out); the answer is then MALFORMED.
 * Fills rep (to be encoded on the agent leg, then wiped) and rec (for the
 * audit log; it never holds the key). */
void ka_handle(const struct ka_config *cfg, const struct ka_caller *caller, const uint8_t *buf,
	       size_t len, const char *transport, struct ka_reply *rep, struct ka_audit_rec *rec);

#endif
