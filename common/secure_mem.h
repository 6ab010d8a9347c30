/* Constant-time comparison and wiping of secrets. */
#ifndef TWR_SECURE_MEM_H
#define TWR_SECURE_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* true if equal; time depends only on n */
bool ct_equal(const void *a, const void *b, size_t n);
/* clear memory the compiler may not elide */
void wipe(void *p, size_t n);

#endif
