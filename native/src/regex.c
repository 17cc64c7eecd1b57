#include "regex.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The match context carries the JIT stack, which a running match uses as scratch: one per
   thread. Compiled code is shared (pcre2_match on one code from many threads is safe). */
static _Thread_local pcre2_match_context *match_context;
static _Thread_local pcre2_jit_stack *jit_stack;
static _Thread_local pcre2_match_data *shared_match_data;
/* Regexes compile lazily (date templates): a compile is done under this lock. */
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;
/* 10^6 backtracking steps is a few milliseconds of JIT code at worst (about 3 ms measured on a
   ReDoS line), while no fail2ban filter needs more than a few thousand per line: the whole
   fail2ban corpus and the benchmark give the same answers with a limit of 10^5. */
static uint32_t limit_match = 1000000;
static uint32_t limit_depth = 100000;

void scan_regex_set_limits(uint32_t match_limit, uint32_t depth_limit) {
  limit_match = match_limit;
  limit_depth = depth_limit;
  if (match_context) {
    pcre2_set_match_limit(match_context, limit_match);
    pcre2_set_depth_limit(match_context, limit_depth);
  }
}

static void ensure_context(void) {
  if (match_context) return;
  match_context = pcre2_match_context_create(NULL);
  if (!match_context) return; /* pcre2_match then uses default limits: never reached in practice */
  pcre2_set_match_limit(match_context, limit_match);
  pcre2_set_depth_limit(match_context, limit_depth);
  /* Deep recursion in JIT code (long lines, nested groups) needs more than the 32 KiB default. */
  jit_stack = pcre2_jit_stack_create(64 * 1024, 8 * 1024 * 1024, NULL);
  if (jit_stack) pcre2_jit_stack_assign(match_context, NULL, jit_stack);
}

pcre2_match_data *scan_match_data(void) {
  if (!shared_match_data) shared_match_data = pcre2_match_data_create(512, NULL);
  return shared_match_data;
}

void scan_regex_thread_done(void) {
  if (shared_match_data) pcre2_match_data_free(shared_match_data);
  shared_match_data = NULL;
  if (match_context) pcre2_match_context_free(match_context);
  match_context = NULL;
  if (jit_stack) pcre2_jit_stack_free(jit_stack);
  jit_stack = NULL;
}

static int compile_locked(scan_regex *r, char *err, size_t errlen);

int scan_regex_compile(scan_regex *r, char *err, size_t errlen) {
  pthread_mutex_lock(&compile_lock);
  int rc = compile_locked(r, err, errlen);
  pthread_mutex_unlock(&compile_lock);
  return rc;
}

/* One pattern with regex.c's options (+ `options`); NULL with a message in err. */
static pcre2_code *compile_one(const char *pattern, size_t len, uint32_t options, const char *what, char *err,
                               size_t errlen) {
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
  int code;
  PCRE2_SIZE offset;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX | options, &code,
                                 &offset, cc);
  pcre2_compile_context_free(cc);
  if (!re) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code, message, sizeof message);
    snprintf(err, errlen, "%s%s at offset %zu", what, (const char *)message, (size_t)offset);
    return NULL;
  }
  return re;
}

/* Whether two compiled patterns have the same capture groups: count and name table. */
static int same_groups(const pcre2_code *a, const pcre2_code *b) {
  uint32_t ca = 0, cb = 0, na = 0, nb = 0, sa = 0, sb = 0;
  PCRE2_SPTR ta = NULL, tb = NULL;
  pcre2_pattern_info(a, PCRE2_INFO_CAPTURECOUNT, &ca);
  pcre2_pattern_info(b, PCRE2_INFO_CAPTURECOUNT, &cb);
  pcre2_pattern_info(a, PCRE2_INFO_NAMECOUNT, &na);
  pcre2_pattern_info(b, PCRE2_INFO_NAMECOUNT, &nb);
  pcre2_pattern_info(a, PCRE2_INFO_NAMEENTRYSIZE, &sa);
  pcre2_pattern_info(b, PCRE2_INFO_NAMEENTRYSIZE, &sb);
  pcre2_pattern_info(a, PCRE2_INFO_NAMETABLE, &ta);
  pcre2_pattern_info(b, PCRE2_INFO_NAMETABLE, &tb);
  if (ca != cb || na != nb || sa != sb) return 0;
  return na == 0 || memcmp(ta, tb, (size_t)na * sa) == 0;
}

static uint32_t count_of(const pcre2_code *code) {
  uint32_t count = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count);
  return count;
}

