/* One authentication job: the expensive part of a Set-Up-Response (the
 * key agent's lookup in IKEv2-derived mode, PBKDF2 and the Token check),
 * as a self-contained piece of work that an authentication worker
 * (ctl_authpool.h) runs off the event loop, or the connection runs inline
 * when there is no pool (unit tests, the fuzzer).
 *
 * A job carries copies of everything the work needs (the secret, Salt,
 * Count, Token, Challenge; the SPIs and the peer's address) and room for
 * the result (the session keys, the agent's answer): while a worker runs
 * it, nothing of the connection is touched, so the connection may close
 * meanwhile (ctl_authpool_cancel). ctl_auth_job_free wipes it all. */
#ifndef TWR_CTL_AUTH_H
#define TWR_CTL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control_crypto.h"
#include "ctl_addr.h"
#include "ctl_authq.h"
#include "ctl_config.h"
#include "keyagent_proto.h"

enum ctl_auth_kind {
	CTL_AUTH_SECRET,  /* a key-chain secret (or the dummy of an unknown KeyID) */
	CTL_AUTH_IKE,     /* the key of the IKE SA the SPIs name, from the key agent */
};

/* The key agent lookup of an IKE job (ctl_conn_env.ike_lookup): runs on
 * a worker thread, so it may read only what never changes while the
 * server runs (the configuration). */
typedef enum ka_status (*ctl_auth_lookup_fn)(void *arg, const uint8_t spi_i[KA_SPI_LEN],
					     const uint8_t spi_r[KA_SPI_LEN], struct ka_reply *out);

enum ctl_auth_pstate { CTL_AUTH_NEW, CTL_AUTH_QUEUED, CTL_AUTH_RUNNING, CTL_AUTH_DONE };

struct ctl_auth_job {
	/* ---- in: written before submission, then read by the worker ---- */
	enum ctl_auth_kind kind;
	uint8_t secret[CTL_SECRET_MAX];      /* CTL_AUTH_SECRET */
	size_t secret_len;
	ctl_auth_lookup_fn lookup;           /* CTL_AUTH_IKE */
	void *lookup_arg;
	uint8_t spi_i[KA_SPI_LEN], spi_r[KA_SPI_LEN];
	bool check_peer;                     /* the SA's remote must be `peer` */
	struct ka_addr peer;
	uint8_t salt[16], challenge[16], token[64];
	uint32_t count;                      /* PBKDF2 iterations */

	/* ---- out: written by the worker ---- */
	bool checked;                        /* the Token check ran */
	enum twc_err err;                    /* its outcome */
	uint8_t aes[16], hmac[32];           /* session keys when err == TWC_OK */
	enum ka_status ka;                   /* CTL_AUTH_IKE: the agent's answer */
	bool peer_ok;                        /* ... and the peer check */
	struct ka_reply rep;                 /* ... the SA, its key wiped */

	/* ---- the connection's, carried through untouched ---- */
	bool known_key;                      /* the KeyID is in the key-chain */
	uint8_t client_iv[16];

	/* ---- the pool's (ctl_authpool.c): loop thread, or under its mutex ---- */
	struct ctl_authq_item qi;
	enum ctl_auth_pstate pstate;         /* under the mutex */
	bool cancelled;                      /* under the mutex */
	bool refused;                        /* queue full: not run (loop thread) */
	void (*done)(void *ctx, struct ctl_auth_job *j);
	void *ctx;
	struct ctl_auth_job *next_done;      /* under the mutex */
};

/* calloc'ed, NULL when out of memory. */
struct ctl_auth_job *ctl_auth_job_new(void);
/* Wipes every octet and frees. NULL allowed. */
void ctl_auth_job_free(struct ctl_auth_job *j);

/* The work: for CTL_AUTH_IKE the lookup, the peer check, and only with a
 * key and the right peer the Token check; for CTL_AUTH_SECRET the Token
 * check. Touches nothing but *j (and, through lookup, the key agent). */
void ctl_auth_run(struct ctl_auth_job *j);

#endif
