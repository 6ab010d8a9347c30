/* libFuzzer target: twamp-keyagent's configuration file (ka_config_load:
 * the twamp-keyagent module, strict parse, file security always, then the
 * settings and the policy). The input is the file's text (JSON, or XML when
 * it starts with '<'), written mode 0600 and loaded as the agent does (see
 * fuzz_cfg_env.h for the one libyang context kept).
 *
 * Seeds (corpus/fuzz_config_keyagent/, make_config_corpus.py): the example
 * keyagent/twamp-keyagent.json and variants of it.
 *
 * Properties (abort on violation): 0 or -1 with one line of reason; a
 * failure leaves the result all zero; what loads has both sockets, not the
 * same file, every string terminated, and a policy whose every rule names a
 * uid or a gid, allows a lookup kind and has 1..KA_MAX_PREFIXES prefixes
 * with their host bits zero; and the policy then answers every question
 * (ka_policy_permits for each kind, with and without a peer) with one of
 * its own rules that matches the caller. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_cfg_env.h"
#include "ka_config.h"

static int terminated(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap;
}

static void check_prefix(const struct cfg_prefix *p)
{
	unsigned bits = p->ipver == 4 ? 32 : 128;

	CHECK(p->ipver == 4 || p->ipver == 6);
	CHECK(p->len <= bits);
	for (unsigned b = p->len; b < bits; b++)
		CHECK(!(p->addr[b / 8] & (0x80u >> (b % 8))));
}

static int matches(const struct ka_rule *r, uid_t uid, gid_t gid)
{
	return (!r->has_uid || r->uid == uid) && (!r->has_gid || r->gid == gid);
}

/* Ask the policy what each rule's own caller would get about the rule's
 * own first prefix: that rule, or an earlier one that matches as well. */
static void check_answers(const struct ka_policy *pol)
{
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct ka_rule *r = &pol->rules[i];
		uid_t uid = r->has_uid ? r->uid : 12345;
		gid_t gid = r->has_gid ? r->gid : 12345;
		struct ka_addr a = { .family = r->prefixes[0].ipver };

		memcpy(a.a, r->prefixes[0].addr, 16);
		CHECK(ka_prefix_contains(&r->prefixes[0], &a));
		for (uint8_t type = 0; type <= KA_LOOKUP_PEER + 1; type++) {
			int allowed = type == KA_PING || (type == KA_LOOKUP_SPI && r->allow_spi) ||
				      (type == KA_LOOKUP_PEER && r->allow_peer);
			int known = type >= KA_PING && type <= KA_LOOKUP_PEER;

			for (int with_peer = 0; with_peer < 2; with_peer++) {
				const struct ka_rule *got =
					ka_policy_permits(pol, uid, gid, type, with_peer ? &a : NULL);

				CHECK(!got || (got >= pol->rules && got < pol->rules + pol->nrules));
				CHECK(!got || matches(got, uid, gid));
				CHECK(known || !got);
				CHECK(!allowed || (got && got <= r));
			}
		}
	}
}

static void check_ok(const struct ka_config *c)
{
	CHECK(terminated(c->socket, sizeof(c->socket)) && c->socket[0]);
	CHECK(terminated(c->plugin_socket, sizeof(c->plugin_socket)) && c->plugin_socket[0]);
	CHECK(strcmp(c->socket, c->plugin_socket) != 0);
	CHECK(terminated(c->socket_group, sizeof(c->socket_group)));
	CHECK(terminated(c->user, sizeof(c->user)));
	CHECK(terminated(c->audit_log, sizeof(c->audit_log)));
	CHECK(c->policy.nrules <= KA_MAX_RULES);
	for (size_t i = 0; i < c->policy.nrules; i++) {
		const struct ka_rule *r = &c->policy.rules[i];

		CHECK(terminated(r->name, sizeof(r->name)));
		CHECK(r->has_uid || r->has_gid);
		CHECK(r->allow_spi || r->allow_peer);
		CHECK(r->nprefixes >= 1 && r->nprefixes <= KA_MAX_PREFIXES);
		for (size_t j = 0; j < r->nprefixes; j++)
			check_prefix(&r->prefixes[j]);
	}
	check_answers(&c->policy);
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
	static struct ka_config cfg;   /* 85 KiB: off the stack */
	const char *path = cfg_fuzz_file(data, size);
	char err[512] = "";
	int rc = ka_config_load(path, &cfg, err, sizeof(err));

	cfg_fuzz_check_err(err, sizeof(err), rc);
	if (rc == 0)
		check_ok(&cfg);
	else
		CHECK(cfg_fuzz_zero(&cfg, sizeof(cfg)));
	return 0;
}
