/* The local security log and its keyed hash chain (security-baseline
 * log-security: local-log-file, hash-chain, hash-chain-key-id).
 *
 * One record per line, ASCII, printable:
 *
 *   <seq> <time> <event text> mac=<64 hex digits>
 *
 *   seq    1, 2, 3, ... in the file (a restarted server goes on from the
 *          last record)
 *   time   UTC, 2026-11-22T09:44:00.123Z
 *   mac    HMAC-SHA256(K, prev ‖ record), where record is the line up to
 *          (not including) " mac=", prev is the previous line's MAC as 32
 *          raw octets (32 zero octets before the first line), and K is the
 *          secret-key of the key-chain entry hash-chain-key-id
 *
 * Changing, inserting, reordering or removing a record breaks the chain at
 * that point; removing the first records breaks it at the new first line.
 * Removing records at the end cannot be detected from the file alone: keep
 * syslog on (log-security/syslog) to have a copy elsewhere. With hash-chain
 * false the " mac=..." part is left out.
 *
 * `twamp-controld --verify-log FILE -c CONFIG` checks a file
 * (ctl_hashlog_verify). */
#ifndef TWR_CTL_HASHLOG_H
#define TWR_CTL_HASHLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_HASHLOG_MAC 32
#define CTL_HASHLOG_LINE_MAX 1024   /* longest line written or verified */

/* MAC of one record (the line without " mac=..." and newline). */
int ctl_hashlog_mac(const uint8_t *key, size_t keylen, const uint8_t prev[CTL_HASHLOG_MAC],
		    const char *record, size_t len, uint8_t mac[CTL_HASHLOG_MAC]);

/* Format one line (with the newline) into out; key NULL = no MAC. Updates
 * prev to this line's MAC. Returns the length, or 0 if it does not fit. */
size_t ctl_hashlog_line(char *out, size_t cap, uint64_t seq, uint64_t unix_ns, const char *text,
			const uint8_t *key, size_t keylen, uint8_t prev[CTL_HASHLOG_MAC]);

/* Verify the records in buf (n octets, the whole file). Returns 0 if every
 * record verifies, else the 1-based number of the first line that does not
 * (a bad MAC, a line without MAC, a sequence number out of order, a line
 * too long, a missing final newline), with the reason in why. */
long ctl_hashlog_verify_buf(const char *buf, size_t n, const uint8_t *key, size_t keylen,
			    char *why, size_t whylen);
/* The same for a file; -1 if it cannot be read. */
long ctl_hashlog_verify_file(const char *path, const uint8_t *key, size_t keylen, char *why,
			     size_t whylen);

/* Where the next record of an existing file goes on: the sequence number
 * and MAC of its last line (0 and zeros for an empty file). Returns 0, or
 * -1 if the last line cannot be parsed (the caller then starts afresh,
 * which a verification will report at that point). */
int ctl_hashlog_tail(const char *buf, size_t n, uint64_t *seq, uint8_t prev[CTL_HASHLOG_MAC]);

/* An open log file. */
struct ctl_hashlog;
/* Open (create mode 0600) for appending. require_root: the file must be
 * owned by root and writable by nobody else (file-security). key NULL =
 * no chain. Returns NULL with the reason in err. */
struct ctl_hashlog *ctl_hashlog_open(const char *path, const uint8_t *key, size_t keylen,
				     bool require_root, char *err, size_t errlen);
int ctl_hashlog_append(struct ctl_hashlog *h, uint64_t unix_ns, const char *text);
/* Wipes the key. NULL allowed. */
void ctl_hashlog_close(struct ctl_hashlog *h);

#endif
