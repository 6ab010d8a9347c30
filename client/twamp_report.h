/* Results of `twamp-client twamp`: the TWAMP-Control outcome, then one
 * block per test session with the same statistics as TWAMP Light
 * (report.h), as tables or as one JSON object.
 *
 * JSON object (keys are stable):
 *   version               string
 *   command               "twamp"
 *   server                {host (as given), address (string or null before
 *                         a connection), port (TCP), receiver_address
 *                         (--receiver-address as given, or null)}
 *   control               {result: "ok" | "connection" | "refused" |
 *                         "unsupported" | "protocol" | "internal",
 *                         error: string or null,
 *                         accept: the non-zero Accept that refused, or null,
 *                         mode: "open" | "auth" | "enc" | "mixed" (asked),
 *                         mode_value: Set-Up-Response Mode sent, or null,
 *                         modes_offered: [names] from the greeting, or null,
 *                         key_id: string or null,
 *                         ikev2: null without --ikev2, else {spi_i, spi_r:
 *                         16 hex digits or null (no SA), prf: the SA's PRF
 *                         ("HMAC_SHA2_256", ...) or null},
 *                         individual, reflect_octets, symmetrical: bools
 *                         (asked), server_start_time_ns: integer (Unix ns,
 *                         from Server-Start) or null, stopped: bool (Stop
 *                         sent, and for RFC 5938 acknowledged)}
 *   sessions              array, one object per session that ran, with
 *                         index (1..), sid (32 hex digits), sender_port,
 *                         reflector_port, server_octets (RFC 6038, or null)
 *                         then every key of report_json but version (its
 *                         host: where the test packets went)
 */
#ifndef TWCLI_TWAMP_REPORT_H
#define TWCLI_TWAMP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_client.h"
#include "light_sender.h"
#include "stats.h"
#include "twamp_opts.h"

struct twamp_report {
	const struct twamp_opts *o;
	const char *address;           /* server address as text, or NULL */
	const char *test_address;      /* where the test packets go (NULL: address) */
	const struct ctl_client *ctl;  /* NULL if never connected */
	const char *result;            /* control result word (see above) */
	const char *error;             /* control failure, or NULL */
	bool stopped;
	/* --ikev2: the SA used (NULL: none found) */
	const uint8_t *spi_i, *spi_r;
	const char *ike_prf;
	unsigned nsessions;            /* sessions that ran, 0 if none */
	const uint16_t *sender_ports;  /* [nsessions] */
	const struct stats_summary *sums;
	const struct light_result *res;
};

void twamp_report_json(FILE *f, const struct twamp_report *r);
void twamp_report_table(FILE *f, const struct twamp_report *r);

#endif
