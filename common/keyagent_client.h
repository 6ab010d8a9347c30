/* Blocking calls to the key agent (or, for the agent itself, to charon's
 * ippm plugin) with a bounded time: connect, send one request, read one
 * reply (keyagent_proto.h). For the TWAMP-Control server (lookup by the
 * SPIs of the Set-Up-Response KeyID, and ping to decide whether to offer
 * mode 0x80) and the client (lookup by the server's address). */
#ifndef TWR_KEYAGENT_CLIENT_H
#define TWR_KEYAGENT_CLIENT_H

#include "keyagent_proto.h"

#define KA_AGENT_SOCKET "/run/twamp-keyagent/agent.sock"
#define KA_PLUGIN_SOCKET "/run/strongswan/ippm.sock"
/* above the agent's default plugin timeout (2 s), so that a slow charon
 * shows as AGENT_DOWN rather than NO_AGENT */
#define KA_TIMEOUT_MS 3000

/* One request/reply exchange on `leg` through the socket at `path`, all of
 * it within timeout_ms. Returns the outcome and fills *out:
 *   KA_OK              out holds the key (ka_reply_wipe() it when done)
 *   KA_NO_SA, KA_NOT_PERMITTED, KA_AGENT_DOWN, KA_INTERNAL,
 *   KA_MALFORMED, KA_BAD_VERSION   the other side's answer, out zeroed but
 *                      for type and status (KA_MALFORMED and KA_BAD_VERSION also
 *                      when the reply itself broke the format)
 *   KA_NO_AGENT        no socket, refused, or no full reply in time
 * A reply that does not answer this request (other type, other SPIs) is
 * KA_MALFORMED. */
enum ka_status ka_call(enum ka_leg leg, const char *path, const struct ka_request *req,
		       int timeout_ms, struct ka_reply *out);

/* Server side: the key of the IKE SA whose SPIs are the first 16 octets of
 * the KeyID (SPIi then SPIr). */
enum ka_status ka_lookup_spi(const char *agent_path, const uint8_t spi_i[KA_SPI_LEN],
			     const uint8_t spi_r[KA_SPI_LEN], int timeout_ms,
			     struct ka_reply *out);

/* Client side: the key of the newest established IKE SA with that peer. */
enum ka_status ka_lookup_peer(const char *agent_path, const struct ka_addr *peer,
			      int timeout_ms, struct ka_reply *out);

/* KA_OK: the agent answers and reaches charon's plugin. KA_AGENT_DOWN:
 * the agent answers, charon does not. KA_NO_AGENT: no agent. */
enum ka_status ka_ping(const char *agent_path, int timeout_ms);

#endif
