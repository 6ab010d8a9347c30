/* A strict JSON (RFC 8259) syntax check, enough to prove that the report's
 * output parses; no values are built. */
#ifndef JSON_CHECK_H
#define JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* true if s is exactly one JSON value (surrounding whitespace allowed);
 * otherwise *where is the offset of the first error. */
bool json_valid(const char *s, size_t *where);

#endif
