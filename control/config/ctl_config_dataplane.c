/* The dataplane ports' own addresses (dataplane/port/address of every
 * port): the addresses the reflector serves, so the only ones a test
 * session may name as its Receiver Address. The server reads them from
 * the same file as the reflector; only the addresses, nothing of DPDK. */
#include <libyang/libyang.h>

#include "ctl_config_priv.h"

int ctlc_dataplane(const struct lyd_node *top, struct ctl_config *cfg, struct dpc_err *e)
{
	struct ly_set *set = NULL;
	uint32_t i;
	int rc = 0;

	if (lyd_find_xpath(top, "dataplane/port/address", &set) != LY_SUCCESS)
		return dpc_fail(e, "dataplane: cannot read the port addresses");
	if (set->count > CTL_MAX_TEST_ADDRS)
		rc = dpc_fail(e, "dataplane: %u port addresses, at most %d", set->count,
			      CTL_MAX_TEST_ADDRS);
	for (i = 0; rc == 0 && i < set->count; i++) {
		const char *s = lyd_get_value(set->dnodes[i]);

		/* an interface address: the host bits are the address */
		if (dpc_prefix(s, false, &cfg->test_addrs[i]) != 0)
			rc = dpc_fail(e, "dataplane: port address \"%s\" is not an address/length", s);
	}
	if (rc == 0)
		cfg->ntest_addrs = set->count;
	ly_set_free(set, NULL);
	return rc;
}
