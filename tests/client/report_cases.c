/* Crafted session results: see report_cases.h. */
#include "report_cases.h"

#include <stdint.h>
#include <string.h>

static const struct dist some = { .n = 7, .min = 41234, .median = 52000, .p99 = 98765,
				  .max = 123456, .mean = 55555 };

/* 0: nothing came back */
static void no_reply(struct report_info *in, struct stats_summary *s)
{
	in->host = "192.0.2.1";
	s->sent = 5;
	s->lost = 5;
	s->loss_pct = 100.0;
}

/* 1: replies, clocks not synchronised, a session cut short by an error whose
 * text needs escaping */
static void unsynced(struct report_info *in, struct stats_summary *s)
{
	in->host = "198.51.100.20";
	in->sec = TW_SEC_AUTH;
	in->size = 48;
	in->error = "send \"x\" \\ failed\n\ttab \x01";
	s->sent = 10;
	s->received = 7;
	s->lost = 3;
	s->loss_pct = 30.0;
	s->duplicates = 1;
	s->reordered = 2;
	s->auth_failures = 4;
	s->invalid = 5;
	s->rtt = some;
	s->resid = (struct dist){ .n = 7, .min = 900, .median = 1000, .p99 = 2500, .max = 2600, .mean = 1100 };
	s->ipdv = (struct ipdv_summary){ .n = 5, .min = -3000, .max = 4000, .mean_abs = 1500,
					 .p99_abs = 4000, .max_abs = 4000 };
	s->sender_ttl = (struct ttl_range){ .valid = true, .min = 250, .max = 252 };
	s->reply_ttl = (struct ttl_range){ .valid = true, .min = 60, .max = 61 };
}

/* 2: synchronised clocks: one-way delays shown */
static void synced(struct report_info *in, struct stats_summary *s)
{
	in->host = "2001:db8::5";
	in->sec = TW_SEC_ENC;
	in->symmetrical = true;
	in->size = 112;
	s->sent = 7;
	s->received = 7;
	s->synced = true;
	s->rtt = some;
	s->fwd = (struct dist){ .n = 7, .min = 20000, .median = 25000, .p99 = 50000, .max = 60000, .mean = 27000 };
	s->bwd = (struct dist){ .n = 7, .min = 21000, .median = 26000, .p99 = 48000, .max = 63000, .mean = 28000 };
	s->resid = some;
	s->sender_ttl = (struct ttl_range){ .valid = true, .min = 255, .max = 255 };
}

/* 3: extreme values */
static void extremes(struct report_info *in, struct stats_summary *s)
{
	in->host = "::1";
	in->port = 65535;
	in->size = 9000;
	s->sent = 10000000;
	s->received = 1;
	s->lost = 9999999;
	s->loss_pct = 99.99999;
	s->rtt = (struct dist){ .n = 1, .min = INT64_MIN, .median = -1, .p99 = 0, .max = INT64_MAX, .mean = 1 };
	s->resid = s->rtt;
	s->sender_ttl = (struct ttl_range){ .valid = true, .min = 0, .max = 255 };
}

size_t report_case_count(void)
{
	return 4;
}

void report_case(size_t i, struct report_info *in, struct stats_summary *s)
{
	static void (*const cases[])(struct report_info *, struct stats_summary *) = {
		no_reply, unsynced, synced, extremes,
	};

	memset(in, 0, sizeof(*in));
	memset(s, 0, sizeof(*s));
	in->port = 862;
	in->size = 14;
	in->sec = TW_SEC_OPEN;
	cases[i](in, s);
}
