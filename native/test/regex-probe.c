/*
 * regex-probe: runs patterns through the native scanner's own regex code (native/src/regex.c:
 * the same compile options, JIT, match and depth limits) and prints every span, for the
 * differential test against V8 (test/integration/regex/pcre2-differential.test.ts).
 *
 * Build: gcc -std=c11 -O2 -Wall -Inative/src native/test/regex-probe.c native/src/regex.c \
 *          $(pkg-config --cflags --libs libpcre2-8)
 *
 * stdin: one record per line, fields separated by one TAB, each percent-encoded (%HH for any
 * byte; at least "%", TAB, CR, LF and NUL must be encoded):
 *
 *   P  PATTERN  OPTIONS  [ASCII  [ABSENT  ABSENT-PATTERN  [ABSENT-ASCII]]]
 *   P  PATTERN  OPTIONS  ASCII  -  TAIL-GROUP  TAIL  [TAIL-ASCII]
 *                                  compile a pattern (used by the S records that follow), with
 *                                  ASCII as its ASCII variant (regex.h) when not empty, and the
 *                                  plan's prefilter when given (regex.h: absent_literal, absent),
 *                                  or (the literal "-") its tail variant (tail_group, tail)
 *   S  SUBJECT  START  [MODE]      search the current pattern
 *
 * OPTIONS are letters i (CASELESS), m (MULTILINE), s (DOTALL) — the plan's option letters, on top
 * of regex.c's fixed options. START is a byte offset. Without MODE the first match at or after
 * START is reported (Python `search(subject, START)`). MODE "g" lists every match like a global
 * search (after an empty match the next search starts one character later). MODE "r" ignores
 * SUBJECT and searches globally through every code point U+0000-U+10FFFF (surrogates left out),
 * in order, reporting which code points are matched as exactly one character. A MODE of "a", "ga"
 * or "ra" searches the same with the ASCII variant (regex.c's `ascii` flag): the subject must be
 * all ASCII ("X not-ascii" otherwise); "ra" sweeps U+0000-U+007F only.
 *
 * stdout: one line per record:
 *   C <capture count> [A]                P: compiled (A: with its ASCII variant)
 *   E <message>                          P: the pattern does not compile (and S: no pattern)
 *   N                                    no match
 *   L                                    match or depth limit hit
 *   X <rc>                               another PCRE2 error
 *   M <start> <end> <s1> <e1> <s2> <e2>…  the match and every group (-1 -1 = unset), byte offsets
 *   G <start> <end> <start> <end>…       MODE g: every match (whole-match spans only)
 *   R <lo> <hi> <lo> <hi>…               MODE r: ranges of code points matched as one character
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes the percent-encoded [s, s+n) into out (capacity >= n + 1); returns the length. */
static size_t decode(const char *s, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n) {
      int hi = hexval((unsigned char)s[i + 1]);
      int lo = hexval((unsigned char)s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out[o++] = s[i];
  }
  out[o] = '\0';
  return o;
}

static uint32_t parse_options(const char *s) {
  uint32_t options = 0;
  for (; *s; s++) {
    if (*s == 'i') options |= PCRE2_CASELESS;
    else if (*s == 'm') options |= PCRE2_MULTILINE;
    else if (*s == 's') options |= PCRE2_DOTALL;
  }
  return options;
}

/* Length of the UTF-8 sequence starting with byte b (subjects are valid UTF-8). */
static size_t utf8_len(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xf0) return 4;
  if (b >= 0xe0) return 3;
  return 2;
}

/* Every code point but the surrogates, UTF-8 encoded; the code point at each byte offset. */
static char *all_chars;
static size_t all_chars_len;

static void build_all_chars(void) {
  if (all_chars) return;
  size_t all_len = 0;
  all_chars = malloc(4 * 0x110000);
  for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    unsigned char *o = (unsigned char *)all_chars + all_len;
    if (cp < 0x80) {
      o[0] = (unsigned char)cp;
      all_len += 1;
    } else if (cp < 0x800) {
      o[0] = (unsigned char)(0xc0 | (cp >> 6));
      o[1] = (unsigned char)(0x80 | (cp & 0x3f));
      all_len += 2;
    } else if (cp < 0x10000) {
      o[0] = (unsigned char)(0xe0 | (cp >> 12));
      o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
      o[2] = (unsigned char)(0x80 | (cp & 0x3f));
      all_len += 3;
    } else {
      o[0] = (unsigned char)(0xf0 | (cp >> 18));
      o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
      o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
      o[3] = (unsigned char)(0x80 | (cp & 0x3f));
      all_len += 4;
    }
  }
  all_chars_len = all_len;
}

static uint32_t decode_at(const unsigned char *s, size_t *len) {
  *len = utf8_len(s[0]);
  if (*len == 1) return s[0];
  if (*len == 2) return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
  if (*len == 3) return ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
  return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) | ((uint32_t)(s[2] & 0x3f) << 6) |
         (s[3] & 0x3f);
}

