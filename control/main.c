/* twamp-controld: the TWAMP-Control server (RFC 5357 §3, RFC 4656 §3,
 * RFC 5618, RFC 5938, RFC 6038). It authenticates Control-Clients,
 * negotiates test sessions and installs them in the dataplane through its
 * session API; see control/README.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_config.h"
#include "ctl_hashlog.h"
#include "ctl_server.h"
#include "run_as.h"
#include "secmem.h"
#include "secure_mem.h"
#include "session_api.h"
#include "twr_build_config.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f,
		"usage: twamp-controld -c CONFIG [--session-socket PATH] [--state-socket PATH]\n"
		"       twamp-controld --verify-log FILE [--anchor ANCHOR] -c CONFIG\n"
		"  -c, --config FILE        configuration (YANG JSON/XML, twamp-reflector module)\n"
		"      --session-socket P   the dataplane's session API (default %s)\n"
		"      --state-socket P     operational state, YANG JSON (default %s)\n"
		"      --verify-log FILE    check a local security log's hash chain and its\n"
		"                           anchor (log-key of CONFIG): exit 0 if intact,\n"
		"                           1 if altered, truncated, emptied or unanchored\n"
		"      --anchor ANCHOR      the anchor to check against (default: CONFIG's\n"
		"                           anchor-file for its log, else FILE.anchor)\n"
		"  -h, --help               this text\n"
		"      --version            the version\n",
		TWR_API_DEFAULT_PATH, CTL_STATE_DEFAULT_PATH);
}

/* The anchor to check FILE against: --anchor, the configured one for the
 * configured log, or FILE.anchor beside it. */
static const char *anchor_of(const char *file, const char *anchor, const struct ctl_config *cfg,
			     char *buf, size_t len)
{
	if (anchor)
		return anchor;
	if (strcmp(file, cfg->security.log_file) == 0 && cfg->security.anchor_file[0])
		return cfg->security.anchor_file;
	if (snprintf(buf, len, "%s.anchor", file) >= (int)len)
		return NULL;
	return buf;
}

static int verify_log(const char *file, const char *anchor, const struct ctl_config *cfg)
{
	const struct ctl_security_cfg *s = &cfg->security;
	struct ctl_hashlog_keys k;
	struct ctl_hashlog_end end;
	char why[512], abuf[CTL_PATH_MAX + 8];
	const char *apath = anchor_of(file, anchor, cfg, abuf, sizeof(abuf));
	long rc;

	if (s->log_key_len == 0 || !apath) {
		fprintf(stderr, "twamp-controld: --verify-log: %s\n",
			apath ? "no log-security/log-key in the configuration" : "path too long");
		return EXIT_USAGE;
	}
	if (ctl_hashlog_keys(s->log_key, s->log_key_len, &k) != 0) {
		fprintf(stderr, "twamp-controld: --verify-log: cannot derive the log keys\n");
		return EXIT_USAGE;
	}
	rc = ctl_hashlog_check(file, apath, &k, &end, why, sizeof(why));
	wipe(&k, sizeof(k));
	if (rc == 0) {
		printf("%s: hash chain intact, %llu records, consistent with its anchor %s: %s\n",
		       file, (unsigned long long)end.seq, apath, why);
		return 0;
	}
	printf("%s: NOT INTACT (anchor %s): %s\n", file, apath, why);
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
		ctl_log_always(&srv.log, LOG_ERR, "privilege drop: %s", err);
		rc = 1;
	} else if (secmem_set_dumpable(!cfg->security.non_dumpable) != 0) {
		/* the change of uid left it non-dumpable (fs.suid_dumpable); the
		 * keys are out of dumps either way: memory-security decides */
		ctl_log_always(&srv.log, LOG_ERR, "memory-security/non-dumpable: %s", strerror(errno));
		rc = 1;
	} else {
		ctl_log_always(&srv.log, LOG_NOTICE, "running as uid %lu gid %lu%s%s, no capabilities",
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
		{ "anchor", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_server_opts o = { TWR_API_DEFAULT_PATH, CTL_STATE_DEFAULT_PATH };
	const char *cfgpath = NULL, *verify = NULL, *anchor = NULL;
	struct ctl_config *cfg;
	char err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': cfgpath = optarg; break;
		case 'S': o.session_socket = optarg; break;
		case 'T': o.state_socket = optarg; break;
		case 'V': verify = optarg; break;
		case 'A': anchor = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'v': printf("twamp-controld %s\n", TWR_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!cfgpath || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* the key-chain on pages out of core dumps (secmem.h) */
	cfg = secmem_alloc(sizeof(*cfg));
	if (!cfg) {
		fprintf(stderr, "twamp-controld: no memory for the configuration\n");
		return 1;
	}
	if (ctl_config_load(cfgpath, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "twamp-controld: %s\n", err);
		secmem_free(cfg, sizeof(*cfg));
		return EXIT_USAGE;
	}
	if (anchor && !verify) {
		usage(stderr);
		rc = EXIT_USAGE;
	} else if (cfg->security.non_dumpable && secmem_set_dumpable(false) != 0) {
		fprintf(stderr, "twamp-controld: memory-security/non-dumpable: %s\n", strerror(errno));
		rc = 1;
	} else {
		rc = verify ? verify_log(verify, anchor, cfg) : serve(cfg, &o);
	}
	ctl_config_free(cfg);
	secmem_free(cfg, sizeof(*cfg));
	return rc;
}
