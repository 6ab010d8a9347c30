/* `twamp-client twamp`: the whole run. Reads the shared secret, connects,
 * drives the control state machine (ctl_client.h) over the connection
 * (ctl_io.h), runs the negotiated test sessions at once (light_run_many),
 * stops them, prints the results (twamp_report.h) and wipes every secret.
 */
#ifndef TWCLI_TWAMP_RUN_H
#define TWCLI_TWAMP_RUN_H

#include <signal.h>

#include "twamp_opts.h"

#define TWAMP_EXIT_REPLIES 0   /* every session had a valid reply */
#define TWAMP_EXIT_NO_REPLY 1  /* some session had none */
#define TWAMP_EXIT_USAGE 2     /* usage or local configuration error */
#define TWAMP_EXIT_CONTROL 3   /* TWAMP-Control failed: connection, refusal, protocol */

/* stop: set by the caller's signal handler; ends the test sessions early
 * (they are then stopped and reported) or the control exchange. Returns
 * the exit status; errors are one line each on stderr. */
int twamp_run(const struct twamp_opts *o, const volatile sig_atomic_t *stop);

#endif
