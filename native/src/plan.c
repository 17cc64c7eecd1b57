#include "plan.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/*
 * The plan parser (format in plan.h). Strict on purpose: the plan is written by Rampart's
 * TypeScript side (src/core/filter/scan-plan.ts), so anything unexpected means a version
 * mismatch or a bug, and guessing would silently change what is matched.
 */

typedef struct {
  const char *key;
  size_t key_len;
  const char *value;
  size_t value_len;
} field;

#define MAX_FIELDS 16

typedef struct {
  int line;
  char *err;
  size_t errlen;
} ctx;

static int fail(ctx *c, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(c->err, c->errlen, "line %d: %s", c->line, msg);
  return -1;
}

/* Untrusted text for a message: at most 40 bytes, non-printable bytes as '?'. */
static const char *shown(const char *s, size_t n, char out[48]) {
  size_t k = 0;
  for (size_t i = 0; i < n && k < 40; i++) {
    unsigned char b = (unsigned char)s[i];
    out[k++] = (b >= 0x20 && b < 0x7f) ? (char)b : '?';
  }
  if (n > 40) {
    out[k++] = '.';
    out[k++] = '.';
    out[k++] = '.';
  }
  out[k] = '\0';
  return out;
}

/* plain_byte as a table (decode_s runs over whole patterns at every start). */
static const unsigned char plain_table[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,
};

static int plain_byte(unsigned char b) { return b < 128 && plain_table[b]; }

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/*
 * Percent-decodes an S value into a new NUL-terminated string (valid UTF-8; NUL bytes only when
 * allow_nul, for patterns).
 */
static int decode_s(ctx *c, const char *what, const char *s, size_t n, int allow_nul, char **out, size_t *out_len) {
  char *d = malloc(n + 1);
  if (!d) return fail(c, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char b = (unsigned char)s[i];
    if (b == '%') {
      int hi = n - i < 3 ? -1 : hexval((unsigned char)s[i + 1]), lo = hi < 0 ? -1 : hexval((unsigned char)s[i + 2]);
      if (lo < 0) {
        free(d);
        return fail(c, "bad percent escape in field '%s'", what);
      }
      d[k++] = (char)(hi * 16 + lo);
      i += 2;
    } else if (plain_byte(b)) {
      d[k++] = (char)b;
    } else {
      free(d);
      return fail(c, "byte 0x%02x must be percent-encoded in field '%s'", b, what);
    }
  }
  d[k] = '\0';
  if (!utf8_is_valid((const unsigned char *)d, k)) {
    free(d);
    return fail(c, "field '%s' is not valid UTF-8", what);
  }
  if (!allow_nul && memchr(d, '\0', k)) {
    free(d);
    return fail(c, "field '%s' contains a NUL byte", what);
  }
  *out = d;
  if (out_len) *out_len = k;
  return 0;
}

static void free_list(char **list, int count) {
  if (!list) return;
  for (int i = 0; i < count; i++) free(list[i]);
  free(list);
}

/*
 * Decodes an L value: comma-separated S, "-" = NULL (no name), "" = empty list. With
 * leading_null the array gets an extra NULL first (regex names start at group 1).
 */
static int decode_list(ctx *c, const char *what, const char *s, size_t n, int leading_null, int allow_dash,
                       char ***out, int *count) {
  size_t items = 0;
  if (n > 0) {
    items = 1;
    for (size_t i = 0; i < n; i++)
      if (s[i] == ',') items++;
  }
  if (items > 100000) return fail(c, "field '%s' has too many items", what);
  size_t total = items + (leading_null ? 1 : 0);
  char **list = calloc(total ? total : 1, sizeof *list);
  if (!list) return fail(c, "out of memory");
  size_t k = leading_null ? 1 : 0;
  size_t start = 0;
  for (size_t i = 0; n > 0 && i <= n; i++) {
    if (i < n && s[i] != ',') continue;
    const char *item = s + start;
    size_t len = i - start;
    if (len == 1 && item[0] == '-') {
      if (!allow_dash) {
        free_list(list, (int)total);
        return fail(c, "field '%s' may not have a '-' item", what);
      }
      list[k] = NULL;
    } else if (decode_s(c, what, item, len, 0, &list[k], NULL) != 0) {
      free_list(list, (int)total);
      return -1;
    }
    k++;
    start = i + 1;
  }
  *out = list;
  *count = (int)total;
  return 0;
}

