/* `twamp-client light` command line: see light_opts.h. */
#include "light_opts.h"

#include <getopt.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"
#include "sender_pkt.h"

enum {
	OPT_SYMMETRICAL = 0x100,
	OPT_DSCP,
	OPT_JSON,
	OPT_SRC_PORT,
	OPT_FILL,
	OPT_SYNCED,
};

static const struct option long_opts[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "count", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'i' },
	{ "size", required_argument, NULL, 's' },
	{ "mode", required_argument, NULL, 'm' },
	{ "key-file", required_argument, NULL, 'k' },
	{ "timeout", required_argument, NULL, 't' },
	{ "source", required_argument, NULL, 'S' },
	{ "symmetrical", no_argument, NULL, OPT_SYMMETRICAL },
	{ "dscp", required_argument, NULL, OPT_DSCP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "src-port", required_argument, NULL, OPT_SRC_PORT },
	{ "fill", required_argument, NULL, OPT_FILL },
	{ "synced", no_argument, NULL, OPT_SYNCED },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void light_usage(FILE *f)
{
	fprintf(f,
		"usage: twamp-client light [options] HOST\n"
		"Send TWAMP Light test packets to the reflector at HOST (an IPv4 or IPv6\n"
		"address) and report delay, delay variation, loss, duplicates and reordering.\n"
		"\n"
		"  -p, --port N          reflector UDP port (default 862)\n"
		"  -c, --count N         packets to send, 1..10000000 (default 100)\n"
		"  -i, --interval SEC    time between packets, e.g. 0.001 (default 0.01);\n"
		"                        0 = as fast as the send window allows\n"
		"  -s, --size OCTETS     UDP payload of each packet, the mode's minimum\n"
		"                        (default) to 9000\n"
		"  -m, --mode MODE       open | auth | enc (default open)\n"
		"      --symmetrical     RFC 6038 symmetrical size sender packets\n"
		"  -k, --key-file PATH   auth/enc: 96 hex digits, AES key (16 octets) then\n"
		"                        HMAC key (32 octets); owned by you, mode 0600\n"
		"      --dscp N          DSCP 0..63 of the test packets\n"
		"  -t, --timeout SEC     wait for late replies after the last send (default 2)\n"
		"  -S, --source ADDR     local address to send from\n"
		"      --src-port N      local UDP port to send from\n"
		"      --fill zero|random  padding contents (default zero)\n"
		"      --synced          our clock is synchronised to UTC (sets the S bit)\n"
		"      --json            print one JSON object instead of the table\n"
		"  -h, --help            this text\n"
		"\n"
		"Exit status: 0 at least one valid reply, 1 none, 2 usage or configuration error.\n");
}

/* What is collected before the cross-option checks. */
struct pstate {
	struct light_opts *o;
	const char *src;
	unsigned long long src_port, port;
	bool size_given;
};

/* The accepted values of an option, for its error message. */
static const char *opt_hint(int c)
{
	switch (c) {
	case 'p':
		return "--port (1..65535)";
	case 'c':
		return "--count (1..10000000)";
	case 'i':
		return "--interval (seconds, up to 3600, e.g. 0.01)";
	case 't':
		return "--timeout (seconds, up to 3600)";
	case 's':
		return "--size (octets, up to 9000)";
	case 'm':
		return "--mode (open, auth or enc)";
	case OPT_DSCP:
		return "--dscp (0..63)";
	case OPT_SRC_PORT:
		return "--src-port (0..65535)";
	default:
		return "--fill (zero or random)";
	}
}

static int take_mode(const char *arg, enum tw_sec *sec)
{
	if (!strcmp(arg, "open"))
		*sec = TW_SEC_OPEN;
	else if (!strcmp(arg, "auth"))
		*sec = TW_SEC_AUTH;
	else if (!strcmp(arg, "enc"))
		*sec = TW_SEC_ENC;
	else
		return -1;
	return 0;
}

static int take_fill(const char *arg, bool *fill_random)
{
	if (strcmp(arg, "zero") && strcmp(arg, "random"))
		return -1;
	*fill_random = !strcmp(arg, "random");
	return 0;
}

