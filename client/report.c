/* Table and JSON output of a session's statistics: see report.h. */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "twr_build_config.h"

const char *report_mode_name(enum tw_sec sec)
{
	switch (sec) {
	case TW_SEC_AUTH:
		return "auth";
	case TW_SEC_ENC:
		return "enc";
	default:
		return "open";
	}
}

void report_fmt_us(char *buf, size_t len, int64_t ns)
{
	double us = (double)ns / 1000.0;
	double a = us < 0 ? -us : us;
	int decimals = a >= 100.0 ? 0 : a >= 10.0 ? 1 : a >= 1.0 ? 2 : 3;

	snprintf(buf, len, "%.*f", decimals, us);
}

/* ---- table ---- */

static void table_dist(FILE *f, const char *label, const struct dist *d, const char *none)
{
	const int64_t v[5] = { d->min, d->median, d->p99, d->max, d->mean };
	char b[32];

	fprintf(f, "  %-12s", label);
	if (d->n == 0) {
		fprintf(f, "%s\n", none);
		return;
	}
	for (int i = 0; i < 5; i++) {
		report_fmt_us(b, sizeof(b), v[i]);
		fprintf(f, "%10s", b);
	}
	fprintf(f, "\n");
}

static void table_ipdv(FILE *f, const struct ipdv_summary *p)
{
	char m[32], q[32], x[32], lo[32], hi[32];

	fprintf(f, "  %-12s", "IPDV");
	if (p->n == 0) {
		fprintf(f, "-  (needs replies to consecutive packets)\n");
		return;
	}
	report_fmt_us(m, sizeof(m), p->mean_abs);
	report_fmt_us(q, sizeof(q), p->p99_abs);
	report_fmt_us(x, sizeof(x), p->max_abs);
	report_fmt_us(lo, sizeof(lo), p->min);
	report_fmt_us(hi, sizeof(hi), p->max);
	fprintf(f, "mean |d| %s, p99 |d| %s, max |d| %s (d from %s to %s, %" PRIu64 " pairs)\n",
		m, q, x, lo, hi, p->n);
}

static void table_ttl(FILE *f, const char *label, const struct ttl_range *t)
{
	if (t->valid)
		fprintf(f, "  %-36s %u .. %u\n", label, t->min, t->max);
	else
		fprintf(f, "  %-36s -\n", label);
}

void report_table(FILE *f, const struct report_info *in, const struct stats_summary *s)
{
	const char *ow = s->received ? "n/a (clocks not synchronised)" : "-";

	fprintf(f, "%s to %s port %u: %s mode%s, %u-octet packets\n",
		in->label ? in->label : "TWAMP Light", in->host, in->port, report_mode_name(in->sec), in->symmetrical ? ", symmetrical" : "", in->size);
	if (in->error)
		fprintf(f, "  stopped early: %s\n", in->error);
	fprintf(f, "  sent %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64 " (%.3f %%)\n",
		s->sent, s->received, s->lost, s->loss_pct);
	fprintf(f, "  duplicates %" PRIu64 ", reordered %" PRIu64 ", auth failures %" PRIu64
		", invalid %" PRIu64 "\n\n", s->duplicates, s->reordered, s->auth_failures, s->invalid);
	/* "µ" is two octets: align by hand */
	fprintf(f, "  times (\u00b5s)  %10s%10s%10s%10s%10s\n", "min", "median", "p99", "max", "mean");
	table_dist(f, "round trip", &s->rtt, "-");
	table_dist(f, "forward", &s->fwd, s->synced ? "-" : ow);
	table_dist(f, "backward", &s->bwd, s->synced ? "-" : ow);
	table_dist(f, "residence", &s->resid, "-");
	table_ipdv(f, &s->ipdv);
	fprintf(f, "\n");
	table_ttl(f, "TTL of our packets at the reflector", &s->sender_ttl);
	table_ttl(f, "TTL of the replies here", &s->reply_ttl);
}

/* ---- JSON ---- */

void report_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_dist(FILE *f, const char *ind, const char *key, const struct dist *d)
{
	fprintf(f, ",\n%s\"%s\": ", ind, key);
	if (d->n == 0) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"count\": %" PRIu64 ", \"min\": %" PRId64 ", \"median\": %" PRId64
		", \"p99\": %" PRId64 ", \"max\": %" PRId64 ", \"mean\": %" PRId64 "}",
		d->n, d->min, d->median, d->p99, d->max, d->mean);
}

static void json_ipdv(FILE *f, const char *ind, const struct ipdv_summary *p)
{
	fprintf(f, ",\n%s\"ipdv_ns\": ", ind);
	if (p->n == 0) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"count\": %" PRIu64 ", \"mean_abs\": %" PRId64 ", \"p99_abs\": %" PRId64
		", \"max_abs\": %" PRId64 ", \"min\": %" PRId64 ", \"max\": %" PRId64 "}",
		p->n, p->mean_abs, p->p99_abs, p->max_abs, p->min, p->max);
}

static void json_ttl(FILE *f, const char *ind, const char *key, const struct ttl_range *t)
{
	fprintf(f, ",\n%s\"%s\": ", ind, key);
	if (t->valid)
		fprintf(f, "{\"min\": %u, \"max\": %u}", t->min, t->max);
	else
		fprintf(f, "null");
}

void report_json_fields(FILE *f, const struct report_info *in, const struct stats_summary *s,
			const char *ind)
{
	fprintf(f, ",\n%s\"mode\": \"%s\",\n%s\"host\": ", ind, report_mode_name(in->sec), ind);
	report_json_string(f, in->host);
	fprintf(f, ",\n%s\"port\": %u,\n%s\"symmetrical\": %s,\n%s\"packet_size\": %u", ind, in->port,
		ind, in->symmetrical ? "true" : "false", ind, in->size);
	fprintf(f, ",\n%s\"sent\": %" PRIu64 ",\n%s\"received\": %" PRIu64 ",\n%s\"lost\": %" PRIu64
		",\n%s\"loss_percent\": %.6f", ind, s->sent, ind, s->received, ind, s->lost, ind,
		s->loss_pct);
	fprintf(f, ",\n%s\"duplicates\": %" PRIu64 ",\n%s\"reordered\": %" PRIu64
		",\n%s\"auth_failures\": %" PRIu64 ",\n%s\"invalid\": %" PRIu64,
		ind, s->duplicates, ind, s->reordered, ind, s->auth_failures, ind, s->invalid);
	fprintf(f, ",\n%s\"clocks_synchronised\": %s", ind, s->synced ? "true" : "false");
	json_dist(f, ind, "rtt_ns", &s->rtt);
	json_dist(f, ind, "forward_ns", &s->fwd);
	json_dist(f, ind, "backward_ns", &s->bwd);
	json_dist(f, ind, "residence_ns", &s->resid);
	json_ipdv(f, ind, &s->ipdv);
	json_ttl(f, ind, "sender_ttl", &s->sender_ttl);
	json_ttl(f, ind, "reply_ttl", &s->reply_ttl);
	fprintf(f, ",\n%s\"error\": ", ind);
	if (in->error)
		report_json_string(f, in->error);
	else
		fprintf(f, "null");
}

void report_json(FILE *f, const struct report_info *in, const struct stats_summary *s)
{
	fprintf(f, "{\n  \"version\": ");
	report_json_string(f, TWR_VERSION);
	report_json_fields(f, in, s, "  ");
	fprintf(f, "\n}\n");
}
