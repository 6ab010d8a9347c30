/* A TWAMP Light reflector on a loopback UDP socket, in a thread of the test
 * process, built from common's tw_build_reply/tw_protect. It lets the
 * sender loop run end to end without any outside process, and can
 * misbehave on purpose to exercise the sender's checks.
 */
#ifndef LOOP_REFLECTOR_H
#define LOOP_REFLECTOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tw_crypto.h"
#include "tw_pkt.h"
#include "tw_socket.h"

enum refl_behaviour {
	REFL_NORMAL,
	REFL_DUPLICATE,   /* every reply but the last sequence number twice */
	REFL_SWAP_PAIRS,  /* reply to 2k after 2k+1 */
	REFL_MIXED,       /* by seq % 4: 0 normal, 1 HMAC corrupted (auth/enc
			   * only), 2 Sender Timestamp altered, 3 sent from
			   * another UDP port */
};

struct loop_refl {
	/* set by the caller */
	int family;                    /* AF_INET or AF_INET6 */
	enum tw_sec sec;
	bool symmetrical;
	const struct tw_keys *keys;
	enum refl_behaviour behaviour;
	uint32_t last_seq;             /* REFL_DUPLICATE: no duplicate for it */
	bool synced;                   /* S bit in the reflector's estimates */
	/* filled in */
	struct sockaddr_storage addr;  /* where it listens (ephemeral port) */
	struct tsock sock, other;
	pthread_t thread;
	atomic_bool stop;
	atomic_uint reflected;         /* replies sent */
	atomic_uint dropped;           /* requests that failed verification */
};

/* Returns 0, or -1 (socket or thread failure). */
int loop_refl_start(struct loop_refl *r);
void loop_refl_stop(struct loop_refl *r);

#endif