/* Options that take a value; returns -1 on a bad one. */
static int take_value(struct pstate *ps, int c, const char *arg)
{
	struct light_cfg *cfg = &ps->o->cfg;
	unsigned long long v;

	switch (c) {
	case 'p':
		return opts_parse_uint(arg, 1, 65535, &ps->port);
	case 'c':
		if (opts_parse_uint(arg, 1, LIGHT_MAX_COUNT, &v))
			return -1;
		cfg->count = (uint32_t)v;
		return 0;
	case 'i':
		return opts_parse_seconds(arg, LIGHT_MAX_SECONDS, &cfg->interval_ns);
	case 't':
		return opts_parse_seconds(arg, LIGHT_MAX_SECONDS, &cfg->timeout_ns);
	case 's':
		if (opts_parse_uint(arg, 1, SPKT_MAX_SIZE, &v))
			return -1;
		cfg->size = (uint16_t)v;
		ps->size_given = true;
		return 0;
	case 'm':
		return take_mode(arg, &cfg->sec);
	case OPT_DSCP:
		if (opts_parse_uint(arg, 0, 63, &v))
			return -1;
		cfg->dscp = (int)v;
		return 0;
	case OPT_SRC_PORT:
		return opts_parse_uint(arg, 0, 65535, &ps->src_port);
	default: /* OPT_FILL */
		return take_fill(arg, &cfg->fill_random);
	}
}

/* One option; sets err and returns -1 on a bad value. */
static int take_opt(void *st, int c, const char *arg, char *err, size_t errlen)
{
	struct pstate *ps = st;
	struct light_opts *o = ps->o;

	switch (c) {
	case 'k':
		o->key_file = arg;
		return 0;
	case 'S':
		ps->src = arg;
		return 0;
	case OPT_SYMMETRICAL:
		o->cfg.symmetrical = true;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_SYNCED:
		o->cfg.synced = true;
		return 0;
	}
	if (take_value(ps, c, arg) == 0)
		return 0;
	snprintf(err, errlen, "invalid value '%s' for %s", arg, opt_hint(c));
	return -1;
}

static void defaults(struct light_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cfg.count = LIGHT_DEFAULT_COUNT;
	o->cfg.interval_ns = LIGHT_DEFAULT_INTERVAL_NS;
	o->cfg.timeout_ns = LIGHT_DEFAULT_TIMEOUT_NS;
	o->cfg.dscp = -1;
	o->cfg.sec = TW_SEC_OPEN;
}

static const char *mode_text(enum tw_sec sec)
{
	return sec == TW_SEC_OPEN ? "open mode" : sec == TW_SEC_AUTH ? "auth mode" : "enc mode";
}

/* Size and key file against the mode. */
static int check_mode(struct pstate *ps, char *err, size_t errlen)
{
	struct light_opts *o = ps->o;
	struct light_cfg *cfg = &o->cfg;
	uint16_t min = spkt_min_size(cfg->sec, cfg->symmetrical);

	if (!ps->size_given)
		cfg->size = min;
	if (cfg->size < min) {
		snprintf(err, errlen, "--size %u is below the %s%s minimum of %u octets", cfg->size,
			 mode_text(cfg->sec), cfg->symmetrical ? " symmetrical" : "", min);
		return -1;
	}
	if (cfg->sec != TW_SEC_OPEN && !o->key_file) {
		snprintf(err, errlen, "--mode auth and enc need --key-file");
		return -1;
	}
	if (cfg->sec == TW_SEC_OPEN && o->key_file) {
		snprintf(err, errlen, "--key-file is only used with --mode auth or enc");
		return -1;
	}
	return 0;
}

/* Destination, then the optional source address and port. */
static int check_addresses(struct pstate *ps, char *err, size_t errlen)
{
	struct light_opts *o = ps->o;
	struct light_cfg *cfg = &o->cfg;
	socklen_t len;

	if (addr_parse(o->host, (uint16_t)ps->port, &cfg->dst, &len, err, errlen) ||
	    addr_check_destination(&cfg->dst, err, errlen))
		return -1;
	if (ps->src) {
		if (addr_parse(ps->src, (uint16_t)ps->src_port, &cfg->src, &len, err, errlen))
			return -1;
		if (cfg->src.ss_family != cfg->dst.ss_family) {
			snprintf(err, errlen, "--source %s and HOST %s are not the same address family",
				 ps->src, o->host);
			return -1;
		}
		cfg->has_src = true;
	} else if (ps->src_port) {
		cfg->src.ss_family = cfg->dst.ss_family;  /* wildcard address */
		addr_set_port(&cfg->src, (uint16_t)ps->src_port);
		cfg->has_src = true;
	}
	return 0;
}

int light_opts_parse(int argc, char **argv, struct light_opts *o, char *err, size_t errlen)
{
	struct pstate ps = { .o = o, .port = LIGHT_DEFAULT_PORT };
	int host;

	defaults(o);
	host = opts_run(argc, argv, ":p:c:i:s:m:k:t:S:h", long_opts, take_opt, &ps,
			"an IPv4 or IPv6 address", &o->help, err, errlen);
	if (host <= 0)
		return host;
	o->host = argv[host];
	if (check_addresses(&ps, err, errlen) || check_mode(&ps, err, errlen))
		return -1;
	return 0;
}
