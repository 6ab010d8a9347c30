/* twamp-controld's authentication pool: worker threads that run the
 * authentication jobs (ctl_auth.h: key agent lookup, PBKDF2, Token check)
 * off the event loop, so that a stream of Set-Up-Responses with wrong
 * Tokens costs CPU on the workers, never latency on the loop.
 *
 *   loop thread                          worker threads (1..64)
 *   ctl_authpool_submit ──▶ fair queue (ctl_authq.h) ──▶ ctl_auth_run
 *   done(ctx, job)      ◀── done list ◀── eventfd ◀─────────┘
 *
 * The queue holds at most CTL_AUTH_QUEUE_MAX jobs and serves source
 * prefixes round robin (ctl_authq.h). A job that finds it full, or that a
 * flooding source's newer job makes room for another's, is refused:
 * done() is called with j->refused set and the job not run.
 *
 * Every result, refusal included, reaches done() on the loop thread, from
 * the eventfd's handler, never from within submit. ctl_authpool_cancel
 * (the connection closes) guarantees done() is never called for the job:
 * a queued job is taken out and freed at once, a running one is freed
 * when its worker is done with it. The pool frees every job after done()
 * returns; done() must not keep it.
 *
 * Counters (the loop's, server/statistics): auth-jobs-queued,
 * auth-jobs-completed, auth-jobs-queue-full, auth-jobs-discarded. */
#ifndef TWR_CTL_AUTHPOOL_H
#define TWR_CTL_AUTHPOOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "ctl_addr.h"
#include "ctl_auth.h"
#include "ctl_authq.h"
#include "ctl_counters.h"
#include "ctl_loop.h"

#define CTL_AUTH_QUEUE_MAX 256u   /* jobs waiting for a worker */
#define CTL_AUTH_WORKERS_MAX 64u

struct ctl_authpool {
	struct ctl_loop *loop;
	struct ctl_counters *ctr;
	int efd;                      /* eventfd: workers -> loop */
	unsigned nworkers;
	pthread_t *workers;
	/* ---- under mu ---- */
	pthread_mutex_t mu;
	pthread_cond_t cv;            /* a job queued, or stop */
	bool stop;
	struct ctl_authq q;
	size_t running;
	struct ctl_auth_job *done_head, *done_tail;
};

/* The number of workers for the configured server/auth-workers: n itself,
 * 0 = one per CPU the process may run on (its affinity mask: taskset, a
 * cpuset; the online CPUs if that is unknown), at most CTL_AUTH_WORKERS_MAX. */
unsigned ctl_authpool_workers(unsigned configured);

/* Starts `workers` threads and registers the eventfd with the loop; the
 * queue holds queue_max jobs, by sources of /len4 (IPv4) and /len6 (IPv6).
 * Returns -1 with errno (then nothing is left running). */
int ctl_authpool_init(struct ctl_authpool *p, struct ctl_loop *loop, struct ctl_counters *ctr,
		      unsigned workers, size_t queue_max, unsigned len4, unsigned len6);
/* Stops the workers (each finishes the job it runs), frees every job left
 * without calling done(). Call after every connection is closed. */
void ctl_authpool_fini(struct ctl_authpool *p);

/* Hand j (filled by the caller, ctl_auth.h) to the pool for the source
 * address src; done(ctx, j) follows on the loop thread. */
void ctl_authpool_submit(struct ctl_authpool *p, const struct ctl_ip *src,
			 struct ctl_auth_job *j, void (*done)(void *ctx, struct ctl_auth_job *j),
			 void *ctx);
/* The job's connection is gone: done() will not be called, j is freed
 * (now, or when its worker returns it). */
void ctl_authpool_cancel(struct ctl_authpool *p, struct ctl_auth_job *j);

/* Jobs waiting for a worker, and jobs a worker runs now. */
size_t ctl_authpool_depth(struct ctl_authpool *p);
size_t ctl_authpool_running(struct ctl_authpool *p);

#endif
