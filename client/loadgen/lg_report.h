/* twamp-loadgen results: JSON for machines, one line for people. */
#ifndef TWR_LG_REPORT_H
#define TWR_LG_REPORT_H

#include "lg_run.h"

/* Write the JSON object to path (NULL: stdout). Returns 0 or -1. */
int lg_report_json(const struct lg_run *r, const char *path);
/* One-line summary on stderr. */
void lg_report_summary(const struct lg_run *r);

#endif
