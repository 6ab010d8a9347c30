/* The audit log: one line per request, what was asked by whom and what
 * came of it; never a key. */
#ifndef TWR_KA_AUDIT_H
#define TWR_KA_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keyagent_proto.h"

struct ka_caller {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* What one request was and what came of it. */
struct ka_audit_rec {
	struct ka_caller caller;
	uint8_t type;   /* enum ka_type, 0 if the request was not understood */
	bool has_spis;
	uint8_t spi_i[KA_SPI_LEN], spi_r[KA_SPI_LEN];
	struct ka_addr peer;   /* asked for (peer lookup) */
	uint8_t status;        /* enum ka_status answered */
	const char *reason;    /* static text or NULL */
	const char *rule;      /* the policy entry that allowed it, or NULL */
	uint16_t prf;          /* these three when the SA was found */
	struct ka_addr remote;
	char remote_id[KA_ID_FIELD];
};

/* Format the line (with a newline) into buf; returns its length. The
 * remote identity is quoted with '"' and '\' escaped. */
size_t ka_audit_format(const struct ka_audit_rec *rec, char *buf, size_t len);

/* Open (append, create 0640, no symbolic link) the audit file; NULL path
 * or "": standard error. Returns the descriptor or -1 (errno). */
int ka_audit_open(const char *path);

/* Write the record's line with one write(2); a failure goes to stderr. */
void ka_audit_write(int fd, const struct ka_audit_rec *rec);

#endif
