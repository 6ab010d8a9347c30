/* TWAMP-Test sessions installed through the session API.
 *
 * Workers look sessions up by 5-tuple in an rte_hash with lock-free readers;
 * only the main lcore adds and deletes. A deleted session's slot is
 * reclaimed through RCU (QSBR): workers report a quiescent state once per
 * loop, so a slot is reused only when no worker can still hold it. Keys are
 * wiped when the slot is reclaimed.
 *
 * The expanded keys are not in the slots (DPDK memory: hugepages, or with
 * --no-huge anonymous memory that a core dump holds) but in a table of their
 * own from secmem_alloc (common/secmem.h): pages marked MADV_DONTDUMP,
 * wiped when freed. A slot points at its entry. */
#ifndef TWR_DP_SESSIONS_H
#define TWR_DP_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "counters.h"
#include "crypto_mb.h"
#include "net_parse.h"
#include "session_api.h"
#include "tw_pkt.h"

/* Lookup key: the flow as seen in a received test packet. */
struct sess_key {
	uint8_t local[16];  /* reflector address (packet destination) */
	uint8_t peer[16];   /* sender address (packet source) */
	uint16_t local_port;
	uint16_t peer_port;
	uint8_t ipver;
	uint8_t pad[3];
};

struct dp_session {
	struct sess_key key;
	uint8_t sid[16];
	uint8_t sec;                 /* enum tw_sec */
	uint8_t flags;               /* TWR_SF_* */
	int8_t dscp;                 /* -1 reflect */
	volatile uint8_t state;      /* enum twr_session_state */
	bool in_use;
	uint16_t reflect_len;
	uint32_t timeout_ms;
	uint32_t refwait_s;
	uint64_t stop_deadline_tsc;  /* STOPPING: remove after this */
	uint64_t started_tsc;
	const struct tw_layout *snd_l;
	const struct tw_layout *refl_l;
	const struct mb_keys *keys;  /* dp_sess.keys[slot] */
};

struct dp_sessions {
	struct rte_hash *by_tuple;   /* sess_key -> struct dp_session * (lock-free readers) */
	struct rte_hash *by_sid;     /* sid -> slot, main lcore only */
	struct rte_rcu_qsbr *rcu;
	struct dp_session *slots;
	struct mb_keys *keys;        /* [max], secmem: out of core dumps */
	uint32_t *free_list;
	uint32_t nfree;
	uint32_t max;
	uint32_t count;
	unsigned nworkers;
	struct dp_scounters *ctr[32]; /* [worker][slot] */
	uint16_t *port_refs;         /* [65536] sessions per local UDP port: "is a test port" */
	IMB_MGR *mb;                 /* main lcore's manager, for key expansion */
};

extern struct dp_sessions dp_sess;

int sessions_init(uint32_t max, unsigned nworkers, char *err, size_t errlen);
void sessions_fini(void);

/* Session API operations (main lcore). Return enum twr_api_status. */
int sessions_add(const struct twr_api_session *s);
int sessions_start(const uint8_t sid[16]);
int sessions_stop(const uint8_t sid[16]);
int sessions_remove(const uint8_t sid[16]);
int sessions_counters(const uint8_t sid[16], struct twr_api_counters *out);
unsigned sessions_flush(void);
/* Expire STOPPING sessions past their deadline and started sessions silent
 * for their REFWAIT. Called by the main lcore every few milliseconds. */
void sessions_expire(uint64_t now_tsc);

/* Sum of a slot's per-worker counters. */
void sessions_sum(uint32_t slot, struct dp_scounters *out);

/* The installed session a packet belongs to (by its 5-tuple), or NULL.
 * Workers, lock-free. */
struct dp_session *session_lookup(const struct np_info *in);

static inline uint32_t sessions_slot(const struct dp_session *s)
{
	return (uint32_t)(s - dp_sess.slots);
}

#endif
