/* The authentication pool (see ctl_authpool.h).
 *
 * Threads and what each may touch (this is what keeps it free of races,
 * by design rather than by care at each line):
 *
 *   the loop thread     owns the pool's configuration, the counters, the
 *                       eventfd's reading end, and every job outside the
 *                       pool: it fills a job before submit and reads it
 *                       again only in done(), after taking it off the
 *                       done list. Its own fields of a job (done, ctx,
 *                       refused) are never read by a worker.
 *   a worker thread     touches one job at a time, the one it popped:
 *                       its in and out fields (ctl_auth_run), nothing of
 *                       any connection, no counter, no log.
 *   the mutex `mu`      guards the queue, `running`, `stop`, the done
 *                       list and each job's pstate and cancelled flag.
 *                       Handing a job over (queue -> worker -> done list)
 *                       happens under it, so every write to a job before
 *                       a handover is seen by the side that takes it.
 *
 * A job's life: NEW (loop) -> QUEUED (in q) -> RUNNING (one worker) ->
 * DONE (done list) -> the loop calls done() unless cancelled, then frees
 * it. Cancel of a QUEUED job takes it out and frees it; of a RUNNING or
 * DONE one sets `cancelled`, and the loop frees it when it comes off the
 * done list. A refused job goes straight from NEW to the done list. Only
 * the loop thread frees jobs, so a job pointer held by a connection is
 * valid until that connection's done() or cancel. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ctl_authpool.h"

static struct ctl_auth_job *job_of(struct ctl_authq_item *it)
{
	return (struct ctl_auth_job *)((char *)it - offsetof(struct ctl_auth_job, qi));
}

/* The CPUs this process may run on (taskset, a cgroup's cpuset), else the
 * online ones. */
static long cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

unsigned ctl_authpool_workers(unsigned configured)
{
	long n = configured ? (long)configured : cpus();

	if (n < 1)
		n = 1;
	return n > (long)CTL_AUTH_WORKERS_MAX ? CTL_AUTH_WORKERS_MAX : (unsigned)n;
}

static void wake_loop(struct ctl_authpool *p)
{
	uint64_t one = 1;

	/* fails only when the counter would overflow: it is then non-zero */
	(void)!write(p->efd, &one, sizeof(one));
}

/* under mu */
static void push_done(struct ctl_authpool *p, struct ctl_auth_job *j)
{
	j->pstate = CTL_AUTH_DONE;
	j->next_done = NULL;
	if (p->done_tail)
		p->done_tail->next_done = j;
	else
		p->done_head = j;
	p->done_tail = j;
}

