/*
 * The SHA-256 of standard input, for the tests (test/integration/filter-engine/native-sha256.test.ts)
 * to hold against another implementation:
 *   sha256-check [CHUNK]   64 hex digits and "\n"; the input goes to sha256_update CHUNK bytes at
 *                          a time (default 65536), so chunks that split or straddle 64-byte blocks
 *                          run the partial-block paths as well as the whole-block runs
 *   sha256-check --path    "sha-ni" or "portable", the compress the hash above would use
 * RAMPART_SHA256_PORTABLE=1 in the environment forces the portable compress (see sha256.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--path") == 0) {
    puts(sha256_implementation());
    return 0;
  }
  size_t chunk = 65536;
  if (argc == 2) {
    char *end;
    unsigned long long v = strtoull(argv[1], &end, 10);
    if (*argv[1] < '1' || *argv[1] > '9' || *end || v > 1u << 30) {
      fprintf(stderr, "sha256-check: CHUNK must be a number of bytes from 1 to 2^30\n");
      return 2;
    }
    chunk = (size_t)v;
  } else if (argc > 2) {
    fprintf(stderr, "usage: sha256-check [CHUNK] | sha256-check --path\n");
    return 2;
  }
  unsigned char *buf = malloc(chunk);
  if (!buf) return 1;
  sha256_ctx c;
  sha256_init(&c);
  size_t k;
  /* fread fills the whole chunk unless input ends, so every update but the last is CHUNK bytes. */
  while ((k = fread(buf, 1, chunk, stdin)) > 0) sha256_update(&c, buf, k);
  if (ferror(stdin)) {
    perror("sha256-check");
    return 1;
  }
  free(buf);
  unsigned char digest[32];
  char hex[65];
  sha256_final(&c, digest);
  sha256_hex(digest, hex);
  puts(hex);
  return 0;
}
