/* The agent's event loop: accept callers, read each fixed-size request
 * within the request timeout, answer it (ka_handle), audit, close. */
#ifndef TWR_KA_SERVE_H
#define TWR_KA_SERVE_H

#include <signal.h>

#include "ka_config.h"

/* Runs until *stop is set (by a signal handler). Returns 0, or -1 if the
 * listening socket fails. */
int ka_serve(const struct ka_config *cfg, int listen_fd, int audit_fd, volatile sig_atomic_t *stop);

#endif
