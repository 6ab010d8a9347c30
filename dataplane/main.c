/* twamp-reflector: the DPDK TWAMP-Test / TWAMP Light reflector.
 *
 *   twamp-reflector [EAL options] -- -c CONFIG.json [--check] [--syslog] [-v]
 *
 * Setup: EAL, configuration (libyang-validated), clock, session table,
 * Light reflectors, ports and TAP, telemetry, session API; then one worker
 * per RX queue on its own lcore, while the main lcore serves the session API,
 * expires sessions and keeps the clock calibrated. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "api_server.h"
#include "dp_clock.h"
#include "dp_config.h"
#include "dp_log.h"
#include "error_estimate.h"
#include "port.h"
#include "secmem.h"
#include "telemetry.h"
#include "twr_build_config.h"
#include "worker.h"

struct app {
	struct dp_config *cfg;     /* secmem: its Light keys stay out of core dumps */
	struct dp_port ports[DP_MAX_PORTS];
	unsigned nports;
	struct dp_worker *workers;
	unsigned nworkers;
};

static struct app app;

static void on_signal(int sig)
{
	(void)sig;
	dp_quit = true;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- -c CONFIG [--check] [--syslog] [-v]\n"
		"  -c, --config FILE  configuration (JSON, or XML by extension), validated by libyang\n"
		"  --check            validate the configuration and exit\n"
		"  --syslog           also log to syslog\n"
		"  -v, --verbose      debug log lines\n",
		prog);
}

struct opts {
	const char *config;
	int check;
	int use_syslog;
	int verbose;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' }, { "check", no_argument, NULL, 'C' },
		{ "syslog", no_argument, NULL, 'S' },       { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'C': o->check = 1; break;
		case 'S': o->use_syslog = 1; break;
		case 'v': o->verbose = 1; break;
		default: return -1;
		}
	}
	if (optind != argc || o->config == NULL)
		return -1;
	return 0;
}

/* Worker lcores: the configured list, else every EAL worker lcore in order. */
static int pick_lcores(unsigned *lcores, unsigned n, char *err, size_t errlen)
{
	unsigned lc, i = 0;

	if (app.cfg->nworkers > 0) {
		if (app.cfg->nworkers < n) {
			snprintf(err, errlen, "%u RX queues need %u worker lcores, %zu configured", n, n,
				 app.cfg->nworkers);
			return -1;
		}
		for (i = 0; i < n; i++) {
			lc = app.cfg->worker_lcores[i];
			if (!rte_lcore_is_enabled(lc) || lc == rte_get_main_lcore()) {
				snprintf(err, errlen, "worker lcore %u is not an EAL worker lcore (-l/--lcores)", lc);
				return -1;
			}
			lcores[i] = lc;
		}
		return 0;
	}
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (i == n)
			break;
		lcores[i++] = lc;
	}
	if (i < n) {
		snprintf(err, errlen, "%u RX queues need %u worker lcores; the EAL gave %u (use -l/--lcores)",
			 n, n, i);
		return -1;
	}
	return 0;
}

static int setup_workers(char *err, size_t errlen)
{
	unsigned lcores[DP_MAX_WORKERS], n = 0, w = 0;
	uint16_t errest = errest_encode(app.cfg->clock_synced, app.cfg->clock_error_s);

	for (unsigned p = 0; p < app.nports; p++)
		n += app.cfg->ports[p].rx_queues;
	if (n == 0 || n > DP_MAX_WORKERS) {
		snprintf(err, errlen, "%u workers: must be 1..%d", n, DP_MAX_WORKERS);
		return -1;
	}
	if (pick_lcores(lcores, n, err, errlen) != 0)
		return -1;
	app.workers = rte_zmalloc("twr_workers", sizeof(struct dp_worker) * n, RTE_CACHE_LINE_SIZE);
	if (app.workers == NULL) {
		snprintf(err, errlen, "out of memory for workers");
		return -1;
	}
	for (unsigned p = 0; p < app.nports; p++) {
		for (uint16_t q = 0; q < app.cfg->ports[p].rx_queues; q++, w++) {
			struct dp_worker *wk = &app.workers[w];

			wk->idx = w;
			wk->lcore = lcores[w];
			wk->queue = q;
			wk->burst = app.cfg->burst > DP_MAX_BURST ? DP_MAX_BURST : app.cfg->burst;
			wk->port = &app.ports[p];
			wk->errest = errest;
			wk->stages_on = app.cfg->stage_cycles;
			wk->mb = mb_mgr_new();
			wk->gc = rte_zmalloc("twr_gc", sizeof(*wk->gc), RTE_CACHE_LINE_SIZE);
			wk->sc = dp_sess.ctr[w];
			if (wk->mb == NULL || wk->gc == NULL || light_worker_init(&wk->light, w) != 0) {
				snprintf(err, errlen, "worker %u: out of memory", w);
				return -1;
			}
		}
	}
	app.nworkers = n;
	return 0;
}

/* Before the EAL starts its threads: the loader forks
 * (common/config/cfg_isolate.c), and a child forked beside running threads
 * may inherit a lock (malloc's, a sanitizer's) that no thread will release. */
static int load_config(const struct opts *o, char *err, size_t errlen)
{
	app.cfg = secmem_alloc(sizeof(*app.cfg));
	if (app.cfg == NULL) {
		snprintf(err, errlen, "no memory for the configuration");
		return -1;
	}
	return dp_config_load(o->config, app.cfg, err, errlen);
}

