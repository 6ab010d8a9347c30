#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "dp_log.h"
#include "secmem.h"
#include "secure_mem.h"
#include "sessions.h"

struct dp_sessions dp_sess;

/* A deleted session waits here until every worker has passed a quiescent
 * state after the delete; then its hash position and slot are reused. */
struct pending_free {
	uint64_t token;
	int32_t pos;
	uint32_t slot;
};

static struct pending_free *pending;
static uint32_t npending;

int sessions_init(uint32_t max, unsigned nworkers, char *err, size_t errlen)
{
	struct rte_hash_parameters hp = {
		.name = "twr_sess_tuple",
		.entries = max < 8 ? 8 : max,
		.key_len = sizeof(struct sess_key),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_NO_FREE_ON_DEL | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct rte_hash_parameters hs = {
		.name = "twr_sess_sid",
		.entries = max < 8 ? 8 : max,
		.key_len = 16,
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	size_t rcu_sz = rte_rcu_qsbr_get_memsize(nworkers);

	memset(&dp_sess, 0, sizeof(dp_sess));
	dp_sess.max = max;
	dp_sess.nworkers = nworkers;
	dp_sess.by_tuple = rte_hash_create(&hp);
	dp_sess.by_sid = rte_hash_create(&hs);
	dp_sess.rcu = rte_zmalloc("twr_rcu", rcu_sz, RTE_CACHE_LINE_SIZE);
	dp_sess.slots = rte_zmalloc("twr_slots", sizeof(struct dp_session) * max, RTE_CACHE_LINE_SIZE);
	dp_sess.keys = secmem_alloc(sizeof(struct mb_keys) * max);
	dp_sess.free_list = rte_malloc("twr_free", sizeof(uint32_t) * max, 0);
	dp_sess.port_refs = rte_zmalloc("twr_ports", sizeof(uint16_t) * 65536, RTE_CACHE_LINE_SIZE);
	pending = rte_malloc("twr_pending", sizeof(*pending) * max, 0);
	dp_sess.mb = mb_mgr_new();
	if (!dp_sess.by_tuple || !dp_sess.by_sid || !dp_sess.rcu || !dp_sess.slots || !dp_sess.keys ||
	    !dp_sess.free_list || !dp_sess.port_refs || !pending || !dp_sess.mb) {
		snprintf(err, errlen, "session table: out of memory for %u sessions", max);
		return -1;
	}
	for (unsigned w = 0; w < nworkers; w++) {
		dp_sess.ctr[w] = rte_zmalloc("twr_sctr", sizeof(struct dp_scounters) * max,
					     RTE_CACHE_LINE_SIZE);
		if (dp_sess.ctr[w] == NULL) {
			snprintf(err, errlen, "session counters: out of memory for %u sessions", max);
			return -1;
		}
	}
	if (rte_rcu_qsbr_init(dp_sess.rcu, nworkers) != 0) {
		snprintf(err, errlen, "RCU init failed");
		return -1;
	}
	for (uint32_t i = 0; i < max; i++)
		dp_sess.free_list[i] = max - 1 - i;
	dp_sess.nfree = max;
	return 0;
}

static void release_slot(uint32_t slot)
{
	struct dp_session *s = &dp_sess.slots[slot];

	mb_keys_wipe(&dp_sess.keys[slot]);
	memset(s, 0, sizeof(*s));
	dp_sess.free_list[dp_sess.nfree++] = slot;
}

/* Hand back every deleted session whose grace period is over. */
static void reclaim(void)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < npending; i++) {
		if (rte_rcu_qsbr_check(dp_sess.rcu, pending[i].token, false) == 1) {
			rte_hash_free_key_with_position(dp_sess.by_tuple, pending[i].pos);
			release_slot(pending[i].slot);
		} else {
			pending[kept++] = pending[i];
		}
	}
	npending = kept;
}

void sessions_fini(void)
{
	secmem_free(dp_sess.keys, sizeof(struct mb_keys) * dp_sess.max); /* wiped */
	rte_hash_free(dp_sess.by_tuple);
	rte_hash_free(dp_sess.by_sid);
	for (unsigned w = 0; w < dp_sess.nworkers; w++)
		rte_free(dp_sess.ctr[w]);
	rte_free(dp_sess.slots);
	rte_free(dp_sess.free_list);
	rte_free(dp_sess.port_refs);
	rte_free(dp_sess.rcu);
	rte_free(pending);
	mb_mgr_free(dp_sess.mb);
	memset(&dp_sess, 0, sizeof(dp_sess));
}

static struct dp_session *find_sid(const uint8_t sid[16])
{
	void *data;

	if (rte_hash_lookup_data(dp_sess.by_sid, sid, &data) < 0)
		return NULL;
	return data;
}

