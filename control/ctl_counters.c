/* Counter names (see ctl_counters.h). */
#include "ctl_counters.h"

#define CTL_CTR_NAME(id, name) [CTL_C_##id] = name,
static const char *const names[CTL_C_COUNT] = { CTL_COUNTERS(CTL_CTR_NAME) };

const char *ctl_counter_name(enum ctl_ctr c)
{
	return (unsigned)c < CTL_C_COUNT ? names[c] : "?";
}