/* N: "0" or [1-9][0-9]*, optionally negative, within [min, max]. */
static int parse_int(ctx *c, const char *what, const char *s, size_t n, long min, long max, long *out) {
  size_t i = 0;
  int negative = 0;
  if (n > 0 && s[0] == '-') {
    negative = 1;
    i = 1;
  }
  size_t digits = n - i;
  int ok = digits >= 1 && digits <= 12 && !(s[i] == '0' && (digits > 1 || negative));
  long v = 0;
  for (size_t k = i; ok && k < n; k++) {
    if (s[k] < '0' || s[k] > '9') ok = 0;
    else v = v * 10 + (s[k] - '0');
  }
  if (negative) v = -v;
  char shown_buf[48];
  if (!ok) return fail(c, "field '%s': bad number '%s'", what, shown(s, n, shown_buf));
  if (v < min || v > max) return fail(c, "field '%s': %ld is out of range [%ld, %ld]", what, v, min, max);
  *out = v;
  return 0;
}

static int parse_options(ctx *c, const char *s, size_t n, uint32_t *out) {
  uint32_t options = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t bit;
    switch (s[i]) {
      case 'i': bit = PCRE2_CASELESS; break;
      case 'm': bit = PCRE2_MULTILINE; break;
      case 's': bit = PCRE2_DOTALL; break;
      default: {
        char b[48];
        return fail(c, "field 'options': unknown option letters '%s'", shown(s, n, b));
      }
    }
    if (options & bit) return fail(c, "field 'options': option '%c' given twice", s[i]);
    options |= bit;
  }
  *out = options;
  return 0;
}

/*
 * The fields of a record, each key once; `expected` lists the keys it may have, no more: the
 * first `required` must be there, the others are optional (out[k].key NULL when absent).
 */
static int split_fields(ctx *c, const char *rest, size_t n, const char *const *expected, int expected_count,
                        int required, field *out) {
  for (int i = 0; i < expected_count; i++) out[i].key = NULL;
  size_t start = 0;
  int seen = 0;
  if (n == 0 && required > 0) return fail(c, "missing field '%s'", expected[0]);
  for (size_t i = 0; n > 0 && i <= n; i++) {
    /* The next space (fields hold whole patterns: a byte loop was a tenth of a scan's start-up). */
    const char *space = memchr(rest + i, ' ', n - i);
    i = space ? (size_t)(space - rest) : n;
    const char *f = rest + start;
    size_t len = i - start;
    start = i + 1;
    if (len == 0) return fail(c, "empty field (two spaces, or a space at the end)");
    const char *eq = memchr(f, '=', len);
    char b[48];
    if (!eq) return fail(c, "field '%s' has no '='", shown(f, len, b));
    size_t key_len = (size_t)(eq - f);
    int index = -1;
    for (int k = 0; k < expected_count; k++)
      if (strlen(expected[k]) == key_len && memcmp(expected[k], f, key_len) == 0) index = k;
    if (index < 0) return fail(c, "unknown field '%s'", shown(f, key_len, b));
    if (out[index].key) return fail(c, "field '%s' given twice", expected[index]);
    out[index].key = expected[index];
    out[index].key_len = key_len;
    out[index].value = eq + 1;
    out[index].value_len = len - key_len - 1;
    seen++;
  }
  for (int k = 0; k < required; k++)
    if (!out[k].key) return fail(c, "missing field '%s'", expected[k]);
  (void)seen;
  return 0;
}

static int value_is(const field *f, const char *word) {
  return f->value_len == strlen(word) && memcmp(f->value, word, f->value_len) == 0;
}

/* Grows an array of `size`-byte items to hold count + 1. */
static int grow(ctx *c, void **array, int count, size_t size) {
  if (count >= 1000000) return fail(c, "too many records");
  void *next = realloc(*array, (size_t)(count + 1) * size);
  if (!next) return fail(c, "out of memory");
  *array = next;
  memset((char *)next + (size_t)count * size, 0, size);
  return 0;
}

static int parse_filter(ctx *c, const char *rest, size_t n, scan_plan *plan, int *seen_filter) {
  static const char *const keys[] = {"name", "maxlines", "usedns"};
  field f[3];
  if (*seen_filter) return fail(c, "a second 'filter' record");
  if (split_fields(c, rest, n, keys, 3, 3, f) != 0) return -1;
  if (decode_s(c, "name", f[0].value, f[0].value_len, 0, &plan->name, NULL) != 0) return -1;
  long maxlines;
  if (parse_int(c, "maxlines", f[1].value, f[1].value_len, 1, 1000000, &maxlines) != 0) return -1;
  plan->max_lines = (int)maxlines;
  if (value_is(&f[2], "yes")) plan->use_dns = USEDNS_YES;
  else if (value_is(&f[2], "warn")) plan->use_dns = USEDNS_WARN;
  else if (value_is(&f[2], "no")) plan->use_dns = USEDNS_NO;
  else if (value_is(&f[2], "raw")) plan->use_dns = USEDNS_RAW;
  else {
    char b[48];
    return fail(c, "field 'usedns': unknown mode '%s'", shown(f[2].value, f[2].value_len, b));
  }
  *seen_filter = 1;
  return 0;
}