static void key_from_spec(const struct twr_api_session *s, struct sess_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ipver = s->ipver;
	memcpy(k->local, s->reflector_addr, s->ipver == 4 ? 4 : 16);
	memcpy(k->peer, s->sender_addr, s->ipver == 4 ? 4 : 16);
	k->local_port = s->reflector_port;
	k->peer_port = s->sender_port;
}

int sessions_add(const struct twr_api_session *spec)
{
	struct sess_key key;
	struct tw_keys tk;
	struct dp_session *s;
	uint32_t slot;

	reclaim();
	if (find_sid(spec->sid) != NULL)
		return TWR_API_EEXIST;
	key_from_spec(spec, &key);
	if (rte_hash_lookup(dp_sess.by_tuple, &key) >= 0)
		return TWR_API_EEXIST;
	if (dp_sess.nfree == 0 && npending > 0) {
		/* slots wait for the workers' grace period; workers pass a
		 * quiescent state every loop, so this is microseconds */
		rte_rcu_qsbr_check(dp_sess.rcu, pending[0].token, true);
		reclaim();
	}
	if (dp_sess.nfree == 0)
		return npending > 0 ? TWR_API_EAGAIN : TWR_API_ENOSPC;

	slot = dp_sess.free_list[dp_sess.nfree - 1];
	s = &dp_sess.slots[slot];
	memset(s, 0, sizeof(*s));
	s->key = key;
	memcpy(s->sid, spec->sid, 16);
	s->sec = spec->sec;
	s->flags = spec->flags;
	s->dscp = (spec->flags & TWR_SF_DSCP_SET) ? (int8_t)spec->dscp : -1;
	s->reflect_len = (spec->flags & TWR_SF_REFLECT_OCTETS) ? spec->reflect_len : 0;
	s->timeout_ms = spec->timeout_ms;
	s->refwait_s = spec->refwait_s;
	s->snd_l = tw_sender_layout(spec->sec, spec->flags & TWR_SF_SYMMETRICAL);
	s->refl_l = tw_reflector_layout(spec->sec);
	s->keys = &dp_sess.keys[slot];
	if (spec->sec != TW_SEC_OPEN) {
		memcpy(tk.aes, spec->aes_key, sizeof(tk.aes));
		memcpy(tk.hmac, spec->hmac_key, sizeof(tk.hmac));
		mb_keys_init(dp_sess.mb, &tk, &dp_sess.keys[slot]);
		wipe(&tk, sizeof(tk));
	}
	for (unsigned w = 0; w < dp_sess.nworkers; w++)
		memset(&dp_sess.ctr[w][slot], 0, sizeof(struct dp_scounters));
	s->state = (spec->flags & TWR_SF_START_NOW) ? TWR_SS_ACTIVE : TWR_SS_INSTALLED;
	s->started_tsc = rte_rdtsc();
	s->in_use = true;

	if (rte_hash_add_key_data(dp_sess.by_sid, s->sid, s) < 0) {
		release_slot(slot);
		return TWR_API_EINTERNAL;
	}
	/* publish last: the worker may see it from here on */
	if (rte_hash_add_key_data(dp_sess.by_tuple, &s->key, s) < 0) {
		rte_hash_del_key(dp_sess.by_sid, s->sid);
		mb_keys_wipe(&dp_sess.keys[slot]);
		memset(s, 0, sizeof(*s));
		return TWR_API_ENOSPC;
	}
	dp_sess.nfree--;
	dp_sess.port_refs[s->key.local_port]++;
	dp_sess.count++;
	return TWR_API_OK;
}

int sessions_start(const uint8_t sid[16])
{
	struct dp_session *s = find_sid(sid);

	if (s == NULL)
		return TWR_API_ENOENT;
	if (s->state == TWR_SS_INSTALLED) {
		s->started_tsc = rte_rdtsc();
		for (unsigned w = 0; w < dp_sess.nworkers; w++)
			dp_sess.ctr[w][sessions_slot(s)].last_rx_tsc = 0;
		__atomic_store_n(&s->state, TWR_SS_ACTIVE, __ATOMIC_RELEASE);
	}
	return TWR_API_OK;
}

int sessions_stop(const uint8_t sid[16])
{
	struct dp_session *s = find_sid(sid);

	if (s == NULL)
		return TWR_API_ENOENT;
	if (s->state != TWR_SS_STOPPING) {
		s->stop_deadline_tsc = rte_rdtsc() + (uint64_t)s->timeout_ms * (rte_get_tsc_hz() / 1000);
		/* a session stopped before it started reflects during its timeout too */
		__atomic_store_n(&s->state, TWR_SS_STOPPING, __ATOMIC_RELEASE);
	}
	return TWR_API_OK;
}

