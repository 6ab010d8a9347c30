/* TWAMP-Control Control-Client state machine: see ctl_client.h. Codecs
 * and the control-stream crypto are common's (control_msg.h,
 * control_crypto.h); this file holds the order of messages and what the
 * client checks in each server message.
 */
#include "ctl_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kdf.h"
#include "secure_mem.h"

/* ---- text ------------------------------------------------------------ */

const char *ctl_accept_text(uint8_t accept)
{
	static const char *const text[] = {
		"OK", "failure, reason unspecified", "internal error", "not supported",
		"permanent resource limitation", "temporary resource limitation",
		"no IKEv2 SA for the KeyID",
	};

	return accept < sizeof(text) / sizeof(text[0]) ? text[accept] : "unknown Accept value";
}

const char *ctl_security_name(uint32_t security)
{
	switch (security) {
	case TWC_MODE_UNAUTH:
		return "open";
	case TWC_MODE_AUTH:
		return "auth";
	case TWC_MODE_ENC:
		return "enc";
	case TWC_MODE_MIXED:
		return "mixed";
	default:
		return "?";
	}
}

void ctl_modes_text(uint32_t modes, char *buf, size_t len)
{
	static const char *const names[] = {
		"open", "auth", "enc", "mixed", "individual-session-control", "reflect-octets",
		"symmetrical-size", "ikev2-derived", "dscp-ecn", "ptp-timestamps",
	};
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (modes == 0)
		snprintf(buf, len, "none");
	for (unsigned bit = 0; bit < 32 && used < len; bit++) {
		const char *sep = used ? ", " : "";
		int w;

		if (!(modes & (1u << bit)))
			continue;
		if (bit < sizeof(names) / sizeof(names[0]))
			w = snprintf(buf + used, len - used, "%s%s", sep, names[bit]);
		else
			w = snprintf(buf + used, len - used, "%s0x%x", sep, 1u << bit);
		used += w > 0 ? (size_t)w : 0;
	}
}

void ctl_ike_keyid(uint8_t keyid[TWC_KEYID_LEN], const uint8_t spi_i[8], const uint8_t spi_r[8])
{
	memset(keyid, 0, TWC_KEYID_LEN);
	memcpy(keyid, spi_i, 8);
	memcpy(keyid + 8, spi_r, 8);
}

/* ---- helpers --------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static enum ctl_result fail(struct ctl_client *c, enum ctl_result r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->state = CTL_FAILED;
	c->result = r;
	return r;
}

void ctl_fail(struct ctl_client *c, enum ctl_result r, const char *why)
{
	if (c->state != CTL_FAILED)
		fail(c, r, "%s", why);
}

const char *ctl_error(const struct ctl_client *c)
{
	return c->err;
}

static bool test_keyed(const struct ctl_client *c)
{
	return c->cfg.security == TWC_MODE_AUTH || c->cfg.security == TWC_MODE_ENC;
}

static uint32_t features(const struct ctl_cfg *cfg)
{
	return (cfg->ikev2 ? TWC_MODE_IKEV2 : 0) | (cfg->individual ? TWC_MODE_ISC : 0) |
	       (cfg->reflect_octets ? TWC_MODE_REFLECT_OCTETS : 0) |
	       (cfg->symmetrical ? TWC_MODE_SYMMETRICAL : 0);
}

/* Seal the plaintext message in c->out (len octets) for the server. */
static enum ctl_result send_sealed(struct ctl_client *c, size_t len, const char *what)
{
	enum twc_err e = twc_seal(c->crypto, TWC_C2S, c->out, len);

	if (e != TWC_OK)
		return fail(c, CTL_INTERNAL, "%s: %s", what, twc_strerror(e));
	c->out_len = len;
	return CTL_OK;
}

/* Decrypt and authenticate a fixed-size server message into msg. */
static enum ctl_result open_msg(struct ctl_client *c, uint8_t *msg, size_t len, const char *what)
{
	enum twc_err e = twc_open(c->crypto, TWC_S2C, msg, len);

