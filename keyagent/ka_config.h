/* twamp-keyagent's configuration (yang/twamp-keyagent.yang), loaded from a
 * JSON (or XML) file validated by libyang. The file decides who gets keys,
 * so it must pass the project's file-security check (owner root, no access
 * for others, not group-writable). */
#ifndef TWR_KA_CONFIG_H
#define TWR_KA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ka_policy.h"

#define KA_PATH_MAX 108 /* sun_path */
#define KA_NAME_MAX 33

struct ka_config {
	char socket[KA_PATH_MAX];
	char socket_group[KA_NAME_MAX]; /* "" = the run user's group */
	char plugin_socket[KA_PATH_MAX];
	unsigned plugin_timeout_ms;
	unsigned request_timeout_ms;
	unsigned max_clients;
	char user[KA_NAME_MAX];      /* "" = none */
	char group[KA_NAME_MAX];     /* "" = the user's primary group */
	char audit_log[KA_PATH_MAX]; /* "" = standard error */
	struct ka_audit_rate {       /* audit-rate-limit */
		unsigned interval_s, per_caller, per_second, burst; /* 10, 5, 20, 200 */
	} audit_rate;
	struct ka_policy policy;
};

/* Returns 0, or -1 with "file: reason" in err. */
int ka_config_load(const char *path, struct ka_config *cfg, char *err, size_t errlen);

#endif
