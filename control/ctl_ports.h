/* The reflector UDP ports the server hands out (Accept-Session Port).
 *
 * A port is "in use" while a session of one of the server's control
 * connections holds it (reference counts, server-wide). The choice: the
 * Receiver Port the client asked for when it lies in [min, max] and is not
 * in use, else the lowest port of the range that is not in use. Never a
 * port the dataplane's policy refuses (common/port_policy.h: 500, 4500,
 * and system ports outside the range). Ports the
 * dataplane has just refused (EEXIST: a stopping session still holds the
 * 5-tuple) are passed in `skip` so that the next try moves on. */
#ifndef TWR_CTL_PORTS_H
#define TWR_CTL_PORTS_H

#include <stddef.h>
#include <stdint.h>

struct ctl_ports {
	uint16_t refs[65536];
};

/* 0 when no port of the range is free (Accept 5). */
uint16_t ctl_port_pick(const struct ctl_ports *t, uint16_t requested, uint16_t min, uint16_t max,
		       const uint16_t *skip, size_t nskip);
void ctl_port_hold(struct ctl_ports *t, uint16_t port);
void ctl_port_release(struct ctl_ports *t, uint16_t port);

#endif