	if (e == TWC_E_HMAC)
		return fail(c, CTL_PROTOCOL,
			    "%s: HMAC does not verify (not our session keys, or altered on the way)", what);
	if (e != TWC_OK)
		return fail(c, CTL_INTERNAL, "%s: %s", what, twc_strerror(e));
	return CTL_OK;
}

/* ---- set-up ---------------------------------------------------------- */

enum ctl_result ctl_init(struct ctl_client *c, const struct ctl_cfg *cfg,
			 const struct ctl_random *rnd)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->rnd = *rnd;
	c->state = CTL_GREETING;
	if (!strcmp(ctl_security_name(cfg->security), "?"))
		return fail(c, CTL_INTERNAL, "no single security mode chosen");
	if (cfg->nsessions == 0 || cfg->nsessions > CTL_MAX_SESSIONS)
		return fail(c, CTL_INTERNAL, "1 to %u sessions per connection", CTL_MAX_SESSIONS);
	if (twc_mode_secured(cfg->security) && (!cfg->secret || cfg->secret_len == 0))
		return fail(c, CTL_INTERNAL, "%s mode needs a shared secret",
			    ctl_security_name(cfg->security));
	if (cfg->ikev2 && !twc_mode_secured(cfg->security))
		return fail(c, CTL_INTERNAL, "IKEv2-derived keys need auth, enc or mixed mode");
	if (cfg->max_count_exp < 10 || cfg->max_count_exp > TW_COUNT_MAX_EXP)
		return fail(c, CTL_INTERNAL, "max count exponent %u is not in 10..%u",
			    cfg->max_count_exp, TW_COUNT_MAX_EXP);
	return CTL_OK;
}

/* The mode and features we want must all be offered. */
static enum ctl_result check_offer(struct ctl_client *c)
{
	uint32_t offered = c->greeting.modes;
	uint32_t missing = features(&c->cfg) & ~offered;
	char have[256], lack[128];

	ctl_modes_text(offered, have, sizeof(have));
	if (!(offered & c->cfg.security))
		return fail(c, CTL_UNSUPPORTED, "server does not offer %s mode (it offers: %s)",
			    ctl_security_name(c->cfg.security), have);
	if (c->cfg.ikev2 && !(offered & TWC_MODE_IKEV2))
		return fail(c, CTL_UNSUPPORTED, "server does not offer IKEv2-derived keys (mode 0x80; "
			    "it offers: %s)", have);
	if (missing) {
		ctl_modes_text(missing, lack, sizeof(lack));
		return fail(c, CTL_UNSUPPORTED, "server does not offer %s (it offers: %s)", lack, have);
	}
	return CTL_OK;
}

static enum ctl_result check_count(struct ctl_client *c, enum twc_err e)
{
	uint32_t count = c->greeting.count;
	uint64_t limit = 1ull << c->cfg.max_count_exp;

	if (e == TWC_E_COUNT)
		return fail(c, CTL_PROTOCOL,
			    "Server Greeting Count %u is not a power of 2 of at least 1024", count);
	if (count > limit)
		return fail(c, CTL_UNSUPPORTED,
			    "server asks for a PBKDF2 Count of %u, above our limit of %llu "
			    "(2^%u, --max-count-exponent)",
			    count, (unsigned long long)limit, c->cfg.max_count_exp);
	return CTL_OK;
}

/* Set-Up-Response: open mode zeroes everything after Mode (as PS does). */
static enum ctl_result send_setup(struct ctl_client *c)
{
	struct twc_setup s;
	enum twc_err e = TWC_OK;

	memset(&s, 0, sizeof(s));
	s.mode = c->mode;
	if (twc_mode_secured(c->mode)) {
		memcpy(s.keyid, c->cfg.keyid, sizeof(s.keyid));
		memcpy(s.client_iv, c->rnd.client_iv, sizeof(s.client_iv));
		e = twc_token_make(c->cfg.secret, c->cfg.secret_len, c->greeting.salt,
				   c->greeting.count, c->greeting.challenge, c->rnd.aes,
				   c->rnd.hmac, s.token);
	}
	if (e == TWC_OK)
		e = twc_setup_enc(&s, c->out, sizeof(c->out));
	wipe(&s, sizeof(s));
	if (e != TWC_OK)
		return fail(c, CTL_INTERNAL, "Set-Up-Response: %s", twc_strerror(e));
	c->out_len = twc_setup_len(c->mode);
	c->state = CTL_SERVER_START;
	return CTL_OK;
}

