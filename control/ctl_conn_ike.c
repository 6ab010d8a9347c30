/* Set-Up-Response with IKEv2Derived (Mode bit 0x80): the shared secret is
 * prf(SK_d, "IPPM") of the IKE SA the KeyID names, from the key agent
 * (RFC 7717 §5.1, §5.3; docs/protocol.md §8). Then PBKDF2 and the Token check
 * as for a key-chain secret (ctl_conn_setup.c).
 *
 * KeyID (80 octets) in this mode:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |              SPIi (8 octets, as in the IKE header)            | 0-7
 *  +---------------------------------------------------------------+
 *  |              SPIr (8 octets)                                  | 8-15
 *  +---------------------------------------------------------------+
 *  |      64 octets the client sets to zero; ignored here          | 16-79
 *  +---------------------------------------------------------------+
 *
 * Outcomes, each counted and logged with the peer and the SPIs:
 *   key, Token carries the Challenge     Accept 0 (ikev2-authentication-ok)
 *   key, Token does not                  Accept 1 (authentication-failed)
 *   no such SA, or an SPI zero           Accept 6 (ikev2-no-sa; a failed
 *                                        authentication for the block list)
 *   SA of another peer (check-peer-address)  Accept 6 (ikev2-peer-mismatch;
 *                                        a failed authentication)
 *   the agent's policy refuses           Accept 6 (ikev2-not-permitted)
 *   agent or charon unreachable          Accept 6 (ikev2-agent-unreachable)
 *   the agent answers an error           Accept 2 (ikev2-agent-errors)
 * Without a key no PBKDF2 is run: Accept 6 tells the client as much as the
 * time would. The lookup and PBKDF2 are one authentication job
 * (ctl_auth.h): on a worker of the pool, where the lookup holds that
 * worker (not the event loop) for at most key-agent-timeout (default
 * 500 ms); the outcome is decided here, on the loop, when it is back.
 *
 * The key is wiped once the Token is checked: the control session keys
 * come from the Token, the test keys from them, so nothing asks the agent
 * again and a rekeyed or deleted SA does not touch the connection. */
#include <stdio.h>
#include <string.h>

#include "ctl_conn.h"

static void hex8(const uint8_t *p, char out[17])
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static bool spi_zero(const uint8_t spi[KA_SPI_LEN])
{
	static const uint8_t zero[KA_SPI_LEN];

	return memcmp(spi, zero, KA_SPI_LEN) == 0;
}

/* The counter and Accept for a lookup that gave no usable key. */
static void refuse(struct ctl_conn *c, enum ka_status st, const char *spis, const char *why)
{
	enum ctl_ctr ctr = CTL_C_IKE_AGENT_ERROR;
	uint8_t accept = TWC_ACCEPT_NO_SA;
	bool auth_failure = false;

	switch (st) {
	case KA_NO_SA: ctr = CTL_C_IKE_NO_SA; auth_failure = true; break;
	case KA_OK: ctr = CTL_C_IKE_PEER_MISMATCH; auth_failure = true; break;
	case KA_NOT_PERMITTED: ctr = CTL_C_IKE_NOT_PERMITTED; break;
	case KA_AGENT_DOWN:
	case KA_NO_AGENT: ctr = CTL_C_IKE_AGENT_DOWN; break;
	default: accept = TWC_ACCEPT_INTERNAL; break;
	}
	c->env->ctr->v[ctr]++;
	if (auth_failure)
		c->env->ctr->v[CTL_C_AUTH_FAILED]++;
	ctl_conn_log(c, accept == TWC_ACCEPT_NO_SA ? LOG_WARNING : LOG_ERR, "ikev2 set-up refused",
		     "ikev2 set-up refused: peer=%s spi=%s mode=0x%x agent=%s: %s (Accept %u)", c->name,
		     spis, c->mode, ka_status_name(st), why, accept);
	ctl_conn_server_start(c, accept, NULL);
	if (auth_failure)
		ctl_conn_auth_result(c, false);
	ctl_conn_close_quiet(c);
}

static const char *why_not(enum ka_status st)
{
	switch (st) {
	case KA_NO_SA: return "no established IKEv2 SA with these SPIs";
	case KA_NOT_PERMITTED: return "the key agent's policy refuses";
	case KA_AGENT_DOWN: return "the key agent cannot reach charon";
	case KA_NO_AGENT: return "no answer from the key agent";
	default: return "the key agent answered an error";
	}
}

