/* Crafted session results for the report tests (C and Python). */
#ifndef REPORT_CASES_H
#define REPORT_CASES_H

#include <stddef.h>

#include "report.h"
#include "stats.h"

size_t report_case_count(void);
/* Fills case i (< report_case_count()). */
void report_case(size_t i, struct report_info *in, struct stats_summary *s);

#endif