/* After a failed greeting check: a Set-Up-Response with Mode 0 tells the
 * server we decline (RFC 4656 §3.1), then the connection is closed. */
static enum ctl_result decline(struct ctl_client *c)
{
	memset(c->out, 0, TWC_SETUP_LEN);
	c->out_len = twc_setup_len(0);
	return c->result;
}

static enum ctl_result on_greeting(struct ctl_client *c, const uint8_t *buf)
{
	enum twc_err e = twc_greeting_dec(buf, TWC_GREETING_LEN, &c->greeting);

	if (e != TWC_OK && e != TWC_E_COUNT)
		return fail(c, CTL_PROTOCOL, "Server Greeting: %s", twc_strerror(e));
	if (c->greeting.modes == 0)
		return fail(c, CTL_REFUSED, "server refuses service (Server Greeting Modes 0)");
	if (check_offer(c) != CTL_OK)
		return decline(c);
	if (twc_mode_secured(c->cfg.security) && check_count(c, e) != CTL_OK)
		return decline(c);
	c->mode = c->cfg.security | features(&c->cfg);
	return send_setup(c);
}

/* ---- sessions -------------------------------------------------------- */

static enum ctl_result send_request(struct ctl_client *c)
{
	enum twc_err e = twc_request_enc(&c->cfg.req[c->next], c->out, sizeof(c->out));

	if (e != TWC_OK)
		return fail(c, CTL_INTERNAL, "Request-TW-Session %u: %s", c->next + 1, twc_strerror(e));
	c->state = CTL_ACCEPT;
	return send_sealed(c, TWC_REQUEST_LEN, "Request-TW-Session");
}

static enum ctl_result server_start_refused(struct ctl_client *c, uint8_t accept)
{
	const uint8_t *k = c->cfg.keyid;

	c->accept = accept;
	if (accept == TWC_ACCEPT_NO_SA && c->cfg.ikev2)
		return fail(c, CTL_REFUSED, "server has no IKEv2 SA %02x%02x%02x%02x%02x%02x%02x%02x:"
			    "%02x%02x%02x%02x%02x%02x%02x%02x for us (Accept 6)", k[0], k[1], k[2], k[3],
			    k[4], k[5], k[6], k[7], k[8], k[9], k[10], k[11], k[12], k[13], k[14], k[15]);
	if (accept == TWC_ACCEPT_FAILURE && c->cfg.ikev2)
		return fail(c, CTL_REFUSED, "authentication failed (Accept 1): the server did not "
			    "accept the IKEv2 SA's key");
	if (accept == TWC_ACCEPT_FAILURE && twc_mode_secured(c->mode))
		return fail(c, CTL_REFUSED, "authentication failed (Accept 1): the server did not "
			    "accept KeyID and shared secret");
	return fail(c, CTL_REFUSED, "server refused the connection (Accept %u: %s)", accept,
		    ctl_accept_text(accept));
}

static enum ctl_result on_server_start(struct ctl_client *c, const uint8_t *buf)
{
	uint8_t ss[TWC_SERVER_START_LEN];
	struct twc_server_start m;
	enum twc_err e;

	memcpy(ss, buf, sizeof(ss));
	e = twc_server_start_dec(ss, sizeof(ss), &m);
	if (e != TWC_OK)
		return fail(c, CTL_PROTOCOL, "Server-Start: %s", twc_strerror(e));
	if (m.accept != TWC_ACCEPT_OK)
		return server_start_refused(c, m.accept);
	c->crypto = twc_ctl_crypto_new(c->mode, c->rnd.aes, c->rnd.hmac, c->rnd.client_iv,
				       m.server_iv);
	if (!c->crypto)
		return fail(c, CTL_INTERNAL, "cannot set up the control-stream crypto");
	e = twc_open_server_start(c->crypto, ss);
	if (e == TWC_OK)
		e = twc_server_start_dec(ss, sizeof(ss), &m);
	if (e != TWC_OK)
		return fail(c, CTL_INTERNAL, "Server-Start: %s", twc_strerror(e));
	c->server_start_time = m.start_time;
	return send_request(c);
}