static int compile_locked(scan_regex *r, char *err, size_t errlen) {
  if (r->code) return 0;
  pcre2_code *code =
      compile_one(r->pattern, r->pattern_len, PCRE2_UTF | PCRE2_NO_UTF_CHECK | r->options, "", err, errlen);
  if (!code) return -1;
  pcre2_code *ascii = NULL;
  if (r->ascii_pattern) {
    ascii = compile_one(r->ascii_pattern, r->ascii_pattern_len, r->options, "ASCII variant: ", err, errlen);
    if (ascii && !same_groups(code, ascii)) {
      snprintf(err, errlen, "ASCII variant: its capture groups (count or names) differ from the pattern's");
      pcre2_code_free(ascii);
      ascii = NULL;
    }
    if (!ascii) {
      pcre2_code_free(code);
      return -1;
    }
  }
  /* The prefilter and tail variants must have the very same groups (numbers, names). */
  scan_regex *variants[2] = {r->absent, r->tail};
  for (int k = 0; k < 2; k++) {
    scan_regex *v = variants[k];
    if (!v) continue;
    v->options = r->options;
    if (compile_locked(v, err, errlen) != 0 || !same_groups(code, v->code)) {
      if (v->code) snprintf(err, errlen, "%s variant: its capture groups differ from the pattern's", k ? "tail" : "prefilter");
      pcre2_code_free(code);
      if (ascii) pcre2_code_free(ascii);
      return -1;
    }
  }
  if (r->tail && (r->tail_group < 1 || (uint32_t)r->tail_group > count_of(code))) {
    snprintf(err, errlen, "tail variant: no group %d", r->tail_group);
    pcre2_code_free(code);
    if (ascii) pcre2_code_free(ascii);
    return -1;
  }
  uint32_t count = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count);
  r->capture_count = (int)count;
  r->ascii_code = ascii;
  r->code = code;
  return 0;
}

/* run[v], made now if it is not yet: a JIT-compiled copy of the compiled pattern. NULL when out
   of memory. */
static pcre2_code *prepare_run(scan_regex *r, int v) {
  pthread_mutex_lock(&compile_lock);
  pcre2_code *run = atomic_load_explicit(&r->run[v], memory_order_relaxed);
  if (!run) {
    run = pcre2_code_copy(v ? r->ascii_code : r->code);
    if (run) {
      /* Without JIT (no JIT support, out of executable memory) the interpreter runs it instead. */
      uint32_t modes = PCRE2_JIT_COMPLETE | (r->prefix_searches ? PCRE2_JIT_PARTIAL_HARD : 0);
      r->run_jit[v] = pcre2_jit_compile(run, modes) == 0;
      atomic_store_explicit(&r->run[v], run, memory_order_release);
    }
  }
  pthread_mutex_unlock(&compile_lock);
  return run;
}

/* Whether `lit` (n >= 1 bytes) occurs in s[0..len). memchr (vectorized) finds candidates; glibc's
   memmem costs about 1,000 instructions on a 60-byte line with a 2-byte literal, this about 50. */
static int contains(const char *s, size_t len, const char *lit, size_t n) {
  const char *end = s + len;
  while ((size_t)(end - s) >= n) {
    const char *p = memchr(s, lit[0], (size_t)(end - s) - n + 1);
    if (!p) return 0;
    if (memcmp(p + 1, lit + 1, n - 1) == 0) return 1;
    s = p + 1;
  }
  return 0;
}

/* A compile on first use, out of line: its message buffer would cost every search a stack
   guard. 0 or -1. */
static int compile_first(scan_regex *r) {
  char err[300];
  return scan_regex_compile(r, err, sizeof err);
}

/* A raw PCRE2 search of r (compiled) on the variant the subject allows: PCRE2's rc, or
   PCRE2_ERROR_NOMEMORY when the JIT copy cannot be made. */
static int run_match(scan_regex *r, const char *subject, size_t len, size_t start, int ascii, uint32_t options,
                     pcre2_match_data *md) {
  ensure_context();
  /* Subjects are valid UTF-8 (the reader repairs invalid sequences), so the check is skipped.
     A JIT-compiled pattern is run through pcre2_jit_match, the "fast path" (pcre2jit(3)): the
     same code pcre2_match would call, with the same match context (match limit, JIT stack), minus
     pcre2_match's argument checks, which cannot fail here (a subject with a length, an offset
     within it, no options but NO_UTF_CHECK, which the fast path implies, and PARTIAL_HARD, for
     which the copy was JIT-compiled). */
  if (!subject) subject = ""; /* pcre2_match's own substitute for a NULL empty subject */
  /* An all-ASCII subject runs the ASCII variant (no UTF: NO_UTF_CHECK means nothing there). */
  int v = ascii && r->ascii_code;
  const pcre2_code *code = atomic_load_explicit(&r->run[v], memory_order_acquire);
  if (!code && !(code = prepare_run(r, v))) return PCRE2_ERROR_NOMEMORY;
  options |= PCRE2_NO_UTF_CHECK;
  return r->run_jit[v] ? pcre2_jit_match(code, (PCRE2_SPTR)subject, len, start, options, md, match_context)
                       : pcre2_match(code, (PCRE2_SPTR)subject, len, start, options, md, match_context);
}

