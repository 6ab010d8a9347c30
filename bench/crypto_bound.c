/* twamp-crypto-bound: the bare crypto of one authenticated (or encrypted)
 * TWAMP reflection in a loop, with the reflector's own code (crypto_mb.c),
 * over bursts of in-memory packets. It is the crypto ceiling the reflector's
 * packet rate is compared with in bench/run_bench.sh.
 *
 *   twamp-crypto-bound [--mode auth|enc] [--seconds S] [--burst N] [--size N]
 *                      [--arch auto|sse|avx|avx2|avx512] [--json FILE]
 *
 * --arch auto is what the reflector uses (mb_mgr_new: the SSE path where the
 * CPU has the SHA extensions, else init_mb_mgr_auto);
 * the others force one ipsec-mb code path, to see what the choice costs
 * (e.g. the SSE path uses the SHA extensions where the CPU has them).
 *
 * Per burst:  mb_unprotect_burst (sender layout)  ->  mb_protect_burst (reflector layout)
 *
 * The loop runs on the same buffers. Authenticated mode: unprotect decrypts
 * block 0 and checks the sender HMAC at 32; protect MACs block 0 into 96 and
 * encrypts block 0 again, to the same ciphertext (ECB = CBC with IV 0 on one
 * block), so the packet is the sender's again. Encrypted mode: protect
 * encrypts octets 0-95, which re-creates blocks 0-1 (CBC with IV 0 over the
 * same plaintext) but also overwrites the sender HMAC at 32-47, so those 16
 * octets are put back before each burst (a 16-octet copy per packet, inside
 * the timed loop). Both facts are checked once before timing starts. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "crypto_mb.h"
#include "ntp_time.h"
#include "secure_mem.h"
#include "tw_crypto.h"
#include "tw_pkt.h"

#define CB_MAX_SIZE 1472
#define CB_CHUNK 256   /* bursts between clock reads */

struct cb_opts {
	enum tw_sec sec;
	double seconds;
	unsigned burst;
	unsigned size;
	const char *arch;   /* NULL: auto, as the reflector */
	const char *json;
};

struct cb {
	IMB_MGR *mb;
	struct tw_keys keys;
	struct mb_keys mk;
	const struct tw_layout *snd, *refl;
	unsigned n, slot, size;
	uint8_t *buf;                     /* n packets, slot octets apart */
	uint8_t *orig;                    /* the sender packets as built */
	uint8_t hmac[MB_MAX_BURST][TW_HMAC_LEN]; /* sender HMACs (enc: put back) */
	struct mb_op snd_ops[MB_MAX_BURST], refl_ops[MB_MAX_BURST];
};

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--mode auth|enc] [--seconds S] [--burst 1..%d] [--size N]\n"
		"          [--arch auto|sse|avx|avx2|avx512] [--json FILE]\n"
		"  defaults: auth, 2 s, burst 32, size 112 (UDP payload)\n",
		prog, MB_MAX_BURST);
}

static int parse(int argc, char **argv, struct cb_opts *o)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' }, { "seconds", required_argument, NULL, 's' },
		{ "burst", required_argument, NULL, 'b' }, { "size", required_argument, NULL, 'z' },
		{ "json", required_argument, NULL, 'j' }, { "arch", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*o = (struct cb_opts){ .sec = TW_SEC_AUTH, .seconds = 2.0, .burst = 32, .size = 112 };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "auth") == 0)
				o->sec = TW_SEC_AUTH;
			else if (strcmp(optarg, "enc") == 0)
				o->sec = TW_SEC_ENC;
			else
				return -1;
			break;
		case 's':
			o->seconds = strtod(optarg, &end);
			if (*end != '\0' || !(o->seconds >= 0.1 && o->seconds <= 3600))
				return -1;
			break;
		case 'b':
			o->burst = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || o->burst < 1 || o->burst > MB_MAX_BURST)
				return -1;
			break;
		case 'z':
			o->size = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || o->size < TW_MAX_REFLECTOR_BASE || o->size > CB_MAX_SIZE)
				return -1;
			break;
		case 'j': o->json = optarg; break;
		case 'a': o->arch = strcmp(optarg, "auto") == 0 ? NULL : optarg; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* Forced code paths and the CPU features each needs (ipsec-mb does not
 * check them itself when told which path to use). */