static enum ctl_result send_start(struct ctl_client *c);

/* Checks of an accepted session's fields; then its test keys. */
static enum ctl_result take_session(struct ctl_client *c, const struct twc_accept_session *m)
{
	unsigned i = c->next;
	const struct twc_request *rq = &c->cfg.req[i];
	struct ctl_session *s = &c->sess[i];

	if (m->port == 0)
		return fail(c, CTL_PROTOCOL, "Accept-Session %u gives reflector port 0", i + 1);
	for (unsigned j = 0; j < i; j++)
		if (!memcmp(c->sess[j].sid, m->sid, TWC_SID_LEN))
			return fail(c, CTL_PROTOCOL, "Accept-Session %u repeats the SID of session %u",
				    i + 1, j + 1);
	if (c->cfg.reflect_octets && m->reflected_octets != rq->octets_to_reflect)
		return fail(c, CTL_PROTOCOL, "Accept-Session %u: Reflected Octets 0x%04x, not the "
			    "0x%04x we sent (RFC 6038)", i + 1, m->reflected_octets,
			    rq->octets_to_reflect);
	memcpy(s->sid, m->sid, TWC_SID_LEN);
	s->port = m->port;
	s->server_octets = c->cfg.reflect_octets ? m->server_octets : 0;
	if (test_keyed(c) && tw_keys_derive(s->sid, c->rnd.aes, c->rnd.hmac, &s->keys))
		return fail(c, CTL_INTERNAL, "cannot derive the test keys of session %u", i + 1);
	return CTL_OK;
}

static enum ctl_result on_accept(struct ctl_client *c, const uint8_t *buf)
{
	uint8_t msg[TWC_ACCEPT_SESSION_LEN];
	struct twc_accept_session m;
	char what[32];
	enum twc_err e;

	snprintf(what, sizeof(what), "Accept-Session %u", c->next + 1);
	memcpy(msg, buf, sizeof(msg));
	if (open_msg(c, msg, sizeof(msg), what) != CTL_OK)
		return c->result;
	e = twc_accept_session_dec(msg, sizeof(msg), &m);
	if (e != TWC_OK)
		return fail(c, CTL_PROTOCOL, "%s: %s", what, twc_strerror(e));
	if (m.accept != TWC_ACCEPT_OK) {
		c->accept = m.accept;
		return fail(c, CTL_REFUSED, "session %u refused (Accept %u: %s)", c->next + 1,
			    m.accept, ctl_accept_text(m.accept));
	}
	if (take_session(c, &m) != CTL_OK)
		return c->result;
	if (++c->next < c->cfg.nsessions)
		return send_request(c);
	return send_start(c);
}

/* ---- start and stop -------------------------------------------------- */

/* Start-N-Sessions / Stop-N-Sessions naming every session. */
static enum ctl_result send_nmsg(struct ctl_client *c, uint8_t cmd, const char *what)
{
	struct twc_nmsg *m = &c->nmsg;
	enum twc_err e;

	memset(m, 0, sizeof(*m));
	m->cmd = cmd;
	m->n = c->cfg.nsessions;
	for (unsigned i = 0; i < m->n; i++)
		memcpy(m->sid[i], c->sess[i].sid, TWC_SID_LEN);
	e = twc_nmsg_enc(m, c->out, sizeof(c->out));
	if (e != TWC_OK)
		return fail(c, CTL_INTERNAL, "%s: %s", what, twc_strerror(e));
	c->nack_head = false;
	return send_sealed(c, TWC_NMSG_LEN(m->n), what);
}

static enum ctl_result send_start(struct ctl_client *c)
{
	enum twc_err e;

	c->state = CTL_START_ACK;
	if (c->cfg.individual)
		return send_nmsg(c, TWC_CMD_START_N_SESSIONS, "Start-N-Sessions");
	e = twc_start_enc(c->out, sizeof(c->out));
	if (e != TWC_OK)
		return fail(c, CTL_INTERNAL, "Start-Sessions: %s", twc_strerror(e));
	return send_sealed(c, TWC_START_LEN, "Start-Sessions");
}

