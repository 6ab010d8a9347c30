/* twamp-loadgen results: see lg_report.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lg_report.h"

static const char *mode_name(enum tw_sec s)
{
	return s == TW_SEC_OPEN ? "open" : s == TW_SEC_AUTH ? "auth" : "enc";
}

static double window_s(const struct lg_run *r)
{
	return r->hz ? (double)r->window_cycles / (double)r->hz : 0.0;
}

static double per_s(const struct lg_run *r, uint64_t n)
{
	double w = window_s(r);

	return w > 0 ? (double)n / w : 0.0;
}

static void write_json(FILE *f, const struct lg_run *r)
{
	const struct lg_stats *s = &r->st;
	const struct lg_opts *o = r->o;

	fprintf(f, "{\n");
	fprintf(f, "  \"mode\": \"%s\",\n  \"peer\": \"%s\",\n", mode_name(o->sec),
		o->peer == LG_PEER_ECHO ? "echo" : "twamp");
	fprintf(f, "  \"udp_payload\": %u,\n  \"frame_len\": %u,\n  \"flows\": %u,\n", o->size,
		r->pool->frame_len, o->flows);
	fprintf(f, "  \"measured\": %s,\n  \"window_s\": %.6f,\n", r->measured ? "true" : "false",
		window_s(r));
	fprintf(f, "  \"tx_packets\": %" PRIu64 ",\n  \"rx_packets\": %" PRIu64 ",\n", s->tx, s->rx);
	fprintf(f, "  \"replies\": %" PRIu64 ",\n  \"rx_other\": %" PRIu64 ",\n", s->replies,
		s->rx_other);
	fprintf(f, "  \"tx_pps\": %.0f,\n  \"rx_pps\": %.0f,\n  \"reply_pps\": %.0f,\n",
		per_s(r, s->tx), per_s(r, s->rx), per_s(r, s->replies));
	fprintf(f, "  \"tx_short_ratio\": %.6f,\n",
		s->tx_calls ? (double)s->tx_short / (double)s->tx_calls : 0.0);
	fprintf(f, "  \"verify_every\": %u,\n  \"verified_ok\": %" PRIu64 ",\n  \"verified_bad\": %" PRIu64 ",\n",
		o->verify_every, s->verified_ok, s->verified_bad);
	fprintf(f, "  \"residence_samples\": %" PRIu64 ",\n  \"residence_negative\": %" PRIu64 ",\n",
		s->residence.count, s->residence_negative);
	fprintf(f, "  \"residence_ns_p50\": %" PRIu64 ",\n  \"residence_ns_p99\": %" PRIu64 ",\n",
		lg_hist_quantile(&s->residence, 0.5), lg_hist_quantile(&s->residence, 0.99));
	fprintf(f, "  \"residence_ns_max\": %" PRIu64 "\n}\n", s->residence.max);
}

int lg_report_json(const struct lg_run *r, const char *path)
{
	FILE *f = path != NULL ? fopen(path, "w") : stdout;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "twamp-loadgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	write_json(f, r);
	if (fflush(f) != 0 || ferror(f))
		rc = -1;
	if (path != NULL && fclose(f) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "twamp-loadgen: cannot write the results\n");
	return rc;
}

void lg_report_summary(const struct lg_run *r)
{
	const struct lg_stats *s = &r->st;

	fprintf(stderr,
		"twamp-loadgen: %s, %u octets, %.1f s: tx %.3f Mpps, rx %.3f Mpps (replies %.3f), "
		"verified %" PRIu64 " ok / %" PRIu64 " bad, residence p50 %" PRIu64 " ns p99 %" PRIu64
		" ns max %" PRIu64 " ns\n",
		mode_name(r->o->sec), r->o->size, window_s(r), per_s(r, s->tx) / 1e6,
		per_s(r, s->rx) / 1e6, per_s(r, s->replies) / 1e6, s->verified_ok, s->verified_bad,
		lg_hist_quantile(&s->residence, 0.5), lg_hist_quantile(&s->residence, 0.99),
		s->residence.max);
}
