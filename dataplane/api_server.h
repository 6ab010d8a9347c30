#ifndef TWR_DP_API_SERVER_H
#define TWR_DP_API_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "dp_config.h"

struct api_stats {
	uint64_t requests;
	uint64_t invalid;      /* refused as malformed */
	uint64_t refused;      /* connections over the client limit */
	uint64_t peer_refused; /* connections from a peer not admitted (SO_PEERCRED) */
	uint64_t idle_closed;  /* clients disconnected after session-api-idle-timeout */
	uint64_t port_refused; /* ADDs refused by the test port policy */
};

extern struct api_stats api_stats;

/* The socket of cfg->session_socket: its directory made or checked, mode
 * 0660 and group session-socket-group (0600 without), set at bind. */
int api_server_open(const struct dp_config *cfg, char *err, size_t errlen);
/* Accept and answer whatever is waiting, close idle clients; never
 * blocks. Main lcore. */
void api_server_poll(void);
/* Sleep until a request or a connection arrives, or timeout_ms passes. */
int api_server_wait(int timeout_ms);
void api_server_close(void);

#endif