/* The optional `ascii` field of a regex or template: its pattern for all-ASCII subjects. */
static int parse_ascii(ctx *c, const field *f, scan_regex *r) {
  if (!f->key) return 0;
  if (decode_s(c, "ascii", f->value, f->value_len, 1, &r->ascii_pattern, &r->ascii_pattern_len) != 0) return -1;
  for (size_t i = 0; i < r->ascii_pattern_len; i++)
    if ((unsigned char)r->ascii_pattern[i] >= 0x80) return fail(c, "field 'ascii' is not ASCII");
  return 0;
}

/* A variant of a regex (prefilter, tail): its pattern and optional ASCII variant, in a new regex. */
static int parse_variant(ctx *c, const char *what, const field *pattern, const field *ascii, scan_regex **out) {
  *out = calloc(1, sizeof **out);
  if (!*out) return fail(c, "out of memory");
  if (decode_s(c, what, pattern->value, pattern->value_len, 1, &(*out)->pattern, &(*out)->pattern_len) != 0)
    return -1;
  return parse_ascii(c, ascii, *out);
}

static int parse_regex(ctx *c, const char *rest, size_t n, scan_plan *plan) {
  static const char *const keys[] = {"role",         "options", "start", "names", "pattern",   "ascii",
                                     "absent",       "absent-pattern", "absent-ascii", "tail-group", "tail",
                                     "tail-ascii",   "head"};
  field f[13];
  if (split_fields(c, rest, n, keys, 13, 5, f) != 0) return -1;
  scan_regex **list;
  int *count;
  if (value_is(&f[0], "pref")) {
    if (plan->pref) return fail(c, "a second prefregex");
    plan->pref = calloc(1, sizeof *plan->pref);
    if (!plan->pref) return fail(c, "out of memory");
    list = NULL;
    count = NULL;
  } else if (value_is(&f[0], "fail")) {
    list = &plan->fail;
    count = &plan->fail_count;
  } else if (value_is(&f[0], "ignore")) {
    list = &plan->ignore;
    count = &plan->ignore_count;
  } else {
    char b[48];
    return fail(c, "field 'role': unknown role '%s'", shown(f[0].value, f[0].value_len, b));
  }
  scan_regex *r;
  if (list) {
    if (grow(c, (void **)list, *count, sizeof **list) != 0) return -1;
    r = &(*list)[*count];
    (*count)++; /* counted now so that scan_plan_free releases a half-parsed regex */
  } else
    r = plan->pref;
  if (parse_options(c, f[1].value, f[1].value_len, &r->options) != 0) return -1;
  if (value_is(&f[2], "*")) r->has_start_chars = 0;
  else {
    if (f[2].value_len != 32) return fail(c, "field 'start': want 32 hex digits or '*'");
    for (int k = 0; k < 16; k++) {
      int hi = hexval((unsigned char)f[2].value[2 * k]);
      int lo = hexval((unsigned char)f[2].value[2 * k + 1]);
      if (hi < 0 || lo < 0) return fail(c, "field 'start': bad hex digit");
      r->start_chars[k] = (uint8_t)(hi * 16 + lo);
    }
    r->has_start_chars = 1;
  }
  if (decode_list(c, "names", f[3].value, f[3].value_len, 1, 1, &r->capture_names, &r->capture_names_len) != 0)
    return -1;
  if (decode_s(c, "pattern", f[4].value, f[4].value_len, 1, &r->pattern, &r->pattern_len) != 0) return -1;
  if (parse_ascii(c, &f[5], r) != 0) return -1;
  if (f[12].key) {
    if (!value_is(&f[0], "fail")) return fail(c, "field 'head' on a regex that is not a failregex");
    if (decode_s(c, "head", f[12].value, f[12].value_len, 0, &r->head, &r->head_len) != 0) return -1;
  }
  if (!f[9].key != !f[10].key) return fail(c, "fields 'tail-group' and 'tail' come together");
  if (f[9].key) {
    long group;
    if (parse_int(c, "tail-group", f[9].value, f[9].value_len, 1, 65535, &group) != 0) return -1;
    r->tail_group = (int)group;
    if (parse_variant(c, "tail", &f[10], &f[11], &r->tail) != 0) return -1;
  } else if (f[11].key)
    return fail(c, "field 'tail-ascii' without 'tail'");
  if (!f[6].key != !f[7].key) return fail(c, "fields 'absent' and 'absent-pattern' come together");
  if (!f[6].key) return f[8].key ? fail(c, "field 'absent-ascii' without 'absent'") : 0;
  if (f[6].value_len == 0) return fail(c, "field 'absent' is empty");
  if (decode_s(c, "absent", f[6].value, f[6].value_len, 0, &r->absent_literal, &r->absent_literal_len) != 0)
    return -1;
  return parse_variant(c, "absent-pattern", &f[7], &f[8], &r->absent);
}