/* The sessions run; the control session keys are no longer needed here
 * (the stream contexts hold their own copies). */
static enum ctl_result started(struct ctl_client *c)
{
	wipe(&c->rnd, sizeof(c->rnd));
	c->state = CTL_TESTING;
	return CTL_OK;
}

static enum ctl_result on_start_ack(struct ctl_client *c, const uint8_t *buf)
{
	uint8_t msg[TWC_START_ACK_LEN], accept;
	enum twc_err e;

	memcpy(msg, buf, sizeof(msg));
	if (open_msg(c, msg, sizeof(msg), "Start-Ack") != CTL_OK)
		return c->result;
	e = twc_start_ack_dec(msg, sizeof(msg), &accept);
	if (e != TWC_OK)
		return fail(c, CTL_PROTOCOL, "Start-Ack: %s", twc_strerror(e));
	if (accept != TWC_ACCEPT_OK) {
		c->accept = accept;
		return fail(c, CTL_REFUSED, "server refused to start the sessions (Accept %u: %s)",
			    accept, ctl_accept_text(accept));
	}
	return started(c);
}

enum ctl_result ctl_stop(struct ctl_client *c, uint8_t accept)
{
	struct twc_stop m = { .accept = accept, .nsessions = c->cfg.nsessions };
	enum twc_err e;

	if (c->state == CTL_FAILED)
		return c->result;
	if (c->state != CTL_TESTING)
		return fail(c, CTL_INTERNAL, "stop requested before the sessions started");
	if (c->cfg.individual) {
		/* octet 1 of Stop-N-Sessions may be MBZ (docs/protocol.md §4.8 ⚠): 0 */
		c->state = CTL_STOP_N_ACK;
		return send_nmsg(c, TWC_CMD_STOP_N_SESSIONS, "Stop-N-Sessions");
	}
	e = twc_stop_enc(&m, c->out, sizeof(c->out));
	if (e != TWC_OK)
		return fail(c, CTL_INTERNAL, "Stop-Sessions: %s", twc_strerror(e));
	c->state = CTL_DONE;
	return send_sealed(c, TWC_STOP_LEN, "Stop-Sessions");
}

/* ---- RFC 5938 acks: first block (command, N), then the rest ---------- */

static const char *nack_name(uint8_t cmd)
{
	return cmd == TWC_CMD_START_N_ACK ? "Start-N-Ack" : "Stop-N-Ack";
}

static uint8_t nack_cmd(const struct ctl_client *c)
{
	return c->state == CTL_START_ACK ? TWC_CMD_START_N_ACK : TWC_CMD_STOP_N_ACK;
}

static enum ctl_result on_nack_head(struct ctl_client *c, const uint8_t *buf)
{
	uint8_t cmd = nack_cmd(c);
	uint32_t n;

	if (twc_decrypt(c->crypto, TWC_S2C, buf, c->in, TWC_BLOCK) != TWC_OK)
		return fail(c, CTL_INTERNAL, "%s: decryption failed", nack_name(cmd));
	if (c->in[0] != cmd)
		return fail(c, CTL_PROTOCOL, "expected %s (command %u), got command %u",
			    nack_name(cmd), cmd, c->in[0]);
	n = (uint32_t)c->in[12] << 24 | (uint32_t)c->in[13] << 16 | (uint32_t)c->in[14] << 8 |
	    c->in[15];
	if (n != c->cfg.nsessions)
		return fail(c, CTL_PROTOCOL, "%s names %u sessions, we have %u", nack_name(cmd), n,
			    c->cfg.nsessions);
	c->nack_head = true;
	return CTL_OK;
}

static bool has_sid(const struct ctl_client *c, const uint8_t sid[TWC_SID_LEN])
{
	for (unsigned i = 0; i < c->cfg.nsessions; i++)
		if (!memcmp(c->sess[i].sid, sid, TWC_SID_LEN))
			return true;
	return false;
}

