/* One authentication job (see ctl_auth.h). */
#include <stdlib.h>
#include <string.h>

#include "ctl_auth.h"
#include "secmem.h"
#include "secure_mem.h"

/* A job holds a copy of the secret and the derived keys: out of core
 * dumps, wiped when freed (common/secmem.h). */
struct ctl_auth_job *ctl_auth_job_new(void)
{
	return secmem_alloc(sizeof(struct ctl_auth_job));
}

void ctl_auth_job_free(struct ctl_auth_job *j)
{
	if (j)
		secmem_free(j, sizeof(*j));
}

static void token(struct ctl_auth_job *j, const uint8_t *secret, size_t len)
{
	j->err = twc_token_check(secret, len, j->salt, j->count, j->token, j->challenge, j->aes,
				 j->hmac);
	j->checked = true;
}

void ctl_auth_run(struct ctl_auth_job *j)
{
	if (j->kind == CTL_AUTH_SECRET) {
		token(j, j->secret, j->secret_len);
		wipe(j->secret, sizeof(j->secret));
		return;
	}
	memset(&j->rep, 0, sizeof(j->rep));
	j->ka = j->lookup ? j->lookup(j->lookup_arg, j->spi_i, j->spi_r, &j->rep) : KA_NO_AGENT;
	if (j->ka == KA_OK && j->rep.key_len > 0) {
		j->peer_ok = !j->check_peer || ka_addr_equal(&j->peer, &j->rep.remote);
		if (j->peer_ok)
			token(j, j->rep.key, j->rep.key_len);
	}
	/* the SA's key is used only here; the rest of the reply is logged */
	wipe(j->rep.key, sizeof(j->rep.key));
}
