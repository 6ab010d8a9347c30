/* A worker lcore: polls one RX queue of one data port and hands each burst
 * to the reflect pipeline (pipeline.c); now and then it passes the kernel's
 * frames from the TAP queue to the data port (exception.c, every
 * TAP_POLL_US) and sweeps the stateful Light senders.
 *
 *   rx burst ─▶ pipeline_burst ─▶ tx burst / TAP queue / drop (counted)
 *   TAP queue ─▶ data port
 */
#ifndef TWR_DP_WORKER_H
#define TWR_DP_WORKER_H

#include <stdbool.h>

#include "dp_worker.h"

#define TAP_POLL_US 100 /* how often a worker passes the kernel's frames on */

extern volatile bool dp_quit;

/* The worker's loop (lcore entry point); arg: its struct dp_worker. */
int worker_main(void *arg);

#endif
