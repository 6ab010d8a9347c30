/* Greeting, Set-Up-Response and Server-Start (RFC 4656 §3.1, RFC 5357
 * §3.1; docs/protocol.md §4.1-§4.3, §4.9 point 1). */
#include <string.h>

#include "ctl_conn.h"
#include "secure_mem.h"

/* What this connection's greeting offers: the configured modes we
 * implement, IKEv2Derived only while the key agent answers (decided once,
 * here: the Set-Up-Response is checked against this greeting). */
static uint32_t offer(const struct ctl_conn *c)
{
	const struct ctl_conn_env *env = c->env;
	uint32_t m = env->cfg->server.modes & CTL_MODES_SUPPORTED;

	if ((m & TWC_MODE_IKEV2) && !(env->ike_offer && env->ike_lookup && env->ike_offer(env->arg)))
		m &= ~TWC_MODE_IKEV2;
	if (!(m & TWC_MODE_SECURED))
		m &= ~TWC_MODE_IKEV2; /* it replaces a shared secret */
	if (!(m & TWC_MODE_SECURITY))
		m = 0; /* no security mode: "go away" */
	return m;
}

void ctl_conn_greet(struct ctl_conn *c)
{
	struct twc_greeting g = { .modes = offer(c),
				  .count = 1u << c->env->cfg->server.count };
	uint8_t buf[TWC_GREETING_LEN];

	c->offered = g.modes;
	c->env->random(c->env->arg, c->challenge, sizeof(c->challenge));
	c->env->random(c->env->arg, c->salt, sizeof(c->salt));
	memcpy(g.challenge, c->challenge, 16);
	memcpy(g.salt, c->salt, 16);
	if (twc_greeting_enc(&g, buf, sizeof(buf)) != TWC_OK) {
		ctl_conn_fail(c, CTL_C_MALFORMED, LOG_ERR, "cannot encode the greeting");
		return;
	}
	ctl_conn_queue(c, buf, sizeof(buf));
	if (g.modes == 0)
		ctl_conn_fail(c, CTL_C_MODE_REFUSED, LOG_WARNING,
			      "no security mode configured: greeted with Modes 0");
}

/* One security mode the server offered, and only offered feature bits. */
static bool mode_ok(uint32_t mode, uint32_t offered)
{
	uint32_t sec = mode & TWC_MODE_SECURITY;

	return sec != 0 && (sec & (sec - 1)) == 0 && (mode & ~offered) == 0;
}

/* Server-Start: Accept 0 starts the server stream (Server-IV, the sealed
 * Start-Time block); any other Accept goes out all zero but for it (as PS
 * sends it) and the connection closes. */
void ctl_conn_server_start(struct ctl_conn *c, uint8_t accept, const uint8_t client_iv[16])
{
	struct twc_server_start m = { .accept = accept };
	uint8_t buf[TWC_SERVER_START_LEN];

	if (accept == TWC_ACCEPT_OK) {
		c->env->random(c->env->arg, m.server_iv, sizeof(m.server_iv));
		m.start_time = c->env->start_time;
		c->crypto = twc_ctl_crypto_new(c->mode, c->aes, c->hmac, client_iv, m.server_iv);
		if (!c->crypto) {
			memset(&m, 0, sizeof(m));
			m.accept = accept = TWC_ACCEPT_INTERNAL;
		}
	}
	if (twc_server_start_enc(&m, buf, sizeof(buf)) != TWC_OK ||
	    (accept == TWC_ACCEPT_OK && twc_seal_server_start(c->crypto, buf) != TWC_OK)) {
		ctl_conn_fail(c, CTL_C_MALFORMED, LOG_ERR, "cannot make the Server-Start");
		return;
	}
	ctl_conn_queue(c, buf, sizeof(buf));
	if (accept == TWC_ACCEPT_OK && c->state != CTL_CS_CLOSING)
		c->state = CTL_CS_REQUEST;
}

void ctl_conn_auth_result(struct ctl_conn *c, bool ok)
{
	if (c->settled)
		return;
	c->settled = true;
	if (c->env->auth_result)
		c->env->auth_result(c->env->arg, &c->peer, ok);
}

void ctl_conn_auth_accepted(struct ctl_conn *c, const uint8_t client_iv[16])
{
	c->env->ctr->v[CTL_C_AUTH_OK]++;
	ctl_conn_auth_result(c, true);
	ctl_conn_server_start(c, TWC_ACCEPT_OK, client_iv);
}

bool ctl_conn_token_refused(struct ctl_conn *c, enum twc_err e)
{
	wipe(c->aes, sizeof(c->aes));
	wipe(c->hmac, sizeof(c->hmac));
	if (e == TWC_E_CRYPTO) {
		ctl_conn_server_start(c, TWC_ACCEPT_INTERNAL, NULL);
		ctl_conn_fail(c, CTL_C_MALFORMED, LOG_ERR, "token check: %s (Accept 2)",
			      twc_strerror(e));
		return false;
	}
	c->env->ctr->v[CTL_C_AUTH_FAILED]++;
	return true;
}

void ctl_conn_auth_refused(struct ctl_conn *c)
{
	ctl_conn_server_start(c, TWC_ACCEPT_FAILURE, NULL);
	ctl_conn_auth_result(c, false);
	ctl_conn_close_quiet(c);
}

/* ---- the authentication job (ctl_auth.h) ---- */

void ctl_conn_auth_start(struct ctl_conn *c, struct ctl_auth_job *j)
{
	if (c->env->auth_async) {
		c->job = j;
		c->auth_wait = true;
		return;
	}
	ctl_auth_run(j);
	c->auth_wait = true;
	ctl_conn_auth_done(c, j);
	ctl_auth_job_free(j);
}

