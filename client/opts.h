/* What the command lines of `twamp-client light` and `twamp-client twamp`
 * share: strict number parsers and the getopt_long loop with its error
 * messages and its single HOST operand. No I/O.
 */
#ifndef TWCLI_OPTS_H
#define TWCLI_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strict number parsers: decimal digits only; seconds may have up to 9
 * decimals. Return 0, or -1 if malformed or out of range. */
int opts_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		    unsigned long long *out);
int opts_parse_seconds(const char *s, unsigned max_s, uint64_t *ns);

/* One option of the command: 0, or -1 with a reason in err. */
typedef int (*opts_take_fn)(void *st, int c, const char *arg, char *err, size_t errlen);

/* getopt_long over argv (argv[0] is the command name), re-initialised so it
 * can run twice, calling take for each option. -h/--help (which `lo` must
 * map to 'h') sets *help and stops there, returning 0. Otherwise exactly one
 * operand, HOST, must follow the options: its index is returned. -1 with
 * one line in err for an unknown option, a missing value, a refused value,
 * no HOST (`host_what` says what it should be) or a second operand. */
int opts_run(int argc, char **argv, const char *shortopts, const struct option *lo,
	     opts_take_fn take, void *st, const char *host_what, bool *help, char *err,
	     size_t errlen);

#endif
