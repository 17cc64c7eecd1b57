/*
 * SHA-256 (FIPS 180-4), where a crafted input must not pass for another (so no faster, weaker
 * hash): the front door checks plan-cache entries with it (src/adapters/native/plan-cache.ts
 * names files and folders by the SHA-256 of their bytes), and the split scan (main.c) compares
 * the two threads' date outcomes with it. Speed comes from the CPU instead: the x86 SHA
 * extensions where it has them.
 */
#ifndef RAMPART_SHA256_H
#define RAMPART_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t state[8];
  uint64_t length; /* bytes hashed so far */
  unsigned char block[64];
  size_t used;     /* bytes waiting in block */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
void sha256_final(sha256_ctx *c, unsigned char digest[32]);
/* The digest as 64 lower-case hex digits and a NUL. */
void sha256_hex(const unsigned char digest[32], char hex[65]);

/*
 * Which compress runs: "sha-ni" (the x86 SHA extensions, when CPUID reports them) or "portable"
 * (plain C, everywhere else). Chosen once, on first use. A test hook: RAMPART_SHA256_PORTABLE=1
 * in the environment forces "portable", so tests can check both against another SHA-256 on one
 * machine (build/sha256-check, test/integration/filter-engine/native-sha256.test.ts).
 */
const char *sha256_implementation(void);

#endif
