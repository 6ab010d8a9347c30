/* twamp-loadgen command line: see lg_opts.h and usage(). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyfile.h"
#include "lg_opts.h"
#include "secure_mem.h"

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- [options]\n"
		"  --mode open|auth|enc     test packet security (default open)\n"
		"  --key-file FILE          96 hex digits: test AES key 16 octets, HMAC key 32 (auth, enc)\n"
		"  --size N                 UDP payload octets (default: the mode's minimum reflector size)\n"
		"  --src-ip A --dst-ip A    IPv4 addresses (default 10.99.100.1 -> 10.99.100.2)\n"
		"  --src-mac M              source MAC (default: the port's)\n"
		"  --dst-mac M              destination MAC (required)\n"
		"  --src-port P             first UDP source port (default 20000)\n"
		"  --dst-port P             reflector UDP port (default 862)\n"
		"  --flows N                source ports src-port .. src-port+N-1 (1..%d, default 1)\n"
		"  --duration S             measured seconds (default 5)\n"
		"  --warmup S               seconds before measuring (default 1)\n"
		"  --verify-every N         fully verify one reply in N (default 64)\n"
		"  --peer twamp|echo        what answers: a TWAMP reflector, or a MAC swapper (testpmd)\n"
		"  --port ID                DPDK port (default 0)\n"
		"  --link-wait S            wait this long for the link (default 10)\n"
		"  --linger S               after the results, stop polling and wait up to S s for the\n"
		"                           peer to take the link down before closing (default 0)\n"
		"  --json FILE              results as JSON (default stdout)\n",
		prog, LG_MAX_FLOWS);
}

/* Unsigned decimal in [lo, hi]. */
static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_mode(const char *s, enum tw_sec *sec)
{
	if (strcmp(s, "open") == 0)
		*sec = TW_SEC_OPEN;
	else if (strcmp(s, "auth") == 0)
		*sec = TW_SEC_AUTH;
	else if (strcmp(s, "enc") == 0)
		*sec = TW_SEC_ENC;
	else
		return -1;
	return 0;
}

static int parse_peer(const char *s, enum lg_peer *p)
{
	if (strcmp(s, "twamp") == 0)
		*p = LG_PEER_TWAMP;
	else if (strcmp(s, "echo") == 0)
		*p = LG_PEER_ECHO;
	else
		return -1;
	return 0;
}

static int read_keys(const char *path, struct lg_opts *o)
{
	char err[256];

	if (keyfile_read(path, geteuid(), &o->keys, err, sizeof(err)) != 0) {
		fprintf(stderr, "twamp-loadgen: key file %s: %s\n", path, err);
		return -1;
	}
	o->have_keys = true;
	return 0;
}

enum {
	O_MODE = 256, O_KEY, O_SIZE, O_SRC_IP, O_DST_IP, O_SRC_MAC, O_DST_MAC, O_SRC_PORT,
	O_DST_PORT, O_FLOWS, O_DURATION, O_WARMUP, O_VERIFY, O_PEER, O_PORT, O_LINK, O_LINGER, O_JSON,
};

