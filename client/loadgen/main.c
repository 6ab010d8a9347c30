/* twamp-loadgen: a DPDK TWAMP-Test load generator for benchmarks.
 *
 *   twamp-loadgen [EAL options] -- --dst-mac M [--mode open|auth|enc --key-file F]
 *                 [--size N] [--flows N] [--duration S] [--warmup S] [--json FILE] ...
 *
 * The main lcore sets up the port and the packet pool, then sleeps while one
 * worker lcore sends and receives; it never spins, so it can share a CPU
 * with the peer under test. Exits after warmup + duration, or with --linger
 * once the peer has disconnected (see lg_port_wait_down). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "lg_opts.h"
#include "lg_pool.h"
#include "lg_port.h"
#include "lg_report.h"
#include "lg_run.h"

#define LG_GRACE_S 30  /* beyond warmup + duration before the worker is told to stop */

static struct lg_opts opts;
static struct lg_pool pool;
static struct lg_run run;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

/* Sleep until the worker is done; stop it on a signal or an overrun. */
static void wait_worker(unsigned lcore)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	uint64_t limit_ticks = ((uint64_t)opts.warmup_s + opts.duration_s + LG_GRACE_S) * 100;

	for (uint64_t t = 0; !run.done; t++) {
		if (got_signal || t >= limit_ticks)
			run.quit = true;
		nanosleep(&tick, NULL);
	}
	rte_eal_wait_lcore(lcore);
}

static int generate(void)
{
	struct rte_ether_addr mac;
	unsigned lcore = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);

	if (lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "twamp-loadgen: needs a worker lcore (e.g. -l 0-1 or --lcores '0@1,1@0')\n");
		return -1;
	}
	if (lg_port_open(opts.port_id, opts.link_wait_s, &mac) != 0)
		return -1;
	if (opts.have_src_mac) {
		lg_port_set_mac(opts.port_id, &opts.src_mac);
		mac = opts.src_mac;
	}
	if (lg_pool_build(&pool, &opts, &mac, rte_eth_dev_socket_id(opts.port_id)) != 0)
		return -1;
	lg_run_init(&run, &opts, &pool);
	if (rte_eal_remote_launch(lg_worker, &run, lcore) != 0) {
		fprintf(stderr, "twamp-loadgen: cannot start the worker on lcore %u\n", lcore);
		return -1;
	}
	fprintf(stderr, "twamp-loadgen: link up, sending (warmup %u s, then %u s measured)\n",
		opts.warmup_s, opts.duration_s);
	wait_worker(lcore);
	if (!run.measured) {
		fprintf(stderr, "twamp-loadgen: stopped before the measured window\n");
		return -1;
	}
	lg_report_summary(&run);
	if (lg_report_json(&run, opts.json) != 0)
		return -1;
	if (opts.linger_s > 0) {
		fprintf(stderr, "twamp-loadgen: done; idle until the peer disconnects (at most %u s)\n",
			opts.linger_s);
		if (!lg_port_wait_down(opts.port_id, opts.linger_s, &got_signal))
			fprintf(stderr, "twamp-loadgen: the peer did not disconnect; closing the port\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	int eal, rc;

	eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "twamp-loadgen: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argv[eal] = argv[0];
	if (lg_opts_parse(argc - eal, argv + eal, &opts) != 0) {
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = generate() == 0 ? 0 : 1;
	if (rte_eth_dev_is_valid_port(opts.port_id))
		lg_port_close(opts.port_id);
	lg_pool_free(&pool);
	lg_opts_wipe(&opts);
	rte_eal_cleanup();
	return rc;
}
