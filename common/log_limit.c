/* Aggregation per source and kind, and a global line budget (see
 * log_limit.h). The windows live in an open-addressed table probed over a
 * short run of slots; a full run gives up its oldest window. */
#include "log_limit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 8u

struct window {
	bool used;
	uint8_t srclen;
	uint8_t src[LOG_LIMIT_SRC_MAX];
	char label[LOG_LIMIT_LABEL_MAX];
	char kind[LOG_LIMIT_KIND_MAX];
	uint64_t start_ms;
	uint64_t written;   /* lines of this window written (or given to the budget) */
	uint64_t extra;     /* events counted, not written */
};

struct log_limit {
	struct log_limit_cfg cfg;
	log_limit_emit_fn emit;
	void *arg;
	size_t mask;            /* table size - 1, a power of two */
	struct window *w;
	uint64_t tokens_m;      /* milli-lines in the bucket */
	uint64_t refill_ms;     /* when it was last filled */
	uint64_t pending;       /* suppressed since the last budget line */
	uint64_t pending_since; /* time of the first of them */
	uint64_t next_budget_ms;
	struct log_limit_stats st;
};

static uint64_t fnv(const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static size_t hash(const void *src, size_t srclen, const char *kind)
{
	uint64_t h = fnv(src, srclen, 0xcbf29ce484222325ull);

	return (size_t)fnv((const uint8_t *)kind, strnlen(kind, LOG_LIMIT_KIND_MAX - 1), h);
}

struct log_limit *log_limit_new(const struct log_limit_cfg *cfg, uint64_t now_ms,
				log_limit_emit_fn emit, void *arg)
{
	struct log_limit *l;
	size_t n = 1;

	if (!cfg || !emit || cfg->interval_ms == 0 || cfg->per_source == 0 || cfg->rate == 0 ||
	    cfg->burst == 0 || cfg->slots == 0 || cfg->slots > (1u << 20))
		return NULL;
	while (n < cfg->slots)
		n <<= 1;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->w = calloc(n, sizeof(*l->w));
	if (!l->w) {
		free(l);
		return NULL;
	}
	l->cfg = *cfg;
	l->emit = emit;
	l->arg = arg;
	l->mask = n - 1;
	l->tokens_m = (uint64_t)cfg->burst * 1000u;
	l->refill_ms = now_ms;
	return l;
}

void log_limit_free(struct log_limit *l)
{
	if (!l)
		return;
	free(l->w);
	free(l);
}

const struct log_limit_stats *log_limit_stats(const struct log_limit *l)
{
	return &l->st;
}

static void refill(struct log_limit *l, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)l->cfg.burst * 1000u;

	if (now_ms > l->refill_ms) {
		uint64_t add = (now_ms - l->refill_ms) * l->cfg.rate;

		l->tokens_m = add >= cap - l->tokens_m ? cap : l->tokens_m + add;
		l->refill_ms = now_ms;
	}
}

/* A token for one line: true = write it. An `always` line is written
 * without one if the bucket is empty. */
static bool budget(struct log_limit *l, uint64_t now_ms, bool always)
{
	refill(l, now_ms);
	if (l->tokens_m >= 1000u) {
		l->tokens_m -= 1000u;
		return true;
	}
	if (always)
		return true;
	if (l->pending++ == 0)
		l->pending_since = now_ms;
	l->st.suppressed++;
	return false;
}

static void interval_text(uint32_t ms, char *out, size_t n)
{
	if (ms % 1000u == 0)
		snprintf(out, n, "%u s", ms / 1000u);
	else
		snprintf(out, n, "%u ms", ms);
}

/* Close a window: its summary if it counted anything, then free it. */
static void close_window(struct log_limit *l, struct window *w, uint64_t now_ms, bool always)
{
	char text[LOG_LIMIT_SUMMARY_MAX], iv[24];

	if (w->extra > 0 && budget(l, now_ms, always)) {
		interval_text(l->cfg.interval_ms, iv, sizeof(iv));
		snprintf(text, sizeof(text), "%s: %llu more '%s' in the last %s", w->label,
			 (unsigned long long)w->extra, w->kind, iv);
		l->st.summaries++;
		l->emit(l->arg, false, text);
	}
	memset(w, 0, sizeof(*w));
}

