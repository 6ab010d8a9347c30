/* Prints crafted report case N as JSON (check_report_json.py parses it), or
 * with no argument the number of cases. */
#include <stdio.h>
#include <stdlib.h>

#include "report_cases.h"

int main(int argc, char **argv)
{
	struct report_info in;
	struct stats_summary s;
	long i;

	if (argc < 2) {
		printf("%zu\n", report_case_count());
		return 0;
	}
	i = strtol(argv[1], NULL, 10);
	if (i < 0 || (size_t)i >= report_case_count())
		return 2;
	report_case((size_t)i, &in, &s);
	report_json(stdout, &in, &s);
	return 0;
}
