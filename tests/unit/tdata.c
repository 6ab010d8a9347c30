/* Test data loader (see tdata.h). */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdata.h"

static FILE *open_data(const char *name)
{
	const char *dir = getenv("TWR_TEST_DATA");
	char path[1024];
	FILE *f;

	if (!dir)
		fail_msg("TWR_TEST_DATA is not set (run through meson test)");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	return f;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t hex2bin(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex);

	while (n && isspace((unsigned char)hex[n - 1]))
		n--;
	if (n % 2 || n / 2 > max)
		fail_msg("bad hex length %zu", n);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			fail_msg("bad hex digit near offset %zu", 2 * i);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n / 2;
}

/* Splits a non-comment line into up to 3 words; returns the word count. */
static int split(char *line, char *w[3])
{
	int n = 0;
	char *save = NULL;

	if (line[0] == '#')
		return 0;
	for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 3;
	     t = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = t;
	return n;
}

size_t tdata_load(const char *name, struct tpkt **out)
{
	FILE *f = open_data(name);
	char line[8192];
	size_t n = 0, cap = 0;
	struct tpkt *v = NULL;

	while (fgets(line, sizeof(line), f)) {
		char *w[3];
		int nw = split(line, w);
		struct tpkt *p;

		if (nw == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		p = &v[n++];
		memset(p, 0, sizeof(*p));
		if (nw == 3) {
			p->frame = (unsigned int)strtoul(w[0], NULL, 10);
			p->dir = w[1][0];
			p->len = hex2bin(w[2], p->data, sizeof(p->data));
		} else if (nw == 2) {
			snprintf(p->tag, sizeof(p->tag), "%s", w[0]);
			p->len = hex2bin(w[1], p->data, sizeof(p->data));
		} else {
			fail_msg("%s: malformed line", name);
		}
	}
	fclose(f);
	if (n == 0)
		fail_msg("%s: no records", name);
	*out = v;
	return n;
}

void tdata_key(const char *name, const char *key, uint8_t *out, size_t len, size_t *len_out)
{
	FILE *f = open_data(name);
	char line[1024];
	size_t got = 0;
	int found = 0;

	while (!found && fgets(line, sizeof(line), f)) {
		char *w[3];

		if (split(line, w) == 2 && strcmp(w[0], key) == 0) {
			got = hex2bin(w[1], out, len);
			found = 1;
		}
	}
	fclose(f);
	if (!found)
		fail_msg("%s: no key %s", name, key);
	if (len_out)
		*len_out = got;
	else if (got != len)
		fail_msg("%s: %s has %zu octets, want %zu", name, key, got, len);
}
