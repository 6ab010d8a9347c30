#ifndef TWR_DP_API_SERVER_H
#define TWR_DP_API_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct api_stats {
	uint64_t requests;
	uint64_t invalid;   /* refused as malformed */
	uint64_t refused;   /* connections over the client limit */
};

extern struct api_stats api_stats;

int api_server_open(const char *path, char *err, size_t errlen);
/* Accept and answer whatever is waiting; never blocks. Main lcore. */
void api_server_poll(void);
/* Sleep until a request or a connection arrives, or timeout_ms passes. */
int api_server_wait(int timeout_ms);
void api_server_close(void);

#endif
