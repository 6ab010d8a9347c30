/* Reflector port choice (see ctl_ports.h). */
#include <stdbool.h>

#include "ctl_ports.h"

static bool skipped(uint16_t p, const uint16_t *skip, size_t nskip)
{
	for (size_t i = 0; i < nskip; i++)
		if (skip[i] == p)
			return true;
	return false;
}

static bool usable(const struct ctl_ports *t, uint16_t p, const uint16_t *skip, size_t nskip)
{
	return p != 0 && t->refs[p] == 0 && !skipped(p, skip, nskip);
}

uint16_t ctl_port_pick(const struct ctl_ports *t, uint16_t requested, uint16_t min, uint16_t max,
		       const uint16_t *skip, size_t nskip)
{
	if (min == 0)
		min = 1;
	if (min > max)
		return 0;
	if (requested >= min && requested <= max && usable(t, requested, skip, nskip))
		return requested;
	for (uint32_t p = min; p <= max; p++)
		if (usable(t, (uint16_t)p, skip, nskip))
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