static void remove_session(struct dp_session *s)
{
	uint32_t slot = sessions_slot(s);
	int32_t pos;

	rte_hash_del_key(dp_sess.by_sid, s->sid);
	pos = rte_hash_del_key(dp_sess.by_tuple, &s->key);
	dp_sess.port_refs[s->key.local_port]--;
	dp_sess.count--;
	if (pos < 0) { /* cannot happen: it was added; keep the slot out of use */
		DP_LOG(ERR, "session table inconsistent for slot %u", slot);
		return;
	}
	pending[npending].token = rte_rcu_qsbr_start(dp_sess.rcu);
	pending[npending].pos = pos;
	pending[npending].slot = slot;
	npending++;
	s->in_use = false;
}

int sessions_remove(const uint8_t sid[16])
{
	struct dp_session *s = find_sid(sid);

	if (s == NULL)
		return TWR_API_ENOENT;
	remove_session(s);
	reclaim();
	return TWR_API_OK;
}

unsigned sessions_flush(void)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < dp_sess.max; i++) {
		if (dp_sess.slots[i].in_use) {
			remove_session(&dp_sess.slots[i]);
			n++;
		}
	}
	reclaim();
	return n;
}

void sessions_sum(uint32_t slot, struct dp_scounters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned w = 0; w < dp_sess.nworkers; w++) {
		const struct dp_scounters *c = &dp_sess.ctr[w][slot];

		out->rx += c->rx;
		out->reflected += c->reflected;
		out->auth_fail += c->auth_fail;
		out->malformed += c->malformed;
		out->tx_drop += c->tx_drop;
		if (c->last_rx_tsc > out->last_rx_tsc)
			out->last_rx_tsc = c->last_rx_tsc;
	}
}

int sessions_counters(const uint8_t sid[16], struct twr_api_counters *out)
{
	struct dp_session *s = find_sid(sid);
	struct dp_scounters sum;

	if (s == NULL)
		return TWR_API_ENOENT;
	sessions_sum(sessions_slot(s), &sum);
	memset(out, 0, sizeof(*out));
	out->rx = sum.rx;
	out->reflected = sum.reflected;
	out->auth_fail = sum.auth_fail;
	out->malformed = sum.malformed;
	out->tx_drop = sum.tx_drop;
	out->last_rx_unix_ns = sum.last_rx_tsc == 0 ? 0 : dp_tsc_to_unix_ns(sum.last_rx_tsc);
	out->state = s->state;
	return TWR_API_OK;
}

/* "session <sid> <peer addr>:<port> -> <local>:<port>: <message>" */
static void __attribute__((format(printf, 3, 4)))
log_session(enum dp_log_level lvl, const struct dp_session *s, const char *fmt, ...)
{
	char prefix[160], peer[64], local[64], sid[33];
	va_list ap;

	for (int i = 0; i < 16; i++)
		snprintf(sid + 2 * i, 3, "%02x", s->sid[i]);
	snprintf(prefix, sizeof(prefix), "session %s %s:%u -> %s:%u: ", sid,
		 dp_addr_str(s->key.ipver, s->key.peer, peer, sizeof(peer)), s->key.peer_port,
		 dp_addr_str(s->key.ipver, s->key.local, local, sizeof(local)), s->key.local_port);
	va_start(ap, fmt);
	dp_vlog(lvl, prefix, fmt, ap);
	va_end(ap);
}

void sessions_expire(uint64_t now)
{
	uint64_t hz = rte_get_tsc_hz();
	uint32_t left = dp_sess.count; /* slots are handed out lowest first */

	for (uint32_t i = 0; i < dp_sess.max && left > 0; i++) {
		struct dp_session *s = &dp_sess.slots[i];
		struct dp_scounters sum;
		uint64_t last;

		if (!s->in_use)
			continue;
		left--;
		if (s->state == TWR_SS_STOPPING && now >= s->stop_deadline_tsc) {
			log_session(DP_INFO, s, "removed: stop timeout of %u ms over", s->timeout_ms);
			remove_session(s);
			continue;
		}
		if (s->state != TWR_SS_ACTIVE || s->refwait_s == 0)
			continue;
		sessions_sum(i, &sum);
		last = sum.last_rx_tsc > s->started_tsc ? sum.last_rx_tsc : s->started_tsc;
		if (now > last && now - last > (uint64_t)s->refwait_s * hz) {
			log_session(DP_NOTICE, s, "removed: no packet for REFWAIT %u s", s->refwait_s);
			remove_session(s);
		}
	}
	reclaim();
}

struct dp_session *session_lookup(const struct np_info *in)
{
	struct sess_key k;
	void *data;

	memset(&k, 0, sizeof(k));
	memcpy(k.local, in->dst, 16);
	memcpy(k.peer, in->src, 16);
	k.local_port = in->dport;
	k.peer_port = in->sport;
	k.ipver = in->ipver;
	if (rte_hash_lookup_data(dp_sess.by_tuple, &k, &data) < 0)
		return NULL;
	return data;
}
