/*
 * Text helpers for the scanner: UTF-8 repair exactly as the TypeScript reader decodes log bytes
 * (TextDecoder("utf-8", { fatal: false, ignoreBOM: true })), UTF-16 length arithmetic (JS string
 * lengths), JSON.stringify's string escaping, and JavaScript's Number <-> String conversions.
 */
#ifndef RAMPART_TEXT_H
#define RAMPART_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. Reserve/append return 0, or -1 when out of memory (contents kept). */
typedef struct {
  char *data;
  size_t len;
  size_t cap;
} text_buf;

int text_buf_reserve(text_buf *b, size_t extra);
int text_buf_append(text_buf *b, const void *bytes, size_t n);
void text_buf_free(text_buf *b);

/* Whether s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
int utf8_is_valid(const unsigned char *s, size_t n);

/* utf8_is_valid, also telling whether s[0..n) is all ASCII (*ascii, at no extra cost). */
int utf8_check(const unsigned char *s, size_t n, int *ascii);

/*
 * WHATWG UTF-8 decode with replacement, re-encoded as UTF-8: every maximal invalid subpart
 * becomes U+FFFD (EF BF BD). `out` must hold 3 * n bytes. Returns the output length.
 */
size_t utf8_repair(const unsigned char *s, size_t n, unsigned char *out);

/*
 * The byte length of the longest prefix of valid UTF-8 s[0..n) that is at most max_units UTF-16
 * code units long, without cutting a code point. *split_pair is set when JS's slice would have
 * cut a surrogate pair in half (the prefix is then one unit short of max_units).
 */
size_t utf8_prefix_for_utf16(const unsigned char *s, size_t n, size_t max_units, int *split_pair);

/* Bytes JSON.stringify needs at most for a string of n bytes (quotes included). */
#define JSON_STRING_MAX(n) (2 + 6 * (n))

/*
 * JSON.stringify(s) for valid UTF-8 s into out (JSON_STRING_MAX(n) bytes available); returns
 * the end of the output.
 */
char *json_escape_string(char *out, const char *s, size_t n);

/* The same without the quotes: at most 6 * n bytes. Input may be cut anywhere (bytewise escapes). */
char *json_escape_body(char *out, const char *s, size_t n);

/* Decimal digits of v into out (at most 20, no NUL). Returns the count. */
size_t u64_to_decimal(uint64_t v, char *out);

/* Bytes a JavaScript number string can take, NUL included ("-1.2345678901234567e-308"). */
#define JS_NUMBER_MAX 32

/* JavaScript's String(x) (Number::toString, shortest round-trip digits). Returns the length. */
size_t js_number_to_string(double x, char out[JS_NUMBER_MAX]);

/* JavaScript's Number(s) for a string (StringToNumber): NaN when it is not a numeric literal. */
double js_string_to_number(const char *s, size_t n);

#endif
