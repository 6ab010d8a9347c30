/* Command line of `twamp-client twamp [options] HOST[:PORT]`: parsing and
 * validation. No I/O: the name is resolved and the secret read by
 * twamp_run.
 */
#ifndef TWCLI_TWAMP_OPTS_H
#define TWCLI_TWAMP_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tw_pkt.h"

#define TWAMP_DEFAULT_PORT 862
#define TWAMP_DEFAULT_MAX_COUNT_EXP 20
#define TWAMP_DEFAULT_CONTROL_TIMEOUT_NS 10000000000ull  /* 10 s */
#define TWAMP_HOST_MAX 255

struct twamp_opts {
	char host[TWAMP_HOST_MAX + 1]; /* name or address literal, no brackets */
	uint16_t port;                 /* TWAMP-Control TCP port */
	uint32_t security;             /* TWC_MODE_UNAUTH / AUTH / ENC / MIXED */
	const char *key_id;            /* secured modes */
	const char *secret_file;       /* NULL: prompt on the terminal */
	bool ikev2;                    /* RFC 7717: the secret from the IKE SA */
	const char *keyagent_socket;   /*   through this key agent socket */
	unsigned max_count_exp;
	uint64_t control_timeout_ns;
	unsigned sessions;
	uint32_t count;
	uint64_t interval_ns;
	uint64_t timeout_ns;           /* late replies, and Request Timeout */
	uint16_t size;                 /* UDP payload of each sender packet */
	int dscp;                      /* -1: system default, Type-P 0 */
	uint16_t sender_port;          /* first session's; 0 = ephemeral */
	uint16_t receiver_port;        /* 0 = the server chooses */
	const char *receiver_arg;      /* --receiver-address as given, or NULL */
	int receiver_family;           /*   AF_INET / AF_INET6; 0 = none: the server's */
	uint8_t receiver_addr[16];     /*   the address (IPv4 in the first 4 octets) */
	bool reflect_octets;           /* RFC 6038 */
	uint16_t reflect_len;          /*   Length of Padding to Reflect */
	bool symmetrical;              /* RFC 6038 */
	bool individual;               /* RFC 5938 */
	bool fill_random;
	bool synced;
	bool json;
	bool help;
};

/* argv[0] is the command name ("twamp"). Returns 0, or -1 with one line of
 * reason in err. */
int twamp_opts_parse(int argc, char **argv, struct twamp_opts *o, char *err, size_t errlen);

void twamp_usage(FILE *f);

/* HOST[:PORT] with IPv6 literals bare ("fd00::1") or bracketed
 * ("[fd00::1]:862"). Returns 0, or -1 with a reason in err. */
int twamp_parse_hostport(const char *arg, char *host, size_t hostlen, uint16_t *port,
			 char *err, size_t errlen);

/* Security of the test packets for a control mode: mixed tests in the open. */
enum tw_sec twamp_test_sec(uint32_t security);

/* Padding Length of the requests: --size less the sender header. */
uint32_t twamp_padding_len(const struct twamp_opts *o);

#endif