static int parse_date(ctx *c, const char *rest, size_t n, scan_plan *plan, int *seen_date) {
  static const char *const keys[] = {"default-tz"};
  field f[1];
  if (*seen_date) return fail(c, "a second 'date' record");
  if (split_fields(c, rest, n, keys, 1, 1, f) != 0) return -1;
  if (value_is(&f[0], "none")) plan->has_default_tz = 0;
  else {
    long tz;
    if (parse_int(c, "default-tz", f[0].value, f[0].value_len, -100000, 100000, &tz) != 0) return -1;
    plan->has_default_tz = 1;
    plan->default_tz_minutes = (int)tz;
  }
  *seen_date = 1;
  return 0;
}

static int parse_template(ctx *c, const char *rest, size_t n, scan_plan *plan) {
  static const char *const keys[] = {"kind", "flags", "weight", "name", "options",
                                     "keys", "group", "pattern", "ascii"};
  field f[9];
  if (split_fields(c, rest, n, keys, 9, 8, f) != 0) return -1;
  if (grow(c, (void **)&plan->templates, plan->template_count, sizeof *plan->templates) != 0) return -1;
  plan_template *t = &plan->templates[plan->template_count++];
  if (value_is(&f[0], "pattern")) t->kind = TEMPLATE_PATTERN;
  else if (value_is(&f[0], "epoch")) t->kind = TEMPLATE_EPOCH;
  else if (value_is(&f[0], "long-epoch")) t->kind = TEMPLATE_LONG_EPOCH;
  else if (value_is(&f[0], "tai64n")) t->kind = TEMPLATE_TAI64N;
  else {
    char b[48];
    return fail(c, "field 'kind': unknown template kind '%s'", shown(f[0].value, f[0].value_len, b));
  }
  long flags;
  if (parse_int(c, "flags", f[1].value, f[1].value_len, 0, 15, &flags) != 0) return -1;
  t->flags = (int)flags;
  {
    /* F: a JavaScript number as String() prints it; strtod reads that syntax exactly. */
    char num[64];
    char b[48];
    const char *v = f[2].value;
    size_t len = f[2].value_len;
    int ok = len > 0 && len < sizeof num;
    for (size_t k = 0; ok && k < len; k++)
      if (!((v[k] >= '0' && v[k] <= '9') || v[k] == '.' || v[k] == 'e' || v[k] == 'E' || v[k] == '+' || v[k] == '-'))
        ok = 0;
    if (ok) {
      memcpy(num, v, len);
      num[len] = '\0';
      char *end;
      errno = 0;
      t->weight = strtod(num, &end);
      ok = *end == '\0' && isfinite(t->weight);
    }
    if (!ok) return fail(c, "field 'weight': bad number '%s'", shown(v, len, b));
  }
  if (decode_s(c, "name", f[3].value, f[3].value_len, 0, &t->name, NULL) != 0) return -1;
  if (parse_options(c, f[4].value, f[4].value_len, &t->regex.options) != 0) return -1;
  t->regex.prefix_searches = 1; /* date.c's template memo */
  if (decode_list(c, "keys", f[5].value, f[5].value_len, 0, 1, &t->keys, &t->key_count) != 0) return -1;
  long group;
  if (parse_int(c, "group", f[6].value, f[6].value_len, 0, 65535, &group) != 0) return -1;
  t->group = (int)group;
  if (decode_s(c, "pattern", f[7].value, f[7].value_len, 1, &t->regex.pattern, &t->regex.pattern_len) != 0)
    return -1;
  return parse_ascii(c, &f[8], &t->regex);
}

