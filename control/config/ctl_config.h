/* The TWAMP-Control server's view of the configuration: the server and
 * security-baseline containers, the key-chain and the dataplane ports'
 * addresses of the twamp-reflector YANG module (yang/twamp-reflector.yang),
 * extracted from the libyang-validated tree. No DPDK in here. */
#ifndef TWR_CTL_CONFIG_H
#define TWR_CTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg_prefix.h"

#define CTL_MAX_KEYS 64
#define CTL_MAX_PREFIXES 64
#define CTL_MAX_LISTEN 16
#define CTL_KEY_ID_MAX 80      /* KeyID of RFC 4656: 80 octets */
#define CTL_SECRET_MAX 256     /* octets of one shared secret */
#define CTL_PATH_MAX 4096
#define CTL_MAX_TEST_ADDRS 64   /* the dataplane's 4 ports of 16 addresses */

/* TWAMP-Modes bits (RFC 8913 twamp-modes positions; docs/protocol.md §2.3). */
#define CTL_MODE_UNAUTH       0x01u
#define CTL_MODE_AUTH         0x02u
#define CTL_MODE_ENCRYPTED    0x04u
#define CTL_MODE_MIXED        0x08u /* unauth-test-encrypt-control */
#define CTL_MODE_ISC          0x10u /* individual-session-control */
#define CTL_MODE_REFLECT_OCT  0x20u
#define CTL_MODE_SYMMETRICAL  0x40u
#define CTL_MODE_IKEV2        0x80u

/* One key-chain entry. The secret is wiped by ctl_config_free(). */
struct ctl_key {
	char key_id[CTL_KEY_ID_MAX + 1];
	size_t id_len;
	uint8_t secret[CTL_SECRET_MAX];
	size_t secret_len;
};

/* A local address (no prefix). */
struct ctl_addr {
	uint8_t ipver;     /* 4 or 6 */
	uint8_t addr[16];  /* IPv4 in the first 4 octets */
};

struct ctl_server_cfg {
	bool admin_state;
	uint16_t tcp_port;               /* 862 */
	size_t nlisten;                  /* 0 = any address */
	struct ctl_addr listen[CTL_MAX_LISTEN];
	uint32_t servwait_s;             /* 900 */
	uint8_t control_dscp;            /* 0 */
	uint8_t count;                   /* PBKDF2 Count = 1 << count; 15 */
	uint8_t max_count_exponent;      /* 20 */
	uint32_t modes;                  /* CTL_MODE_* offered in the Server Greeting */
	bool allow_other_test_peer;      /* false */
	uint16_t test_port_min;          /* 49152 */
	uint16_t test_port_max;          /* 65535 */
	uint32_t test_timeout_ms;        /* 2000 */
	uint32_t refwait_s;              /* session-reflector refwait, 900 */
	uint32_t max_connections;        /* 64 */
	uint32_t max_conn_per_client;    /* 8 */
	uint32_t max_pending_auth;       /* 64 */
	uint32_t auth_timeout_s;         /* 30 */
	uint32_t open_idle_s;            /* open-idle-timeout, 30; 0 = never */
	uint32_t max_sessions_per_conn;  /* 64, at most 256 */
	uint32_t auth_workers;           /* 0 = one per online CPU; at most 64 */
	/* RFC 7717 (server/ikev2-derived), used when modes has CTL_MODE_IKEV2 */
	char ka_socket[108];             /* KA_AGENT_SOCKET */
	uint32_t ka_timeout_ms;          /* 500, 50..3000 */
	bool ike_check_peer;             /* true */
	char user[33];                   /* run as (common/run_as.h); "" = none */
	char group[33];                  /* "" = the user's primary group */
};

struct ctl_security_cfg {
	size_t nacl;                     /* 0 = any source */
	struct cfg_prefix acl[CTL_MAX_PREFIXES]; /* host bits cleared */
	uint8_t block_failed_times;      /* 5 */
	uint16_t block_failed_period_s;  /* 60 */
	uint16_t block_reactive_s;       /* 300 */
	/* what one source is, for ip-block and max-connections-per-client:
	 * the address's first bits (0 = the whole address) */
	uint8_t source_v4_len;           /* ipv4-prefix-length, 32 */
	uint8_t source_v6_len;           /* ipv6-prefix-length, 64 */
	uint8_t alarm_upper;             /* 20 */
	uint8_t alarm_lower;             /* 10 */
	uint16_t alarm_period_s;         /* 300 */
	bool log_syslog;                 /* false */
	char log_file[CTL_PATH_MAX];     /* "" = no local log */
	bool log_hash_chain;             /* true */
	/* log-key: the local log's own key, never a login (not in keys[]) */
	uint8_t log_key[CTL_SECRET_MAX];
	size_t log_key_len;              /* 0 = none */
	char anchor_file[CTL_PATH_MAX];  /* log_file + ".anchor" when not set */
	uint32_t anchor_interval_s;      /* 60 */
	struct ctl_log_rate {            /* log-security/rate-limit */
		uint32_t interval_s;         /* aggregate-interval, 10 */
		uint32_t per_source;         /* lines-per-source, 5 */
		uint32_t per_second;         /* lines-per-second, 20 */
		uint32_t burst;              /* 200 */
	} log_rate;
	bool require_root_owner;         /* true */
	bool non_dumpable;               /* memory-security/non-dumpable: false */
};

struct ctl_config {
	struct ctl_server_cfg server;
	struct ctl_security_cfg security;
	size_t nkeys;
	struct ctl_key keys[CTL_MAX_KEYS];
	/* dataplane/port/address of every port, host bits kept: the addresses
	 * test sessions may reflect on. 0 = none listed (then a session uses
	 * the address the control connection reached). */
	size_t ntest_addrs;
	struct cfg_prefix test_addrs[CTL_MAX_TEST_ADDRS];
};

/* Load, validate (libyang) and extract; a file holding keys must pass the
 * file-security rule (cfg_check_secret_parsed). On failure returns -1,
 * writes a one-line reason into err and leaves no key material in cfg. */
int ctl_config_load(const char *path, struct ctl_config *cfg, char *err, size_t errlen);

/* Wipe every secret (and the rest of the config). */
void ctl_config_free(struct ctl_config *cfg);

/* The key-chain entry named by a KeyID as received: trailing NUL padding
 * (the 80-octet KeyID field) is ignored. NULL if there is none. */
const struct ctl_key *ctl_config_key(const struct ctl_config *cfg, const uint8_t *key_id,
				     size_t len);

#endif
