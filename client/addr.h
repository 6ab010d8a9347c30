/* IP address literals for the client: parsing, checking, printing. */
#ifndef TWCLI_ADDR_H
#define TWCLI_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Room for addr_format() output (an IPv6 address). */
#define ADDR_STRLEN 80

/* Parse an IPv4 dotted quad or an IPv6 literal (optionally with %scope, an
 * interface name or number) and a port into *ss. Host names are refused.
 * Returns 0, or -1 with a reason in err. */
int addr_parse(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len,
	       char *err, size_t errlen);

/* A usable destination: not unspecified, multicast or broadcast. */
int addr_check_destination(const struct sockaddr_storage *ss, char *err, size_t errlen);

/* Same family, address and port (the IPv6 scope is not compared). */
bool addr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

uint16_t addr_port(const struct sockaddr_storage *ss);
void addr_set_port(struct sockaddr_storage *ss, uint16_t port);

/* The address alone, as inet_ntop prints it. */
void addr_format(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif
