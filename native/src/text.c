#include "text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int text_buf_reserve(text_buf *b, size_t extra) {
  if (extra <= b->cap - b->len) return 0;
  if (extra > SIZE_MAX / 2 - b->len) return -1;
  size_t want = b->len + extra;
  size_t cap = b->cap < 256 ? 256 : b->cap;
  while (cap < want) cap *= 2;
  char *data = realloc(b->data, cap);
  if (!data) return -1;
  b->data = data;
  b->cap = cap;
  return 0;
}

int text_buf_append(text_buf *b, const void *bytes, size_t n) {
  if (text_buf_reserve(b, n) != 0) return -1;
  if (n) memcpy(b->data + b->len, bytes, n);
  b->len += n;
  return 0;
}

void text_buf_free(text_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* ---- UTF-8 ---- */

/* Length of the run of ASCII bytes at the start of s[0..n), 32 then 8 bytes at a time. */
static size_t ascii_run(const unsigned char *s, size_t n) {
  const uint64_t high = UINT64_C(0x8080808080808080);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t a, b, c, d;
    memcpy(&a, s + i, 8);
    memcpy(&b, s + i + 8, 8);
    memcpy(&c, s + i + 16, 8);
    memcpy(&d, s + i + 24, 8);
    if ((a | b | c | d) & high) break;
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (w & high) break;
  }
  if (i < n && n >= 8) {
    /* The last bytes as one word, overlapping the ones seen: most lines are ASCII to the end. */
    uint64_t w;
    memcpy(&w, s + n - 8, 8);
    if (!(w & high) && n - 8 <= i) return n;
  }
  while (i < n && s[i] < 0x80) i++;
  return i;
}

/*
 * The WHATWG decoder's view of a lead byte: how many continuation bytes follow and the allowed
 * range of the first one (later ones are always 80..BF). need = 0 for an invalid lead byte.
 */
static inline void lead_info(unsigned char b, int *need, unsigned char *lower, unsigned char *upper) {
  *lower = 0x80;
  *upper = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) *need = 1;
  else if (b >= 0xE0 && b <= 0xEF) {
    *need = 2;
    if (b == 0xE0) *lower = 0xA0;
    else if (b == 0xED) *upper = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    *need = 3;
    if (b == 0xF0) *lower = 0x90;
    else if (b == 0xF4) *upper = 0x8F;
  } else *need = 0;
}

int utf8_is_valid(const unsigned char *s, size_t n) {
  int ascii;
  return utf8_check(s, n, &ascii);
}

int utf8_check(const unsigned char *s, size_t n, int *ascii) {
  size_t i = ascii_run(s, n);
  *ascii = i == n;
  while (i < n) {
    i += ascii_run(s + i, n - i);
    if (i >= n) break;
    int need;
    unsigned char lo, hi;
    lead_info(s[i], &need, &lo, &hi);
    if (need == 0 || n - i <= (size_t)need) return 0;
    if (s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (int k = 2; k <= need; k++)
      if ((s[i + k] & 0xC0) != 0x80) return 0;
    i += (size_t)need + 1;
  }
  return 1;
}

size_t utf8_repair(const unsigned char *s, size_t n, unsigned char *out) {
  size_t i = 0, o = 0;
  while (i < n) {
    size_t run = ascii_run(s + i, n - i);
    memcpy(out + o, s + i, run);
    i += run;
    o += run;
    if (i >= n) break;
    int need;
    unsigned char lo, hi;
    lead_info(s[i], &need, &lo, &hi);
    size_t j = i + 1;
    int seen = 0;
    while (seen < need && j < n && s[j] >= lo && s[j] <= hi) {
      lo = 0x80;
      hi = 0xBF;
      j++;
      seen++;
    }
    if (need > 0 && seen == need) {
      memcpy(out + o, s + i, j - i);
      o += j - i;
    } else {
      /* A maximal invalid subpart (or an invalid lead byte): one U+FFFD; the byte that broke
         the sequence is decoded afresh. */
      out[o++] = 0xEF;
      out[o++] = 0xBF;
      out[o++] = 0xBD;
    }
    i = j;
  }
  return o;
}

size_t utf8_prefix_for_utf16(const unsigned char *s, size_t n, size_t max_units, int *split_pair) {
  *split_pair = 0;
  if (n <= max_units) return n; /* a UTF-16 unit takes at least one byte */
  size_t i = 0, units = 0;
  while (i < n) {
    unsigned char b = s[i];
    size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    size_t u = len == 4 ? 2 : 1;
    if (len > n - i) break;
    if (units + u > max_units) {
      *split_pair = units < max_units;
      break;
    }
    units += u;
    i += len;
  }
  return i;
}

/* ---- JSON ---- */

static const char hex_digits[] = "0123456789abcdef";

char *json_escape_string(char *out, const char *s, size_t n) {
  *out++ = '"';
  out = json_escape_body(out, s, n);
  *out++ = '"';
  return out;
}

/* Bytes JSON.stringify copies as they are: not a control character, '"' or '\\'. */
static inline int json_plain(unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; }

/* Whether every byte of w is json_plain (SWAR: a byte < 0x20, or equal to '"' or '\\' after the
   xor, sets its high bit in `bad`; the test is exact as a whole, which is all that is asked). */
static inline int json_plain_word(uint64_t w) {
  const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
  uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
  uint64_t bad = ((w - ones * 0x20) | (q - ones) | (b - ones)) & ~w & high;
  /* ~w drops bytes >= 0x80 (plain); q and b keep w's high bit, so ~w also holds for them. */
  return bad == 0;
}

static inline int json_plain_word32(uint32_t w) {
  const uint32_t ones = 0x01010101u, high = 0x80808080u;
  uint32_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
  return (((w - ones * 0x20) | (q - ones) | (b - ones)) & ~w & high) == 0;
}

char *json_escape_body(char *out, const char *s, size_t n) {
  /* Ids and user names are short and rarely need escaping: a string of 4 bytes or more that needs
     none is copied as one to three (overlapping) words. */
  if (n >= 8) {
    size_t i = 0;
    uint64_t w;
    for (; i + 8 <= n; i += 8) {
      memcpy(&w, s + i, 8);
      if (!json_plain_word(w)) goto bytewise;
      memcpy(out + i, &w, 8);
    }
    memcpy(&w, s + n - 8, 8);
    if (!json_plain_word(w)) goto bytewise;
    memcpy(out + n - 8, &w, 8);
    return out + n;
  }
  if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4);
    memcpy(&b, s + n - 4, 4);
    if (!json_plain_word32(a) || !json_plain_word32(b)) goto bytewise;
    memcpy(out, &a, 4);
    memcpy(out + n - 4, &b, 4);
    return out + n;
  }
