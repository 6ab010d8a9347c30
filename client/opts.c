/* Shared command-line parsing of twamp-client (opts.h). */
#include <stdio.h>

#include "opts.h"

int opts_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		    unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || *s > '9' || d > max)
			return -1;
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min)
		return -1;
	*out = v;
	return 0;
}

int opts_parse_seconds(const char *s, unsigned max_s, uint64_t *ns)
{
	uint64_t whole = 0, frac = 0, scale = 100000000ull;
	int idigits = 0, fdigits = 0;

	for (; *s >= '0' && *s <= '9'; s++, idigits++) {
		whole = whole * 10 + (uint64_t)(*s - '0');
		if (whole > max_s)
			return -1;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, fdigits++) {
			if (fdigits == 9)
				return -1;
			frac += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
		if (fdigits == 0)
			return -1;
	}
	if (*s || idigits + fdigits == 0)
		return -1;
	if (whole == max_s && frac)
		return -1;
	*ns = whole * 1000000000ull + frac;
	return 0;
}

/* getopt_long's '?' (unknown option) or ':' (missing value) as one line */
static void getopt_error(int c, char **argv, char *err, size_t errlen)
{
	const char *what = c == '?' ? "unknown option" : "missing value for option";

	if (optopt > 0 && optopt < 0x100)
		snprintf(err, errlen, "%s '-%c'", what, optopt);
	else
		snprintf(err, errlen, "%s '%s'", what, argv[optind - 1]);
}

int opts_run(int argc, char **argv, const char *shortopts, const struct option *lo,
	     opts_take_fn take, void *st, const char *host_what, bool *help, char *err,
	     size_t errlen)
{
	int c;

	optind = 0;  /* GNU: full re-initialisation, so this can run twice */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		if (c == 'h') {
			*help = true;
			return 0;
		}
		if (c == '?' || c == ':') {
			getopt_error(c, argv, err, errlen);
			return -1;
		}
		if (take(st, c, optarg, err, errlen))
			return -1;
	}
	if (optind >= argc) {
		snprintf(err, errlen, "missing HOST (%s)", host_what);
		return -1;
	}
	if (optind != argc - 1) {
		snprintf(err, errlen, "unexpected argument '%s' after HOST", argv[argc - 1]);
		return -1;
	}
	return optind;
}
