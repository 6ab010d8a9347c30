/* Which UDP ports a negotiated test session may take on the reflector's
 * addresses (the Accept-Session Port: docs/protocol.md; the dataplane takes
 * every packet to a session's port away from the kernel).
 *
 *   never: 0; 500 and 4500, IKE and IPsec NAT traversal, which the
 *          exception path must deliver to charon whatever is configured
 *   1-1023 (the system ports: 22 SSH, 53 DNS, 123 NTP, 862 TWAMP, ...):
 *          only when the configured test port range (server/test-port-min
 *          .. test-port-max) includes the port: an operator who sets
 *          862..862 (RFC 8545) gets 862
 *   1024-65535 except 4500: always
 */
#ifndef TWR_PORT_POLICY_H
#define TWR_PORT_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct twr_port_range {
	uint16_t min, max;   /* the configured test port range */
};

/* true if a test session may take `port`; otherwise false with a static
 * reason in *why. */
bool twr_test_port_permitted(uint16_t port, const struct twr_port_range *range,
			     const char **why);

#endif