static int setup(char *err, size_t errlen)
{
	unsigned nq = 0;

	for (size_t p = 0; p < app.cfg->nports; p++)
		nq += app.cfg->ports[p].rx_queues;
	if (dp_clock_init() != 0) {
		snprintf(err, errlen, "cannot calibrate the TSC");
		return -1;
	}
	if (sessions_init(app.cfg->max_sessions, nq, err, errlen) != 0 ||
	    light_init(app.cfg, dp_sess.mb, err, errlen) != 0)
		return -1;
	for (size_t p = 0; p < app.cfg->nports; p++, app.nports++)
		if (port_setup(&app.ports[p], &app.cfg->ports[p], (unsigned)p, app.cfg->mbufs, err, errlen) != 0)
			return -1;
	if (setup_workers(err, errlen) != 0)
		return -1;
	if (telemetry_register(app.workers, app.nworkers) != 0) {
		snprintf(err, errlen, "cannot register telemetry commands");
		return -1;
	}
	return api_server_open(app.cfg, err, errlen);
}

/* The main lcore shares a CPU with others (the OS, another process's
 * worker): it sleeps until a session API request or its next timer, never
 * spins. Timers: session expiry every 50 ms, clock calibration every 1 s. */
static void main_loop(void)
{
	uint64_t hz = rte_get_tsc_hz(), next_clock = 0, next_expire = 0;

	while (!dp_quit) {
		uint64_t now = rte_rdtsc(), next;

		api_server_poll();
		if (now >= next_expire) {
			sessions_expire(now);
			next_expire = now + hz / 20;
		}
		if (now >= next_clock) {
			dp_clock_update();
			next_clock = now + hz;
		}
		next = next_expire < next_clock ? next_expire : next_clock;
		now = rte_rdtsc();
		api_server_wait(next > now ? (int)((next - now) * 1000 / hz) + 1 : 0);
	}
}

static void log_totals(void)
{
	struct dp_gcounters g;

	dp_counters_sum(&g);
	dp_log(DP_NOTICE, "stopping: rx %" PRIu64 ", reflected %" PRIu64 ", auth failures %" PRIu64
	       ", malformed %" PRIu64 ", no session %" PRIu64 ", exception %" PRIu64 "/%" PRIu64
	       ", tx drops %" PRIu64, g.rx_packets, g.reflected, g.auth_failures, g.malformed,
	       g.no_session, g.exception_to_kernel, g.exception_from_kernel, g.tx_drops);
}

static void free_config(void)
{
	if (app.cfg != NULL) {
		dp_config_wipe(app.cfg);
		secmem_free(app.cfg, sizeof(*app.cfg));
		app.cfg = NULL;
	}
}

static void teardown(void)
{
	if (app.workers != NULL) {
		for (unsigned w = 0; w < app.nworkers; w++) {
			mb_mgr_free(app.workers[w].mb);
			light_worker_fini(&app.workers[w].light);
			rte_free(app.workers[w].gc);
		}
		rte_free(app.workers);
	}
	api_server_close();
	for (unsigned p = 0; p < app.nports; p++)
		port_close(&app.ports[p]);
	light_fini();
	sessions_fini();
	free_config();
}

int main(int argc, char **argv)
{
	char err[512] = "";
	struct opts o;
	int napp, eal, rc = 1;

	/* EAL options, "--", then ours: ours first, and the configuration
	 * read (load_config) before rte_eal_init starts any thread */
	for (napp = 1; napp < argc && strcmp(argv[napp], "--") != 0; napp++)
		;
	if (napp == argc) {
		usage(argv[0]);
		return 2;
	}
	argv[napp] = argv[0];
	if (parse_args(argc - napp, argv + napp, &o) != 0) {
		usage(argv[0]);
		return 2;
	}
	dp_log_open(o.use_syslog, o.verbose ? LOG_DEBUG : LOG_INFO);
	if (load_config(&o, err, sizeof(err)) != 0) {
		dp_log(DP_ERR, "%s", err);
		free_config();
		return 1;
	}
	if (o.check) {
		dp_log(DP_NOTICE, "configuration %s is valid", o.config);
		free_config();
		return 0;
	}
	eal = rte_eal_init(napp, argv);
	if (eal < 0) {
		fprintf(stderr, "twamp-reflector: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		free_config();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (setup(err, sizeof(err)) != 0) {
		dp_log(DP_ERR, "%s", err);
		goto out;
	}
	/* explicitly either way: binding the session socket with its group
	 * (setfsgid, common/sock_dir.c) left the process non-dumpable, as
	 * any change of credentials does; the keys are out of dumps anyway */
	if (secmem_set_dumpable(!app.cfg->non_dumpable) != 0) {
		dp_log(DP_ERR, "memory-security/non-dumpable: %s", strerror(errno));
		goto out;
	}
	dp_log(DP_NOTICE, "twamp-reflector %s running: %u port(s), %u worker(s), %u Light reflector(s)",
	       TWR_VERSION, app.nports, app.nworkers, dp_light.n);
	for (unsigned w = 0; w < app.nworkers; w++)
		rte_eal_remote_launch(worker_main, &app.workers[w], app.workers[w].lcore);
	main_loop();
	rte_eal_mp_wait_lcore();
	log_totals();
	rc = 0;
out:
	teardown();
	rte_eal_cleanup();
	return rc;
}
