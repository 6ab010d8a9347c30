/* TWAMP Light key file reading: see keyfile.h. */
#include "keyfile.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "private_file.h"
#include "secure_mem.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int keyfile_parse(const char *text, size_t len, struct tw_keys *out, char *err, size_t errlen)
{
	uint8_t raw[KEYFILE_HEX_DIGITS / 2];
	size_t digits = 0;
	int rc = -1;

	for (size_t i = 0; i < len; i++) {
		int v = hexval(text[i]);

		if (is_space(text[i]))
			continue;
		if (v < 0) {
			snprintf(err, errlen, "invalid character at offset %zu (only hex digits and whitespace)", i);
			goto out;
		}
		if (digits < KEYFILE_HEX_DIGITS) {
			if (digits % 2 == 0)
				raw[digits / 2] = (uint8_t)(v << 4);
			else
				raw[digits / 2] |= (uint8_t)v;
		}
		digits++;
	}
	if (digits != KEYFILE_HEX_DIGITS) {
		snprintf(err, errlen, "expected %d hex digits (16-octet AES key then 32-octet HMAC key), found %zu",
			 KEYFILE_HEX_DIGITS, digits);
		goto out;
	}
	memcpy(out->aes, raw, TW_AES_KEY_LEN);
	memcpy(out->hmac, raw + TW_AES_KEY_LEN, TW_HMAC_KEY_LEN);
	rc = 0;
out:
	wipe(raw, sizeof(raw));
	if (rc)
		wipe(out, sizeof(*out));
	return rc;
}

int keyfile_read(const char *path, uid_t owner, struct tw_keys *out, char *err, size_t errlen)
{
	char buf[KEYFILE_MAX_SIZE + 1];
	ssize_t len = private_file_read(path, owner, buf, KEYFILE_MAX_SIZE, err, errlen);
	int rc = -1;

	if (len >= 0)
		rc = keyfile_parse(buf, (size_t)len, out, err, errlen);
	wipe(buf, sizeof(buf));
	return rc;
}
