/* Results of a test session, for people (a table, times in µs with about
 * three significant digits) or for machines (one JSON object).
 *
 * JSON object (keys are stable; times are integers in nanoseconds; a
 * distribution with no samples is null; forward_ns and backward_ns are null
 * unless clocks_synchronised):
 *   version             string, twamp-client version
 *   mode                "open" | "auth" | "enc"
 *   host, port          reflector address (string) and UDP port
 *   symmetrical         bool, RFC 6038 symmetrical sender packets
 *   packet_size         UDP payload octets of each sender packet
 *   sent, received, lost, duplicates, reordered, auth_failures, invalid
 *                       counters (see stats.h for the definitions)
 *   loss_percent        number, lost / sent * 100 (0 if nothing sent)
 *   clocks_synchronised bool, both Error Estimates had S set on every reply
 *   rtt_ns, forward_ns, backward_ns, residence_ns
 *                       {count, min, median, p99, max, mean} or null
 *   ipdv_ns             {count, mean_abs, p99_abs, max_abs, min, max} or null
 *   sender_ttl          {min, max}: TTL/Hop Limit of our packets at the
 *                       reflector (255 - hops on the way out), or null
 *   reply_ttl           {min, max}: TTL/Hop Limit of the replies here, or null
 *   error               string: why the session stopped early, or null
 */
#ifndef TWCLI_REPORT_H
#define TWCLI_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stats.h"
#include "tw_pkt.h"

struct report_info {
	const char *label;     /* table title, NULL: "TWAMP Light" */
	const char *host;      /* address as text */
	uint16_t port;
	enum tw_sec sec;
	bool symmetrical;
	uint16_t size;
	const char *error;     /* NULL if the session ran to its end */
};

const char *report_mode_name(enum tw_sec sec);

void report_table(FILE *f, const struct report_info *in, const struct stats_summary *s);
void report_json(FILE *f, const struct report_info *in, const struct stats_summary *s);

/* The keys of report_json from "mode" to "error", each line as
 * ",\n<indent>\"key\": value", for an object that holds more (twamp). */
void report_json_fields(FILE *f, const struct report_info *in, const struct stats_summary *s,
			const char *indent);
void report_json_string(FILE *f, const char *s);

/* ns as µs with about three significant digits ("45.2", "0.120", "1234"). */
void report_fmt_us(char *buf, size_t len, int64_t ns);

#endif
