/* Key material on pages of its own: mapped, out of core dumps, locked when
 * the limit allows, wiped before unmapping (secmem.h). */
#include "secmem.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "secure_mem.h"

/* Counted with atomics: the dataplane allocates from its main lcore only,
 * but nothing here should assume one thread. */
static size_t n_regions, n_bytes, n_lock_refused, n_locked;

/* Lock [p, p + len) if it fits in what is left of the soft RLIMIT_MEMLOCK
 * (root is not held to the limit, but a large table should not be locked
 * just because the process can). */
static bool lock_pages(void *p, size_t len)
{
	struct rlimit rl;
	size_t locked = __atomic_load_n(&n_locked, __ATOMIC_RELAXED);

	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return false;
	if (rl.rlim_cur != RLIM_INFINITY && (len > rl.rlim_cur || locked > rl.rlim_cur - len))
		return false;
	if (mlock(p, len) != 0)
		return false;
	__atomic_add_fetch(&n_locked, len, __ATOMIC_RELAXED);
	return true;
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	if (n > SIZE_MAX - pg)
		return 0;
	return (n + pg - 1) / pg * pg;
}

/* Before what the caller gets: the mapping's length and whether it is
 * locked (64 octets, so the caller's memory stays cache-line aligned). */
struct secmem_hdr {
	size_t len;
	bool locked;
	uint8_t pad[64 - sizeof(size_t) - sizeof(bool)];
};

void *secmem_alloc(size_t n)
{
	size_t len = n <= SIZE_MAX - sizeof(struct secmem_hdr) ?
			     page_round(n + sizeof(struct secmem_hdr)) : 0;
	struct secmem_hdr *h;
	void *p;

	if (n == 0 || len == 0) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* out of dumps before anything is written to it */
	if (madvise(p, len, MADV_DONTDUMP) != 0) {
		int e = errno;

		munmap(p, len);
		errno = e;
		return NULL;
	}
	h = p;
	h->len = len;
	/* best effort: the default RLIMIT_MEMLOCK (8 MiB, 64 KiB on older
	 * kernels) refuses a large table */
	h->locked = lock_pages(p, len);
	if (!h->locked)
		__atomic_add_fetch(&n_lock_refused, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&n_regions, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&n_bytes, len, __ATOMIC_RELAXED);
	return h + 1;
}

void secmem_free(void *p, size_t n)
{
	struct secmem_hdr *h = (struct secmem_hdr *)p - 1;
	size_t len;
	bool locked;

	if (p == NULL)
		return;
	len = h->len;
	locked = h->locked;
	(void)n; /* the header knows; n is for the reader of the call */
	wipe(h, len);
	if (locked) {
		munlock(h, len);
		__atomic_sub_fetch(&n_locked, len, __ATOMIC_RELAXED);
	}
	munmap(h, len);
	__atomic_sub_fetch(&n_regions, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&n_bytes, len, __ATOMIC_RELAXED);
}

void secmem_stats(struct secmem_stats *out)
{
	out->regions = __atomic_load_n(&n_regions, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&n_bytes, __ATOMIC_RELAXED);
	out->locked = __atomic_load_n(&n_locked, __ATOMIC_RELAXED);
	out->lock_refused = __atomic_load_n(&n_lock_refused, __ATOMIC_RELAXED);
}

int secmem_set_dumpable(bool dumpable)
{
	return prctl(PR_SET_DUMPABLE, dumpable ? 1 : 0, 0, 0, 0);
}
