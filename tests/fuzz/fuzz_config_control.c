/* libFuzzer target: the twamp-reflector configuration file as
 * twamp-controld loads it (ctl_config_load, control/config). The input is
 * the file's text (JSON, or XML when it starts with '<'), written to a file
 * mode 0600 and loaded through cfg_load_secure like the daemon does (see
 * fuzz_cfg_env.h for the one libyang context kept). fuzz_config_dataplane
 * loads the same files as the dataplane does; the two are apart because
 * nothing built on control/ may link the dataplane's libraries
 * (tests/py/test_layering.py).
 *
 * Seeds (corpus/fuzz_config_control/, make_config_corpus.py): the example
 * configurations of dpdk-configs/ and tests/config/data/, and variants of
 * them with one leaf removed or set to a boundary value.
 *
 * Properties (abort on violation): the load returns 0 or -1; a failure
 * leaves one line of reason and the result all zero (no key material:
 * ctl_config_free wipes all of it); what loads keeps every table within its
 * bounds, every string terminated, every prefix within its family's length
 * (the ACL's with its host bits zero), and every key-chain entry is found
 * again by its KeyID.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_config.h"
#include "fuzz_cfg_env.h"

static void check_prefix(const struct cfg_prefix *p, int zero_host)
{
	unsigned bits = p->ipver == 4 ? 32 : 128;

	CHECK(p->ipver == 4 || p->ipver == 6);
	CHECK(p->len <= bits);
	if (p->ipver == 4)
		CHECK(cfg_fuzz_zero(p->addr + 4, 12));
	if (zero_host) {
		for (unsigned b = p->len; b < bits; b++)
			CHECK(!(p->addr[b / 8] & (0x80u >> (b % 8))));
	}
}

static int terminated(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap;
}

static void check_ctl(const struct ctl_config *c)
{
	const struct ctl_server_cfg *s = &c->server;
	const struct ctl_security_cfg *sec = &c->security;

	CHECK(s->nlisten <= CTL_MAX_LISTEN);
	for (size_t i = 0; i < s->nlisten; i++)
		CHECK(s->listen[i].ipver == 4 || s->listen[i].ipver == 6);
	CHECK(terminated(s->ka_socket, sizeof(s->ka_socket)));
	CHECK(s->control_dscp <= 63);
	CHECK(s->max_sessions_per_conn <= 256);
	CHECK(sec->nacl <= CTL_MAX_PREFIXES);
	for (size_t i = 0; i < sec->nacl; i++)
		check_prefix(&sec->acl[i], 1);
	CHECK(terminated(sec->log_file, sizeof(sec->log_file)));
	CHECK(sec->log_key_len <= sizeof(sec->log_key));
	CHECK(terminated(sec->anchor_file, sizeof(sec->anchor_file)));
	CHECK(terminated(s->user, sizeof(s->user)) && terminated(s->group, sizeof(s->group)));
	CHECK(c->nkeys <= CTL_MAX_KEYS);
	for (size_t i = 0; i < c->nkeys; i++) {
		const struct ctl_key *k = &c->keys[i], *found;

		CHECK(k->id_len > 0 && k->id_len <= CTL_KEY_ID_MAX);
		CHECK(strlen(k->key_id) == k->id_len);
		CHECK(k->secret_len <= CTL_SECRET_MAX);
		found = ctl_config_key(c, (const uint8_t *)k->key_id, k->id_len);
		CHECK(found && found->id_len == k->id_len &&
		      memcmp(found->key_id, k->key_id, k->id_len) == 0);
	}
	CHECK(c->ntest_addrs <= CTL_MAX_TEST_ADDRS);
	for (size_t i = 0; i < c->ntest_addrs; i++)
		check_prefix(&c->test_addrs[i], 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cfg_fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_config ctl;   /* 90 KiB: off the stack */
	const char *path = cfg_fuzz_file(data, size);
	char err[512] = "";
	int rc;

	rc = ctl_config_load(path, &ctl, err, sizeof(err));
	cfg_fuzz_check_err(err, sizeof(err), rc);
	if (rc == 0)
		check_ctl(&ctl);
	else
		CHECK(cfg_fuzz_zero(&ctl, sizeof(ctl)));
	ctl_config_free(&ctl);
	CHECK(cfg_fuzz_zero(&ctl, sizeof(ctl)));
	return 0;
}
