/* TWAMP Light reflectors from the configuration (RFC 5357 Appendix I).
 * A 64 Ki table maps a UDP port to its reflector; senders are checked
 * against the allowed prefixes; stateful reflectors keep a per-sender
 * sequence counter in a per-worker table (RSS keeps a flow on one worker,
 * so no lock is needed). */
#ifndef TWR_DP_LIGHT_H
#define TWR_DP_LIGHT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>

#include "crypto_mb.h"
#include "dp_config.h"

struct dp_light {
	const struct dp_light_cfg *cfg;
	/* what the fast path reads of cfg, beside the layouts, so that a packet
	 * costs no extra pointer chase into the configuration */
	uint8_t sec;                 /* enum tw_sec */
	int8_t dscp;                 /* -1: reflect */
	bool stateless;
	bool any_sender;             /* no allowed-sender prefixes */
	const struct tw_layout *snd_l;
	const struct tw_layout *refl_l;
	const struct mb_keys *keys;  /* dp_light.keys[i] */
	uint64_t refwait_tsc;
};

struct dp_light_table {
	uint8_t by_port[65536];      /* 0 = none, else index + 1 */
	unsigned n;
	unsigned nstateful;          /* workers sweep their sender tables only if > 0 */
	struct dp_light l[DP_MAX_LIGHT];
	/* the expanded keys, from secmem_alloc: out of core dumps (sessions.h) */
	struct mb_keys *keys;        /* [DP_MAX_LIGHT] */
};

extern struct dp_light_table dp_light;

/* Per-worker state of stateful reflectors. */
struct light_state_key {
	uint8_t addr[16];
	uint16_t port;
	uint8_t ipver;
	uint8_t light;
};

struct light_state {
	uint64_t last_tsc;
	uint32_t seq;
	/* the list of entries by last packet, by hash position: a full table
	 * gives way oldest first (LIGHT_NIL at the ends) */
	uint32_t older, newer;
};

#define LIGHT_NIL UINT32_MAX

struct light_worker_state {
	struct rte_hash *h;
	struct light_state *ent;     /* indexed by hash position */
	uint32_t sweep_next;
	uint32_t oldest, newest;     /* LIGHT_NIL: empty */
	uint32_t count;              /* entries in h */
};

/* Senders held per worker; the hash has twice the room, so that a cuckoo
 * insertion never fails short of the limit (rte_hash refuses keys from
 * about 98 % full), and the least recently seen sender gives way at it. */
#define LIGHT_STATE_ENTRIES 65536
#define LIGHT_STATE_SLOTS (2 * LIGHT_STATE_ENTRIES)

int light_init(const struct dp_config *cfg, IMB_MGR *mb, char *err, size_t errlen);
void light_fini(void);
/* After light_init; without a stateful reflector there is no table. */
int light_worker_init(struct light_worker_state *st, unsigned worker);
void light_worker_fini(struct light_worker_state *st);

static inline const struct dp_light *light_for_port(uint16_t port)
{
	uint8_t i = dp_light.by_port[port];

	return i == 0 ? NULL : &dp_light.l[i - 1];
}

bool light_sender_allowed(const struct dp_light *l, uint8_t ipver, const uint8_t *addr);

/* The reflector's sequence number for this sender (stateful). Resets after
 * REFWAIT idle or when the sender restarts at 0. Called only for a request
 * from an allowed sender that verified (pipeline.c), so only those make an
 * entry. A new sender in a full table takes the place of the sender seen
 * least recently (*evicted counts it); -1 if even that fails. */
int64_t light_next_seq(struct light_worker_state *st, const struct dp_light *l, uint8_t ipver,
		       const uint8_t *addr, uint16_t port, uint32_t sender_seq, uint64_t now,
		       uint64_t *evicted);
/* Forget idle senders, a few entries per call. */
void light_sweep(struct light_worker_state *st, uint64_t now);

#endif
