/* TWAMP Light key file reading: see keyfile.h. */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Ownership and mode of an open key file. */
static int check_stat(int fd, uid_t owner, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot stat: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		return -1;
	}
	if (st.st_uid != owner) {
		snprintf(err, errlen, "owned by uid %u, must be owned by uid %u", (unsigned)st.st_uid,
			 (unsigned)owner);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "mode %04o gives access to group or others; use chmod 600",
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_size > KEYFILE_MAX_SIZE) {
		snprintf(err, errlen, "larger than %d octets", KEYFILE_MAX_SIZE);
		return -1;
	}
	return 0;
}

/* Reads at most KEYFILE_MAX_SIZE octets; -1 if the file is longer. */
static ssize_t read_all(int fd, char *buf, size_t cap, char *err, size_t errlen)
{
	size_t len = 0;

	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "read failed: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			return (ssize_t)len;
		len += (size_t)r;
		if (len == cap) {
			snprintf(err, errlen, "larger than %d octets", KEYFILE_MAX_SIZE);
			return -1;
		}
	}
}

int keyfile_read(const char *path, uid_t owner, struct tw_keys *out, char *err, size_t errlen)
{
	char buf[KEYFILE_MAX_SIZE + 1];
	ssize_t len = -1;
	int rc = -1;
	int fd;

	/* O_NOFOLLOW: a symbolic link is refused (ELOOP); O_NONBLOCK: a FIFO
	 * cannot stall us before fstat() rejects it */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, errlen, "is a symbolic link; refused");
		else
			snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (check_stat(fd, owner, err, errlen) == 0)
		len = read_all(fd, buf, sizeof(buf), err, errlen);
	close(fd);
	if (len >= 0)
		rc = keyfile_parse(buf, (size_t)len, out, err, errlen);
	wipe(buf, sizeof(buf));
	return rc;
}
