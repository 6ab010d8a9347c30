/* Running the configuration loader in a child process of its own, so that
 * the copies libyang makes of the secrets (its dictionary's base64 text,
 * which it frees without wiping, the parser's and XPath's strings) never
 * exist in the daemon's memory: they die with the child. What the loader
 * extracts comes back through a shared mapping marked MADV_DONTDUMP, wiped
 * and unmapped once copied out. */
#ifndef TWR_CFG_ISOLATE_H
#define TWR_CFG_ISOLATE_H

#include <stddef.h>

/* fn writes its result into out (outlen octets, initialised from the
 * caller's out) and a reason into err; returns 0 or -1. */
typedef int (*cfg_isolated_fn)(void *ctx, void *out, char *err, size_t errlen);

/* Run fn(ctx, ...) in a child: its return value, out and err come back.
 * -1 with the reason in err if the child cannot be made or dies (a crash
 * of the parser is then an error, not the daemon's). fn must store no
 * pointer into the child's memory in out. */
int cfg_isolated(cfg_isolated_fn fn, void *ctx, void *out, size_t outlen, char *err,
		 size_t errlen);

#endif
