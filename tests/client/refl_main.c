/* Test-only loopback reflector process for check_cli.py: the in-process
 * reflector of the end-to-end tests, run as a program.
 *
 *   client_test_reflector 4|6 open|auth|enc [96 hex digits of key]
 *
 * Listens on 127.0.0.1 or ::1, ephemeral port, prints the port on stdout,
 * and serves until stdin reaches end of file or 60 seconds pass. */
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "keyfile.h"
#include "loop_reflector.h"

#define MAX_LIFE_MS 60000

int main(int argc, char **argv)
{
	struct loop_refl r;
	struct tw_keys keys;
	char err[256];

	memset(&r, 0, sizeof(r));
	if (argc < 3 || (strcmp(argv[1], "4") && strcmp(argv[1], "6")))
		return 2;
	r.family = argv[1][0] == '4' ? AF_INET : AF_INET6;
	r.sec = !strcmp(argv[2], "auth") ? TW_SEC_AUTH : !strcmp(argv[2], "enc") ? TW_SEC_ENC : TW_SEC_OPEN;
	if (r.sec != TW_SEC_OPEN) {
		if (argc < 4 || keyfile_parse(argv[3], strlen(argv[3]), &keys, err, sizeof(err))) {
			fprintf(stderr, "client_test_reflector: key: %s\n", argc < 4 ? "missing" : err);
			return 2;
		}
		r.keys = &keys;
	}
	if (loop_refl_start(&r)) {
		fprintf(stderr, "client_test_reflector: cannot start\n");
		return 1;
	}
	printf("%u\n", addr_port(&r.addr));
	fflush(stdout);
	for (int waited = 0; waited < MAX_LIFE_MS; waited += 100) {
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		char c;

		if (poll(&pfd, 1, 100) > 0 && read(0, &c, 1) <= 0)
			break;
	}
	loop_refl_stop(&r);
	return 0;
}