static const struct option long_opts[] = {
	{ "mode", required_argument, NULL, O_MODE },
	{ "key-file", required_argument, NULL, O_KEY },
	{ "size", required_argument, NULL, O_SIZE },
	{ "src-ip", required_argument, NULL, O_SRC_IP },
	{ "dst-ip", required_argument, NULL, O_DST_IP },
	{ "src-mac", required_argument, NULL, O_SRC_MAC },
	{ "dst-mac", required_argument, NULL, O_DST_MAC },
	{ "src-port", required_argument, NULL, O_SRC_PORT },
	{ "dst-port", required_argument, NULL, O_DST_PORT },
	{ "flows", required_argument, NULL, O_FLOWS },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ "verify-every", required_argument, NULL, O_VERIFY },
	{ "peer", required_argument, NULL, O_PEER },
	{ "port", required_argument, NULL, O_PORT },
	{ "link-wait", required_argument, NULL, O_LINK },
	{ "linger", required_argument, NULL, O_LINGER },
	{ "json", required_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One option; returns 0 or -1 (message printed). */
static int apply(int c, const char *arg, struct lg_opts *o, uint32_t *size, bool *have_dst_mac)
{
	uint32_t v = 0;
	int rc = 0;

	switch (c) {
	case O_MODE: rc = parse_mode(arg, &o->sec); break;
	case O_KEY: return read_keys(arg, o);
	case O_SIZE: rc = parse_u32(arg, 1, LG_MAX_PAYLOAD, size); break;
	case O_SRC_IP: rc = inet_pton(AF_INET, arg, o->src_ip) == 1 ? 0 : -1; break;
	case O_DST_IP: rc = inet_pton(AF_INET, arg, o->dst_ip) == 1 ? 0 : -1; break;
	case O_SRC_MAC:
		rc = rte_ether_unformat_addr(arg, &o->src_mac);
		o->have_src_mac = true;
		break;
	case O_DST_MAC:
		rc = rte_ether_unformat_addr(arg, &o->dst_mac);
		*have_dst_mac = true;
		break;
	case O_SRC_PORT: rc = parse_u32(arg, 1, 65535, &v); o->src_port = (uint16_t)v; break;
	case O_DST_PORT: rc = parse_u32(arg, 1, 65535, &v); o->dst_port = (uint16_t)v; break;
	case O_FLOWS: rc = parse_u32(arg, 1, LG_MAX_FLOWS, &v); o->flows = (uint16_t)v; break;
	case O_DURATION: rc = parse_u32(arg, 1, LG_MAX_SECONDS, &o->duration_s); break;
	case O_WARMUP: rc = parse_u32(arg, 0, LG_MAX_SECONDS, &o->warmup_s); break;
	case O_VERIFY: rc = parse_u32(arg, 1, 1u << 20, &o->verify_every); break;
	case O_PEER: rc = parse_peer(arg, &o->peer); break;
	case O_PORT: rc = parse_u32(arg, 0, RTE_MAX_ETHPORTS - 1, &v); o->port_id = (uint16_t)v; break;
	case O_LINK: rc = parse_u32(arg, 0, 600, &o->link_wait_s); break;
	case O_LINGER: rc = parse_u32(arg, 0, 600, &o->linger_s); break;
	case O_JSON: o->json = arg; break;
	default: return -1;
	}
	if (rc != 0)
		fprintf(stderr, "twamp-loadgen: invalid value '%s'\n", arg);
	return rc;
}

static void defaults(struct lg_opts *o)
{
	static const uint8_t src[4] = { 10, 99, 100, 1 }, dst[4] = { 10, 99, 100, 2 };

	memset(o, 0, sizeof(*o));
	o->sec = TW_SEC_OPEN;
	o->peer = LG_PEER_TWAMP;
	memcpy(o->src_ip, src, 4);
	memcpy(o->dst_ip, dst, 4);
	o->src_port = 20000;
	o->dst_port = 862;
	o->flows = 1;
	o->duration_s = 5;
	o->warmup_s = 1;
	o->verify_every = 64;
	o->link_wait_s = 10;
}

/* Cross-option checks once everything is read. */
static int check(struct lg_opts *o, uint32_t size, bool have_dst_mac)
{
	const struct tw_layout *snd = tw_sender_layout(o->sec, false);
	const struct tw_layout *refl = tw_reflector_layout(o->sec);

	if (!have_dst_mac) {
		fprintf(stderr, "twamp-loadgen: --dst-mac is required\n");
		return -1;
	}
	if (o->sec != TW_SEC_OPEN && !o->have_keys) {
		fprintf(stderr, "twamp-loadgen: --mode auth/enc needs --key-file\n");
		return -1;
	}
	if (size == 0)
		size = refl->base_len;
	if (size < snd->base_len) {
		fprintf(stderr, "twamp-loadgen: --size %u is below the sender minimum %u\n", size,
			snd->base_len);
		return -1;
	}
	if ((uint32_t)o->src_port + o->flows - 1 > 65535) {
		fprintf(stderr, "twamp-loadgen: --src-port + --flows passes 65535\n");
		return -1;
	}
	o->size = (uint16_t)size;
	return 0;
}

int lg_opts_parse(int argc, char **argv, struct lg_opts *o)
{
	uint32_t size = 0;
	bool have_dst_mac = false;
	int c;

	defaults(o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (c == 'h' || apply(c, optarg, o, &size, &have_dst_mac) != 0)
			goto bad;
	}
	if (optind != argc) {
		fprintf(stderr, "twamp-loadgen: unexpected argument '%s'\n", argv[optind]);
		goto bad;
	}
	if (check(o, size, have_dst_mac) != 0)
		goto bad;
	return 0;
bad:
	usage(argv[0]);
	lg_opts_wipe(o);
	return -1;
}

void lg_opts_wipe(struct lg_opts *o)
{
	wipe(&o->keys, sizeof(o->keys));
	o->have_keys = false;
}
