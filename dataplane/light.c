#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "light.h"
#include "secmem.h"

struct dp_light_table dp_light;

int light_init(const struct dp_config *cfg, IMB_MGR *mb, char *err, size_t errlen)
{
	memset(&dp_light, 0, sizeof(dp_light));
	dp_light.keys = secmem_alloc(sizeof(struct mb_keys) * DP_MAX_LIGHT);
	if (dp_light.keys == NULL) {
		snprintf(err, errlen, "light reflectors: no memory for their keys");
		return -1;
	}
	for (size_t i = 0; i < cfg->nlight; i++) {
		const struct dp_light_cfg *c = &cfg->light[i];
		struct dp_light *l = &dp_light.l[i];

		if (dp_light.by_port[c->port] != 0) {
			snprintf(err, errlen, "light reflector '%s': UDP port %u already used", c->name, c->port);
			return -1;
		}
		l->cfg = c;
		l->sec = (uint8_t)c->sec;
		l->dscp = (int8_t)c->dscp;
		l->stateless = c->state == DP_LIGHT_STATELESS;
		l->any_sender = c->nallowed == 0;
		l->snd_l = tw_sender_layout(c->sec, c->symmetrical);
		l->refl_l = tw_reflector_layout(c->sec);
		l->refwait_tsc = (uint64_t)c->refwait_s * rte_get_tsc_hz();
		l->keys = &dp_light.keys[i];
		if (c->sec != TW_SEC_OPEN)
			mb_keys_init(mb, &c->keys, &dp_light.keys[i]);
		dp_light.by_port[c->port] = (uint8_t)(i + 1);
		dp_light.nstateful += c->state == DP_LIGHT_STATEFUL;
	}
	dp_light.n = cfg->nlight;
	return 0;
}

void light_fini(void)
{
	secmem_free(dp_light.keys, sizeof(struct mb_keys) * DP_MAX_LIGHT); /* wiped */
	memset(&dp_light, 0, sizeof(dp_light));
}

