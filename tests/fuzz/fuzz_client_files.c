/* libFuzzer target: twamp-client's private-file parsers on hostile file
 * contents: the TWAMP Light key file (client/keyfile.c, through
 * private_file_read) and the TWAMP-Control shared-secret file
 * (client/secret.c).
 *
 * Input: byte 0 bit 0: the file is written mode 0644 (else 0600); the rest
 * is the file. Both parsers read it from a file of a temporary directory
 * (keyfile_read, secret_from_file) and from memory (keyfile_parse,
 * secret_parse, on a heap copy of exactly its size).
 *
 * Properties (abort on violation), against the rules of keyfile.h and
 * secret.h written out here anew: a file readable by others is refused by
 * both; otherwise a key file is accepted exactly when it holds 96
 * hexadecimal digits and whitespace only (at most KEYFILE_MAX_SIZE octets),
 * and the keys are those digits; a secret file exactly when, less one
 * trailing "\n" or "\r\n", it is 1..SECRET_MAX octets (the file at most
 * SECRET_MAX + 2), and the secret is those octets; the file and memory
 * paths agree; a failure leaves the keys or the secret wiped and one line
 * of reason, which never holds a run of 8 or more hexadecimal digits (no
 * key material quoted). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "secret.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/twr-fuzz-files-XXXXXX";

	(void)argc;
	(void)argv;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/private", dir);
	return 0;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void check_err(const char *err, size_t cap)
{
	size_t n = strnlen(err, cap), run = 0;

	CHECK(n > 0 && n < cap && memchr(err, '\n', n) == NULL);
	for (size_t i = 0; i < n; i++) {
		run = hexval((uint8_t)err[i]) >= 0 ? run + 1 : 0;
		CHECK(run < 8);
	}
}

static bool zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* keyfile.h's rule: hex digits and whitespace, exactly 96 digits. */
static bool key_model(const uint8_t *t, size_t n, uint8_t raw[48])
{
	size_t digits = 0;

	for (size_t i = 0; i < n; i++) {
		int v = hexval(t[i]);

		if (strchr(" \t\n\r\v\f", t[i]) && t[i] != 0)
			continue;
		if (v < 0 || digits == 96)
			return false;
		raw[digits / 2] = (uint8_t)(digits % 2 ? raw[digits / 2] | v : v << 4);
		digits++;
	}
	return digits == 96;
}

static void check_keyfile(const uint8_t *t, size_t n, bool open_to_others)
{
	struct tw_keys file = { 0 }, mem;   /* mem: wiped by keyfile_parse on failure */
	uint8_t raw[48];
	char err[256] = "", err2[256] = "";
	bool ok = key_model(t, n, raw);
	char *copy = malloc(n ? n : 1);
	int rc_file = keyfile_read(path, geteuid(), &file, err, sizeof(err));
	int rc_mem;

	CHECK(copy);
	memcpy(copy, t, n);
	memset(&mem, 0xa5, sizeof(mem));
	rc_mem = keyfile_parse(copy, n, &mem, err2, sizeof(err2));
	free(copy);
	CHECK(rc_mem == (ok ? 0 : -1));
	if (open_to_others || n > KEYFILE_MAX_SIZE)
		CHECK(rc_file == -1);
	else
		CHECK(rc_file == rc_mem);
	if (rc_mem == 0)
		CHECK(!memcmp(mem.aes, raw, 16) && !memcmp(mem.hmac, raw + 16, 32));
	else
		CHECK(zero(&mem, sizeof(mem)));
	if (rc_file == 0)
		CHECK(!memcmp(&file, &mem, sizeof(mem)));
	else
		CHECK(zero(&file, sizeof(file)));
	if (rc_mem)
		check_err(err2, sizeof(err2));
	if (rc_file)
		check_err(err, sizeof(err));
}

static void check_secret(const uint8_t *t, size_t n, bool open_to_others)
{
	static struct secret file, mem;
	char err[256] = "", err2[256] = "";
	size_t want = n;
	char *copy = malloc(n ? n : 1);
	int rc_file = secret_from_file(path, geteuid(), &file, err, sizeof(err));
	int rc_mem;

	CHECK(copy);
	memcpy(copy, t, n);
	rc_mem = secret_parse(copy, n, &mem, err2, sizeof(err2));
	free(copy);
	if (want && t[want - 1] == '\n') {
		want--;
		if (want && t[want - 1] == '\r')
			want--;
	}
	CHECK(rc_mem == (want >= 1 && want <= SECRET_MAX ? 0 : -1));
	if (open_to_others || n > SECRET_MAX + 2)
		CHECK(rc_file == -1);
	else
		CHECK(rc_file == rc_mem);
	if (rc_mem == 0)
		CHECK(mem.len == want && !memcmp(mem.buf, t, want));
	else
		CHECK(zero(&mem, sizeof(mem)));
	if (rc_file == 0)
		CHECK(file.len == mem.len && !memcmp(file.buf, mem.buf, mem.len));
	else
		CHECK(zero(&file, sizeof(file)));
	CHECK(strnlen(err, sizeof(err)) < sizeof(err) && strnlen(err2, sizeof(err2)) < sizeof(err2));
	CHECK(rc_mem == 0 || err2[0]);
	CHECK(rc_file == 0 || err[0]);
	secret_wipe(&file);
	secret_wipe(&mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool open_to_others;
	int fd;

	if (size < 1)
		return 0;
	open_to_others = data[0] & 1;
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(size == 1 || write(fd, data + 1, size - 1) == (ssize_t)(size - 1));
	CHECK(fchmod(fd, open_to_others ? 0644 : 0600) == 0);
	close(fd);
	check_keyfile(data + 1, size - 1, open_to_others);
	check_secret(data + 1, size - 1, open_to_others);
	return 0;
}
