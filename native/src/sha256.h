/*
 * SHA-256 (FIPS 180-4), for the split scan's check that two threads saw the same date outcomes
 * (main.c): collision-resistant, so crafted log lines cannot make different outcomes look equal.
 */
#ifndef RAMPART_SHA256_H
#define RAMPART_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t h[8];
  uint64_t bytes;
  unsigned char block[64];
  size_t fill;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
void sha256_final(sha256_ctx *c, unsigned char out[32]);

#endif
