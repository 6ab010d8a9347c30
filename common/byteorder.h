/* Big-endian loads and stores at any alignment: one memory access and one
 * byte swap. GCC merges the byte-at-a-time forms only sometimes (a loop of
 * eight byte loads stayed eight loads, shifts and ors on the fast path). */
#ifndef TWR_BYTEORDER_H
#define TWR_BYTEORDER_H

#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TWR_BSWAP16(x) __builtin_bswap16(x)
#define TWR_BSWAP32(x) __builtin_bswap32(x)
#define TWR_BSWAP64(x) __builtin_bswap64(x)
#else
#define TWR_BSWAP16(x) (x)
#define TWR_BSWAP32(x) (x)
#define TWR_BSWAP64(x) (x)
#endif

static inline uint16_t be16_get(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return TWR_BSWAP16(v);
}

static inline uint32_t be32_get(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return TWR_BSWAP32(v);
}

static inline uint64_t be64_get(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return TWR_BSWAP64(v);
}

static inline void be16_put(uint8_t *p, uint16_t v)
{
	v = TWR_BSWAP16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void be32_put(uint8_t *p, uint32_t v)
{
	v = TWR_BSWAP32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void be64_put(uint8_t *p, uint64_t v)
{
	v = TWR_BSWAP64(v);
	memcpy(p, &v, sizeof(v));
}

#endif
