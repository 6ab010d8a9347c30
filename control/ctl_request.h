/* Request-TW-Session validation, field by field, against the control
 * connection it arrived on (RFC 5357 §3.5, RFC 6038 §4). No I/O: the
 * decoded request (twc_request_dec accepted it) and the connection's
 * facts in, the session to install or an Accept value and a reason out.
 *
 *   IPVN              must be the control connection's IP version, else 3
 *   Sender Address    0 = the control peer; another address only with
 *                     allow-test-peer-other-than-control-peer, and only a
 *                     unicast one; else 1
 *   Receiver Address  the test address: one of the dataplane ports'
 *                     addresses (dataplane/port/address, the same file as
 *                     the reflector's), else 1; 0 = the local address the
 *                     control connection reached, if it is one of them
 *                     (else 1: a client that reached a management address
 *                     must name the test address). With no port address
 *                     configured, the only test address is the one the
 *                     control connection reached.
 *   Sender Port       not 0, else 1
 *   Receiver Port     a wish: the server picks the port (ctl_ports.h)
 *   Padding Length    the sender packet must fit a 1500-octet IP packet
 *                     (the dataplane has no jumbo frames), else 1
 *   Start Time        not used: a session reflects from Start-Sessions
 *                     (a reflector needs no schedule); any value accepted
 *   Timeout           0 = server/test-timeout; else rounded up to
 *                     milliseconds and capped at the YANG maximum
 *                     (604800000 ms)
 *   Type-P            its DSCP is written into the reflected packets
 *   Octets to be Reflected, Length of Padding to Reflect
 *                     with Reflect Octets negotiated: echoed / reflected,
 *                     and the length to reflect may not exceed Padding
 *                     Length (else 1); without it they are MBZ and ignored
 *                     (RFC 6038 §4.2: a server without the mode reads
 *                     them as MBZ)
 *   Symmetrical Size  from the negotiated Mode
 */
#ifndef TWR_CTL_REQUEST_H
#define TWR_CTL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control_msg.h"
#include "ctl_addr.h"

#define CTL_MAX_IP_PACKET 1500u          /* standard Ethernet MTU */
#define CTL_MAX_TIMEOUT_MS 604800000u    /* YANG test-timeout range */
#define CTL_WHY_LEN 160                  /* a refusal reason naming an address */

struct ctl_req_ctx {
	struct ctl_ip peer;    /* the control connection's client */
	struct ctl_ip local;   /* the address it reached */
	uint32_t mode;         /* negotiated Set-Up-Response Mode */
	bool allow_other_peer;
	uint32_t default_timeout_ms;
	const struct cfg_prefix *test_addrs; /* the dataplane ports' addresses */
	size_t ntest_addrs;                 /* 0: only `local` is served */
};

/* What to install (session API fields, before port and SID choice). */
struct ctl_req_spec {
	struct ctl_ip sender;
	struct ctl_ip reflector;
	uint16_t sender_port;
	uint16_t receiver_port;      /* requested */
	uint8_t sec;                 /* enum tw_sec */
	uint8_t flags;               /* TWR_SF_* */
	uint8_t dscp;
	uint16_t reflect_len;
	uint16_t reflected_octets;   /* Accept-Session echo */
	uint32_t padding_len;
	uint32_t timeout_ms;
};

/* Largest Padding Length for a sender packet of that IP version, test
 * security and format. */
uint32_t ctl_max_padding(uint8_t ipver, uint8_t sec, bool symmetrical);

/* Test-packet security of a negotiated Mode (mixed tests in the open). */
uint8_t ctl_mode_test_sec(uint32_t mode);

/* TWC_ACCEPT_OK and *spec filled, or the Accept value with the reason in
 * *why: a static string, or one written into buf (CTL_WHY_LEN is enough
 * for any). */
uint8_t ctl_request_check(const struct twc_request *r, const struct ctl_req_ctx *ctx,
			  struct ctl_req_spec *spec, const char **why, char *buf, size_t len);

#endif
