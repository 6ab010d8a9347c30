/* twamp-keyagent: the unprivileged broker between charon's ippm plugin and
 * the TWAMP processes (README.md beside this file).
 *
 *   twamp-keyagent [-c FILE] [--check]
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ka_audit.h"
#include "ka_config.h"
#include "ka_listen.h"
#include "ka_serve.h"
#include "run_as.h"
#include "twr_build_config.h"

#define DEFAULT_CONFIG "/etc/twamp-reflector/twamp-keyagent.json"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: twamp-keyagent [-c FILE] [--check]\n"
		   "  -c, --config FILE  configuration (default " DEFAULT_CONFIG ")\n"
		   "      --check        validate the configuration and exit\n"
		   "  -V, --version\n");
}

static void signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: wake poll() */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The socket's group: the configured one, else the run user's. */
static int socket_gid(const struct ka_config *cfg, const struct twr_run_as *ra, gid_t *gid,
		      char *err, size_t errlen)
{
	*gid = (gid_t)-1;
	if (cfg->socket_group[0])
		return twr_group_id(cfg->socket_group, gid, err, errlen);
	if (ra->set)
		*gid = ra->gid;
	return 0;
}

/* Open everything that needs root, then give root up (common/run_as.h). */
static int setup(const struct ka_config *cfg, int *lfd, int *afd, char *err, size_t errlen)
{
	struct twr_run_as ra;
	gid_t gid;

	if (twr_run_as_resolve(cfg->user, cfg->group, &ra, err, errlen) != 0 ||
	    twr_run_as_refuse_root(&ra, "user", err, errlen) != 0 ||
	    socket_gid(cfg, &ra, &gid, err, errlen) != 0)
		return -1;
	*afd = ka_audit_open(cfg->audit_log);
	if (*afd < 0) {
		snprintf(err, errlen, "audit log %s: %s", cfg->audit_log, strerror(errno));
		return -1;
	}
	*lfd = ka_listen(cfg->socket, gid, ra.set ? ra.uid : geteuid(), err, errlen);
	if (*lfd < 0)
		return -1;
	return twr_run_as_drop(&ra, err, errlen);
}

static int run(const char *path, bool check)
{
	static struct ka_config cfg;
	int lfd = -1, afd = -1, rc;
	char err[1024];

	if (ka_config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "twamp-keyagent: %s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: valid (%zu client entries)\n", path, cfg.policy.nrules);
		return 0;
	}
	signals();
	twr_priv_early();
	if (setup(&cfg, &lfd, &afd, err, sizeof(err)) != 0) {
		fprintf(stderr, "twamp-keyagent: %s\n", err);
		if (lfd >= 0)
			unlink(cfg.socket);
		return 1;
	}
	fprintf(stderr, "twamp-keyagent %s: serving %s (plugin %s, %zu client entries, uid %lu "
		"gid %lu, no capabilities)\n", TWR_VERSION, cfg.socket, cfg.plugin_socket,
		cfg.policy.nrules, (unsigned long)geteuid(), (unsigned long)getegid());
	rc = ka_serve(&cfg, lfd, afd, &stop);
	close(lfd);
	unlink(cfg.socket); /* best effort: the directory may not be ours any more */
	fprintf(stderr, "twamp-keyagent: %s\n", rc == 0 ? "stopped" : "listening socket failed");
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_CONFIG;
	bool check = false;
	int o;

	while ((o = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': path = optarg; break;
		case 'k': check = true; break;
		case 'V': printf("twamp-keyagent %s\n", TWR_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return run(path, check);
}
