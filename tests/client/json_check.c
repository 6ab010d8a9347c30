/* Strict JSON syntax check: see json_check.h. Recursive descent with a
 * depth limit. */
#include "json_check.h"

#include <string.h>

#define MAX_DEPTH 32

struct jp {
	const char *s;
	size_t i;
};

static bool value(struct jp *p, int depth);

static void ws(struct jp *p)
{
	while (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')
		p->i++;
}

static bool lit(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(p->s + p->i, w, n))
		return false;
	p->i += n;
	return true;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool digits(struct jp *p)
{
	size_t start = p->i;

	while (is_digit(p->s[p->i]))
		p->i++;
	return p->i > start;
}

static bool number(struct jp *p)
{
	if (p->s[p->i] == '-')
		p->i++;
	if (p->s[p->i] == '0')
		p->i++;
	else if (!digits(p))
		return false;
	if (p->s[p->i] == '.') {
		p->i++;
		if (!digits(p))
			return false;
	}
	if (p->s[p->i] == 'e' || p->s[p->i] == 'E') {
		p->i++;
		if (p->s[p->i] == '+' || p->s[p->i] == '-')
			p->i++;
		if (!digits(p))
			return false;
	}
	return true;
}

static bool string(struct jp *p)
{
	if (p->s[p->i] != '"')
		return false;
	for (p->i++;; p->i++) {
		unsigned char c = (unsigned char)p->s[p->i];

		if (c == '"') {
			p->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		c = (unsigned char)p->s[++p->i];
		if (c == 'u') {
			for (int k = 1; k <= 4; k++)
				if (!is_hex(p->s[p->i + k]))
					return false;
			p->i += 4;
		} else if (!strchr("\"\\/bfnrt", c) || c == 0) {
			return false;
		}
	}
}

/* object or array: open, items separated by ',', close */
static bool container(struct jp *p, int depth, char close, bool keyed)
{
	p->i++;
	ws(p);
	if (p->s[p->i] == close) {
		p->i++;
		return true;
	}
	for (;;) {
		ws(p);
		if (keyed) {
			if (!string(p))
				return false;
			ws(p);
			if (p->s[p->i++] != ':')
				return false;
		}
		if (!value(p, depth + 1))
			return false;
		ws(p);
		if (p->s[p->i] == close) {
			p->i++;
			return true;
		}
		if (p->s[p->i++] != ',')
			return false;
	}
}

static bool value(struct jp *p, int depth)
{
	char c;

	if (depth > MAX_DEPTH)
		return false;
	ws(p);
	c = p->s[p->i];
	if (c == '{')
		return container(p, depth, '}', true);
	if (c == '[')
		return container(p, depth, ']', false);
	if (c == '"')
		return string(p);
	if (c == '-' || is_digit(c))
		return number(p);
	return lit(p, "true") || lit(p, "false") || lit(p, "null");
}

bool json_valid(const char *s, size_t *where)
{
	struct jp p = { .s = s, .i = 0 };
	bool ok = value(&p, 0);

	ws(&p);
	ok = ok && p.s[p.i] == '\0';
	if (!ok && where)
		*where = p.i;
	return ok;
}
