/* The TWAMP-Control TCP connection of the client: name resolution,
 * connecting and whole-message reads and writes, each bounded by a timeout.
 * No protocol knowledge (ctl_client.h has it).
 */
#ifndef TWCLI_CTL_IO_H
#define TWCLI_CTL_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CTL_IO_ERR_RESOLVE (-2)  /* the name does not resolve */
#define CTL_IO_ERR_CONNECT (-1)  /* no address accepted the connection in time */

/* Resolve host (an IPv4 or IPv6 literal, or a name) and connect to port,
 * trying each address in turn with timeout_ns for each. Returns a
 * non-blocking TCP socket (TCP_NODELAY) and its peer and local addresses,
 * or CTL_IO_ERR_* with a reason in err. The name lookup itself follows the
 * resolver's own timeouts (resolv.conf). */
int ctl_io_connect(const char *host, uint16_t port, uint64_t timeout_ns,
		   struct sockaddr_storage *peer, struct sockaddr_storage *local,
		   char *err, size_t errlen);

/* Exactly n octets within timeout_ns. Returns 0, or -1 with a reason in
 * err (timeout, connection closed by the server, I/O error). */
int ctl_io_read(int fd, uint8_t *buf, size_t n, uint64_t timeout_ns, char *err, size_t errlen);
int ctl_io_write(int fd, const uint8_t *buf, size_t n, uint64_t timeout_ns, char *err,
		 size_t errlen);

/* What woke a descriptor that should have stayed quiet, in err. Returns 1
 * if the server sent data (a protocol error), 0 if the connection closed
 * or failed. */
int ctl_io_why_readable(int fd, char *err, size_t errlen);

#endif