static const struct {
	const char *name;
	uint64_t needs;
	void (*init)(IMB_MGR *);
} archs[] = {
	{ "sse", IMB_FEATURE_SSE4_2 | IMB_FEATURE_AESNI, init_mb_mgr_sse },
	{ "avx", IMB_FEATURE_AVX | IMB_FEATURE_AESNI, init_mb_mgr_avx },
	{ "avx2", IMB_FEATURE_AVX2 | IMB_FEATURE_AESNI, init_mb_mgr_avx2 },
	{ "avx512", IMB_FEATURE_AVX512_SKX | IMB_FEATURE_AESNI, init_mb_mgr_avx512 },
};

/* The reflector's manager (auto), or one forced code path. */
static IMB_MGR *new_mgr(const char *arch)
{
	IMB_MGR *m;

	if (arch == NULL)
		return mb_mgr_new();
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
		if (strcmp(arch, archs[i].name) != 0)
			continue;
		m = alloc_mb_mgr(0);
		if (m == NULL)
			return NULL;
		if ((m->features & archs[i].needs) != archs[i].needs) {
			fprintf(stderr, "twamp-crypto-bound: this CPU cannot run the %s code path\n", arch);
			free_mb_mgr(m);
			return NULL;
		}
		archs[i].init(m);
		if (imb_get_errno(m) != 0) {
			free_mb_mgr(m);
			return NULL;
		}
		return m;
	}
	fprintf(stderr, "twamp-crypto-bound: unknown --arch %s\n", arch);
	return NULL;
}

/* Test keys: fixed values (AES 00..0f, HMAC 10..2f); only the cost matters. */
static void make_keys(struct tw_keys *k)
{
	for (unsigned i = 0; i < TW_AES_KEY_LEN; i++)
		k->aes[i] = (uint8_t)i;
	for (unsigned i = 0; i < TW_HMAC_KEY_LEN; i++)
		k->hmac[i] = (uint8_t)(0x10 + i);
}

static int setup(struct cb *c, const struct cb_opts *o)
{
	uint64_t now = ntp_now();

	memset(c, 0, sizeof(*c));
	c->n = o->burst;
	c->size = o->size;
	c->slot = (o->size + 63) & ~63u;
	c->snd = tw_sender_layout(o->sec, false);
	c->refl = tw_reflector_layout(o->sec);
	c->buf = aligned_alloc(64, (size_t)c->slot * c->n);
	c->orig = aligned_alloc(64, (size_t)c->slot * c->n);
	c->mb = new_mgr(o->arch);
	if (c->buf == NULL || c->orig == NULL || c->mb == NULL) {
		fprintf(stderr, "twamp-crypto-bound: cannot set up the buffers or the ipsec-mb manager\n");
		return -1;
	}
	make_keys(&c->keys);
	mb_keys_init(c->mb, &c->keys, &c->mk);
	memset(c->buf, 0, (size_t)c->slot * c->n);
	for (unsigned i = 0; i < c->n; i++) {
		uint8_t *p = c->buf + (size_t)i * c->slot;
		struct tw_sender_fields f = { .seq = i, .ts = now + i, .errest = 0x8001 };

		tw_sender_write(p, c->snd, &f);
		if (tw_protect(p, c->size, c->snd, &c->keys) != 0) {
			fprintf(stderr, "twamp-crypto-bound: tw_protect failed\n");
			return -1;
		}
		memcpy(c->hmac[i], p + c->snd->hmac_off, TW_HMAC_LEN);
		c->snd_ops[i] = (struct mb_op){ p, c->snd, &c->mk };
		c->refl_ops[i] = (struct mb_op){ p, c->refl, &c->mk };
	}
	memcpy(c->orig, c->buf, (size_t)c->slot * c->n);
	return 0;
}

/* One reflection of a burst. Returns the number of authentic packets, or
 * -1 if the protect step failed. */
static int reflect_once(struct cb *c, bool restore)
{
	bool ok[MB_MAX_BURST];
	unsigned good;

	if (restore)
		for (unsigned i = 0; i < c->n; i++)
			memcpy(c->buf + (size_t)i * c->slot + c->snd->hmac_off, c->hmac[i], TW_HMAC_LEN);
	good = mb_unprotect_burst(c->mb, c->snd_ops, c->n, ok);
	if (mb_protect_burst(c->mb, c->refl_ops, c->n) != 0)
		return -1;
	return (int)good;
}

/* The loop invariant, checked once: every packet verifies, the reflector's
 * protection is what common's OpenSSL reference accepts, and after
 * (restoring and) one more reflection the sender's protected octets are
 * back as they were built. */
