/* Shared by the control configuration extraction files. The tree is
 * already validated by libyang (types, ranges, musts, defaults); what is
 * checked here is what YANG cannot say: table sizes and octet lengths. */
#ifndef TWR_CTL_CONFIG_PRIV_H
#define TWR_CTL_CONFIG_PRIV_H

#include "cfg_read.h"
#include "ctl_config.h"

struct lyd_node;

/* The server container and session-reflector refwait. */
int ctlc_server(const struct lyd_node *top, struct ctl_server_cfg *s, struct cfg_err *e);

/* The security-baseline container. */
int ctlc_security(const struct lyd_node *top, struct ctl_security_cfg *s, struct cfg_err *e);

/* The key-chain, secrets included. */
int ctlc_keys(const struct lyd_node *top, struct ctl_config *cfg, struct cfg_err *e);

/* dataplane/port/address of every port (the test addresses). */
int ctlc_dataplane(const struct lyd_node *top, struct ctl_config *cfg, struct cfg_err *e);

#endif