/* PCRE2's rc as scan_regex_search answers: 1 match, 0 none, 2 partial, -1 a limit, -2 else. */
static int answer(int rc) {
  if (rc >= 0) return 1;
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc == PCRE2_ERROR_PARTIAL) return 2;
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
      rc == PCRE2_ERROR_JIT_STACKLIMIT)
    return -1;
  return -2;
}

/* scan_regex_search; `one_line`: the caller knows subject[0..len) has no "\n" before its last
   byte (the tail variant's condition). */
static inline int search(scan_regex *r, const char *subject, size_t len, size_t start, int ascii,
                         pcre2_match_data *md, int one_line) {
  if (!r->code && compile_first(r) != 0) return -2;
  if (start > len) return 0;
  /* A search from `start` that needs the literal needs it at or after `start`: looking in the
     whole subject is the same test or a weaker one (never a wrong answer). */
  if (r->absent && !contains(subject ? subject : "", len, r->absent_literal, r->absent_literal_len)) r = r->absent;
  int tail_group = 0;
  if (r->tail && subject && (one_line || len == 0 || !memchr(subject, '\n', len - 1))) {
    tail_group = r->tail_group;
    r = r->tail;
  }
  int rc = run_match(r, subject, len, start, ascii, 0, md);
  if (rc >= 0 && tail_group) {
    /* The tail variant stopped where the content starts: it runs to the subject's end. */
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    PCRE2_SIZE end = len > 0 && subject[len - 1] == '\n' ? len - 1 : len;
    ov[1] = end;
    ov[2 * tail_group + 1] = end;
  }
  return answer(rc);
}

int scan_regex_search(scan_regex *r, const char *subject, size_t len, size_t start, int ascii,
                      pcre2_match_data *md) {
  return search(r, subject, len, start, ascii, md, 0);
}

int scan_regex_search_line(scan_regex *r, const char *subject, size_t len, int ascii, pcre2_match_data *md) {
  return search(r, subject, len, 0, ascii, md, 1);
}

int scan_regex_search_prefix(scan_regex *r, const char *subject, size_t len, size_t start, int ascii,
                             pcre2_match_data *md) {
  if (!r->prefix_searches) return -2;
  if (!r->code && compile_first(r) != 0) return -2;
  if (start > len) return 0;
  return answer(run_match(r, subject, len, start, ascii, PCRE2_PARTIAL_HARD, md));
}

int scan_regex_is_anchored(scan_regex *r) {
  if (!r->code && compile_first(r) != 0) return 0;
  uint32_t all = 0;
  pcre2_pattern_info(r->code, PCRE2_INFO_ALLOPTIONS, &all);
  if (!(all & PCRE2_ANCHORED)) return 0;
  if (!r->ascii_code) return 1;
  pcre2_pattern_info(r->ascii_code, PCRE2_INFO_ALLOPTIONS, &all);
  return (all & PCRE2_ANCHORED) != 0;
}

int scan_regex_group_number(scan_regex *r, const char *name) {
  if (!r->code) {
    char err[300];
    if (scan_regex_compile(r, err, sizeof err) != 0) return -1;
  }
  int n = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)name);
  return n > 0 ? n : -1;
}

void scan_regex_free(scan_regex *r) {
  scan_regex **variants[2] = {&r->absent, &r->tail};
  for (int k = 0; k < 2; k++) {
    if (!*variants[k]) continue;
    scan_regex_free(*variants[k]);
    free(*variants[k]);
    *variants[k] = NULL;
  }
  free(r->absent_literal);
  r->absent_literal = NULL;
  free(r->head);
  r->head = NULL;
  if (r->code) pcre2_code_free(r->code);
  r->code = NULL;
  if (r->ascii_code) pcre2_code_free(r->ascii_code);
  r->ascii_code = NULL;
  for (int v = 0; v < 2; v++) {
    pcre2_code *run = atomic_exchange(&r->run[v], NULL);
    if (run) pcre2_code_free(run);
  }
  free(r->pattern);
  r->pattern = NULL;
  free(r->ascii_pattern);
  r->ascii_pattern = NULL;
  if (r->capture_names) {
    for (int i = 0; i < r->capture_names_len; i++) free(r->capture_names[i]);
    free(r->capture_names);
  }
  r->capture_names = NULL;
}
