/* Shared by the dataplane configuration extraction files. The tree they
 * read is already validated by libyang (types, ranges, defaults), so what is
 * checked here is what YANG cannot say: the dataplane's table sizes, byte
 * lengths of strings, and the key material. The typed readers are
 * common/config's (cfg_read.h, cfg_prefix.h). */
#ifndef TWR_DP_CONFIG_PRIV_H
#define TWR_DP_CONFIG_PRIV_H

#include "cfg_read.h"
#include "dp_config.h"

struct lyd_node;

/* The TWAMP Light reflectors, with their keys from the key-chain. */
int dpc_light(const struct lyd_node *top, struct dp_config *cfg, struct cfg_err *e);

#endif