static const char *mismatch(const struct ka_reply *rep, char *buf, size_t len)
{
	char ip[CTL_ADDR_STR];

	snprintf(buf, len, "the connection does not come from the IKE SA's peer %s",
		 ka_addr_format(&rep->remote, ip, sizeof(ip)));
	return buf;
}

/* The key was there: the Token must carry our Challenge under it. */
static void check_token(struct ctl_conn *c, const struct ctl_auth_job *j, const char *spis)
{
	const struct ka_reply *rep = &j->rep;
	enum twc_err e = j->err;
	char ip[CTL_ADDR_STR], id[4 * KA_ID_FIELD + 1];
	const char *prf = ka_prf_name(rep->prf);

	snprintf(c->ike_remote_id, sizeof(c->ike_remote_id), "%s", rep->remote_id);
	if (e == TWC_OK) {
		c->env->ctr->v[CTL_C_IKE_OK]++;
		c->authenticated = true;
		/* the identity is the IKE peer's choice: escaped like a KeyID */
		ctl_escape((const uint8_t *)rep->remote_id, strnlen(rep->remote_id, KA_ID_FIELD), id,
			   sizeof(id));
		ctl_conn_log(c, LOG_NOTICE, "authentication ok",
			     "authentication ok: peer=%s ikev2 spi=%s ike-peer=%s ike-id=\"%s\" prf=%s mode=0x%x",
			     c->name, spis, ka_addr_format(&rep->remote, ip, sizeof(ip)), id,
			     prf ? prf : "?", c->mode);
		ctl_conn_auth_accepted(c, j->client_iv);
		return;
	}
	if (!ctl_conn_token_refused(c, e))
		return;
	ctl_conn_log(c, LOG_WARNING, "authentication failed",
		     "authentication failed: peer=%s ikev2 spi=%s mode=0x%x: token does not carry the "
		     "challenge under the SA's key (Accept 1)", c->name, spis, c->mode);
	ctl_conn_auth_refused(c);
}

static void spis_str(const struct ctl_conn *c, char spis[2 * 17])
{
	hex8(c->spi_i, spis);
	spis[16] = ':';
	hex8(c->spi_r, spis + 17);
}

void ctl_conn_setup_ike(struct ctl_conn *c, const struct twc_setup *s)
{
	const struct ctl_conn_env *env = c->env;
	struct ctl_auth_job *j;
	char spis[2 * 17];

	c->ike = true;
	c->keyid[0] = '\0';
	memcpy(c->spi_i, s->keyid, KA_SPI_LEN);
	memcpy(c->spi_r, s->keyid + KA_SPI_LEN, KA_SPI_LEN);
	spis_str(c, spis);
	if (spi_zero(c->spi_i) || spi_zero(c->spi_r)) {
		refuse(c, KA_NO_SA, spis, "an SPI is zero");
		return;
	}
	j = ctl_conn_auth_job_new(c, CTL_AUTH_IKE, s);
	if (!j)
		return;
	j->lookup = env->ike_lookup;
	j->lookup_arg = env->arg;
	memcpy(j->spi_i, c->spi_i, KA_SPI_LEN);
	memcpy(j->spi_r, c->spi_r, KA_SPI_LEN);
	j->check_peer = env->cfg->server.ike_check_peer;
	j->peer.family = c->peer.ver;
	memcpy(j->peer.a, c->peer.a, sizeof(j->peer.a));
	ctl_conn_auth_start(c, j);
}

void ctl_conn_ike_done(struct ctl_conn *c, struct ctl_auth_job *j)
{
	const struct ctl_conn_env *env = c->env;
	enum ka_status st = j->ka;
	char spis[2 * 17], why[128];

	if (env->ike_seen)
		env->ike_seen(env->arg, st);
	spis_str(c, spis);
	if (st == KA_OK && j->rep.key_len == 0)
		st = KA_INTERNAL;
	if (st != KA_OK)
		refuse(c, st, spis, why_not(st));
	else if (!j->peer_ok)
		refuse(c, KA_OK, spis, mismatch(&j->rep, why, sizeof(why)));
	else
		check_token(c, j, spis);
}