static int parse_host(ctx *c, const char *rest, size_t n, scan_plan *plan) {
  static const char *const keys[] = {"name", "addresses"};
  field f[2];
  if (split_fields(c, rest, n, keys, 2, 2, f) != 0) return -1;
  if (grow(c, (void **)&plan->hosts, plan->host_count, sizeof *plan->hosts) != 0) return -1;
  plan_host *h = &plan->hosts[plan->host_count++];
  if (decode_s(c, "name", f[0].value, f[0].value_len, 0, &h->name, NULL) != 0) return -1;
  if (decode_list(c, "addresses", f[1].value, f[1].value_len, 0, 0, &h->addresses, &h->address_count) != 0)
    return -1;
  return 0;
}

int scan_plan_parse(const char *text, size_t len, scan_plan *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  ctx c = {0, err, errlen};
  int seen_filter = 0, seen_date = 0, ended = 0;
  size_t pos = 0;
  while (pos < len) {
    const char *line = text + pos;
    const char *nl = memchr(line, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - line) : len - pos;
    pos += n + (nl ? 1 : 0);
    c.line++;
    if (memchr(line, '\0', n)) {
      fail(&c, "NUL byte in the plan");
      goto bad;
    }
    if (ended) {
      fail(&c, "text after 'end'");
      goto bad;
    }
    if (c.line == 1) {
      static const char header[] = "rampart-scan-plan ";
      char b[48];
      if (n < sizeof header - 1 || memcmp(line, header, sizeof header - 1) != 0) {
        fail(&c, "not a scan plan (no 'rampart-scan-plan' header)");
        goto bad;
      }
      const char *version = line + (sizeof header - 1);
      size_t version_len = n - (sizeof header - 1);
      if (!(version_len == 1 && version[0] == '1')) {
        fail(&c, "plan version '%s' is not supported (this scanner reads version 1)",
             shown(version, version_len, b));
        goto bad;
      }
      continue;
    }
    const char *sp = memchr(line, ' ', n);
    size_t kind_len = sp ? (size_t)(sp - line) : n;
    const char *rest = sp ? sp + 1 : line + n;
    size_t rest_len = sp ? n - kind_len - 1 : 0;
    if (sp && rest_len == 0) {
      fail(&c, "empty field (a space at the end)");
      goto bad;
    }
#define KIND(word) (kind_len == sizeof(word) - 1 && memcmp(line, word, kind_len) == 0)
    int rc;
    if (KIND("filter")) rc = parse_filter(&c, rest, rest_len, out, &seen_filter);
    else if (KIND("regex")) rc = parse_regex(&c, rest, rest_len, out);
    else if (KIND("date")) rc = parse_date(&c, rest, rest_len, out, &seen_date);
    else if (KIND("template")) rc = parse_template(&c, rest, rest_len, out);
    else if (KIND("host")) rc = parse_host(&c, rest, rest_len, out);
    else if (KIND("end")) {
      if (sp) rc = fail(&c, "'end' takes no fields");
      else {
        ended = 1;
        rc = 0;
      }
    } else {
      char b[48];
      rc = fail(&c, "unknown record '%s'", shown(line, kind_len, b));
    }
#undef KIND
    if (rc != 0) goto bad;
  }
  if (c.line == 0) {
    c.line = 1;
    fail(&c, "empty plan");
    goto bad;
  }
  if (!ended) {
    c.line++;
    fail(&c, "missing 'end' (the plan is truncated)");
    goto bad;
  }
  if (!seen_filter) {
    fail(&c, "no 'filter' record");
    goto bad;
  }
  return 0;
bad:
  scan_plan_free(out);
  return -1;
}

void scan_plan_free(scan_plan *plan) {
  free(plan->name);
  if (plan->pref) {
    scan_regex_free(plan->pref);
    free(plan->pref);
  }
  for (int i = 0; i < plan->fail_count; i++) scan_regex_free(&plan->fail[i]);
  free(plan->fail);
  for (int i = 0; i < plan->ignore_count; i++) scan_regex_free(&plan->ignore[i]);
  free(plan->ignore);
  for (int i = 0; i < plan->template_count; i++) {
    plan_template *t = &plan->templates[i];
    free(t->name);
    scan_regex_free(&t->regex);
    free_list(t->keys, t->key_count);
  }
  free(plan->templates);
  for (int i = 0; i < plan->host_count; i++) {
    free(plan->hosts[i].name);
    free_list(plan->hosts[i].addresses, plan->hosts[i].address_count);
  }
  free(plan->hosts);
  memset(plan, 0, sizeof *plan);
}
