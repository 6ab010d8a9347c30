/* Capture extracts for the tests: see capdata.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capdata.h"

static FILE *open_data(const char *name)
{
	const char *dir = getenv("TWR_TEST_DATA");
	char path[512];
	FILE *f;

	if (!dir)
		fail_msg("TWR_TEST_DATA is not set (run through meson test)");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	return f;
}

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > max)
		fail_msg("bad hex length %zu", n);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			fail_msg("bad hex at %zu", 2 * i);
		out[i] = (uint8_t)v;
	}
	return n / 2;
}

size_t cap_load(const char *name, struct cap_pkt *pkts)
{
	static char line[2 * CAP_MAX_PKT + 64];
	char dir[4], hex[2 * CAP_MAX_PKT + 2];
	FILE *f = open_data(name);
	size_t n = 0;
	unsigned frame;

	while (n < CAP_MAX_PKTS && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%u %3s %4097s", &frame, dir, hex) != 3 || (dir[0] != 's' && dir[0] != 'r'))
			fail_msg("%s: bad line '%.40s'", name, line);
		pkts[n].dir = dir[0];
		pkts[n].len = unhex(hex, pkts[n].data, CAP_MAX_PKT);
		n++;
	}
	fclose(f);
	return n;
}

void cap_key(const char *name, const char *key, uint8_t *out, size_t len)
{
	char line[512], k[64], hex[400];
	FILE *f = open_data(name);

	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || sscanf(line, "%63s %399s", k, hex) != 2 || strcmp(k, key))
			continue;
		fclose(f);
		if (unhex(hex, out, len) != len)
			fail_msg("%s: %s is not %zu octets", name, key, len);
		return;
	}
	fclose(f);
	fail_msg("%s: no %s", name, key);
}
