/* The local security log, its keyed hash chain and its anchor
 * (security-baseline log-security: local-log-file, hash-chain, log-key,
 * anchor-file, anchor-interval).
 *
 * One record per line, ASCII, printable:
 *
 *   <seq> <time> <event text> mac=<64 hex digits>
 *
 *   seq    1, 2, 3, ... in the file (a restarted server goes on from the
 *          last record)
 *   time   UTC, 2026-11-22T09:44:00.123Z
 *   mac    HMAC-SHA256(Kc, prev ‖ record), where record is the line up to
 *          (not including) " mac=", prev is the previous line's MAC as 32
 *          raw octets (32 zero octets before the first line), and Kc is the
 *          chain key derived from log-key (below)
 *
 * Changing, inserting, reordering or removing a record breaks the chain at
 * that point; removing the first records breaks it at the new first line.
 * Removing records at the end, or all of them, leaves a shorter chain that
 * is intact in itself: that is what the anchor is for. The anchor file
 * holds one line,
 *
 *   anchor v1 seq=<n> head=<64 hex> time=<time> mac=<64 hex>
 *
 *   seq    the last record's sequence number when it was written (0: none),
 *          in 20 digits (the line has a fixed length: rewritten in place)
 *   head   that record's MAC (zeros for seq 0)
 *   mac    HMAC-SHA256(Ka, the line up to " mac=")
 *
 * written at start, every anchor-interval while the log grows and at
 * shutdown (in place, through a descriptor opened at start, synced), and
 * sent to syslog. A log is consistent with
 * its anchor when it reaches record `seq` and that record's MAC is `head`;
 * records after it (written after the last anchor, e.g. before a crash)
 * are allowed and reported. A log that ends before `seq` was truncated (or
 * emptied, with no record at all).
 *
 * Keys (docs: control/README.md, "The local log and its hash chain"):
 *
 *   Kc = HKDF-SHA-256(IKM = log-key, salt = none, info = "twamp-controld log chain", L = 32)
 *   Ka = HKDF-SHA-256(IKM = log-key, salt = none, info = "twamp-controld log anchor", L = 32)
 *
 * With hash-chain false the " mac=..." part is left out and there is no
 * anchor.
 *
 * `twamp-controld --verify-log FILE -c CONFIG` checks a file
 * (ctl_hashlog_verify_file). The parsers of file bytes, for the fuzzer:
 * ctl_hashlog_verify_buf (the log, with or without an anchor) and
 * ctl_hashlog_anchor_parse (the anchor file). */
#ifndef TWR_CTL_HASHLOG_H
#define TWR_CTL_HASHLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_HASHLOG_MAC 32
#define CTL_HASHLOG_KEY 32
#define CTL_HASHLOG_LINE_MAX 1024   /* longest line written or verified */
#define CTL_HASHLOG_LABEL_CHAIN "twamp-controld log chain"
#define CTL_HASHLOG_LABEL_ANCHOR "twamp-controld log anchor"

/* ---- keys (ctl_hashlog_key.c) ---- */

/* HKDF-SHA-256 (RFC 5869) of the log key, no salt, info = label, 32
 * octets. Returns 0, or -1 (out zeroed). */
int ctl_hashlog_derive(const uint8_t *log_key, size_t len, const char *label,
		       uint8_t out[CTL_HASHLOG_KEY]);

struct ctl_hashlog_keys {
	uint8_t chain[CTL_HASHLOG_KEY];
	uint8_t anchor[CTL_HASHLOG_KEY];
};
/* Both keys; -1 on failure (then wiped). */
int ctl_hashlog_keys(const uint8_t *log_key, size_t len, struct ctl_hashlog_keys *k);

/* ---- records (ctl_hashlog.c) ---- */

/* MAC of one record (the line without " mac=..." and newline). */
int ctl_hashlog_mac(const uint8_t *key, size_t keylen, const uint8_t prev[CTL_HASHLOG_MAC],
		    const char *record, size_t len, uint8_t mac[CTL_HASHLOG_MAC]);

/* Format one line (with the newline) into out; key NULL = no MAC. Updates
 * prev to this line's MAC. Returns the length, or 0 if it does not fit. */
size_t ctl_hashlog_line(char *out, size_t cap, uint64_t seq, uint64_t unix_ns, const char *text,
			const uint8_t *key, size_t keylen, uint8_t prev[CTL_HASHLOG_MAC]);

/* ---- the anchor (ctl_hashlog_anchor.c) ---- */

struct ctl_hashlog_anchor {
	uint64_t seq;
	uint8_t head[CTL_HASHLOG_MAC];
	char time[32];       /* as written: 2026-11-22T09:44:00.123Z */
};

/* The anchor's line (with the newline) for seq and head at unix_ns, under
 * the anchor key. Returns the length, or 0 if cap is too small. */
size_t ctl_hashlog_anchor_line(char *out, size_t cap, uint64_t seq,
			       const uint8_t head[CTL_HASHLOG_MAC], uint64_t unix_ns,
			       const uint8_t akey[CTL_HASHLOG_KEY]);

