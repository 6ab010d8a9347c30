/* The session API client (control/ctl_dp_unix.c) against a scripted
 * SOCK_SEQPACKET server in a thread: FLUSH first on the first connection
 * only; a connection the dataplane closed while idle is replaced before
 * the next call; a request that finds the connection closed under it is
 * made once more on a new one; a dataplane that is gone is CTL_DP_DOWN. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_dp.h"

/* What the server does with each connection, in order. */
enum step { ANSWER, CLOSE_NOW, CLOSE_ON_REQUEST };

struct script {
	int lfd;
	const enum step *const *conns; /* per connection: steps, ending with CLOSE_NOW */
	int nconns;
	uint16_t ops[16];              /* the ops answered, in order */
	int nops;
	int accepted;
};

static void answer(int fd, const uint8_t *req, struct script *sc)
{
	struct twr_api_hdr h;
	uint8_t rep[sizeof(h) + sizeof(struct twr_api_reply) + sizeof(struct twr_api_info)];
	struct twr_api_reply rr = { 0 };
	size_t len = sizeof(h) + sizeof(rr);

	memcpy(&h, req, sizeof(h));
	memset(rep, 0, sizeof(rep));
	if (h.op == TWR_OP_INFO)
		len += sizeof(struct twr_api_info);
	sc->ops[sc->nops++] = h.op;
	h.len = (uint32_t)len;
	memcpy(rep, &h, sizeof(h));
	memcpy(rep + sizeof(h), &rr, sizeof(rr));
	send(fd, rep, len, MSG_NOSIGNAL);
}

static void *serve(void *arg)
{
	struct script *sc = arg;

	for (int c = 0; c < sc->nconns; c++) {
		int fd = accept(sc->lfd, NULL, NULL);

		if (fd < 0)
			break;
		sc->accepted++;
		for (const enum step *s = sc->conns[c]; *s != CLOSE_NOW; s++) {
			uint8_t req[TWR_API_MAX_MSG];

			if (recv(fd, req, sizeof(req), 0) <= 0)
				break;
			if (*s == CLOSE_ON_REQUEST)
				break; /* as the idle close racing a request: never read */
			answer(fd, req, sc);
		}
		close(fd);
	}
	return NULL;
}

static char path[108];

static int listen_on(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	snprintf(path, sizeof(path), "/tmp/twr-t-dpunix-%d.sock", (int)getpid());
	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int info(struct ctl_dp *dp)
{
	struct twr_api_info in;

	return dp->call(dp, TWR_OP_INFO, NULL, 0, &in, sizeof(in));
}

static void test_idle_close_then_reconnect(void **state)
{
	static const enum step first[] = { ANSWER, ANSWER, CLOSE_NOW };   /* FLUSH, INFO */
	static const enum step second[] = { ANSWER, CLOSE_ON_REQUEST, CLOSE_NOW };
	static const enum step third[] = { ANSWER, CLOSE_NOW };
	static const enum step *const conns[] = { first, second, third };
	struct script sc = { .conns = conns, .nconns = 3 };
	struct ctl_dp *dp;
	pthread_t t;

	(void)state;
	sc.lfd = listen_on();
	assert_int_equal(pthread_create(&t, NULL, serve, &sc), 0);
	dp = ctl_dp_unix_new(path, 1000);
	assert_int_equal(info(dp), TWR_API_OK);            /* connect, FLUSH, INFO */
	usleep(100 * 1000);                                 /* the server closes: idle */
	assert_int_equal(info(dp), TWR_API_OK);            /* seen closed: a new connection */
	assert_true(dp->reachable);
	/* the server reads this one and closes without answering: once more */
	assert_int_equal(info(dp), TWR_API_OK);
	pthread_join(t, NULL);
	assert_int_equal(sc.accepted, 3);
	assert_int_equal(sc.nops, 4);
	assert_int_equal(sc.ops[0], TWR_OP_FLUSH);          /* the first connection only */
	assert_int_equal(sc.ops[1], TWR_OP_INFO);
	assert_int_equal(sc.ops[2], TWR_OP_INFO);
	assert_int_equal(sc.ops[3], TWR_OP_INFO);
	/* and now nobody listens: down, and reachable says so */
	close(sc.lfd);
	unlink(path);
	assert_int_equal(info(dp), CTL_DP_DOWN);
	assert_false(dp->reachable);
	ctl_dp_free(dp);
}

static void test_no_retry_on_a_fresh_connection(void **state)
{
	/* a dataplane that closes every request unanswered: one new connection
	 * per call at most, no loop */
	static const enum step flush_then_close[] = { ANSWER, CLOSE_ON_REQUEST, CLOSE_NOW };
	static const enum step close_at_once[] = { CLOSE_ON_REQUEST, CLOSE_NOW };
	static const enum step *const conns[] = { flush_then_close, close_at_once };
	struct script sc = { .conns = conns, .nconns = 2 };
	struct ctl_dp *dp;
	pthread_t t;

	(void)state;
	sc.lfd = listen_on();
	assert_int_equal(pthread_create(&t, NULL, serve, &sc), 0);
	dp = ctl_dp_unix_new(path, 1000);
	/* fresh connection (FLUSH answered), INFO unanswered: no retry */
	assert_int_equal(info(dp), CTL_DP_DOWN);
	/* next call: a new connection (no FLUSH: done), unanswered again: down */
	assert_int_equal(info(dp), CTL_DP_DOWN);
	pthread_join(t, NULL);
	assert_int_equal(sc.accepted, 2);
	assert_int_equal(sc.nops, 1);
	assert_int_equal(sc.ops[0], TWR_OP_FLUSH);
	close(sc.lfd);
	unlink(path);
	ctl_dp_free(dp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_close_then_reconnect),
		cmocka_unit_test(test_no_retry_on_a_fresh_connection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
