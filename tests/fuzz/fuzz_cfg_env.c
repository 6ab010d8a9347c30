/* See fuzz_cfg_env.h. */
#include "fuzz_cfg_env.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "cfg_isolate.h"

static char dir[64], json_path[96], xml_path[96];

/* The one context: made on the first call, kept for the process. */
static struct ly_ctx *kept;

LY_ERR __real_ly_ctx_new(const char *search_dir, uint16_t options, struct ly_ctx **new_ctx);
void __real_ly_ctx_destroy(struct ly_ctx *ctx);
LY_ERR __wrap_ly_ctx_new(const char *search_dir, uint16_t options, struct ly_ctx **new_ctx);
void __wrap_ly_ctx_destroy(struct ly_ctx *ctx);

LY_ERR __wrap_ly_ctx_new(const char *search_dir, uint16_t options, struct ly_ctx **new_ctx)
{
	LY_ERR r;

	if (kept) {
		*new_ctx = kept;
		return LY_SUCCESS;
	}
	r = __real_ly_ctx_new(search_dir, options, new_ctx);
	if (r == LY_SUCCESS)
		kept = *new_ctx;
	return r;
}

void __wrap_ly_ctx_destroy(struct ly_ctx *ctx)
{
	if (ctx != kept)
		__real_ly_ctx_destroy(ctx);
}

/* The load the daemons run in a child process, run here: a child's coverage
 * would not reach the fuzzer, and a fork beside libFuzzer's threads may
 * deadlock in the allocator. */
int __wrap_cfg_isolated(cfg_isolated_fn fn, void *ctx, void *out, size_t outlen, char *err,
			size_t errlen);

int __wrap_cfg_isolated(cfg_isolated_fn fn, void *ctx, void *out, size_t outlen, char *err,
			size_t errlen)
{
	(void)outlen;
	return fn(ctx, out, err, errlen);
}

void cfg_fuzz_init(void)
{
	setenv("TWR_YANG_DIR", FUZZ_YANG_DIR, 1);
	snprintf(dir, sizeof(dir), "/tmp/twr-fuzz-cfg-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(json_path, sizeof(json_path), "%s/config.json", dir);
	snprintf(xml_path, sizeof(xml_path), "%s/config.xml", dir);
}

const char *cfg_fuzz_file(const uint8_t *data, size_t size)
{
	const char *path = size > 0 && data[0] == '<' ? xml_path : json_path;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	CHECK(fd >= 0);
	CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	close(fd);
	return path;
}

void cfg_fuzz_check_err(const char *err, size_t errlen, int rc)
{
	size_t n = strnlen(err, errlen);

	if (getenv("TWR_FUZZ_VERBOSE")) /* to see what an input does */
		fprintf(stderr, "load: %d %s\n", rc, rc ? err : "ok");
	CHECK(rc == 0 || rc == -1);
	CHECK(n < errlen);
	CHECK(memchr(err, '\n', n) == NULL);
	CHECK(rc == 0 || n > 0);
}

int cfg_fuzz_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}