bytewise:
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (json_plain(c)) {
      *out++ = (char)c;
      continue;
    }
    *out++ = '\\';
    switch (c) {
      case '"': *out++ = '"'; break;
      case '\\': *out++ = '\\'; break;
      case '\b': *out++ = 'b'; break;
      case '\f': *out++ = 'f'; break;
      case '\n': *out++ = 'n'; break;
      case '\r': *out++ = 'r'; break;
      case '\t': *out++ = 't'; break;
      default:
        *out++ = 'u';
        *out++ = '0';
        *out++ = '0';
        *out++ = hex_digits[c >> 4];
        *out++ = hex_digits[c & 15];
    }
  }
  return out;
}

/* ---- JavaScript numbers ---- */

static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

size_t u64_to_decimal(uint64_t v, char *out) {
  /* The digit count first (floor(log10 v) from log2 v: Bit Twiddling Hacks' IntegerLog10), then
     the digits from the last, two at a time: every failure prints its line number. */
  static const uint64_t pow10[20] = {
      UINT64_C(1),          UINT64_C(10),          UINT64_C(100),          UINT64_C(1000),
      UINT64_C(10000),      UINT64_C(100000),      UINT64_C(1000000),      UINT64_C(10000000),
      UINT64_C(100000000),  UINT64_C(1000000000),  UINT64_C(10000000000),  UINT64_C(100000000000),
      UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
      UINT64_C(1000000000000000), UINT64_C(10000000000000000), UINT64_C(100000000000000000),
      UINT64_C(1000000000000000000), UINT64_C(10000000000000000000)};
  uint64_t u = v | 1; /* as many digits as v (10^k is even), and not 0 */
#if defined(__GNUC__)
  unsigned bits = (unsigned)(64 - __builtin_clzll(u));
#else
  unsigned bits = 0;
  for (uint64_t x = u; x; x >>= 1) bits++;
#endif
  unsigned t = bits * 1233 >> 12;
  size_t k = t + 1 - (u < pow10[t]);
  char *o = out + k;
  while (v >= 100) {
    unsigned r = (unsigned)(v % 100);
    v /= 100;
    o -= 2;
    memcpy(o, digit_pairs + 2 * r, 2);
  }
  if (v >= 10) memcpy(o - 2, digit_pairs + 2 * v, 2);
  else o[-1] = (char)('0' + v);
  return k;
}