struct ctl_auth_job *ctl_conn_auth_take(struct ctl_conn *c)
{
	struct ctl_auth_job *j = c->job;

	c->job = NULL;
	return j;
}

struct ctl_auth_job *ctl_conn_auth_job_new(struct ctl_conn *c, enum ctl_auth_kind kind,
					   const struct twc_setup *s)
{
	struct ctl_auth_job *j = ctl_auth_job_new();

	if (!j) {
		ctl_conn_server_start(c, TWC_ACCEPT_INTERNAL, NULL);
		ctl_conn_fail(c, CTL_C_MALFORMED, LOG_ERR,
			      "out of memory for the authentication (Accept 2)");
		return NULL;
	}
	j->kind = kind;
	memcpy(j->salt, c->salt, sizeof(j->salt));
	memcpy(j->challenge, c->challenge, sizeof(j->challenge));
	memcpy(j->token, s->token, sizeof(j->token));
	memcpy(j->client_iv, s->client_iv, sizeof(j->client_iv));
	j->count = 1u << c->env->cfg->server.count;
	return j;
}

/* Secured modes: the Token must decrypt, under the KeyID's secret, to our
 * Challenge. An unknown KeyID runs the same PBKDF2 and decryption with a
 * dummy secret, so it costs the same time and ends the same way (Accept
 * 1) as a wrong secret. */
static void authenticate(struct ctl_conn *c, const struct twc_setup *s)
{
	const struct ctl_key *key = ctl_config_key(c->env->cfg, s->keyid, TWC_KEYID_LEN);
	const uint8_t *secret = key ? key->secret : c->env->dummy_secret;
	size_t len = key ? key->secret_len : c->env->dummy_len;
	struct ctl_auth_job *j = ctl_conn_auth_job_new(c, CTL_AUTH_SECRET, s);

	if (!j)
		return;
	if (len > sizeof(j->secret))
		len = sizeof(j->secret); /* the dummy; key-chain secrets fit */
	memcpy(j->secret, secret, len);
	j->secret_len = len;
	j->known_key = key != NULL;
	ctl_conn_auth_start(c, j);
}

static void secret_done(struct ctl_conn *c, const struct ctl_auth_job *j)
{
	if (j->err == TWC_OK && j->known_key) {
		c->authenticated = true;
		ctl_conn_log(c, LOG_NOTICE, "authentication ok",
			     "authentication ok: peer=%s key-id=\"%s\" mode=0x%x", c->name, c->keyid,
			     c->mode);
		ctl_conn_auth_accepted(c, j->client_iv);
		return;
	}
	if (!ctl_conn_token_refused(c, j->err))
		return;
	if (!j->known_key)
		c->env->ctr->v[CTL_C_AUTH_UNKNOWN_KEY]++;
	ctl_conn_log(c, LOG_WARNING, "authentication failed",
		     "authentication failed: peer=%s key-id=\"%s\" mode=0x%x: %s (Accept 1)", c->name,
		     c->keyid, c->mode,
		     j->known_key ? "token does not carry the challenge" : "unknown KeyID");
	ctl_conn_auth_refused(c);
}

/* The pool had no room: the server's limit, not the client's failure
 * (not counted for ip-block); Accept 5 says "try again later". */
static void queue_full(struct ctl_conn *c)
{
	ctl_conn_log(c, LOG_WARNING, "authentication refused",
		     "authentication refused: peer=%s mode=0x%x: the authentication queue is full "
		     "(Accept 5)", c->name, c->mode);
	ctl_conn_server_start(c, TWC_ACCEPT_TEMPORARY, NULL);
	ctl_conn_close_quiet(c);
}

void ctl_conn_auth_done(struct ctl_conn *c, struct ctl_auth_job *j)
{
	c->auth_wait = false;
	if (c->state == CTL_CS_CLOSING)
		return;
	if (j->refused) {
		queue_full(c);
		return;
	}
	if (j->checked && j->err == TWC_OK) {
		memcpy(c->aes, j->aes, sizeof(c->aes));
		memcpy(c->hmac, j->hmac, sizeof(c->hmac));
	}
	if (j->kind == CTL_AUTH_IKE)
		ctl_conn_ike_done(c, j);
	else
		secret_done(c, j);
}

void ctl_conn_setup(struct ctl_conn *c)
{
	struct twc_setup s;
	enum twc_err e = twc_setup_dec(c->in, c->in_len, &s);

	c->mode = s.mode;
	if (!(s.mode & TWC_MODE_IKEV2))
		ctl_escape(s.keyid, sizeof(s.keyid), c->keyid, sizeof(c->keyid));
	if (e != TWC_OK || !mode_ok(s.mode, c->offered)) {
		ctl_conn_server_start(c, TWC_ACCEPT_NOT_SUPPORTED, NULL);
		ctl_conn_fail(c, CTL_C_MODE_REFUSED, LOG_WARNING,
			      "Set-Up-Response Mode 0x%x not offered (offered 0x%x): Accept 3", s.mode,
			      c->offered);
		ctl_conn_auth_result(c, false); /* malformed: counts toward ip-block */
	} else if (s.mode & TWC_MODE_IKEV2) {
		ctl_conn_setup_ike(c, &s);
	} else if (!twc_mode_secured(s.mode)) {
		c->env->ctr->v[CTL_C_SETUP_OPEN]++;
		ctl_conn_log(c, LOG_NOTICE, "set up unauthenticated",
			     "set up unauthenticated: peer=%s mode=0x%x", c->name, c->mode);
		ctl_conn_server_start(c, TWC_ACCEPT_OK, NULL);
	} else {
		authenticate(c, &s);
	}
	wipe(&s, sizeof(s));
}
