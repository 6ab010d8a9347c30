/* The Internet checksum's one's complement sum (RFC 1071), the inner loop
 * of the fast path: every test packet is summed once to verify it and its
 * reply once more.
 *
 * Sums are kept in native word order (RFC 1071 §2(B): the sum does not
 * depend on byte order, so words are added as they load and the result is
 * swapped once at the end, if at all) in a 64-bit accumulator with
 * end-around carry. Chunks chained onto one accumulator must start at even
 * offsets of the summed data.
 */
#ifndef TWR_INET_CSUM_H
#define TWR_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* a + b with the carry out added back in (one's complement addition) */
static inline uint64_t csum_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? r + 1 : r;
}

/* 32 octets onto acc. On x86-64 one add-with-carry chain over four
 * quadwords, as the kernel's csum_partial does: C cannot say "add with
 * the carry flag", and the compiler's add-then-adc pairs take twice the
 * instructions. */
static inline uint64_t csum_32(const uint8_t *p, uint64_t acc)
{
#if defined(__x86_64__)
	__asm__("addq 0(%[p]), %[a]\n\t"
		"adcq 8(%[p]), %[a]\n\t"
		"adcq 16(%[p]), %[a]\n\t"
		"adcq 24(%[p]), %[a]\n\t"
		"adcq $0, %[a]"
		: [a] "+r"(acc)
		: [p] "r"(p), "m"(*(const struct { uint8_t b[32]; } *)(const void *)p)
		: "cc");
	return acc;
#else
	uint64_t w[4];

	memcpy(w, p, sizeof(w));
	return csum_add(csum_add(acc, w[0]), csum_add(csum_add(w[1], w[2]), w[3]));
#endif
}

/* The sum of p[0, len) onto acc. An odd final octet counts as the high
 * octet of a word whose low octet is zero. */
static inline __attribute__((always_inline)) uint64_t csum_raw(const uint8_t *p, size_t len,
							     uint64_t acc)
{
	uint64_t w64;
	uint32_t w32;
	uint16_t w16;

	for (; len >= 32; p += 32, len -= 32)
		acc = csum_32(p, acc);
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w64, p, 8);
		acc = csum_add(acc, w64);
	}
	if (len & 4) {
		memcpy(&w32, p, 4);
		acc = csum_add(acc, w32);
		p += 4;
	}
	if (len & 2) {
		memcpy(&w16, p, 2);
		acc = csum_add(acc, w16);
		p += 2;
	}
	if (len & 1) {
		uint8_t last[2] = { p[0], 0 };

		memcpy(&w16, last, 2);
		acc = csum_add(acc, w16);
	}
	return acc;
}

/* Fold the accumulator to 16 bits, still in native word order. Adding a
 * value to itself rotated by half its width leaves the end-around sum of
 * both halves in the upper half. */
static inline uint16_t csum_fold_native(uint64_t acc)
{
	uint32_t s = (uint32_t)((acc + (acc >> 32 | acc << 32)) >> 32);

	return (uint16_t)((s + (s >> 16 | s << 16)) >> 16);
}

#endif
