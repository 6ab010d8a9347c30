/* twamp-client: command line front end.
 *
 *   twamp-client light [options] HOST          TWAMP Light Session-Sender
 *   twamp-client twamp [options] HOST[:PORT]   TWAMP Control-Client and
 *                                              Session-Sender
 *
 * Exit status: 0 at least one valid reply (twamp: in every session), 1
 * none, 2 usage or configuration error, 3 (twamp) TWAMP-Control failure;
 * one line on stderr says which.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "keyfile.h"
#include "light_opts.h"
#include "light_sender.h"
#include "report.h"
#include "secmem.h"
#include "stats.h"
#include "twamp_opts.h"
#include "twamp_run.h"
#include "twr_build_config.h"

#define EXIT_REPLIES 0
#define EXIT_NO_REPLY 1
#define EXIT_USAGE 2

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* First SIGINT/SIGTERM ends the session and prints what was measured; a
 * second one kills as usual. */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void usage_main(FILE *f)
{
	fprintf(f, "usage: twamp-client light [options] HOST\n"
		   "       twamp-client twamp [options] HOST[:PORT]\n"
		   "       twamp-client light|twamp --help | twamp-client --version\n");
}

static int report(const struct light_opts *o, const struct stats *st, const char *error)
{
	struct stats_summary sum;
	char host[ADDR_STRLEN];
	struct report_info in = {
		.host = host, .port = addr_port(&o->cfg.dst), .sec = o->cfg.sec,
		.symmetrical = o->cfg.symmetrical, .size = o->cfg.size, .error = error,
	};

	if (stats_summarize(st, &sum) < 0) {
		fprintf(stderr, "twamp-client: out of memory computing the statistics\n");
		return EXIT_NO_REPLY;
	}
	addr_format(&o->cfg.dst, host, sizeof(host));
	if (o->json)
		report_json(stdout, &in, &sum);
	else
		report_table(stdout, &in, &sum);
	fflush(stdout);
	return sum.received > 0 ? EXIT_REPLIES : EXIT_NO_REPLY;
}

static int run_light(struct light_opts *o)
{
	/* on pages out of core dumps, wiped when freed (secmem.h) */
	struct tw_keys *keys = secmem_alloc(sizeof(*keys));
	struct stats st;
	char err[256];
	int rc;

	if (!keys) {
		fprintf(stderr, "twamp-client: out of memory\n");
		return EXIT_USAGE;
	}
	if (o->key_file) {
		if (keyfile_read(o->key_file, getuid(), keys, err, sizeof(err)) < 0) {
			fprintf(stderr, "twamp-client: key file %s: %s\n", o->key_file, err);
			secmem_free(keys, sizeof(*keys));
			return EXIT_USAGE;
		}
		o->cfg.keys = keys;
	}
	if (stats_init(&st, o->cfg.count) < 0) {
		secmem_free(keys, sizeof(*keys));
		fprintf(stderr, "twamp-client: out of memory for %u packets\n", o->cfg.count);
		return EXIT_USAGE;
	}
	catch_signals();
	o->cfg.stop = &interrupted;
	rc = light_run(&o->cfg, &st, err, sizeof(err));
	secmem_free(keys, sizeof(*keys));
	o->cfg.keys = NULL;
	if (rc == LIGHT_ERR_SETUP) {
		fprintf(stderr, "twamp-client: %s\n", err);
		stats_free(&st);
		return EXIT_USAGE;
	}
	if (rc == LIGHT_ERR_IO)
		fprintf(stderr, "twamp-client: %s\n", err);
	rc = report(o, &st, rc == LIGHT_ERR_IO ? err : NULL);
	stats_free(&st);
	return rc;
}

static int main_twamp(int argc, char **argv)
{
	struct twamp_opts o;
	char err[256];

	if (twamp_opts_parse(argc, argv, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "twamp-client: %s\n", err);
		return EXIT_USAGE;
	}
	if (o.help) {
		twamp_usage(stdout);
		return 0;
	}
	catch_signals();
	return twamp_run(&o, &interrupted);
}

int main(int argc, char **argv)
{
	struct light_opts o;
	char err[256];

	if (argc < 2) {
		fprintf(stderr, "twamp-client: missing command (usage: twamp-client light|twamp [options] HOST)\n");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("twamp-client %s\n", TWR_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "twamp"))
		return main_twamp(argc - 1, argv + 1);
	if (strcmp(argv[1], "light")) {
		fprintf(stderr, "twamp-client: unknown command '%s' (try: twamp-client --help)\n", argv[1]);
		return EXIT_USAGE;
	}
	if (light_opts_parse(argc - 1, argv + 1, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "twamp-client: %s\n", err);
		return EXIT_USAGE;
	}
	if (o.help) {
		light_usage(stdout);
		return 0;
	}
	return run_light(&o);
}
