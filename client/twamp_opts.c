/* `twamp-client twamp` command line: see twamp_opts.h. */
#include "twamp_opts.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <string.h>
#include <sys/socket.h>

#include "control_msg.h"
#include "ctl_client.h"
#include "kdf.h"
#include "keyagent_client.h"
#include "light_opts.h"
#include "sender_pkt.h"

enum {
	OPT_KEY_ID = 0x100,
	OPT_SECRET_FILE,
	OPT_MAX_COUNT_EXP,
	OPT_CONTROL_TIMEOUT,
	OPT_DSCP,
	OPT_SENDER_PORT,
	OPT_RECEIVER_PORT,
	OPT_RECEIVER_ADDRESS,
	OPT_REFLECT_OCTETS,
	OPT_SYMMETRICAL,
	OPT_INDIVIDUAL,
	OPT_FILL,
	OPT_SYNCED,
	OPT_JSON,
	OPT_IKEV2,
	OPT_KEYAGENT_SOCKET,
};

static const struct option long_opts[] = {
	{ "mode", required_argument, NULL, 'm' },
	{ "key-id", required_argument, NULL, OPT_KEY_ID },
	{ "secret-file", required_argument, NULL, OPT_SECRET_FILE },
	{ "ikev2", no_argument, NULL, OPT_IKEV2 },
	{ "keyagent-socket", required_argument, NULL, OPT_KEYAGENT_SOCKET },
	{ "max-count-exponent", required_argument, NULL, OPT_MAX_COUNT_EXP },
	{ "control-timeout", required_argument, NULL, OPT_CONTROL_TIMEOUT },
	{ "sessions", required_argument, NULL, 'n' },
	{ "count", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'i' },
	{ "size", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 't' },
	{ "dscp", required_argument, NULL, OPT_DSCP },
	{ "sender-port", required_argument, NULL, OPT_SENDER_PORT },
	{ "receiver-port", required_argument, NULL, OPT_RECEIVER_PORT },
	{ "receiver-address", required_argument, NULL, OPT_RECEIVER_ADDRESS },
	{ "reflect-octets", required_argument, NULL, OPT_REFLECT_OCTETS },
	{ "symmetrical", no_argument, NULL, OPT_SYMMETRICAL },
	{ "individual", no_argument, NULL, OPT_INDIVIDUAL },
	{ "fill", required_argument, NULL, OPT_FILL },
	{ "synced", no_argument, NULL, OPT_SYNCED },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void twamp_usage(FILE *f)
{
	fprintf(f,
		"usage: twamp-client twamp [options] HOST[:PORT]\n"
		"Set up TWAMP test sessions with the TWAMP-Control server at HOST (a name,\n"
		"an IPv4 or IPv6 address; [v6]:PORT with a port; TCP port 862 by default),\n"
		"run them and report delay, delay variation, loss, duplicates, reordering.\n"
		"\n"
		"  -m, --mode MODE          open | auth | enc | mixed (default open)\n"
		"      --key-id NAME        KeyID of the shared secret (auth, enc, mixed)\n"
		"      --secret-file FILE   the shared secret (passphrase); owned by you,\n"
		"                           mode 0600, not a link; without it the\n"
		"                           passphrase is asked on the terminal\n"
		"      --ikev2              RFC 7717: instead of KeyID and secret, use the\n"
		"                           key of the IKEv2 SA with the server (auth, enc,\n"
		"                           mixed), from the key agent twamp-keyagent\n"
		"      --keyagent-socket PATH  the key agent's socket\n"
		"                           (default %s)\n"
		"      --max-count-exponent N  refuse a PBKDF2 Count above 2^N, 10..30\n"
		"                           (default 20)\n"
		"      --control-timeout SEC   connect and answer timeout (default 10)\n"
		"  -n, --sessions N         test sessions, 1..%u, run at once (default 1)\n"
		"  -c, --count N            packets per session, 1..10000000 (default 100)\n"
		"  -i, --interval SEC       time between packets (default 0.01); 0 = as\n"
		"                           fast as the send window allows\n"
		"  -s, --size OCTETS        UDP payload of each packet, the mode's minimum\n"
		"                           (default) to 9000\n"
		"  -t, --timeout SEC        wait for late replies after the last send, and\n"
		"                           the reflector's Timeout after Stop (default 2)\n"
		"      --dscp N             DSCP 0..63 of the test packets (Type-P)\n"
		"      --sender-port N      UDP port of session 1 (then N+1, ...);\n"
		"                           default ephemeral\n"
		"      --receiver-port N    reflector UDP port to ask for; 0 (default) lets\n"
		"                           the server choose\n"
		"      --receiver-address ADDR  the reflector's test address (an IPv4 or\n"
		"                           IPv6 literal of the control connection's\n"
		"                           family): the Receiver Address of each\n"
		"                           request and where the test packets go\n"
		"                           (default: the server's address)\n"
		"      --reflect-octets N   RFC 6038: reflector copies N octets of padding\n"
		"      --symmetrical        RFC 6038 symmetrical size sender packets\n"
		"      --individual         RFC 5938 Start-N-Sessions / Stop-N-Sessions\n"
		"      --fill zero|random   padding contents (default zero)\n"
		"      --synced             our clock is synchronised to UTC (S bit)\n"
		"      --json               print one JSON object instead of the tables\n"
		"  -h, --help               this text\n"
		"\n"
		"Exit status: 0 every session had a valid reply, 1 a session had none,\n"
		"2 usage or configuration error, 3 TWAMP-Control failure (no connection,\n"
		"refused by the server, protocol error, no IKEv2 SA).\n",
		KA_AGENT_SOCKET, CTL_MAX_SESSIONS);
}

enum tw_sec twamp_test_sec(uint32_t security)
{
	if (security == TWC_MODE_AUTH)
		return TW_SEC_AUTH;
	if (security == TWC_MODE_ENC)
		return TW_SEC_ENC;
	return TW_SEC_OPEN;
}

uint32_t twamp_padding_len(const struct twamp_opts *o)
{
	return (uint32_t)o->size - spkt_min_size(twamp_test_sec(o->security), o->symmetrical);
}

/* ---- HOST[:PORT] ----------------------------------------------------- */

static int take_port(const char *s, uint16_t *port, char *err, size_t errlen)
{
	unsigned long long v;

	if (opts_parse_uint(s, 1, 65535, &v)) {
		snprintf(err, errlen, "invalid TCP port '%s' (1..65535)", s);
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

static int copy_host(const char *s, size_t n, char *host, size_t hostlen, char *err,
		     size_t errlen)
{
	if (n == 0 || n >= hostlen) {
		snprintf(err, errlen, "HOST must have 1 to %zu characters", hostlen - 1);
		return -1;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

int twamp_parse_hostport(const char *arg, char *host, size_t hostlen, uint16_t *port,
			 char *err, size_t errlen)
{
	const char *colon = strchr(arg, ':');

	*port = TWAMP_DEFAULT_PORT;
	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');

		if (!end || (end[1] && end[1] != ':') || (end[1] == ':' && !end[2])) {
			snprintf(err, errlen, "'%s': expected [IPv6-address] or [IPv6-address]:PORT", arg);
			return -1;
		}
		if (copy_host(arg + 1, (size_t)(end - arg - 1), host, hostlen, err, errlen))
			return -1;
		return end[1] ? take_port(end + 2, port, err, errlen) : 0;
	}
	if (colon && !strchr(colon + 1, ':')) {   /* exactly one colon: HOST:PORT */
		if (copy_host(arg, (size_t)(colon - arg), host, hostlen, err, errlen))
			return -1;
		return take_port(colon + 1, port, err, errlen);
	}
	return copy_host(arg, strlen(arg), host, hostlen, err, errlen);
}

/* ---- options --------------------------------------------------------- */

static const char *opt_hint(int c)
{
	switch (c) {
	case 'm':
		return "--mode (open, auth, enc or mixed)";
	case 'n':
		return "--sessions (1..16)";
	case 'c':
		return "--count (1..10000000)";
	case 'i':
		return "--interval (seconds, up to 3600, e.g. 0.01)";
	case 't':
		return "--timeout (seconds, up to 3600)";
	case 's':
		return "--size (octets, up to 9000)";
	case OPT_MAX_COUNT_EXP:
		return "--max-count-exponent (10..30)";
	case OPT_CONTROL_TIMEOUT:
		return "--control-timeout (seconds, more than 0, up to 3600)";
	case OPT_DSCP:
		return "--dscp (0..63)";
	case OPT_SENDER_PORT:
		return "--sender-port (0..65535)";
	case OPT_RECEIVER_PORT:
		return "--receiver-port (0..65535)";
	case OPT_REFLECT_OCTETS:
		return "--reflect-octets (1..9000)";
	case OPT_RECEIVER_ADDRESS:
		return "--receiver-address (an IPv4 or IPv6 address, not unspecified or "
		       "multicast)";
	default:
		return "--fill (zero or random)";
	}
}

static int take_mode(const char *arg, uint32_t *security)
{
	static const uint32_t modes[] = { TWC_MODE_UNAUTH, TWC_MODE_AUTH, TWC_MODE_ENC, TWC_MODE_MIXED };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(arg, ctl_security_name(modes[i]))) {
			*security = modes[i];
			return 0;
		}
	}
	return -1;
}

/* --receiver-address: a unicast IPv4 or IPv6 literal (no zone: the test
 * address is the reflector's, a global one). */
static int take_receiver(const char *arg, struct twamp_opts *o)
{
	static const uint8_t zero[16];
	uint8_t *a = o->receiver_addr;

	memset(a, 0, 16);
	if (inet_pton(AF_INET, arg, a) == 1) {
		o->receiver_family = AF_INET;
		if (a[0] == 0 || (a[0] & 0xf0) == 0xe0 || !memcmp(a, "\xff\xff\xff\xff", 4))
			return -1;
	} else if (inet_pton(AF_INET6, arg, a) == 1) {
		o->receiver_family = AF_INET6;
		if (!memcmp(a, zero, 16) || a[0] == 0xff)
			return -1;
	} else {
		return -1;
	}
	o->receiver_arg = arg;
	return 0;
}

/* An unsigned option into *out (of width max). */
static int take_uint(const char *arg, unsigned long long min, unsigned long long max, void *out,
		     size_t width)
{
	unsigned long long v;

	if (opts_parse_uint(arg, min, max, &v))
		return -1;
	if (width == sizeof(uint16_t))
		*(uint16_t *)out = (uint16_t)v;
	else
		*(uint32_t *)out = (uint32_t)v;
	return 0;
}

struct pstate {
	struct twamp_opts *o;
	bool size_given;
	bool socket_given;
	unsigned long long dscp;
};

static int take_value(struct pstate *ps, int c, const char *arg)
{
	struct twamp_opts *o = ps->o;

	switch (c) {
	case 'm':
		return take_mode(arg, &o->security);
	case 'n':
		return take_uint(arg, 1, CTL_MAX_SESSIONS, &o->sessions, sizeof(o->sessions));
	case 'c':
		return take_uint(arg, 1, LIGHT_MAX_COUNT, &o->count, sizeof(o->count));
	case 'i':
		return opts_parse_seconds(arg, LIGHT_MAX_SECONDS, &o->interval_ns);
	case 't':
		return opts_parse_seconds(arg, LIGHT_MAX_SECONDS, &o->timeout_ns);
	case 's':
		ps->size_given = true;
		return take_uint(arg, 1, SPKT_MAX_SIZE, &o->size, sizeof(o->size));
	case OPT_MAX_COUNT_EXP:
		return take_uint(arg, 10, TW_COUNT_MAX_EXP, &o->max_count_exp, sizeof(o->max_count_exp));
	case OPT_CONTROL_TIMEOUT:
		return opts_parse_seconds(arg, LIGHT_MAX_SECONDS, &o->control_timeout_ns) ||
		       o->control_timeout_ns == 0 ? -1 : 0;
	case OPT_DSCP:
		if (opts_parse_uint(arg, 0, 63, &ps->dscp))
			return -1;
		o->dscp = (int)ps->dscp;
		return 0;
	case OPT_SENDER_PORT:
		return take_uint(arg, 0, 65535, &o->sender_port, sizeof(o->sender_port));
	case OPT_RECEIVER_PORT:
		return take_uint(arg, 0, 65535, &o->receiver_port, sizeof(o->receiver_port));
	case OPT_RECEIVER_ADDRESS:
		return take_receiver(arg, o);
	case OPT_REFLECT_OCTETS:
		o->reflect_octets = true;
		return take_uint(arg, 1, SPKT_MAX_SIZE, &o->reflect_len, sizeof(o->reflect_len));
	case OPT_FILL:
		if (strcmp(arg, "zero") && strcmp(arg, "random"))
			return -1;
		o->fill_random = !strcmp(arg, "random");
		return 0;
	default:
		return -1;
	}
}

static int take_opt(void *st, int c, const char *arg, char *err, size_t errlen)
{
	struct pstate *ps = st;
	struct twamp_opts *o = ps->o;

	switch (c) {
	case OPT_KEY_ID:
		o->key_id = arg;
		return 0;
	case OPT_SECRET_FILE:
		o->secret_file = arg;
		return 0;
	case OPT_IKEV2:
		o->ikev2 = true;
		return 0;
	case OPT_KEYAGENT_SOCKET:
		o->keyagent_socket = arg;
		ps->socket_given = true;
		return 0;
	case OPT_SYMMETRICAL:
		o->symmetrical = true;
		return 0;
	case OPT_INDIVIDUAL:
		o->individual = true;
		return 0;
	case OPT_SYNCED:
		o->synced = true;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	}
	if (take_value(ps, c, arg) == 0)
		return 0;
	snprintf(err, errlen, "invalid value '%s' for %s", arg, opt_hint(c));
	return -1;
}

static void defaults(struct twamp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = TWAMP_DEFAULT_PORT;
	o->security = TWC_MODE_UNAUTH;
	o->max_count_exp = TWAMP_DEFAULT_MAX_COUNT_EXP;
	o->control_timeout_ns = TWAMP_DEFAULT_CONTROL_TIMEOUT_NS;
	o->sessions = 1;
	o->count = LIGHT_DEFAULT_COUNT;
	o->interval_ns = LIGHT_DEFAULT_INTERVAL_NS;
	o->timeout_ns = LIGHT_DEFAULT_TIMEOUT_NS;
	o->dscp = -1;
	o->keyagent_socket = KA_AGENT_SOCKET;
}

/* --ikev2: a secured mode, the key agent's socket, no KeyID or secret. */
static int check_ikev2(const struct pstate *ps, char *err, size_t errlen)
{
	const struct twamp_opts *o = ps->o;
	const char *sock = o->keyagent_socket;

	if (!o->ikev2) {
		if (ps->socket_given) {
			snprintf(err, errlen, "--keyagent-socket is only used with --ikev2");
			return -1;
		}
		return 0;
	}
	if (o->security == TWC_MODE_UNAUTH) {
		snprintf(err, errlen, "--ikev2 needs --mode auth, enc or mixed");
		return -1;
	}
	if (o->key_id || o->secret_file) {
		snprintf(err, errlen, "--key-id and --secret-file are not used with --ikev2 (the KeyID "
			 "carries the IKE SA's SPIs, the secret is the SA's key)");
		return -1;
	}
	if (sock[0] != '/' || strlen(sock) >= 108) {
		snprintf(err, errlen, "--keyagent-socket must be an absolute path of at most 107 "
			 "octets");
		return -1;
	}
	return 0;
}

/* KeyID and secret against the mode. */
static int check_keys(const struct twamp_opts *o, char *err, size_t errlen)
{
	const char *mode = ctl_security_name(o->security);

	if (o->ikev2)
		return 0;
	if (o->security == TWC_MODE_UNAUTH) {
		if (o->key_id || o->secret_file) {
			snprintf(err, errlen, "--key-id and --secret-file are only used with --mode auth, "
				 "enc or mixed");
			return -1;
		}
		return 0;
	}
	if (!o->key_id) {
		snprintf(err, errlen, "--mode %s needs --key-id", mode);
		return -1;
	}
	if (o->key_id[0] == '\0' || strlen(o->key_id) > TWC_KEYID_LEN) {
		snprintf(err, errlen, "--key-id must have 1 to %d octets", TWC_KEYID_LEN);
		return -1;
	}
	return 0;
}

/* Size, ports and RFC 6038 options against each other. */
static int check_test(struct pstate *ps, char *err, size_t errlen)
{
	struct twamp_opts *o = ps->o;
	enum tw_sec sec = twamp_test_sec(o->security);
	uint16_t min = spkt_min_size(sec, o->symmetrical);

	if (!ps->size_given)
		o->size = min;
	if (o->size < min) {
		snprintf(err, errlen, "--size %u is below the minimum of %u octets for %s mode%s",
			 o->size, min, ctl_security_name(o->security),
			 o->symmetrical ? " with --symmetrical" : "");
		return -1;
	}
	if (o->reflect_octets && o->reflect_len > twamp_padding_len(o)) {
		snprintf(err, errlen, "--reflect-octets %u exceeds the %u octets of padding that "
			 "--size %u leaves", o->reflect_len, twamp_padding_len(o), o->size);
		return -1;
	}
	if (o->sender_port && (unsigned)o->sender_port + o->sessions - 1 > 65535) {
		snprintf(err, errlen, "--sender-port %u leaves no room for %u sessions", o->sender_port,
			 o->sessions);
		return -1;
	}
	return 0;
}

/* --receiver-address against a HOST that is an address literal (a name's
 * family is known once connected: twamp_run checks it then). */
static int check_receiver(const struct twamp_opts *o, char *err, size_t errlen)
{
	uint8_t buf[16];
	int host_family = inet_pton(AF_INET, o->host, buf) == 1    ? AF_INET
			  : inet_pton(AF_INET6, o->host, buf) == 1 ? AF_INET6
								   : 0;

	if (!o->receiver_family || !host_family || host_family == o->receiver_family)
		return 0;
	snprintf(err, errlen, "--receiver-address %s is %s but the server %s is %s: the test "
		 "address must be of the control connection's family", o->receiver_arg,
		 o->receiver_family == AF_INET ? "IPv4" : "IPv6", o->host,
		 host_family == AF_INET ? "IPv4" : "IPv6");
	return -1;
}

int twamp_opts_parse(int argc, char **argv, struct twamp_opts *o, char *err, size_t errlen)
{
	struct pstate ps = { .o = o };
	int host;

	defaults(o);
	host = opts_run(argc, argv, ":m:n:c:i:s:t:h", long_opts, take_opt, &ps,
			"a name or an IPv4 or IPv6 address, optionally :PORT", &o->help, err,
			errlen);
	if (host <= 0)
		return host;
	if (twamp_parse_hostport(argv[host], o->host, sizeof(o->host), &o->port, err, errlen) ||
	    check_ikev2(&ps, err, errlen) || check_keys(o, err, errlen) ||
	    check_test(&ps, err, errlen) || check_receiver(o, err, errlen))
		return -1;
	return 0;
}