static enum ctl_result on_nack_rest(struct ctl_client *c, const uint8_t *buf, size_t len)
{
	struct twc_nmsg *m = &c->nmsg;
	uint8_t cmd = nack_cmd(c);
	size_t total = TWC_BLOCK + len;
	enum twc_err e;

	e = twc_decrypt(c->crypto, TWC_S2C, buf, c->in + TWC_BLOCK, len);
	if (e == TWC_OK)
		e = twc_verify(c->crypto, TWC_S2C, c->in, total);
	if (e == TWC_E_HMAC)
		return fail(c, CTL_PROTOCOL, "%s: HMAC does not verify", nack_name(cmd));
	if (e == TWC_OK)
		e = twc_nmsg_dec(c->in, total, cmd, m);
	if (e != TWC_OK)
		return fail(c, CTL_PROTOCOL, "%s: %s", nack_name(cmd), twc_strerror(e));
	for (uint32_t i = 0; i < m->n; i++)
		if (!has_sid(c, m->sid[i]))
			return fail(c, CTL_PROTOCOL, "%s names a SID we do not have", nack_name(cmd));
	if (m->accept != TWC_ACCEPT_OK) {
		c->accept = m->accept;
		return fail(c, CTL_REFUSED, "server refused %s (Accept %u: %s)",
			    cmd == TWC_CMD_START_N_ACK ? "Start-N-Sessions" : "Stop-N-Sessions",
			    m->accept, ctl_accept_text(m->accept));
	}
	if (cmd == TWC_CMD_START_N_ACK)
		return started(c);
	c->state = CTL_DONE;
	return CTL_OK;
}

static size_t nack_need(const struct ctl_client *c)
{
	return c->nack_head ? TWC_NMSG_LEN(c->cfg.nsessions) - TWC_BLOCK : TWC_BLOCK;
}

/* ---- driving --------------------------------------------------------- */

size_t ctl_need(const struct ctl_client *c)
{
	if (c->out_len)
		return 0;
	switch (c->state) {
	case CTL_GREETING:
		return TWC_GREETING_LEN;
	case CTL_SERVER_START:
		return TWC_SERVER_START_LEN;
	case CTL_ACCEPT:
		return TWC_ACCEPT_SESSION_LEN;
	case CTL_START_ACK:
		return c->cfg.individual ? nack_need(c) : TWC_START_ACK_LEN;
	case CTL_STOP_N_ACK:
		return nack_need(c);
	default:
		return 0;
	}
}

enum ctl_result ctl_input(struct ctl_client *c, const uint8_t *buf, size_t len)
{
	if (c->state == CTL_FAILED)
		return c->result;
	if (len == 0 || len != ctl_need(c))
		return fail(c, CTL_INTERNAL, "fed %zu octets, %zu wanted", len, ctl_need(c));
	switch (c->state) {
	case CTL_GREETING:
		return on_greeting(c, buf);
	case CTL_SERVER_START:
		return on_server_start(c, buf);
	case CTL_ACCEPT:
		return on_accept(c, buf);
	case CTL_START_ACK:
		if (!c->cfg.individual)
			return on_start_ack(c, buf);
		/* fall through */
	case CTL_STOP_N_ACK:
		return c->nack_head ? on_nack_rest(c, buf, len) : on_nack_head(c, buf);
	default:
		return fail(c, CTL_INTERNAL, "no input expected");
	}
}

const uint8_t *ctl_output(struct ctl_client *c, size_t *len)
{
	*len = c->out_len;
	c->out_len = 0;
	return *len ? c->out : NULL;
}

void ctl_free(struct ctl_client *c)
{
	twc_ctl_crypto_free(c->crypto);
	c->crypto = NULL;
	wipe(&c->rnd, sizeof(c->rnd));
	for (unsigned i = 0; i < CTL_MAX_SESSIONS; i++)
		wipe(&c->sess[i].keys, sizeof(c->sess[i].keys));
	wipe(c->in, sizeof(c->in));
	wipe(c->out, sizeof(c->out));
	c->cfg.secret = NULL;
	c->cfg.secret_len = 0;
}