static bool over(const struct log_limit *l, const struct window *w, uint64_t now_ms)
{
	return now_ms - w->start_ms >= l->cfg.interval_ms;
}

static bool same(const struct window *w, const void *src, size_t srclen, const char *kind)
{
	return w->used && w->srclen == srclen && memcmp(w->src, src, srclen) == 0 &&
	       strncmp(w->kind, kind, sizeof(w->kind) - 1) == 0;
}

/* The window of (src, kind): found, or opened in a free slot of its run,
 * or in the run's oldest slot after closing that window. */
static struct window *window_of(struct log_limit *l, uint64_t now_ms, const void *src,
				size_t srclen, const char *label, const char *kind)
{
	size_t h = hash(src, srclen, kind), probe = PROBE <= l->mask + 1 ? PROBE : l->mask + 1;
	struct window *free_w = NULL, *oldest = NULL;

	for (size_t i = 0; i < probe; i++) {
		struct window *w = &l->w[(h + i) & l->mask];

		if (same(w, src, srclen, kind))
			return w;
		if (!w->used && !free_w)
			free_w = w;
		if (w->used && (!oldest || w->start_ms < oldest->start_ms))
			oldest = w;
	}
	if (!free_w) {
		close_window(l, oldest, now_ms, false);
		free_w = oldest;
	}
	free_w->used = true;
	free_w->srclen = (uint8_t)srclen;
	memcpy(free_w->src, src, srclen);
	snprintf(free_w->label, sizeof(free_w->label), "%s", label ? label : "?");
	snprintf(free_w->kind, sizeof(free_w->kind), "%s", kind);
	free_w->start_ms = now_ms;
	return free_w;
}

enum log_verdict log_limit_event(struct log_limit *l, uint64_t now_ms, const void *src,
				 size_t srclen, const char *label, const char *kind, bool always)
{
	if (!always && src && srclen > 0) {
		struct window *w;

		if (srclen > LOG_LIMIT_SRC_MAX)
			srclen = LOG_LIMIT_SRC_MAX;
		w = window_of(l, now_ms, src, srclen, label, kind ? kind : "");
		if (over(l, w, now_ms)) { /* the tick has not closed it yet */
			close_window(l, w, now_ms, false);
			w = window_of(l, now_ms, src, srclen, label, kind ? kind : "");
		}
		if (w->written >= l->cfg.per_source) {
			w->extra++;
			l->st.aggregated++;
			return LOG_LIMIT_AGGREGATED;
		}
		w->written++;
	}
	if (!budget(l, now_ms, always))
		return LOG_LIMIT_SUPPRESSED;
	l->st.written++;
	return LOG_LIMIT_WRITE;
}

static void budget_line(struct log_limit *l, uint64_t now_ms)
{
	char text[LOG_LIMIT_SUMMARY_MAX];
	uint64_t s = (now_ms - l->pending_since + 999u) / 1000u;

	snprintf(text, sizeof(text),
		 "log budget: %llu lines suppressed in the last %llu s (at most %u lines/s, burst %u)",
		 (unsigned long long)l->pending, (unsigned long long)(s ? s : 1), l->cfg.rate,
		 l->cfg.burst);
	l->pending = 0;
	l->next_budget_ms = now_ms + l->cfg.interval_ms;
	budget(l, now_ms, true);
	l->st.summaries++;
	l->emit(l->arg, true, text);
}

void log_limit_tick(struct log_limit *l, uint64_t now_ms)
{
	for (size_t i = 0; i <= l->mask; i++)
		if (l->w[i].used && over(l, &l->w[i], now_ms))
			close_window(l, &l->w[i], now_ms, false);
	if (l->pending > 0 && now_ms >= l->next_budget_ms)
		budget_line(l, now_ms);
}

void log_limit_flush(struct log_limit *l, uint64_t now_ms)
{
	for (size_t i = 0; i <= l->mask; i++)
		if (l->w[i].used)
			close_window(l, &l->w[i], now_ms, true);
	if (l->pending > 0)
		budget_line(l, now_ms);
}
