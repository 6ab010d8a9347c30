/* The dataplane's view of the configuration: what twamp-reflector needs,
 * extracted from the libyang-validated tree of the twamp-reflector YANG
 * module (yang/twamp-reflector.yang). No DPDK in here, so it is unit-tested
 * on its own. */
#ifndef TWR_DP_CONFIG_H
#define TWR_DP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg_prefix.h"
#include "tw_crypto.h"

#define DP_MAX_PORTS 4
#define DP_MAX_ADDRS 16
#define DP_MAX_LIGHT 64
#define DP_MAX_PREFIXES 32
#define DP_MAX_WORKERS 32
#define DP_NAME_LEN 64

struct dp_port_cfg {
	char name[DP_NAME_LEN];      /* DPDK device name, e.g. net_af_packet0, 0000:3b:00.0 */
	uint16_t rx_queues;          /* = worker lcores on this port */
	uint16_t rx_desc, tx_desc;
	char tap_name[16];           /* exception interface ("" = none: drop non-test traffic) */
	size_t naddrs;
	struct cfg_prefix addrs[DP_MAX_ADDRS]; /* our addresses on this port (also on the TAP) */
};

enum dp_light_state { DP_LIGHT_STATELESS = 0, DP_LIGHT_STATEFUL = 1 };

struct dp_light_cfg {
	char name[DP_NAME_LEN];
	uint16_t port;               /* UDP port, default 862 */
	uint8_t sec;                 /* enum tw_sec */
	bool symmetrical;            /* RFC 6038 symmetrical sender format */
	enum dp_light_state state;
	int dscp;                    /* -1 = reflect, else 0..63 */
	uint32_t refwait_s;          /* stateful: forget a sender after this long idle */
	struct tw_keys keys;         /* auth/enc: from the key-chain entry */
	char key_id[81];
	size_t nallowed;             /* 0 = any sender */
	struct cfg_prefix allowed[DP_MAX_PREFIXES];
};

struct dp_config {
	size_t nports;
	struct dp_port_cfg ports[DP_MAX_PORTS];
	size_t nworkers;
	unsigned worker_lcores[DP_MAX_WORKERS]; /* optional; empty = every EAL worker lcore in order */
	uint32_t max_sessions;       /* API session table size, default 65536 */
	uint16_t burst;              /* RX/TX burst, default 32 */
	uint32_t mbufs;              /* mbufs per port pool, default 8191 */
	bool stage_cycles;           /* count busy cycles by stage (telemetry) */
	bool non_dumpable;           /* security-baseline/memory-security/non-dumpable */
	char session_socket[108];    /* session API path */
	char session_socket_group[33]; /* "" = none: mode 0600 */
	uint32_t api_idle_s;         /* session-api-idle-timeout, default 300 */
	uint16_t test_port_min;      /* server/test-port-min: the port policy's range */
	uint16_t test_port_max;
	uint32_t refwait_s;          /* default REFWAIT for API sessions (default 900) */
	bool clock_synced;           /* Error Estimate S bit */
	double clock_error_s;        /* Error Estimate value */
	size_t nlight;
	struct dp_light_cfg light[DP_MAX_LIGHT];
};

/* Load, validate (libyang) and extract. On failure returns -1 and writes a
 * one-line reason (libyang's path and message, or the file-security
 * refusal) into err. */
int dp_config_load(const char *path, struct dp_config *cfg, char *err, size_t errlen);

/* Wipe every key in the config. */
void dp_config_wipe(struct dp_config *cfg);

#endif
