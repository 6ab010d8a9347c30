/* The test port policy (port_policy.h). */
#include "port_policy.h"

#define PORT_IKE 500
#define PORT_IKE_NATT 4500
#define PORT_SYSTEM_END 1024

bool twr_test_port_permitted(uint16_t port, const struct twr_port_range *range,
			     const char **why)
{
	if (port == 0) {
		*why = "test port 0";
		return false;
	}
	if (port == PORT_IKE || port == PORT_IKE_NATT) {
		*why = "test port reserved for IKE (UDP 500, 4500)";
		return false;
	}
	if (port < PORT_SYSTEM_END && !(port >= range->min && port <= range->max)) {
		*why = "test port below 1024 outside the configured test port range";
		return false;
	}
	return true;
}
