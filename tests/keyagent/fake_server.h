/* A scripted Unix-socket server in a thread, standing in for the key agent
 * or charon's plugin in unit tests: it records each request and answers
 * with the bytes it was given (or none, or never). */
#ifndef TWR_FAKE_SERVER_H
#define TWR_FAKE_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fake_mode {
	FAKE_REPLY, /* send reply[0..reply_len) and close */
	FAKE_CLOSE, /* read the request, close without a word */
	FAKE_HANG,  /* read the request, then keep the connection open */
};

struct fake_server {
	char path[108];
	int lfd, stop_pipe[2];
	pthread_t thread;
	enum fake_mode mode;
	uint8_t reply[1024];
	size_t reply_len;
	uint8_t got[64]; /* the last request */
	size_t got_len;
	int connections;
};

/* Listen on `path` (replacing a stale file) and serve until fake_stop. */
int fake_start(struct fake_server *fs, const char *path);
void fake_stop(struct fake_server *fs);

#endif
