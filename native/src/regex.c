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

static int compile_locked(scan_regex *r, char *err, size_t errlen) {
  if (r->code) return 0;
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
  int code;
  PCRE2_SIZE offset;
  r->code = pcre2_compile((PCRE2_SPTR)r->pattern, r->pattern_len,
                          PCRE2_UTF | PCRE2_NO_UTF_CHECK | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX | r->options,
                          &code, &offset, cc);
  pcre2_compile_context_free(cc);
  if (!r->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code, message, sizeof message);
    snprintf(err, errlen, "%s at offset %zu", (const char *)message, (size_t)offset);
    return -1;
  }
  /* Without JIT (no JIT support, out of executable memory) the interpreter runs it instead. */
  r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0;
  uint32_t count = 0;
  pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &count);
  r->capture_count = (int)count;
  return 0;
}

/* A compile on first use, out of line: its message buffer would cost every search a stack
   guard. 0 or -1. */
static int compile_first(scan_regex *r) {
  char err[300];
  return scan_regex_compile(r, err, sizeof err);
}

int scan_regex_search(scan_regex *r, const char *subject, size_t len, size_t start, pcre2_match_data *md) {
  if (!r->code && compile_first(r) != 0) return -2;
  if (start > len) return 0;
  ensure_context();
  /* Subjects are valid UTF-8 (the reader repairs invalid sequences), so the check is skipped.
     A JIT-compiled pattern is run through pcre2_jit_match, the "fast path" (pcre2jit(3)): the
     same code pcre2_match would call, with the same match context (match limit, JIT stack), minus
     pcre2_match's argument checks, which cannot fail here (a subject with a length, an offset
     within it, no options but NO_UTF_CHECK, which the fast path implies). */
  if (!subject) subject = ""; /* pcre2_match's own substitute for a NULL empty subject */
  int rc = r->jit ? pcre2_jit_match(r->code, (PCRE2_SPTR)subject, len, start, PCRE2_NO_UTF_CHECK, md, match_context)
                  : pcre2_match(r->code, (PCRE2_SPTR)subject, len, start, PCRE2_NO_UTF_CHECK, md, match_context);
  if (rc >= 0) return 1;
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
      rc == PCRE2_ERROR_JIT_STACKLIMIT)
    return -1;
  return -2;
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
  if (r->code) pcre2_code_free(r->code);
  r->code = NULL;
  free(r->pattern);
  r->pattern = NULL;
  if (r->capture_names) {
    for (int i = 0; i < r->capture_names_len; i++) free(r->capture_names[i]);
    free(r->capture_names);
  }
  r->capture_names = NULL;
}
