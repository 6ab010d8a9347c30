/* The dataplane ports' own addresses (dataplane/port/address of every
 * port): the addresses the reflector serves, so the only ones a test
 * session may name as its Receiver Address. The server reads them from
 * the same file as the reflector; only the addresses, nothing of DPDK. */
#include "cfg_prefix.h"
#include "ctl_config_priv.h"

/* interface addresses: the host bits are the address */
static const struct cfg_prefix_list port_addr_list = {
	.xpath = "dataplane/port/address", .name = "port address", .plural = "port addresses",
	.max = CTL_MAX_TEST_ADDRS,
};

int ctlc_dataplane(const struct lyd_node *top, struct ctl_config *cfg, struct cfg_err *e)
{
	return cfg_prefixes(top, &port_addr_list, "dataplane", cfg->test_addrs,
			    &cfg->ntest_addrs, e);
}