static void *worker(void *arg)
{
	struct ctl_authpool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct ctl_authq_item *it = NULL;
		struct ctl_auth_job *j;

		while (!p->stop && !(it = ctl_authq_pop(&p->q)))
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break; /* a popped item is not lost: stop is seen first */
		j = job_of(it);
		j->pstate = CTL_AUTH_RUNNING;
		p->running++;
		pthread_mutex_unlock(&p->mu);
		ctl_auth_run(j);
		pthread_mutex_lock(&p->mu);
		p->running--;
		push_done(p, j);
		wake_loop(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Take every result off the done list; deliver the live ones. */
static void on_event(void *ctx, uint32_t events)
{
	struct ctl_authpool *p = ctx;
	struct ctl_auth_job *j, *next;
	uint64_t v;

	(void)events;
	(void)!read(p->efd, &v, sizeof(v));
	pthread_mutex_lock(&p->mu);
	j = p->done_head;
	p->done_head = p->done_tail = NULL;
	pthread_mutex_unlock(&p->mu);
	for (; j; j = next) {
		bool cancelled;

		pthread_mutex_lock(&p->mu);
		next = j->next_done;
		cancelled = j->cancelled;
		pthread_mutex_unlock(&p->mu);
		if (cancelled) {
			if (!j->refused)
				p->ctr->v[CTL_C_AUTH_JOBS_DISCARDED]++;
		} else {
			if (!j->refused)
				p->ctr->v[CTL_C_AUTH_JOBS_COMPLETED]++;
			j->done(j->ctx, j);
		}
		ctl_auth_job_free(j);
	}
}

static int start_workers(struct ctl_authpool *p, unsigned n)
{
	sigset_t all, old;
	int rc = 0;

	p->workers = calloc(n, sizeof(*p->workers));
	if (!p->workers)
		return ENOMEM;
	/* the workers take no signal: signalfd on the loop has them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; p->nworkers < n; p->nworkers++) {
		rc = pthread_create(&p->workers[p->nworkers], NULL, worker, p);
		if (rc != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int ctl_authpool_init(struct ctl_authpool *p, struct ctl_loop *loop, struct ctl_counters *ctr,
		      unsigned workers, size_t queue_max, unsigned len4, unsigned len6)
{
	int rc;

	*p = (struct ctl_authpool){ .loop = loop, .ctr = ctr, .efd = -1 };
	if (ctl_authq_init(&p->q, queue_max, len4, len6) != 0) {
		errno = ENOMEM;
		return -1;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0 || ctl_loop_add(loop, p->efd, CTL_LOOP_IN, on_event, p) != 0)
		rc = errno;
	else
		rc = start_workers(p, workers ? workers : 1);
	if (rc != 0) {
		ctl_authpool_fini(p);
		errno = rc;
		return -1;
	}
	return 0;
}

/* After the workers are joined: free what is left, done() not called. */
static void drain(struct ctl_authpool *p)
{
	struct ctl_authq_item *it;

	while ((it = ctl_authq_pop(&p->q)))
		ctl_auth_job_free(job_of(it));
	while (p->done_head) {
		struct ctl_auth_job *j = p->done_head;

		p->done_head = j->next_done;
		ctl_auth_job_free(j);
	}
	p->done_tail = NULL;
}

void ctl_authpool_fini(struct ctl_authpool *p)
{
	if (!p->loop)
		return; /* never initialised */
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i], NULL);
	free(p->workers);
	drain(p);
	if (p->efd >= 0) {
		ctl_loop_del(p->loop, p->efd);
		close(p->efd);
	}
	ctl_authq_fini(&p->q);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	*p = (struct ctl_authpool){ .efd = -1 };
}

void ctl_authpool_submit(struct ctl_authpool *p, const struct ctl_ip *src,
			 struct ctl_auth_job *j, void (*done)(void *ctx, struct ctl_auth_job *j),
			 void *ctx)
{
	struct ctl_authq_item *out;

	j->done = done;
	j->ctx = ctx;
	j->refused = false;
	pthread_mutex_lock(&p->mu);
	j->cancelled = false;
	j->pstate = CTL_AUTH_QUEUED;
	out = ctl_authq_push(&p->q, src, &j->qi);
	if (out != &j->qi)
		pthread_cond_signal(&p->cv);
	if (out) { /* refused: j itself, or the flooding source's newest */
		struct ctl_auth_job *r = job_of(out);

		r->refused = true;
		push_done(p, r);
	}
	pthread_mutex_unlock(&p->mu);
	if (out != &j->qi)
		p->ctr->v[CTL_C_AUTH_JOBS_QUEUED]++;
	if (out) {
		p->ctr->v[CTL_C_AUTH_JOBS_QUEUE_FULL]++;
		wake_loop(p);
	}
}

void ctl_authpool_cancel(struct ctl_authpool *p, struct ctl_auth_job *j)
{
	bool queued;

	pthread_mutex_lock(&p->mu);
	queued = j->pstate == CTL_AUTH_QUEUED;
	if (queued)
		ctl_authq_remove(&p->q, &j->qi);
	else
		j->cancelled = true;
	pthread_mutex_unlock(&p->mu);
	if (queued) {
		p->ctr->v[CTL_C_AUTH_JOBS_DISCARDED]++;
		ctl_auth_job_free(j);
	}
}

size_t ctl_authpool_depth(struct ctl_authpool *p)
{
	size_t n;

	pthread_mutex_lock(&p->mu);
	n = p->q.n;
	pthread_mutex_unlock(&p->mu);
	return n;
}

size_t ctl_authpool_running(struct ctl_authpool *p)
{
	size_t n;

	pthread_mutex_lock(&p->mu);
	n = p->running;
	pthread_mutex_unlock(&p->mu);
	return n;
}