/* Parse and authenticate an anchor file's contents (n octets: exactly one
 * line). Returns 0, or -1 with the reason in why (malformed, or its MAC
 * does not verify: altered, or another key). */
int ctl_hashlog_anchor_parse(const char *buf, size_t n, const uint8_t akey[CTL_HASHLOG_KEY],
			     struct ctl_hashlog_anchor *a, char *why, size_t whylen);

/* ---- verification (ctl_hashlog.c) ---- */

/* What verification found at the end of an intact chain. */
struct ctl_hashlog_end {
	uint64_t seq;                   /* last record (0: none) */
	uint8_t mac[CTL_HASHLOG_MAC];   /* its MAC (zeros: none) */
	uint64_t after_anchor;          /* records past the anchor's */
};

/* Results besides 0 (intact) and a line number (> 0, the first record that
 * does not verify: a bad MAC, a line without MAC, a sequence number out of
 * order, a line too long, a missing final newline). */
#define CTL_HASHLOG_UNREADABLE (-1L)  /* the file cannot be read */
#define CTL_HASHLOG_TRUNCATED  (-2L)  /* intact, but ends before its anchor (or empty) */
#define CTL_HASHLOG_DIVERGED   (-3L)  /* the anchor's record is not the one in the log */

/* Verify the records in buf (n octets, the whole file) under the chain key
 * and, when a is not NULL, against that anchor. Returns 0, a line number,
 * or CTL_HASHLOG_TRUNCATED / _DIVERGED, with the reason in why ("ok" when
 * intact). end (may be NULL) gets where an intact chain ends. */
long ctl_hashlog_verify_buf(const char *buf, size_t n, const uint8_t *key, size_t keylen,
			    const struct ctl_hashlog_anchor *a, struct ctl_hashlog_end *end,
			    char *why, size_t whylen);

/* The same for a file, read in pieces; CTL_HASHLOG_UNREADABLE if it cannot
 * be read. */
long ctl_hashlog_verify_file(const char *path, const uint8_t *key, size_t keylen,
			     const struct ctl_hashlog_anchor *a, struct ctl_hashlog_end *end,
			     char *why, size_t whylen);

/* Read and authenticate the anchor file at path. Returns 0; 1 if there is
 * none (ENOENT); -1 with the reason in why. */
int ctl_hashlog_anchor_read(const char *path, const uint8_t akey[CTL_HASHLOG_KEY],
			    struct ctl_hashlog_anchor *a, char *why, size_t whylen);

/* The whole check of a log against its anchor file, as the server does at
 * start and --verify-log does: 0 consistent (end filled), or one of the
 * results above with why; a missing anchor is CTL_HASHLOG_TRUNCATED unless
 * the log is empty too (a first start), a bad one -1 with why. */
long ctl_hashlog_check(const char *log_path, const char *anchor_path,
		       const struct ctl_hashlog_keys *k, struct ctl_hashlog_end *end, char *why,
		       size_t whylen);

/* Where the next record of an existing file goes on when there is no
 * chain: the sequence number and MAC of its last line (0 and zeros for an
 * empty file). Returns 0, or -1 if the last line cannot be parsed. */
int ctl_hashlog_tail(const char *buf, size_t n, uint64_t *seq, uint8_t prev[CTL_HASHLOG_MAC]);

/* ---- the open log (ctl_hashlog_file.c) ---- */

struct ctl_hashlog;

struct ctl_hashlog_opts {
	const char *path;
	const char *anchor_path;          /* with keys */
	const struct ctl_hashlog_keys *keys; /* NULL = no chain, no anchor */
	bool require_root;                /* file-security require-root-owner */
};

/* Open (create mode 0600) for appending. require_root: the file (and the
 * anchor) must be owned by root and writable by nobody else. With keys the
 * existing log must verify and match its anchor (ctl_hashlog_check), or it
 * is refused: the chain is not continued from a log that was cut or
 * altered. Then an anchor is written. Returns NULL with the reason (and
 * what the operator must do) in err. */
struct ctl_hashlog *ctl_hashlog_open(const struct ctl_hashlog_opts *o, char *err, size_t errlen);
int ctl_hashlog_append(struct ctl_hashlog *h, uint64_t unix_ns, const char *text);
/* Records the existing file held past its anchor when it was opened. */
uint64_t ctl_hashlog_unanchored(const struct ctl_hashlog *h);
/* Write the anchor (the file, rewritten; the line into line for syslog) if
 * the log grew since the last one, or always when force. Returns 1 if one
 * was written, 0 if not needed, -1 on failure (errno). */
int ctl_hashlog_anchor(struct ctl_hashlog *h, uint64_t unix_ns, bool force, char *line,
		       size_t linecap);
/* Wipes the keys. NULL allowed. */
void ctl_hashlog_close(struct ctl_hashlog *h);

#endif
