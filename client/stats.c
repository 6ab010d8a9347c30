/* Session statistics: see stats.h for the definitions. */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

int stats_init(struct stats *s, uint32_t capacity)
{
	memset(s, 0, sizeof(*s));
	if (capacity == 0)
		return -1;
	s->capacity = capacity;
	s->highest_seq = -1;
	s->all_synced = true;
	s->seen = calloc((capacity + 7u) / 8u, 1);
	s->rtt_by_seq = malloc((size_t)capacity * sizeof(int64_t));
	if (!s->seen || !s->rtt_by_seq) {
		stats_free(s);
		return -1;
	}
	return 0;
}

void stats_free(struct stats *s)
{
	free(s->seen);
	free(s->rtt_by_seq);
	free(s->fwd.v);
	free(s->bwd.v);
	free(s->resid.v);
	memset(s, 0, sizeof(*s));
}

void stats_set_sent(struct stats *s, uint64_t sent)
{
	s->sent = sent;
}

void stats_auth_failure(struct stats *s)
{
	s->auth_failures++;
}

void stats_invalid(struct stats *s)
{
	s->invalid++;
}

bool stats_has_reply(const struct stats *s, uint32_t seq)
{
	return seq < s->capacity && (s->seen[seq / 8] & (1u << (seq % 8)));
}

/* Appends; on allocation failure the sample is lost and the summary fails. */
static void vec_push(struct stats *s, struct sample_vec *vec, int64_t x)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 1024;
		int64_t *v = realloc(vec->v, cap * sizeof(*v));

		if (!v) {
			s->oom = true;
			return;
		}
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = x;
}

static void ttl_note(struct ttl_range *t, uint8_t ttl)
{
	if (!t->valid || ttl < t->min)
		t->min = ttl;
	if (!t->valid || ttl > t->max)
		t->max = ttl;
	t->valid = true;
}

enum stats_verdict stats_add_reply(struct stats *s, const struct stats_reply *r)
{
	enum stats_verdict verdict = STATS_FIRST;

	if (r->seq >= s->capacity)
		return STATS_OUT_OF_RANGE;
	if (stats_has_reply(s, r->seq)) {
		s->duplicates++;
		return STATS_DUPLICATE;
	}
	s->seen[r->seq / 8] |= (uint8_t)(1u << (r->seq % 8));
	s->received++;
	if ((int64_t)r->seq < s->highest_seq) {
		s->reordered++;
		verdict = STATS_REORDERED;
	} else {
		s->highest_seq = r->seq;
	}
	s->rtt_by_seq[r->seq] = r->rtt_ns;
	vec_push(s, &s->fwd, r->fwd_ns);
	vec_push(s, &s->bwd, r->bwd_ns);
	vec_push(s, &s->resid, r->resid_ns);
	if (!r->synced)
		s->all_synced = false;
	ttl_note(&s->sender_ttl, r->sender_ttl);
	if (r->reply_ttl >= 0 && r->reply_ttl <= 255)
		ttl_note(&s->reply_ttl, (uint8_t)r->reply_ttl);
	return verdict;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t stats_median(const int64_t *sorted, size_t n)
{
	int64_t a, b;

	if (n % 2)
		return sorted[n / 2];
	a = sorted[n / 2 - 1];
	b = sorted[n / 2];
	/* halves first: a + b may overflow */
	return a / 2 + b / 2 + (a % 2 + b % 2) / 2;
}

int64_t stats_percentile(const int64_t *sorted, size_t n, unsigned pct)
{
	/* nearest rank: ceil(pct * n / 100), 1-based */
	size_t rank = (size_t)(((unsigned __int128)n * pct + 99) / 100);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

void stats_dist(int64_t *v, size_t n, struct dist *d)
{
	__int128 sum = 0;

	memset(d, 0, sizeof(*d));
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_i64);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	d->n = n;
	d->min = v[0];
	d->max = v[n - 1];
	d->median = stats_median(v, n);
	d->p99 = stats_percentile(v, n, 99);
	d->mean = (int64_t)(sum / (__int128)n);
}

static int64_t sat_sub(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t sat_abs(int64_t a)
{
	return a == INT64_MIN ? INT64_MAX : (a < 0 ? -a : a);
}

/* IPDV over consecutive sequence numbers that both got a reply. */
static int ipdv_summarize(const struct stats *s, struct ipdv_summary *out)
{
	uint64_t limit = s->sent < s->capacity ? s->sent : s->capacity;
	int64_t *absv;
	__int128 sum = 0;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (s->received < 2)
		return 0;
	absv = malloc((size_t)s->received * sizeof(*absv));
	if (!absv)
		return -1;
	for (uint64_t i = 1; i < limit; i++) {
		int64_t d;

		if (!stats_has_reply(s, (uint32_t)i) || !stats_has_reply(s, (uint32_t)(i - 1)))
			continue;
		d = sat_sub(s->rtt_by_seq[i], s->rtt_by_seq[i - 1]);
		if (n == 0 || d < out->min)
			out->min = d;
		if (n == 0 || d > out->max)
			out->max = d;
		absv[n] = sat_abs(d);
		sum += absv[n];
		n++;
	}
	if (n) {
		qsort(absv, n, sizeof(*absv), cmp_i64);
		out->n = n;
		out->mean_abs = (int64_t)(sum / (__int128)n);
		out->p99_abs = stats_percentile(absv, n, 99);
		out->max_abs = absv[n - 1];
	}
	free(absv);
	return 0;
}

/* Sorted copy of a vector's samples, summarized. */
static int dist_of(const int64_t *v, size_t n, struct dist *d)
{
	int64_t *copy;

	memset(d, 0, sizeof(*d));
	if (n == 0)
		return 0;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return -1;
	memcpy(copy, v, n * sizeof(*copy));
	stats_dist(copy, n, d);
	free(copy);
	return 0;
}

static int rtt_summarize(const struct stats *s, struct dist *d)
{
	int64_t *v;
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	if (s->received == 0)
		return 0;
	v = malloc((size_t)s->received * sizeof(*v));
	if (!v)
		return -1;
	for (uint32_t i = 0; i < s->capacity && n < s->received; i++)
		if (stats_has_reply(s, i))
			v[n++] = s->rtt_by_seq[i];
	stats_dist(v, n, d);
	free(v);
	return 0;
}

int stats_summarize(const struct stats *s, struct stats_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (s->oom)
		return -1;
	out->sent = s->sent;
	out->received = s->received;
	out->lost = s->sent > s->received ? s->sent - s->received : 0;
	out->loss_pct = s->sent ? 100.0 * (double)out->lost / (double)s->sent : 0.0;
	out->duplicates = s->duplicates;
	out->reordered = s->reordered;
	out->auth_failures = s->auth_failures;
	out->invalid = s->invalid;
	out->synced = s->received > 0 && s->all_synced;
	out->sender_ttl = s->sender_ttl;
	out->reply_ttl = s->reply_ttl;
	if (rtt_summarize(s, &out->rtt) || dist_of(s->resid.v, s->resid.n, &out->resid) ||
	    ipdv_summarize(s, &out->ipdv))
		return -1;
	if (out->synced &&
	    (dist_of(s->fwd.v, s->fwd.n, &out->fwd) || dist_of(s->bwd.v, s->bwd.n, &out->bwd)))
		return -1;
	return 0;
}
