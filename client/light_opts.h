/* Command line of `twamp-client light [options] HOST`: parsing and
 * validation into a light_cfg. No I/O except reading the IPv6 scope's
 * interface index; the key file is read by the caller.
 */
#ifndef TWCLI_LIGHT_OPTS_H
#define TWCLI_LIGHT_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "light_sender.h"
#include "opts.h"

#define LIGHT_DEFAULT_PORT 862
#define LIGHT_DEFAULT_COUNT 100
#define LIGHT_DEFAULT_INTERVAL_NS 10000000ull   /* 0.01 s */
#define LIGHT_DEFAULT_TIMEOUT_NS 2000000000ull  /* 2 s */
#define LIGHT_MAX_SECONDS 3600                  /* for --interval and --timeout */

struct light_opts {
	struct light_cfg cfg;   /* keys left NULL */
	const char *host;       /* as given on the command line */
	const char *key_file;   /* required in auth/enc mode, NULL in open */
	bool json;
	bool help;              /* --help: print usage, nothing else parsed */
};

/* argv[0] is the command name ("light"). Returns 0, or -1 with one line of
 * reason in err. */
int light_opts_parse(int argc, char **argv, struct light_opts *o, char *err, size_t errlen);

void light_usage(FILE *f);

#endif
