/* twamp-loadgen command line (the part after the EAL options and "--"). */
#ifndef TWR_LG_OPTS_H
#define TWR_LG_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "tw_crypto.h"
#include "tw_pkt.h"

#define LG_MAX_FLOWS 4096
#define LG_MAX_SECONDS 3600
#define LG_MIN_FRAME 60            /* Ethernet minimum without FCS */
#define LG_MAX_PAYLOAD 1458        /* 1500-octet IP MTU - 20 - 8, minus 14 spare */

/* What answers the generator: a TWAMP reflector, or a port that only swaps
 * MAC addresses and returns the frame as it was (testpmd macswap). */
enum lg_peer { LG_PEER_TWAMP = 0, LG_PEER_ECHO = 1 };

struct lg_opts {
	enum tw_sec sec;
	enum lg_peer peer;
	struct tw_keys keys;
	bool have_keys;
	uint16_t size;              /* UDP payload */
	uint8_t src_ip[4], dst_ip[4];
	struct rte_ether_addr src_mac, dst_mac;
	bool have_src_mac;          /* else the port's own MAC */
	uint16_t src_port;          /* first source port; flow f uses src_port + f */
	uint16_t dst_port;
	uint16_t flows;
	uint32_t duration_s;
	uint32_t warmup_s;
	uint32_t verify_every;      /* verify one reply in this many */
	uint16_t port_id;
	uint32_t link_wait_s;
	uint32_t linger_s;          /* wait for the peer to disconnect first */
	const char *json;           /* NULL: stdout */
};

/* Parse argv (argv[0] is the program name). Returns 0, or -1 after printing
 * the reason and the usage on stderr. Key material read here is wiped by
 * the caller (lg_opts_wipe). */
int lg_opts_parse(int argc, char **argv, struct lg_opts *o);
void lg_opts_wipe(struct lg_opts *o);

#endif
