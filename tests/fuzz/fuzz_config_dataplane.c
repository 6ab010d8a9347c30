/* libFuzzer target: the twamp-reflector configuration file as the
 * dataplane loads it (dp_config_load, dataplane/config; no DPDK). The input
 * is the file's text (JSON, or XML when it starts with '<'), written to a
 * file mode 0600 and loaded through cfg_load_secure like the daemon does
 * (see fuzz_cfg_env.h for the one libyang context kept).
 *
 * Seeds (corpus/fuzz_config_dataplane/, make_config_corpus.py): the same
 * files as fuzz_config_control's.
 *
 * Properties (abort on violation): the load returns 0 or -1; a failure
 * leaves one line of reason and no Light key (dp_config_wipe); what loads
 * has 1..DP_MAX_PORTS ports, every table within its bounds, every string
 * terminated, every prefix within its family's length (allowed senders'
 * with their host bits zero), Light reflectors with a valid mode, DSCP and
 * state, and a key-chain KeyID for each that is not open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_config.h"
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

static void check_dp(const struct dp_config *c)
{
	CHECK(c->nports >= 1 && c->nports <= DP_MAX_PORTS);
	for (size_t i = 0; i < c->nports; i++) {
		const struct dp_port_cfg *p = &c->ports[i];

		CHECK(terminated(p->name, sizeof(p->name)) && p->name[0]);
		CHECK(terminated(p->tap_name, sizeof(p->tap_name)));
		CHECK(p->naddrs <= DP_MAX_ADDRS);
		for (size_t j = 0; j < p->naddrs; j++)
			check_prefix(&p->addrs[j], 0);
	}
	CHECK(c->nworkers <= DP_MAX_WORKERS);
	CHECK(terminated(c->session_socket, sizeof(c->session_socket)));
	CHECK(c->nlight <= DP_MAX_LIGHT);
	for (size_t i = 0; i < c->nlight; i++) {
		const struct dp_light_cfg *l = &c->light[i];

		CHECK(terminated(l->name, sizeof(l->name)));
		CHECK(terminated(l->key_id, sizeof(l->key_id)));
		CHECK(l->sec <= TW_SEC_ENC);
		CHECK(l->dscp >= -1 && l->dscp <= 63);
		CHECK(l->state == DP_LIGHT_STATELESS || l->state == DP_LIGHT_STATEFUL);
		CHECK(l->sec == TW_SEC_OPEN || l->key_id[0] != '\0');
		CHECK(l->nallowed <= DP_MAX_PREFIXES);
		for (size_t j = 0; j < l->nallowed; j++)
			check_prefix(&l->allowed[j], 1);
	}
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
	static struct dp_config dp;   /* 150 KiB: off the stack */
	const char *path = cfg_fuzz_file(data, size);
	char err[512] = "";
	int rc;

	rc = dp_config_load(path, &dp, err, sizeof(err));
	cfg_fuzz_check_err(err, sizeof(err), rc);
	if (rc == 0)
		check_dp(&dp);
	else
		for (size_t i = 0; i < DP_MAX_LIGHT; i++)
			CHECK(cfg_fuzz_zero(&dp.light[i].keys, sizeof(dp.light[i].keys)));
	dp_config_wipe(&dp);
	for (size_t i = 0; i < DP_MAX_LIGHT; i++)
		CHECK(cfg_fuzz_zero(&dp.light[i].keys, sizeof(dp.light[i].keys)));
	return 0;
}
