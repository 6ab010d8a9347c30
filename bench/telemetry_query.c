/* twamp-telemetry-query: ask a DPDK process's telemetry socket (v2) a few
 * commands and print each JSON reply on its own line. A small C client so
 * that reading the reflector's counters in the middle of a benchmark costs
 * next to nothing on the CPUs being measured (dpdk-telemetry.py needs a
 * Python start-up).
 *
 *   twamp-telemetry-query /var/run/dpdk/PREFIX/dpdk_telemetry.v2 /twamp/workers [/twamp/stats ...]
 *
 * Protocol: connect (SOCK_SEQPACKET); the server sends a JSON greeting with
 * max_output_len; then each command string gets one JSON reply. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define TQ_BUF 65536        /* well above DPDK's RTE_TEL_MAX_SINGLE_STRING_LEN replies */
#define TQ_TIMEOUT_MS 5000
#define TQ_MAX_CMD 256

/* One message, bounded in time; NUL-terminated. Returns its length or -1. */
static ssize_t recv_msg(int fd, char *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, TQ_TIMEOUT_MS) != 1)
		return -1;
	n = recv(fd, buf, cap - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "twamp-telemetry-query: socket path too long\n");
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		fprintf(stderr, "twamp-telemetry-query: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static char buf[TQ_BUF];
	int fd, rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s TELEMETRY_SOCKET COMMAND...\n", argv[0]);
		return 2;
	}
	fd = connect_to(argv[1]);
	if (fd < 0)
		return 1;
	if (recv_msg(fd, buf, sizeof(buf)) < 0) {      /* the greeting */
		fprintf(stderr, "twamp-telemetry-query: no greeting\n");
		close(fd);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		size_t len = strlen(argv[i]);

		if (argv[i][0] != '/' || len > TQ_MAX_CMD ||
		    send(fd, argv[i], len, 0) != (ssize_t)len || recv_msg(fd, buf, sizeof(buf)) < 0) {
			fprintf(stderr, "twamp-telemetry-query: %s: no reply\n", argv[i]);
			rc = 1;
			break;
		}
		printf("%s\n", buf);
	}
	close(fd);
	return rc;
}
