/* twamp-controld: the TWAMP-Control server (RFC 5357 §3, RFC 4656 §3,
 * RFC 5618, RFC 5938, RFC 6038). It authenticates Control-Clients,
 * negotiates test sessions and installs them in the dataplane through its
 * session API; see control/README.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_config.h"
#include "ctl_hashlog.h"
#include "ctl_server.h"
#include "run_as.h"
#include "session_api.h"
#include "twr_build_config.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f,
		"usage: twamp-controld -c CONFIG [--session-socket PATH] [--state-socket PATH]\n"
		"       twamp-controld --verify-log FILE -c CONFIG\n"
		"  -c, --config FILE        configuration (YANG JSON/XML, twamp-reflector module)\n"
		"      --session-socket P   the dataplane's session API (default %s)\n"
		"      --state-socket P     operational state, YANG JSON (default %s)\n"
		"      --verify-log FILE    check the hash chain of a local security log:\n"
		"                           exit 0 if intact, 1 if not\n"
		"  -h, --help               this text\n"
		"      --version            the version\n",
		TWR_API_DEFAULT_PATH, CTL_STATE_DEFAULT_PATH);
}

static int verify_log(const char *file, const struct ctl_config *cfg)
{
	const char *kid = cfg->security.log_key_id;
	const struct ctl_key *k = ctl_config_key(cfg, (const uint8_t *)kid, strlen(kid));
	char why[256];
	long bad;

	if (!k) {
		fprintf(stderr, "twamp-controld: --verify-log: no hash-chain-key-id in the configuration\n");
		return EXIT_USAGE;
	}
	bad = ctl_hashlog_verify_file(file, k->secret, k->secret_len, why, sizeof(why));
	if (bad == 0) {
		printf("%s: hash chain intact\n", file);
		return 0;
	}
	printf("%s: %s\n", file, why);
	return 1;
}

/* Root only for what needs it: the sockets, the log file and syslog are
 * opened by ctl_server_init, then the server runs as server/user for good
 * (common/run_as.h). */
static int serve(const struct ctl_config *cfg, struct ctl_server_opts *o)
{
	static struct ctl_server srv;
	struct twr_run_as ra;
	char err[512];
	int rc = 0;

	twr_priv_early();
	if (twr_run_as_resolve(cfg->server.user, cfg->server.group, &ra, err, sizeof(err)) != 0 ||
	    twr_run_as_refuse_root(&ra, "server/user", err, sizeof(err)) != 0) {
		fprintf(stderr, "twamp-controld: %s\n", err);
		return 1;
	}
	o->run_uid = ra.set ? ra.uid : geteuid();
	if (ctl_server_init(&srv, cfg, o, err, sizeof(err)) != 0) {
		fprintf(stderr, "twamp-controld: %s\n", err);
		rc = 1;
	} else if (twr_run_as_drop(&ra, err, sizeof(err)) != 0) {
		ctl_logf(&srv.log, LOG_ERR, "privilege drop: %s", err);
		rc = 1;
	} else {
		ctl_logf(&srv.log, LOG_NOTICE, "running as uid %lu gid %lu%s%s, no capabilities",
			 (unsigned long)getuid(), (unsigned long)getgid(), ra.set ? " user " : "",
			 ra.user);
		if (ctl_server_run(&srv) != 0)
			rc = 1;
	}
	ctl_server_fini(&srv);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "session-socket", required_argument, NULL, 'S' },
		{ "state-socket", required_argument, NULL, 'T' },
		{ "verify-log", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_server_opts o = { TWR_API_DEFAULT_PATH, CTL_STATE_DEFAULT_PATH };
	const char *cfgpath = NULL, *verify = NULL;
	static struct ctl_config cfg;
	char err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': cfgpath = optarg; break;
		case 'S': o.session_socket = optarg; break;
		case 'T': o.state_socket = optarg; break;
		case 'V': verify = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'v': printf("twamp-controld %s\n", TWR_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!cfgpath || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (ctl_config_load(cfgpath, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "twamp-controld: %s\n", err);
		return EXIT_USAGE;
	}
	rc = verify ? verify_log(verify, &cfg) : serve(&cfg, &o);
	ctl_config_free(&cfg);
	return rc;
}
