/* Unix socket peers (common/peer_cred.h): what the kernel reports for a
 * socket pair, and the admission rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "peer_cred.h"

static void test_get(void **state)
{
	struct twr_peer p;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(twr_peer_get(sv[0], &p), 0);
	assert_int_equal(p.pid, getpid());
	assert_int_equal(p.uid, geteuid());
	assert_int_equal(p.gid, getegid());
	assert_false(p.groups_truncated);
	assert_int_equal(p.ngroups, (size_t)getgroups(0, NULL));
	close(sv[0]);
	close(sv[1]);
	/* not a socket */
	assert_int_equal(twr_peer_get(-1, &p), -1);
}

static void test_permitted(void **state)
{
	struct twr_peer p = { .pid = 1, .uid = 0, .gid = 0 };

	(void)state;
	assert_true(twr_peer_permitted(&p, 991, (gid_t)-1));          /* root */
	p.uid = 991;
	p.gid = 991;
	assert_true(twr_peer_permitted(&p, 991, (gid_t)-1));          /* the daemon itself */
	p.uid = 1000;
	p.gid = 1000;
	assert_false(twr_peer_permitted(&p, 991, (gid_t)-1));         /* no group admitted */
	assert_false(twr_peer_permitted(&p, 991, 990));
	p.gid = 990;                                                   /* primary group */
	assert_true(twr_peer_permitted(&p, 991, 990));
	p.gid = 1000;
	p.ngroups = 3;                                                 /* supplementary */
	p.groups[0] = 1000;
	p.groups[1] = 27;
	p.groups[2] = 990;
	assert_true(twr_peer_permitted(&p, 991, 990));
	p.ngroups = 2;
	assert_false(twr_peer_permitted(&p, 991, 990));
	/* a group id that happens to equal the daemon's uid is not the uid */
	assert_false(twr_peer_permitted(&p, 27, 990));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_permitted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
