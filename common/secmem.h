/* Memory for key material: pages of its own, left out of core dumps.
 *
 * secmem_alloc maps whole pages (private, anonymous), marks them
 * MADV_DONTDUMP so that no core dump holds them, and locks them in RAM
 * (mlock) if they fit in what is left of RLIMIT_MEMLOCK (8 MiB by default:
 * configurations and keys are locked, a session table of 65536 keys is
 * not, even as root); a lock refused is not an error (secmem_stats counts
 * it): the pages can then be swapped out, but are still out of dumps.
 * secmem_free wipes them before unmapping. Every allocation takes at least
 * one page: for a process's key tables, not for many small keys.
 *
 * Why not madvise on memory from elsewhere: the dataplane's rte_malloc
 * memory is hugepages (a VMA split must be hugepage-aligned, and the page
 * holds other objects) or, with --no-huge, DPDK's own anonymous mapping;
 * its key tables are allocated here instead (dataplane/sessions.h). */
#ifndef TWR_SECMEM_H
#define TWR_SECMEM_H

#include <stdbool.h>
#include <stddef.h>

/* n zeroed octets on pages of their own, 64-octet aligned; NULL (errno
 * set) on failure or n == 0. */
void *secmem_alloc(size_t n);

/* Wipe and unmap what secmem_alloc(n) returned (the whole mapping, whatever
 * n says); NULL is ignored. */
void secmem_free(void *p, size_t n);

struct secmem_stats {
	size_t regions;        /* live allocations */
	size_t bytes;          /* mapped for them */
	size_t locked;         /* of bytes, how many are locked in RAM */
	size_t lock_refused;   /* allocations left unlocked, since start */
};
void secmem_stats(struct secmem_stats *out);

/* The process dumpable or not (prctl PR_SET_DUMPABLE): not dumpable, the
 * kernel writes no core dump of it, and its uid cannot ptrace it or open
 * its /proc/PID files without CAP_SYS_PTRACE (they are owned by root). A
 * change of uid resets it to fs.suid_dumpable (normally not dumpable).
 * Returns 0, or -1 with errno. */
int secmem_set_dumpable(bool dumpable);

#endif
