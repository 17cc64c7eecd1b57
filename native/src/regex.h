/*
 * A regex of the plan (filter regex or date template), run by PCRE2 with JIT.
 *
 * Patterns arrive in the syntax Rampart's translator emits for V8 (JavaScript, `u` flag), made
 * PCRE2-compatible by the TypeScript side; compiled with PCRE2_UTF | PCRE2_DOLLAR_ENDONLY |
 * PCRE2_ALT_BSUX (+ PCRE2_EXTRA_ALT_BSUX) so `$`, `\u{..}` and `\uHHHH` mean what they mean in JS.
 * Every match runs under a match limit and a depth limit: a line built to make backtracking
 * explode costs bounded work and is reported, never hangs the scanner.
 *
 * ASCII variant: a regex may also have a pattern for subjects whose bytes are all < 0x80 (the
 * plan's `ascii` field, written by src/core/regex/pcre2-pattern.ts: every one-character atom as
 * the byte class of the ASCII characters V8 matches with it), compiled without PCRE2_UTF. On such
 * a subject it matches exactly what the UTF pattern matches, with less work per character. It is
 * compiled together with the UTF pattern, and must compile to the same capture groups (count and
 * name table), or the compile fails.
 *
 * JIT: each of the two is JIT-compiled on the first search that runs it (a log that is all
 * ASCII never JIT-compiles the UTF pattern, which costs as much as the rest of a short log's
 * scan), into a copy of the compiled pattern that searches then use.
 *
 * Threads: compiled regexes are shared; the match context and its JIT stack are per thread
 * (made on a thread's first search, freed by scan_regex_thread_done). A compile takes a lock,
 * so two threads may compile lazily; a thread that reads `code` without compiling must have
 * called scan_regex_compile on that regex itself first (or run after its compile). The JIT
 * copies are made under the same lock and published atomically.
 */
#ifndef RAMPART_REGEX_H
#define RAMPART_REGEX_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct scan_regex {
  char *pattern;          /* NUL-terminated copy of the pattern text (UTF-8) */
  size_t pattern_len;
  uint32_t options;       /* extra PCRE2 compile options from the plan's flags (e.g. PCRE2_CASELESS) */
  int capture_count;      /* filled by scan_regex_compile */
  /* Plan-provided name of each capture by index (1..capture_count), NULL = unnamed; index 0 unused.
     For filter regexes the TypeScript side gives the Python group names (fail2ban's tags). */
  char **capture_names;
  int capture_names_len;  /* entries in capture_names (= capture_count + 1 when given) */
  /* Start characters: when has_start_chars, a subject whose first byte b < 128 has
     start_chars[b >> 3] & (1 << (b & 7)) == 0 cannot match (the regex is not run). */
  int has_start_chars;
  uint8_t start_chars[16];
  /* A failregex's literal head (start-chars.ts anchoredLiteralHead): every match of this regex,
     anchored at the subject's start, begins with these head_len ASCII bytes; a subject that does
     not cannot match (the regex is not run). NULL when none. */
  char *head;
  size_t head_len;
  char *ascii_pattern;    /* NUL-terminated ASCII variant (see above), or NULL */
  size_t ascii_pattern_len;
  pcre2_code *code;       /* NULL until compiled (not JIT-compiled: see `run`) */
  pcre2_code *ascii_code; /* compiled with `code` when ascii_pattern is set (without PCRE2_UTF) */
  /* What searches run: [0] a copy of `code`, [1] of `ascii_code`, JIT-compiled, made by the
     first search that needs it; NULL until then. */
  _Atomic(pcre2_code *) run[2];
  int run_jit[2];         /* 1 when pcre2_jit_compile succeeded: matches take the JIT fast path */
  /* The plan's prefilter (pcre2-pattern.ts, absentLiteral): on a subject where absent_literal
     occurs nowhere, `absent` (this regex with the alternatives that need the literal made to fail
     at once; the same groups, compiled with this regex) gives exactly this regex's answer,
     faster. NULL when none. */
  char *absent_literal;
  size_t absent_literal_len;
  struct scan_regex *absent;
  /* The plan's tail variant (pcre2-pattern.ts, contentTail): on a subject with no "\n" before its
     last byte, `tail` (this regex ending `(?=[^\n])()` for `([^\n]+)(?=\n?$)`; the same groups,
     compiled with this regex) finds the same match once the match and group tail_group are made
     to end at the subject's end (before a last "\n"), which scan_regex_search does. */
  struct scan_regex *tail;
  int tail_group;
  /* Set before the first compile (plan.c, date templates): JIT-compile for
     scan_regex_search_prefix too (PCRE2_JIT_PARTIAL_HARD). */
  int prefix_searches;
} scan_regex;

/* Match limits shared by every search (see regex.c for the numbers and why); set them before
   any thread searches. */
void scan_regex_set_limits(uint32_t match_limit, uint32_t depth_limit);

/* Compiles (with JIT when available), the ASCII variant too. 0 on success; -1 with a message in err. */
int scan_regex_compile(scan_regex *r, char *err, size_t errlen);

/*
 * Python `regex.search(subject, start, len)`: the first match at or after byte offset `start`
 * in subject[0..len). `ascii`: the caller knows every byte of subject[0..len) is < 0x80 (the
 * ASCII variant then runs, when the regex has one). Compiles on first use. Returns 1 (match;
 * spans in `md`), 0 (no match), -1 (match or depth limit hit: the subject is hostile), -2 (other
 * PCRE2 error).
 */
int scan_regex_search(scan_regex *r, const char *subject, size_t len, size_t start, int ascii,
                      pcre2_match_data *md);

/*
 * scan_regex_search from offset 0 on a subject with no "\n" before its last byte (a log line, or
 * a part of one, with the "\n" fail2ban appends): the same answer, without looking for one.
 */
int scan_regex_search_line(scan_regex *r, const char *subject, size_t len, int ascii, pcre2_match_data *md);

/*
 * The search of scan_regex_search run on a prefix subject[0..len) of the real subject, in
 * PCRE2_PARTIAL_HARD mode (the regex needs prefix_searches). 1 or 0 as scan_regex_search: the
 * answer for EVERY subject that starts with these len bytes, when the regex is anchored (no path
 * of the search looked at or past the end; a match or "no match" found so stands for any longer
 * subject, PCRE2's hard partial matching, pcre2partial(3)). 2: some path reached the end (the
 * answer depends on what follows: search the real subject). -1/-2 as scan_regex_search. The
 * plan's prefilter is not used (it looks at the whole subject).
 */
int scan_regex_search_prefix(scan_regex *r, const char *subject, size_t len, size_t start, int ascii,
                             pcre2_match_data *md);

/* Whether the compiled regex can only match at its start offset (PCRE2_ANCHORED, by `^` or so).
   Compiles on first use; 0 when it cannot be compiled. */
int scan_regex_is_anchored(scan_regex *r);

/* Whether a subject starting with byte `first` may match (start-character filter). */
static inline int scan_regex_may_start(const scan_regex *r, unsigned char first) {
  if (!r->has_start_chars || first >= 128) return 1;
  return (r->start_chars[first >> 3] >> (first & 7)) & 1;
}

/* Number of the named group `name` (first with that name), or -1. Compiles on first use. */
int scan_regex_group_number(scan_regex *r, const char *name);

/* One match-data block big enough for any regex of the process (allocated once per thread). */
pcre2_match_data *scan_match_data(void);

/* Frees the calling thread's match context, JIT stack and match data (a thread ending). */
void scan_regex_thread_done(void);

void scan_regex_free(scan_regex *r);

#endif