static bool prefix_match(const struct cfg_prefix *p, const uint8_t *addr)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((addr[full] ^ p->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool light_sender_allowed(const struct dp_light *l, uint8_t ipver, const uint8_t *addr)
{
	const struct dp_light_cfg *c = l->cfg;

	if (l->any_sender)
		return true;
	for (size_t i = 0; i < c->nallowed; i++)
		if (c->allowed[i].ipver == ipver && prefix_match(&c->allowed[i], addr))
			return true;
	return false;
}

int light_worker_init(struct light_worker_state *st, unsigned worker)
{
	char name[32];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = LIGHT_STATE_SLOTS,
		.key_len = sizeof(struct light_state_key),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
	};

	memset(st, 0, sizeof(*st));
	st->oldest = st->newest = LIGHT_NIL;
	/* some 9 MB per worker: only if a stateful reflector needs it (light_next_seq
	 * and light_sweep run only for those) */
	if (dp_light.nstateful == 0)
		return 0;
	snprintf(name, sizeof(name), "twr_light_%u", worker);
	st->h = rte_hash_create(&hp);
	st->ent = rte_zmalloc("twr_light_ent", sizeof(*st->ent) * LIGHT_STATE_SLOTS, 0);
	if (st->h == NULL || st->ent == NULL) {
		light_worker_fini(st);
		return -1;
	}
	return 0;
}

void light_worker_fini(struct light_worker_state *st)
{
	rte_hash_free(st->h);
	rte_free(st->ent);
	memset(st, 0, sizeof(*st));
}

/* ---- the list by last packet ---- */

static void lru_unlink(struct light_worker_state *st, uint32_t pos)
{
	struct light_state *e = &st->ent[pos];

	if (e->older != LIGHT_NIL)
		st->ent[e->older].newer = e->newer;
	else
		st->oldest = e->newer;
	if (e->newer != LIGHT_NIL)
		st->ent[e->newer].older = e->older;
	else
		st->newest = e->older;
	e->older = e->newer = LIGHT_NIL;
}

static void lru_push(struct light_worker_state *st, uint32_t pos)
{
	struct light_state *e = &st->ent[pos];

	e->older = st->newest;
	e->newer = LIGHT_NIL;
	if (st->newest != LIGHT_NIL)
		st->ent[st->newest].newer = pos;
	else
		st->oldest = pos;
	st->newest = pos;
}

/* Remove the entry at pos (its key from the hash). */
static void forget(struct light_worker_state *st, uint32_t pos)
{
	struct light_state_key k;
	void *key;

	lru_unlink(st, pos);
	if (rte_hash_get_key_with_position(st->h, (int32_t)pos, &key) != 0)
		return;
	memcpy(&k, key, sizeof(k)); /* not the hash's own copy while it deletes */
	if (rte_hash_del_key(st->h, &k) >= 0)
		st->count--;
}

/* At LIGHT_STATE_ENTRIES the least recently seen sender gives way. Should
 * the hash still refuse the key (it is half empty: it should not), a few
 * more evictions, then give up. */
#define LIGHT_EVICT_TRIES 4

/* out of line: a new sender is rare, and the pipeline's flattened build
 * stage would otherwise take a copy of this */
static __attribute__((noinline)) int32_t add_sender(struct light_worker_state *st,
						    const struct light_state_key *k,
						    uint64_t *evicted)
{
	int32_t pos;

	if (st->count >= LIGHT_STATE_ENTRIES && st->oldest != LIGHT_NIL) {
		forget(st, st->oldest);
		(*evicted)++;
	}
	pos = rte_hash_add_key(st->h, k);
	for (int i = 0; pos == -ENOSPC && i < LIGHT_EVICT_TRIES && st->oldest != LIGHT_NIL; i++) {
		forget(st, st->oldest);
		(*evicted)++;
		pos = rte_hash_add_key(st->h, k);
	}
	if (pos >= 0)
		st->count++;
	return pos;
}

int64_t light_next_seq(struct light_worker_state *st, const struct dp_light *l, uint8_t ipver,
		       const uint8_t *addr, uint16_t port, uint32_t sender_seq, uint64_t now,
		       uint64_t *evicted)
{
	struct light_state_key k;
	struct light_state *e;
	int32_t pos;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, addr, ipver == 4 ? 4 : 16);
	k.port = port;
	k.ipver = ipver;
	k.light = (uint8_t)(l - dp_light.l);
	pos = rte_hash_lookup(st->h, &k);
	if (pos < 0) {
		pos = add_sender(st, &k, evicted);
		if (pos < 0)
			return -1;
		e = &st->ent[pos];
		e->seq = 0;
		lru_push(st, (uint32_t)pos);
	} else {
		e = &st->ent[pos];
		/* a new test run from the same port, or a sender back after REFWAIT */
		if (sender_seq == 0 || now - e->last_tsc > l->refwait_tsc)
			e->seq = 0;
		if (st->newest != (uint32_t)pos) {
			lru_unlink(st, (uint32_t)pos);
			lru_push(st, (uint32_t)pos);
		}
	}
	e->last_tsc = now;
	return e->seq++;
}

void light_sweep(struct light_worker_state *st, uint64_t now)
{
	const void *key;
	void *data;
	int32_t pos;

	/* iterating an empty 64 Ki-entry table still walks all its buckets */
	if (rte_hash_count(st->h) == 0)
		return;
	for (int i = 0; i < 16; i++) {
		pos = rte_hash_iterate(st->h, &key, &data, &st->sweep_next);
		if (pos < 0) {
			st->sweep_next = 0;
			return;
		}
		const struct light_state_key *k = key;
		const struct dp_light *l = &dp_light.l[k->light];

		if (now - st->ent[pos].last_tsc > l->refwait_tsc) {
			lru_unlink(st, (uint32_t)pos);
			if (rte_hash_del_key(st->h, key) >= 0)
				st->count--;
		}
	}
}
