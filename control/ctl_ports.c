/* Reflector port choice (see ctl_ports.h). */
#include <stdbool.h>

#include "ctl_ports.h"
#include "port_policy.h"

static bool skipped(uint16_t p, const uint16_t *skip, size_t nskip)
{
	for (size_t i = 0; i < nskip; i++)
		if (skip[i] == p)
			return true;
	return false;
}

/* Free, not just refused, and one the dataplane takes (common/port_policy.h). */
static bool usable(const struct ctl_ports *t, uint16_t p, const struct twr_port_range *range,
		   const uint16_t *skip, size_t nskip)
{
	const char *why;

	return p != 0 && t->refs[p] == 0 && !skipped(p, skip, nskip) &&
	       twr_test_port_permitted(p, range, &why);
}

uint16_t ctl_port_pick(const struct ctl_ports *t, uint16_t requested, uint16_t min, uint16_t max,
		       const uint16_t *skip, size_t nskip)
{
	const struct twr_port_range range = { min, max };

	if (min == 0)
		min = 1;
	if (min > max)
		return 0;
	if (requested >= min && requested <= max && usable(t, requested, &range, skip, nskip))
		return requested;
	for (uint32_t p = min; p <= max; p++)
		if (usable(t, (uint16_t)p, &range, skip, nskip))
			return (uint16_t)p;
	return 0;
}

void ctl_port_hold(struct ctl_ports *t, uint16_t port)
{
	if (t->refs[port] < UINT16_MAX)
		t->refs[port]++;
}

void ctl_port_release(struct ctl_ports *t, uint16_t port)
{
	if (t->refs[port] > 0)
		t->refs[port]--;
}
