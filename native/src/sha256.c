#include "sha256.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA256_X86 1
#endif

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress(uint32_t s[8], const unsigned char *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  s[0] += a;
  s[1] += b;
  s[2] += c;
  s[3] += d;
  s[4] += e;
  s[5] += f;
  s[6] += g;
  s[7] += h;
}

static void blocks_portable(uint32_t s[8], const unsigned char *p, size_t blocks) {
  for (; blocks > 0; blocks--, p += 64) compress(s, p);
}

#ifdef SHA256_X86
/* Four rounds from message words w (W[t..t+3]): sha256rnds2 does two rounds, taking W+K for them
   in the low 64 bits of its third operand. */
#define RNDS4(w, t)                                                                  \
  do {                                                                               \
    __m128i wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[t]));          \
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                    \
    abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));           \
  } while (0)
/* The message schedule, four words at a time: a holds W[t-16..t-13] and becomes W[t..t+3]. MSG1(a, b),
   b = W[t-12..t-9], adds sigma0(W[t-15..t-12]); MSG2(a, b, c), b = W[t-8..t-5] and c = W[t-4..t-1],
   adds W[t-7..t-4] (the middle of b:c) and sigma1 of the word two before each. */
#define MSG1(a, b) a = _mm_sha256msg1_epu32(a, b)
#define MSG2(a, b, c) a = _mm_sha256msg2_epu32(_mm_add_epi32(a, _mm_alignr_epi8(c, b, 4)), c)

/* The SHA extensions' compress (after Intel's public-domain sample, as in Jeffrey Walton's
   sha256-x86.c): the state stays in registers across all the blocks of one update, in the order
   sha256rnds2 wants (ABEF and CDGH), so it is shuffled in and out once per call, not per block. */
__attribute__((target("sha,sse4.1,ssse3"))) static void blocks_sha_ni(uint32_t s[8], const unsigned char *p,
                                                                      size_t blocks) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i dcba = _mm_loadu_si128((const __m128i *)&s[0]);
  __m128i hgfe = _mm_loadu_si128((const __m128i *)&s[4]);
  __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
  for (; blocks > 0; blocks--, p += 64) {
    __m128i abef0 = abef, cdgh0 = cdgh;
    /* Big-endian words, like compress's loads. */
    __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
    __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
    __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
    __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
    /* w0..w3 take turns: while the rounds use one, the next three are being rebuilt 16 words on.
       MSG2 reads the old words of the one that MSG1 is about to overwrite, so it comes first. */
    RNDS4(w0, 0);
    RNDS4(w1, 4);
    MSG1(w0, w1);
    RNDS4(w2, 8);
    MSG1(w1, w2);
    RNDS4(w3, 12);
    MSG2(w0, w2, w3);
    MSG1(w2, w3);
    RNDS4(w0, 16);
    MSG2(w1, w3, w0);
    MSG1(w3, w0);
    RNDS4(w1, 20);
    MSG2(w2, w0, w1);
    MSG1(w0, w1);
    RNDS4(w2, 24);
    MSG2(w3, w1, w2);
    MSG1(w1, w2);
    RNDS4(w3, 28);
    MSG2(w0, w2, w3);
    MSG1(w2, w3);
    RNDS4(w0, 32);
    MSG2(w1, w3, w0);
    MSG1(w3, w0);
    RNDS4(w1, 36);
    MSG2(w2, w0, w1);
    MSG1(w0, w1);
    RNDS4(w2, 40);
    MSG2(w3, w1, w2);
    MSG1(w1, w2);
    RNDS4(w3, 44);
    MSG2(w0, w2, w3);
    MSG1(w2, w3);
    RNDS4(w0, 48);
    MSG2(w1, w3, w0);
    MSG1(w3, w0);
    RNDS4(w1, 52);
    MSG2(w2, w0, w1);
    RNDS4(w2, 56);
    MSG2(w3, w1, w2);
    RNDS4(w3, 60);
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
  }
  __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128((__m128i *)&s[0], _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128((__m128i *)&s[4], _mm_alignr_epi8(dchg, feba, 8));
}
#undef RNDS4
#undef MSG1
#undef MSG2

static int cpu_has_sha_ni(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3)) return 0;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}
#endif

enum { UNKNOWN, PORTABLE, SHA_NI };
/* Chosen on first use, not per call (CPUID costs more than a short update). A flag rather than a
   function pointer: no writable code pointer in the hardened binaries. Atomic because the split
   scan's two threads may both get here first; both choose the same. */
static _Atomic int chosen = UNKNOWN;

static int implementation(void) {
  int which = atomic_load_explicit(&chosen, memory_order_relaxed);
  if (which != UNKNOWN) return which;
  which = PORTABLE;
#ifdef SHA256_X86
  const char *force = getenv("RAMPART_SHA256_PORTABLE");
  if (!(force && strcmp(force, "1") == 0) && cpu_has_sha_ni()) which = SHA_NI;
#endif
  atomic_store_explicit(&chosen, which, memory_order_relaxed);
  return which;
}

static void compress_blocks(uint32_t s[8], const unsigned char *p, size_t n) {
#ifdef SHA256_X86
  if (implementation() == SHA_NI) {
    blocks_sha_ni(s, p, n);
    return;
  }
#endif
  blocks_portable(s, p, n);
}

const char *sha256_implementation(void) { return implementation() == SHA_NI ? "sha-ni" : "portable"; }

void sha256_init(sha256_ctx *c) {
  static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->state, initial, sizeof initial);
  c->length = 0;
  c->used = 0;
}

void sha256_update(sha256_ctx *c, const void *data, size_t n) {
  const unsigned char *p = data;
  c->length += n;
  if (c->used > 0) {
    size_t take = 64 - c->used < n ? 64 - c->used : n;
    memcpy(c->block + c->used, p, take);
    c->used += take;
    p += take;
    n -= take;
    if (c->used < 64) return;
    compress_blocks(c->state, c->block, 1);
    c->used = 0;
  }
  /* All whole blocks in one call: the SHA-NI loop loads and stores the state once per run. */
  if (n >= 64) {
    compress_blocks(c->state, p, n / 64);
    p += n / 64 * 64;
    n %= 64;
  }
  memcpy(c->block, p, n);
  c->used = n;
}

void sha256_final(sha256_ctx *c, unsigned char digest[32]) {
  uint64_t bits = c->length * 8;
  c->block[c->used++] = 0x80;
  if (c->used > 56) {
    memset(c->block + c->used, 0, 64 - c->used);
    compress_blocks(c->state, c->block, 1);
    c->used = 0;
  }
  memset(c->block + c->used, 0, 56 - c->used);
  for (int i = 0; i < 8; i++) c->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
  compress_blocks(c->state, c->block, 1);
  for (int i = 0; i < 8; i++) {
    digest[4 * i] = (unsigned char)(c->state[i] >> 24);
    digest[4 * i + 1] = (unsigned char)(c->state[i] >> 16);
    digest[4 * i + 2] = (unsigned char)(c->state[i] >> 8);
    digest[4 * i + 3] = (unsigned char)c->state[i];
  }
}

void sha256_hex(const unsigned char digest[32], char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 15];
  }
  hex[64] = '\0';
}