size_t js_number_to_string(double x, char out[JS_NUMBER_MAX]) {
  if (isnan(x)) return (size_t)snprintf(out, JS_NUMBER_MAX, "NaN");
  if (isinf(x)) return (size_t)snprintf(out, JS_NUMBER_MAX, x < 0 ? "-Infinity" : "Infinity");
  if (x == 0) return (size_t)snprintf(out, JS_NUMBER_MAX, "0"); /* also -0 */
  char *o = out;
  if (x < 0) {
    *o++ = '-';
    x = -x;
  }
  if (x < 9007199254740992.0 && x == floor(x)) {
    /* An integer below 2^53: its own digits are the shortest that read back (doubles there are
       at most 1 apart), and JS prints it in full. Most log times are such. */
    o += u64_to_decimal((uint64_t)x, o);
    *o = '\0';
    return (size_t)(o - out);
  }
  /* The shortest digit string that reads back as x: %.*e is correctly rounded, so the smallest
     precision that round-trips gives ECMAScript's digits (k as small as possible). Round-tripping
     is monotonic in the precision, so it is found by bisection. */
  char sci[40];
  int lo = 1, hi = 17;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    snprintf(sci, sizeof sci, "%.*e", mid - 1, x);
    if (strtod(sci, NULL) == x) hi = mid;
    else lo = mid + 1;
  }
  snprintf(sci, sizeof sci, "%.*e", lo - 1, x);
  char digits[20];
  int k = 0;
  const char *c = sci;
  for (; *c && *c != 'e'; c++)
    if (*c >= '0' && *c <= '9' && k < 19) digits[k++] = *c;
  int e = (*c == 'e') ? atoi(c + 1) : 0;
  while (k > 1 && digits[k - 1] == '0') k--;
  int n = e + 1; /* ECMAScript's n: the decimal point sits after n digits */
  if (k <= n && n <= 21) {
    memcpy(o, digits, (size_t)k);
    o += k;
    for (int i = k; i < n; i++) *o++ = '0';
  } else if (0 < n && n <= 21) {
    memcpy(o, digits, (size_t)n);
    o += n;
    *o++ = '.';
    memcpy(o, digits + n, (size_t)(k - n));
    o += k - n;
  } else if (-6 < n && n <= 0) {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -n; i++) *o++ = '0';
    memcpy(o, digits, (size_t)k);
    o += k;
  } else {
    *o++ = digits[0];
    if (k > 1) {
      *o++ = '.';
      memcpy(o, digits + 1, (size_t)(k - 1));
      o += k - 1;
    }
    o += snprintf(o, (size_t)(out + JS_NUMBER_MAX - o), "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
  }
  *o = '\0';
  return (size_t)(o - out);
}

/* Length of the JS WhiteSpace or LineTerminator code point at s[0..n), or 0. */
static size_t js_space_at(const unsigned char *s, size_t n) {
  unsigned char b = s[0];
  if (b == ' ' || (b >= 0x09 && b <= 0x0D)) return 1;
  if (b < 0xC2) return 0;
  uint32_t cp;
  size_t len;
  if (b < 0xE0 && n >= 2) {
    cp = ((uint32_t)(b & 0x1F) << 6) | (s[1] & 0x3F);
    len = 2;
  } else if (b >= 0xE0 && b < 0xF0 && n >= 3) {
    cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    len = 3;
  } else
    return 0;
  if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
      cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF)
    return len;
  return 0;
}

/* The start of the last code point of valid UTF-8 s[0..n) (n > 0). */
static size_t last_code_point(const unsigned char *s, size_t n) {
  size_t i = n - 1;
  while (i > 0 && (s[i] & 0xC0) == 0x80) i--;
  return i;
}

static double radix_value(const char *s, size_t n, int radix) {
  if (n == 0) return NAN;
  double v = 0;
  for (size_t i = 0; i < n; i++) {
    int d;
    char c = s[i];
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return NAN;
    if (d >= radix) return NAN;
    v = v * radix + d;
  }
  return v;
}

double js_string_to_number(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t a = 0, b = n, w;
  while (a < b && (w = js_space_at(s + a, b - a)) > 0) a += w;
  while (a < b) {
    size_t last = last_code_point(s + a, b - a);
    if (js_space_at(s + a + last, b - a - last) != b - a - last) break;
    b = a + last;
  }
  if (a == b) return 0;
  const char *t = str + a;
  size_t len = b - a;
  if (len > 2 && t[0] == '0') {
    char r = t[1];
    if (r == 'x' || r == 'X') return radix_value(t + 2, len - 2, 16);
    if (r == 'o' || r == 'O') return radix_value(t + 2, len - 2, 8);
    if (r == 'b' || r == 'B') return radix_value(t + 2, len - 2, 2);
  }
  /* StrDecimalLiteral: [+-] (Infinity | digits [. digits] | . digits) [e [+-] digits] */
  size_t i = 0;
  int negative = 0;
  if (t[i] == '+' || t[i] == '-') negative = t[i++] == '-';
  if (len - i == 8 && memcmp(t + i, "Infinity", 8) == 0) return negative ? -INFINITY : INFINITY;
  size_t int_digits = 0, frac_digits = 0;
  while (i < len && t[i] >= '0' && t[i] <= '9') i++, int_digits++;
  if (i < len && t[i] == '.') {
    i++;
    while (i < len && t[i] >= '0' && t[i] <= '9') i++, frac_digits++;
  }
  if (int_digits + frac_digits == 0) return NAN;
  if (i < len && (t[i] == 'e' || t[i] == 'E')) {
    i++;
    if (i < len && (t[i] == '+' || t[i] == '-')) i++;
    size_t exp_digits = 0;
    while (i < len && t[i] >= '0' && t[i] <= '9') i++, exp_digits++;
    if (exp_digits == 0) return NAN;
  }
  if (i != len) return NAN;
  /* The syntax is strtod's decimal subset now; strtod (glibc) rounds correctly, as JS does. */
  char *copy = malloc(len + 1);
  if (!copy) return NAN;
  memcpy(copy, t, len);
  copy[len] = '\0';
  double v = strtod(copy, NULL);
  free(copy);
  return v;
}
