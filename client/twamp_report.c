/* Tables and JSON of the twamp command: see twamp_report.h. */
#include "twamp_report.h"

#include <inttypes.h>
#include <string.h>

#include "ntp_time.h"
#include "report.h"
#include "twr_build_config.h"

static void sid_hex(const uint8_t sid[TWC_SID_LEN], char out[2 * TWC_SID_LEN + 1])
{
	for (int i = 0; i < TWC_SID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", sid[i]);
}

static void session_info(const struct twamp_report *r, unsigned i, char *label, size_t len,
			 struct report_info *in)
{
	const struct twamp_opts *o = r->o;
	char sid[2 * TWC_SID_LEN + 1];

	sid_hex(r->ctl->sess[i].sid, sid);
	snprintf(label, len, "TWAMP session %u (SID %s, sender port %u)", i + 1, sid,
		 r->sender_ports[i]);
	*in = (struct report_info){
		.label = label, .host = r->test_address ? r->test_address : r->address,
		.port = r->ctl->sess[i].port,
		.sec = twamp_test_sec(o->security), .symmetrical = o->symmetrical, .size = o->size,
		.error = r->res[i].rc ? r->res[i].err : NULL,
	};
}

static const char *spi_hex(const uint8_t spi[8], char out[17])
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", spi[i]);
	return out;
}

/* The greeting was read (and so its Modes are known). */
static bool greeted(const struct ctl_client *c)
{
	return c && c->greeting.modes != 0;
}

/* ---- table ----------------------------------------------------------- */

static void table_control(FILE *f, const struct twamp_report *r)
{
	const struct twamp_opts *o = r->o;
	char modes[256];

	fprintf(f, "TWAMP-Control to %s", o->host);
	if (r->address && strcmp(r->address, o->host))
		fprintf(f, " (%s)", r->address);
	fprintf(f, " port %u: %s mode", o->port, ctl_security_name(o->security));
	if (o->key_id)
		fprintf(f, ", KeyID '%s'", o->key_id);
	if (o->ikev2 && r->spi_i) {
		char i[17], k[17];

		fprintf(f, ", IKEv2 SA %s:%s (%s)", spi_hex(r->spi_i, i), spi_hex(r->spi_r, k),
			r->ike_prf ? r->ike_prf : "?");
	} else if (o->ikev2) {
		fprintf(f, ", IKEv2-derived key");
	}
	fprintf(f, "\n");
	if (greeted(r->ctl)) {
		ctl_modes_text(r->ctl->greeting.modes, modes, sizeof(modes));
		fprintf(f, "  server offers: %s\n", modes);
	}
	if (r->error)
		fprintf(f, "  control failed (%s): %s\n", r->result, r->error);
	else
		fprintf(f, "  control: %u session%s, %s\n", r->nsessions, r->nsessions == 1 ? "" : "s",
			r->stopped ? "stopped normally" : "not stopped");
}

void twamp_report_table(FILE *f, const struct twamp_report *r)
{
	table_control(f, r);
	for (unsigned i = 0; i < r->nsessions; i++) {
		struct report_info in;
		char label[128];

		fprintf(f, "\n");
		session_info(r, i, label, sizeof(label), &in);
		report_table(f, &in, &r->sums[i]);
	}
}

/* ---- JSON ------------------------------------------------------------ */

static void json_str_or_null(FILE *f, const char *s)
{
	if (s)
		report_json_string(f, s);
	else
		fprintf(f, "null");
}

static void json_modes(FILE *f, uint32_t modes)
{
	char text[256], *save = NULL;
	bool first = true;

	ctl_modes_text(modes, text, sizeof(text));
	fprintf(f, "[");
	for (char *t = strtok_r(text, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		fprintf(f, "%s", first ? "" : ", ");
		report_json_string(f, t);
		first = false;
	}
	fprintf(f, "]");
}

static void json_ikev2(FILE *f, const struct twamp_report *r)
{
	char i[17], k[17];

	fprintf(f, ",\n    \"ikev2\": ");
	if (!r->o->ikev2) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"spi_i\": ");
	json_str_or_null(f, r->spi_i ? spi_hex(r->spi_i, i) : NULL);
	fprintf(f, ", \"spi_r\": ");
	json_str_or_null(f, r->spi_r ? spi_hex(r->spi_r, k) : NULL);
	fprintf(f, ", \"prf\": ");
	json_str_or_null(f, r->ike_prf);
	fprintf(f, "}");
}