/* MODE r: the code points matched as exactly one character, as ranges. */
static void sweep(scan_regex *r, pcre2_match_data *md, int ascii) {
  build_all_chars();
  printf("R");
  long lo = -1, hi = -1;
  size_t pos = 0;
  size_t all_len = ascii ? 128 : all_chars_len; /* U+0000-U+007F come first, one byte each */
  while (pos <= all_len) {
    int rc = scan_regex_search(r, all_chars, all_len, pos, ascii, md);
    if (rc != 1) {
      if (rc < 0) printf(" error %d", rc);
      break;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    size_t s = ov[0], e = ov[1];
    if (s < all_len) {
      size_t clen;
      uint32_t cp = decode_at((const unsigned char *)all_chars + s, &clen);
      if (e == s + clen) {
        if (lo >= 0 && (long)cp == hi + 1) hi = cp;
        else {
          if (lo >= 0) printf(" %ld %ld", lo, hi);
          lo = hi = cp;
        }
      }
    }
    if (e > s) pos = e;
    else if (e < all_len) pos = e + utf8_len((unsigned char)all_chars[e]);
    else break;
  }
  if (lo >= 0) printf(" %ld %ld", lo, hi);
  printf("\n");
}

/* r's pattern from fields[k] and, when present and not empty, its ASCII variant: field 3 for the
   P record's own pattern (k = 1), else the field after the pattern. */
static void set_patterns(scan_regex *r, char **fields, const size_t *lens, int count, int k) {
  r->pattern = malloc(lens[k] + 1);
  r->pattern_len = decode(fields[k], lens[k], r->pattern);
  int a = k == 1 ? 3 : k + 1;
  if (count > a && lens[a] > 0) {
    r->ascii_pattern = malloc(lens[a] + 1);
    r->ascii_pattern_len = decode(fields[a], lens[a], r->ascii_pattern);
  }
}

static void report_match(const scan_regex *r, pcre2_match_data *md) {
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  printf("M");
  for (int g = 0; g <= r->capture_count; g++) {
    if (ov[2 * g] == PCRE2_UNSET) printf(" -1 -1");
    else printf(" %zu %zu", (size_t)ov[2 * g], (size_t)ov[2 * g + 1]);
  }
  printf("\n");
}

static void search_all(scan_regex *r, pcre2_match_data *md, const char *subject, size_t len, size_t start,
                       int ascii) {
  printf("G");
  size_t pos = start;
  while (pos <= len) {
    int rc = scan_regex_search(r, subject, len, pos, ascii, md);
    if (rc != 1) {
      if (rc < 0) printf(" error %d", rc);
      break;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    printf(" %zu %zu", (size_t)ov[0], (size_t)ov[1]);
    if (ov[1] > ov[0]) pos = ov[1];
    else if (ov[1] < len) pos = ov[1] + utf8_len((unsigned char)subject[ov[1]]);
    else break;
  }
  printf("\n");
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  scan_regex current;
  memset(&current, 0, sizeof current);
  int compiled = 0;
  char error[300] = "no pattern";
  pcre2_match_data *md = scan_match_data();

  while ((got = getline(&line, &cap, stdin)) != -1) {
    size_t n = (size_t)got;
    if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
    char *fields[8] = {0};
    size_t lens[8] = {0};
    int count = 0;
    for (char *p = line;;) {
      char *tab = memchr(p, '\t', (size_t)(line + n - p));
      if (count < 8) {
        fields[count] = p;
        lens[count] = tab ? (size_t)(tab - p) : (size_t)(line + n - p);
        count++;
      }
      if (!tab) break;
      p = tab + 1;
    }
    if (lens[0] == 1 && fields[0][0] == 'P' && count >= 3) {
      if (current.pattern) scan_regex_free(&current);
      memset(&current, 0, sizeof current);
      set_patterns(&current, fields, lens, count, 1);
      if (count >= 7 && lens[4] == 1 && fields[4][0] == '-') {
        current.tail_group = atoi(fields[5]); /* atoi stops at the TAB after the digits */
        current.tail = calloc(1, sizeof *current.tail);
        set_patterns(current.tail, fields, lens, count, 6);
      } else if (count >= 6 && lens[4] > 0) {
        current.absent_literal = malloc(lens[4] + 1);
        current.absent_literal_len = decode(fields[4], lens[4], current.absent_literal);
        current.absent = calloc(1, sizeof *current.absent);
        set_patterns(current.absent, fields, lens, count, 5);
      }
      char *opts = malloc(lens[2] + 1);
      decode(fields[2], lens[2], opts);
      current.options = parse_options(opts);
      free(opts);
      compiled = scan_regex_compile(&current, error, sizeof error) == 0;
      if (compiled) printf("C %d%s\n", current.capture_count, current.ascii_code ? " A" : "");
      else printf("E %s\n", error);
    } else if (lens[0] == 1 && fields[0][0] == 'S' && count >= 3) {
      if (!compiled) {
        printf("E %s\n", error);
        continue;
      }
      size_t mode_len = count >= 4 ? lens[3] : 0;
      char mode = mode_len >= 1 && fields[3][0] != 'a' ? fields[3][0] : 0;
      int ascii = mode_len >= 1 && fields[3][mode_len - 1] == 'a';
      if (mode == 'r') {
        sweep(&current, md, ascii);
        continue;
      }
      char *subject = malloc(lens[1] + 1);
      size_t subject_len = decode(fields[1], lens[1], subject);
      int subject_ascii = 1;
      for (size_t i = 0; i < subject_len; i++)
        if ((unsigned char)subject[i] >= 0x80) subject_ascii = 0;
      if (ascii && !subject_ascii) {
        printf("X not-ascii\n");
        free(subject);
        continue;
      }
      char startbuf[32];
      size_t sl = lens[2] < sizeof startbuf - 1 ? lens[2] : sizeof startbuf - 1;
      memcpy(startbuf, fields[2], sl);
      startbuf[sl] = '\0';
      size_t start = (size_t)strtoull(startbuf, NULL, 10);
      if (mode == 'g') {
        search_all(&current, md, subject, subject_len, start, ascii);
      } else {
        int rc = scan_regex_search(&current, subject, subject_len, start, ascii, md);
        if (rc == 1) report_match(&current, md);
        else if (rc == 0) printf("N\n");
        else if (rc == -1) printf("L\n");
        else printf("X %d\n", rc);
      }
      free(subject);
    } else {
      printf("X bad-record\n");
    }
  }
  if (current.pattern) scan_regex_free(&current);
  free(line);
  free(all_chars);
  return 0;
}