static int self_check(struct cb *c, bool restore)
{
	uint8_t tmp[CB_MAX_SIZE];

	if (reflect_once(c, restore) != (int)c->n)
		return -1;
	for (unsigned i = 0; i < c->n; i++) {
		const uint8_t *p = c->buf + (size_t)i * c->slot;

		memcpy(tmp, p, c->size);
		if (tw_unprotect(tmp, c->size, c->refl, &c->keys) != 0)
			return -1;
	}
	if (reflect_once(c, restore) != (int)c->n)
		return -1;
	if (restore)
		for (unsigned i = 0; i < c->n; i++)
			memcpy(c->buf + (size_t)i * c->slot + c->snd->hmac_off, c->hmac[i], TW_HMAC_LEN);
	for (unsigned i = 0; i < c->n; i++)
		if (memcmp(c->buf + (size_t)i * c->slot, c->orig + (size_t)i * c->slot,
			   c->snd->base_len) != 0)
			return -1;
	wipe(tmp, sizeof(tmp));
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct cb_result {
	uint64_t packets, cycles, failures;
	double seconds;
};

static int timed_loop(struct cb *c, double seconds, bool restore, struct cb_result *r)
{
	double t0 = mono_s(), t = t0;
	uint64_t c0 = rte_rdtsc();

	memset(r, 0, sizeof(*r));
	while (t - t0 < seconds) {
		for (unsigned k = 0; k < CB_CHUNK; k++) {
			int good = reflect_once(c, restore);

			if (good < 0)
				return -1;
			r->failures += c->n - (unsigned)good;
			r->packets += c->n;
		}
		t = mono_s();
	}
	r->cycles = rte_rdtsc() - c0;
	r->seconds = t - t0;
	return 0;
}

static int report(const struct cb *c, const struct cb_opts *o, const struct cb_result *r)
{
	FILE *f = o->json ? fopen(o->json, "w") : stdout;
	double mpps = (double)r->packets / r->seconds / 1e6;
	double cpp = (double)r->cycles / (double)r->packets;

	if (f == NULL) {
		perror(o->json);
		return -1;
	}
	fprintf(f,
		"{\n  \"mode\": \"%s\",\n  \"burst\": %u,\n  \"udp_payload\": %u,\n"
		"  \"ipsec_mb_arch\": \"%s\",\n  \"packets\": %" PRIu64 ",\n  \"seconds\": %.6f,\n"
		"  \"mpps\": %.6f,\n  \"cycles_per_packet\": %.1f,\n  \"tsc_mhz\": %.1f,\n"
		"  \"failures\": %" PRIu64 "\n}\n",
		o->sec == TW_SEC_AUTH ? "auth" : "enc", c->n, c->size, mb_arch_name(c->mb), r->packets,
		r->seconds, mpps, cpp, (double)r->cycles / r->seconds / 1e6, r->failures);
	if (o->json && fclose(f) != 0)
		return -1;
	fprintf(stderr, "twamp-crypto-bound: %s, burst %u: %.3f Mpps, %.1f cycles/packet\n",
		o->sec == TW_SEC_AUTH ? "auth" : "enc", c->n, mpps, cpp);
	return 0;
}

static void teardown(struct cb *c)
{
	wipe(&c->keys, sizeof(c->keys));
	mb_keys_wipe(&c->mk);
	mb_mgr_free(c->mb);
	free(c->buf);
	free(c->orig);
}

int main(int argc, char **argv)
{
	struct cb_opts o;
	struct cb_result r;
	static struct cb c;
	bool restore;
	int rc = 1;

	if (parse(argc, argv, &o) != 0) {
		usage(argv[0]);
		return 2;
	}
	restore = o.sec == TW_SEC_ENC;
	if (setup(&c, &o) != 0)
		goto out;
	if (self_check(&c, restore) != 0) {
		fprintf(stderr, "twamp-crypto-bound: self-check failed: the reflected packets do not verify\n");
		goto out;
	}
	if (timed_loop(&c, o.seconds, restore, &r) != 0 || r.failures != 0) {
		fprintf(stderr, "twamp-crypto-bound: crypto failed in the timed loop (%" PRIu64 " failures)\n",
			r.failures);
		goto out;
	}
	rc = report(&c, &o, &r) == 0 ? 0 : 1;
out:
	teardown(&c);
	return rc;
}