static void json_control(FILE *f, const struct twamp_report *r)
{
	const struct twamp_opts *o = r->o;
	const struct ctl_client *c = r->ctl;
	bool sent_mode = c && c->mode != 0;

	fprintf(f, ",\n  \"control\": {\n    \"result\": ");
	report_json_string(f, r->result);
	fprintf(f, ",\n    \"error\": ");
	json_str_or_null(f, r->error);
	if (c && c->accept)
		fprintf(f, ",\n    \"accept\": %u", c->accept);
	else
		fprintf(f, ",\n    \"accept\": null");
	fprintf(f, ",\n    \"mode\": \"%s\",\n    \"mode_value\": ", ctl_security_name(o->security));
	if (sent_mode)
		fprintf(f, "%" PRIu32, c->mode);
	else
		fprintf(f, "null");
	fprintf(f, ",\n    \"modes_offered\": ");
	if (greeted(c))
		json_modes(f, c->greeting.modes);
	else
		fprintf(f, "null");
	fprintf(f, ",\n    \"key_id\": ");
	json_str_or_null(f, o->key_id);
	json_ikev2(f, r);
	fprintf(f, ",\n    \"individual\": %s,\n    \"reflect_octets\": %s,\n    \"symmetrical\": %s",
		o->individual ? "true" : "false", o->reflect_octets ? "true" : "false",
		o->symmetrical ? "true" : "false");
	fprintf(f, ",\n    \"server_start_time_ns\": ");
	/* a time before 1970 (or a server's uptime) has no Unix form */
	if (c && (c->server_start_time >> 32) >= NTP_UNIX_OFFSET)
		fprintf(f, "%" PRIu64, ntp_to_unix_ns(c->server_start_time));
	else
		fprintf(f, "null");
	fprintf(f, ",\n    \"stopped\": %s\n  }", r->stopped ? "true" : "false");
}

static void json_session(FILE *f, const struct twamp_report *r, unsigned i)
{
	const struct ctl_session *s = &r->ctl->sess[i];
	struct report_info in;
	char label[128], sid[2 * TWC_SID_LEN + 1];

	session_info(r, i, label, sizeof(label), &in);
	sid_hex(s->sid, sid);
	fprintf(f, "%s\n    {\n      \"index\": %u,\n      \"sid\": \"%s\",\n      \"sender_port\": %u"
		",\n      \"reflector_port\": %u,\n      \"server_octets\": ", i ? "," : "", i + 1, sid,
		r->sender_ports[i], s->port);
	if (r->o->reflect_octets)
		fprintf(f, "%u", s->server_octets);
	else
		fprintf(f, "null");
	report_json_fields(f, &in, &r->sums[i], "      ");
	fprintf(f, "\n    }");
}

void twamp_report_json(FILE *f, const struct twamp_report *r)
{
	fprintf(f, "{\n  \"version\": ");
	report_json_string(f, TWR_VERSION);
	fprintf(f, ",\n  \"command\": \"twamp\",\n  \"server\": {\"host\": ");
	report_json_string(f, r->o->host);
	fprintf(f, ", \"address\": ");
	json_str_or_null(f, r->address);
	fprintf(f, ", \"port\": %u, \"receiver_address\": ", r->o->port);
	json_str_or_null(f, r->o->receiver_arg);
	fprintf(f, "}");
	json_control(f, r);
	fprintf(f, ",\n  \"sessions\": [");
	for (unsigned i = 0; i < r->nsessions; i++)
		json_session(f, r, i);
	fprintf(f, "%s]\n}\n", r->nsessions ? "\n  " : "");
}
