/* twamp-keyagent-query: ask the key agent the way the TWAMP processes do
 * (common/keyagent_client.h), for operators checking a set-up and for the
 * system tests. The key itself is never printed, only its SHA-256.
 *
 *   twamp-keyagent-query [-s SOCKET] [-t MS] ping | spi SPIi SPIr | peer ADDRESS
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "keyagent_client.h"
#include "secure_mem.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: twamp-keyagent-query [-s SOCKET] [-t MS] ping | spi SPIi SPIr | peer ADDRESS\n"
		   "  SPIs as 16 hex digits each (as swanctl --list-sas prints them)\n");
}

static int parse_spi(const char *s, uint8_t spi[KA_SPI_LEN])
{
	if (strlen(s) != 2 * KA_SPI_LEN)
		return -1;
	for (int i = 0; i < KA_SPI_LEN; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
			return -1;
		spi[i] = (uint8_t)v;
	}
	return 0;
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void print_result(const struct ka_reply *r)
{
	uint8_t digest[32];
	unsigned dlen = 0;
	char a[64];

	printf("status=%s", ka_status_name(r->status));
	if (r->status == KA_OK && r->type != KA_PING) {
		EVP_Digest(r->key, r->key_len, digest, &dlen, EVP_sha256(), NULL);
		printf(" prf=%s key-len=%u key-sha256=", ka_prf_name(r->prf), r->key_len);
		print_hex(digest, dlen);
		printf(" spi=");
		print_hex(r->spi_i, KA_SPI_LEN);
		printf(":");
		print_hex(r->spi_r, KA_SPI_LEN);
		printf(" local=%s", ka_addr_format(&r->local, a, sizeof(a)));
		printf(" remote=%s", ka_addr_format(&r->remote, a, sizeof(a)));
		printf(" local-id=\"%s\" remote-id=\"%s\"", r->local_id, r->remote_id);
		wipe(digest, sizeof(digest));
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *sock = KA_AGENT_SOCKET;
	struct ka_request req = { 0 };
	struct ka_reply rep;
	int timeout = KA_TIMEOUT_MS, o;
	enum ka_status st;

	while ((o = getopt(argc, argv, "s:t:h")) != -1) {
		switch (o) {
		case 's': sock = optarg; break;
		case 't': timeout = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	argv += optind;
	argc -= optind;
	if (argc == 1 && strcmp(argv[0], "ping") == 0) {
		req.type = KA_PING;
	} else if (argc == 3 && strcmp(argv[0], "spi") == 0 && parse_spi(argv[1], req.spi_i) == 0 &&
		   parse_spi(argv[2], req.spi_r) == 0) {
		req.type = KA_LOOKUP_SPI;
	} else if (argc == 2 && strcmp(argv[0], "peer") == 0 && ka_addr_parse(&req.peer, argv[1]) == 0) {
		req.type = KA_LOOKUP_PEER;
	} else {
		usage(stderr);
		return 2;
	}
	st = ka_call(KA_LEG_AGENT, sock, &req, timeout, &rep);
	print_result(&rep);
	ka_reply_wipe(&rep);
	return st == KA_OK ? 0 : 1;
}
