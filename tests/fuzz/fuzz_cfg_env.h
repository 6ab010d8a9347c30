/* Shared by the configuration fuzz targets (fuzz_config_*.c): the input is
 * written to a file of a temporary directory, mode 0600, and loaded through
 * the daemons' own load functions (cfg_load: libyang parse and validation,
 * file security, extraction, wiping).
 *
 * cfg_load makes and destroys a libyang context per file, which costs tens
 * of milliseconds (the YANG modules are parsed each time): the targets are
 * linked with -Wl,--wrap=ly_ctx_new,--wrap=ly_ctx_destroy so that the first
 * context made is kept and handed out again, and destroying it is a no-op.
 * The load the daemons run in a child process (common/config/cfg_isolate.h)
 * runs in the fuzzer's process (-Wl,--wrap=cfg_isolated), where its coverage
 * counts; cfg_isolate.c itself is not fuzzed. Everything else is the
 * daemons' path, unchanged. */
#ifndef TWR_FUZZ_CFG_ENV_H
#define TWR_FUZZ_CFG_ENV_H

#include <stddef.h>
#include <stdint.h>

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* TWR_YANG_DIR set to the source tree's yang/ (FUZZ_YANG_DIR), a private
 * temporary directory made. Once, from LLVMFuzzerInitialize. */
void cfg_fuzz_init(void);

/* The input as a configuration file: "<tmp>/config.xml" when its first
 * octet is '<' (the daemons pick the format by extension), else
 * "<tmp>/config.json". */
const char *cfg_fuzz_file(const uint8_t *data, size_t size);

/* err after a load: NUL-terminated within errlen, one line, not empty when
 * the load failed. With TWR_FUZZ_VERBOSE in the environment, each load's
 * result goes to stderr. */
void cfg_fuzz_check_err(const char *err, size_t errlen, int rc);

/* Every octet of p[0..n) is zero. */
int cfg_fuzz_zero(const void *p, size_t n);

#endif
