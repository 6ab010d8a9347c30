/* The UDP socket of a test session on the kernel stack: TTL / Hop Limit 255
 * on transmit, DSCP, non-blocking; on receive the kernel timestamp
 * (SO_TIMESTAMPNS, CLOCK_REALTIME) and the TTL / Hop Limit of each datagram.
 */
#ifndef TWCLI_TW_SOCKET_H
#define TWCLI_TW_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct tsock {
	int fd;
	int family;
};

struct tsock_msg {
	size_t len;                  /* UDP payload octets received */
	bool truncated;              /* larger than the buffer */
	struct sockaddr_storage from;
	uint64_t rx_ntp;             /* kernel receive time, else read after recvmsg */
	bool kernel_ts;
	int ttl;                     /* -1 if the kernel did not report it */
};

/* family AF_INET or AF_INET6; bind_addr may be NULL (any address, ephemeral
 * port); dscp 0..63, or -1 to leave the default. Returns 0, or -1 with a
 * reason in err. */
int tsock_open(struct tsock *t, int family, const struct sockaddr_storage *bind_addr,
	       socklen_t bind_len, int dscp, char *err, size_t errlen);
void tsock_close(struct tsock *t);

/* The local address the socket is bound to (after tsock_open). */
int tsock_local(const struct tsock *t, struct sockaddr_storage *ss);
/* Receive buffer size the kernel granted, in octets (accounting included). */
int tsock_rcvbuf(const struct tsock *t);

/* Returns 1 if a datagram was read, 0 if none is waiting, -1 on an error
 * (errno set). */
int tsock_recv(struct tsock *t, uint8_t *buf, size_t cap, struct tsock_msg *m);

/* Returns 0 if sent, 1 if the socket cannot take it now (try again after
 * POLLOUT or a pause), -1 on an error (errno set). */
int tsock_send(struct tsock *t, const uint8_t *buf, size_t len, const struct sockaddr_storage *to);

#endif
