/*
 * fail2ban 1.0.2's date detector in C: a port of Rampart's TypeScript detector
 * (src/core/date/date-detector.ts, date-template.ts, strptime.ts, civil.ts, time-zones.ts,
 * local-zone.ts), itself a port of fail2ban/server/datedetector.py, datetemplate.py and
 * strptime.py. See date.h for the contract.
 *
 * Positions kept between lines (last distance / end position) are Python str indices, i.e.
 * code points, because fail2ban compares them across lines; the line itself is UTF-8, so byte
 * offsets and code point indices are converted at the edges (cp_to_byte / byte_to_cp).
 */
#define _POSIX_C_SOURCE 200809L /* localtime_r, tzset */

#include "date.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zone.h"

#define MAXINT 0x7fffffff
#define NO_CHAR (-1) /* Python "" for the one-character slices of the detector state */
#define UNUSED_TIME 300.0
#define MD_INITIAL_PAIRS 64u
/* Parsed integers saturate here: far outside a C int (so Python's OverflowError cases stay
   faults) while 7 * limit still fits int64 (julianFromUorW arithmetic). */
#define INT_SATURATE ((int64_t)1 << 53)
/* Bytes of the group values a memoized date conversion may be keyed on (longer: not memoized). */
#define EPOCH_KEY_MAX 128
/* Ovector pairs a memoized conversion may be found again by (see groups_to_epoch). */
#define EPOCH_SPAN_PAIRS 16

typedef enum { PY_OK = 0, PY_VALUE_ERROR = 1, PY_FAULT = 2 } py_result;

/* Directive keys reGroupDictStrptime acts on; any other group name is ignored (K_OTHER). */
typedef enum {
  K_OTHER, K_y, K_Y, K_m, K_B, K_b, K_d, K_H, K_I, K_M, K_S, K_A, K_a, K_w, K_j, K_U, K_W, K_z, K_Z, K_p
} key_code;

typedef struct {
  int tmpl;          /* index in plan->templates */
  long long hits;    /* DateDetectorTemplate.hits (wins) */
  double last_used;  /* DateDetectorTemplate.lastUsed */
  int64_t distance;  /* DateDetectorTemplate.distance */
} dd_entry;

/* A match data block, with its ovector and pair count fetched once (the accessors are calls
   into the library). */
typedef struct {
  pcre2_match_data *md;
  const PCRE2_SIZE *ov;
  uint32_t pairs;
} md_slot;

typedef struct {
  int resolved;      /* group numbers looked up (the regex compiles lazily) */
  int *codes;        /* key_code per plan key */
  int *groups;       /* capture number per plan key, -1 = no such group */
  int *read;         /* the groups of the keys other than K_OTHER, in key order */
  int read_count;
  int read_first, read_last; /* the lowest and highest of them that exist (none: last < first) */
} key_info;

/*
 * A template's last search, kept when it was decided by the line's first k bytes: PCRE2's hard
 * partial matching on line[0..k) of an anchored template gives an answer that stands for every
 * line starting with those bytes (regex.h, scan_regex_search_prefix). Syslog lines of one second
 * share the date and usually the host, so most lines' date searches are answered here.
 *
 * Any k gives exact answers (a search the prefix cannot decide comes back partial and is run on
 * the whole line); k only decides how often the memo is used. k is the last match's end plus a
 * margin: the more bytes past the date, the fewer lines share them (syslog lines of one second
 * differ from the program name on), so the margin starts at MEMO_MARGIN_MIN, the least the stage
 * memo accepts (stage_keep). A prefix search that comes back partial (the template wanted bytes
 * past k: a fraction, a year after the time, a look-ahead) doubles the template's margin, up to
 * TEMPLATE_MEMO_MAX, so such lines do not pay two searches every time.
 */
#define TEMPLATE_MEMO_MAX 64
/* The stage memo reads the character after the match (up to 4 bytes of UTF-8, cp_char). */
#define MEMO_MARGIN_MIN 4
typedef struct {
  int valid;
  int rc;                 /* the search's answer: 1 match (spans in ov), 0 no match */
  size_t pos, k;
  unsigned char bytes[TEMPLATE_MEMO_MAX];
  PCRE2_SIZE *ov;         /* ov_pairs pairs as PCRE2 left them */
  uint32_t ov_pairs;
  size_t next_k;          /* the prefix to try next: the last match's end + margin */
  size_t margin;          /* MEMO_MARGIN_MIN, doubled on each partial answer (up to TEMPLATE_MEMO_MAX) */
  signed char anchored;   /* -1 not known yet */
} template_memo;

struct date_detector {
  scan_plan *plan;
  int count;
  dd_entry *order;          /* the detector's template list (reordered like fail2ban) */
  long long *search_hits;   /* DateTemplate.hits per plan template (successful searches) */
  unsigned char *compiled;  /* per plan template: compiled (by this detector's thread or another) */
  key_info *keys;           /* per plan template */
  /* `__lastPos = (distance, char before, char at)`, `__lastEndPos = (end, last char, char after)` */
  int64_t last_pos_distance;
  int32_t last_pos_before, last_pos_at;
  int64_t last_end_pos;
  int32_t last_end_last, last_end_after;
  int last_templ_idx;
  int first_unused;
  /* civil_to_epoch: glibc mktime's guess (answer minus civil time of its last call; 0 at
     start, as glibc's static), and the last answer. */
  int64_t mktime_offset;
  int mktime_memo_valid;
  int64_t mktime_memo_civil;
  double mktime_memo_epoch;
  md_slot cur, found;       /* the current search and the reserved best alternative */
  template_memo *memo;      /* per plan template */
  /* match_time's last call took the fast path: the last template (line-anchored) matched again,
     so no other template was tried and none moved. */
  int fast_hit;
  /* The whole date stage of the last line, when it took the fast path and its date was decided
     by its template's memo: a line starting with the same bytes, with the detector still where
     that line left it, gets the same answer and the same state changes (see stage_hit). */
  struct {
    int valid;
    int order_idx, tmpl;
    double now;
    date_match out;
    int64_t distance, endpos;
    int32_t pos_before, pos_at, end_last, end_after;
  } stage;
  /* Unicode property tests (Python str.isalnum, \d = Nd) done by PCRE2 on one code point. */
  pcre2_code *alnum_re, *nd_re;
  pcre2_match_data *small_md;
  /* groups_to_epoch's last successful conversion (see there): template, now, and the values of
     the groups it reads, encoded by encode_epoch_key. */
  int epoch_memo_valid;
  int epoch_memo_tmpl;
  double epoch_memo_now;
  double epoch_memo_out;
  size_t epoch_memo_len;
  unsigned char epoch_memo_key[EPOCH_KEY_MAX];
  /* The same conversion's groups by position, when epoch_memo_spans: the ovector pairs
     read_first..read_last of its template, and the line's bytes their values were cut from. */
  int epoch_memo_spans;
  PCRE2_SIZE epoch_memo_ov[2 * EPOCH_SPAN_PAIRS];
  size_t epoch_memo_span_start, epoch_memo_span_len;
  unsigned char epoch_memo_span[EPOCH_KEY_MAX];
};

/* ---------------------------------------------------------------- UTF-8 / code points */

/*
 * A line. s[0..ascii_end) is known to be ASCII: looked at only as far as a question needed
 * (they are mostly about the date, near the line's start). Once ascii_end_known is set,
 * ascii_end is the first non-ASCII byte, or len. In an ASCII prefix, code point and byte
 * offsets agree, which spares the conversions below a walk over the line.
 */
typedef struct {
  const unsigned char *s;
  size_t len;
  size_t ascii_end;
  int ascii_end_known;
} line_t;

/* The code point starting at byte i (bounded); a non-character marker for broken sequences. */
static uint32_t utf8_decode(const unsigned char *s, size_t len, size_t i, size_t *next) {
  if (i >= len) {
    *next = len;
    return 0x110000u;
  }
  unsigned char b = s[i];
  size_t n;
  uint32_t c;
  if (b < 0x80) {
    *next = i + 1;
    return b;
  } else if (b >= 0xC0 && b < 0xE0) {
    n = 2;
    c = b & 0x1Fu;
  } else if (b >= 0xE0 && b < 0xF0) {
    n = 3;
    c = b & 0x0Fu;
  } else if (b >= 0xF0 && b < 0xF8) {
    n = 4;
    c = b & 0x07u;
  } else {
    *next = i + 1;
    return 0x110000u + b;
  }
  if (n > len - i) {
    *next = len;
    return 0x110000u + b;
  }
  for (size_t k = 1; k < n; k++) {
    if ((s[i + k] & 0xC0) != 0x80) {
      *next = i + k;
      return 0x110000u + b;
    }
    c = (c << 6) | (s[i + k] & 0x3Fu);
  }
  *next = i + n;
  return c;
}

static size_t utf8_encode(uint32_t c, unsigned char out[4]) {
  if (c < 0x80) {
    out[0] = (unsigned char)c;
    return 1;
  }
  if (c < 0x800) {
    out[0] = (unsigned char)(0xC0 | (c >> 6));
    out[1] = (unsigned char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = (unsigned char)(0xE0 | (c >> 12));
    out[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    out[2] = (unsigned char)(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = (unsigned char)(0xF0 | (c >> 18));
  out[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
  out[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
  out[3] = (unsigned char)(0x80 | (c & 0x3F));
  return 4;
}

/* ascii_upto beyond what is known: scans on, 8 bytes at a time, to n or the first non-ASCII byte. */
static int ascii_extend(line_t *L, size_t n) {
  const unsigned char *s = L->s;
  size_t i = L->ascii_end;
  while (i < n && i + 8 <= L->len) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (w & UINT64_C(0x8080808080808080)) break;
    i += 8;
  }
  while (i < n && s[i] < 0x80) i++;
  L->ascii_end = i;
  if (i >= n) return 1;
  L->ascii_end_known = 1;
  return 0;
}

/* Whether the line's first n bytes (n <= len) are ASCII. */
static inline int ascii_upto(line_t *L, size_t n) {
  if (n <= L->ascii_end) return 1;
  if (L->ascii_end_known) return 0;
  return ascii_extend(L, n);
}

/* Byte offset of code point index cp, clamped to the line (Python clamps pos/endpos). */
static size_t cp_to_byte(line_t *L, int64_t cp) {
  if (cp <= 0) return 0;
  size_t c = (uint64_t)cp < L->len ? (size_t)cp : L->len;
  if (ascii_upto(L, c)) return c;
  int64_t n = 0;
  for (size_t i = 0; i < L->len; i++) {
    if ((L->s[i] & 0xC0) != 0x80) {
      if (n == cp) return i;
      n++;
    }
  }
  return L->len;
}

/* Code point index of byte offset b (the number of code points before it). */
static int64_t byte_to_cp(line_t *L, size_t b) {
  if (b > L->len) b = L->len;
  if (ascii_upto(L, b)) return (int64_t)b;
  int64_t n = 0;
  for (size_t i = 0; i < b; i++)
    if ((L->s[i] & 0xC0) != 0x80) n++;
  return n;
}

/* Python `line[cp:cp+1]` for cp >= -1 as one code point; NO_CHAR outside the line. */
static inline int32_t cp_char(line_t *L, int64_t cp) {
  /* A line has at least as many bytes as code points. */
  if (cp < 0 || (uint64_t)cp >= L->len) return NO_CHAR;
  if (ascii_upto(L, (size_t)cp + 1)) return L->s[cp];
  size_t b = cp_to_byte(L, cp);
  if (b >= L->len) return NO_CHAR;
  size_t next;
  return (int32_t)utf8_decode(L->s, L->len, b, &next);
}

/* Python `line[i]` (negative from the end); 0 = IndexError, which fails the line (LineFault). */
static int py_index(line_t *L, int64_t i, int32_t *out) {
  if (i < 0) {
    int64_t total = byte_to_cp(L, L->len);
    i += total;
    if (i < 0) return 0;
  }
  int32_t c = cp_char(L, i);
  if (c == NO_CHAR) return 0;
  *out = c;
  return 1;
}

/* Runs a one-code-point property regex (no UTF check skip: decoded markers must not match). */
static int cp_matches(const date_detector *d, const pcre2_code *re, uint32_t c) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  unsigned char buf[4];
  size_t n = utf8_encode(c, buf);
  return pcre2_match(re, buf, n, 0, 0, d->small_md, NULL) >= 0;
}

/* Python `str.isalnum()` for one character: letters and numbers (date-detector.ts isAlnum). */
static int is_alnum(const date_detector *d, int32_t c) {
  if (c == NO_CHAR) return 0;
  if (c < 128) return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  return cp_matches(d, d->alnum_re, (uint32_t)c);
}

/*
 * Digit value of a Unicode decimal digit (Python `\d`/int()), -1 if not one. Category Nd comes
 * in runs of ten starting at 0 (strptime.ts decimalValue), so the value is the distance to the
 * start of the run, modulo 10.
 */
static int digit_value(const date_detector *d, uint32_t c) {
  if (c >= '0' && c <= '9') return (int)(c - '0');
  if (c < 128 || !cp_matches(d, d->nd_re, c)) return -1;
  uint32_t start = c;
  /* The longest Nd run (mathematical digits) is 50 long: bound the walk. */
  for (int k = 0; k < 100 && start > 0 && cp_matches(d, d->nd_re, start - 1); k++) start--;
  return (int)((c - start) % 10);
}

/* Python str.isspace() (what int() strips). */
static int py_isspace(uint32_t c) {
  return (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

/* ---------------------------------------------------------------- civil time (civil.ts) */

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

static int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

/* Days since 1970-01-01 of a proleptic Gregorian date (civil.ts daysFromCivil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  int64_t yy = m <= 2 ? y - 1 : y;
  int64_t era = floor_div(yy, 400);
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

typedef struct {
  int64_t year;
  int month, day, hour, minute, second;
} civil_fields;

/* civil.ts civilToFields (whole seconds). */
static civil_fields civil_to_fields(int64_t secs) {
  civil_fields f;
  int64_t z0 = floor_div(secs, 86400);
  int64_t rem = secs - z0 * 86400;
  f.hour = (int)(rem / 3600);
  rem -= (int64_t)f.hour * 3600;
  f.minute = (int)(rem / 60);
  f.second = (int)(rem - (int64_t)f.minute * 60);
  int64_t z = z0 + 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  f.day = (int)(doy - (153 * mp + 2) / 5 + 1);
  f.month = (int)(mp < 10 ? mp + 3 : mp - 9);
  f.year = yoe + era * 400 + (f.month <= 2 ? 1 : 0);
  return f;
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int64_t days_in_month(int64_t y, int64_t m) {
  static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

/* Python datetime(y, m, d, h, mi, s) validity (ValueError otherwise). */
static int is_valid_civil(int64_t y, int64_t m, int64_t d, int64_t h, int64_t mi, int64_t s) {
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m) && h >= 0 &&
         h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
}

/* Python converts datetime()/fromordinal() arguments to C int: OverflowError outside. */
static int fits_c_int(int64_t v) { return v >= INT_MIN && v <= INT_MAX; }

/* The naive datetime range (0001-01-01 .. 9999-12-31 23:59:59) in civil seconds. */
static int in_datetime_range(int64_t civil) {
  return civil >= days_from_civil(1, 1, 1) * 86400 && civil <= days_from_civil(9999, 12, 31) * 86400 + 86399;
}

/* ---------------------------------------------------------------- local zone (local-zone.ts) */

static double to_civil_uncached(double epoch);

/* datetime.fromtimestamp(epoch) as civil seconds (fraction kept), as local-zone.ts toCivil. */
static double to_civil(double epoch) {
  /* Every line asks for `now` (the same value all run long): localtime is pure for one TZ, so
     the last answer is reused (per thread). */
  static _Thread_local double memo_epoch = NAN, memo_civil = NAN;
  if (epoch == memo_epoch) return memo_civil;
  memo_epoch = epoch;
  memo_civil = to_civil_uncached(epoch);
  return memo_civil;
}

/* civil_to_fields of a civil time: asked of `now`'s by every conversion without a year or a
   date, so the last answer is reused (per thread). */
static civil_fields civil_to_fields_memo(int64_t secs) {
  static _Thread_local int memo_valid;
  static _Thread_local int64_t memo_secs;
  static _Thread_local civil_fields memo;
  if (!memo_valid || secs != memo_secs) {
    memo = civil_to_fields(secs);
    memo_secs = secs;
    memo_valid = 1;
  }
  return memo;
}

static int64_t tm_to_civil(const struct tm *tm) {
  return days_from_civil((int64_t)tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday) * 86400 +
         (int64_t)tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

/*
 * localtime_r(t) as civil seconds, with tm_isdst and whether it is a leap second (second 60);
 * 0 when localtime_r fails. From this thread's interval cache when it knows t (zone.h: no lock).
 * isdst and second60 may be NULL.
 */
static int local_civil(int64_t t, int64_t *civil, int *isdst, int *second60) {
  int64_t offset;
  int dst;
  if (zone_offset(t, &offset, &dst)) {
    *civil = t + offset;
    if (isdst) *isdst = dst;
    if (second60) *second60 = 0;
    return 1;
  }
  time_t tt = (time_t)t;
  struct tm tm;
  if (!localtime_r(&tt, &tm)) return 0;
  *civil = tm_to_civil(&tm);
  if (isdst) *isdst = tm.tm_isdst;
  if (second60) *second60 = tm.tm_sec == 60;
  zone_learn(t, *civil - t, &tm);
  return 1;
}

static double to_civil_uncached(double epoch) {
  if (!isfinite(epoch)) return epoch;
  double ms = floor(epoch * 1000.0);
  double sec = floor(ms / 1000.0);
  if (sec < -9.0e15 || sec > 9.0e15) return epoch;
  int64_t wall;
  if (!local_civil((int64_t)sec, &wall, NULL, NULL)) return epoch;
  return (double)wall + (epoch - floor(epoch));
}

/*
 * time.mktime(date_result.timetuple()), tm_isdst = -1, as Python does: glibc's mktime, whose
 * answer depends on a guess it keeps from its previous call (the UTC offset it found then). For
 * most times the guess only saves work, but for a time that occurs twice (a DST fall-back hour)
 * or never (a spring-forward gap) it picks the answer. glibc keeps that guess in one static for
 * the whole process, which two threads would share; so this is glibc's algorithm
 * (time/mktime.c __mktime_internal, restricted to what reaches it here: fields in range,
 * tm_isdst = -1, no leap seconds) with the guess kept in the detector instead. One thread gives
 * glibc's answers call for call, and the guess is date-stage state like the rest of the
 * detector (replayed and compared by a split scan, see main.c).
 */

static py_result civil_to_epoch_uncached(date_detector *d, int64_t civil, double *out) {
  /* glibc: *offset is t - t0 - negative_offset_guess, i.e. the answer minus the civil time. */
  int64_t t0 = civil + d->mktime_offset, t = t0, t1 = t0, t2 = t0, gt, local;
  int remaining_probes = 6, dst2 = 0, isdst, second60;
  for (;;) {
    /* glibc narrows an unconvertible time by bisection; years 1..9999 always convert. */
    if (!local_civil(t, &local, &isdst, &second60)) return PY_FAULT;
    gt = t + (civil - local);
    if (t == gt) break;
    /* Oscillating around a spring-forward gap: take this side (glibc prefers the DST one). */
    if (t == t1 && t != t2 && (isdst < 0 || dst2 <= (isdst != 0))) break;
    if (--remaining_probes == 0) return PY_FAULT; /* mktime returns -1: OverflowError */
    t1 = t2;
    t2 = t;
    t = gt;
    dst2 = isdst != 0;
  }
  d->mktime_offset = t - civil;
  /* A leap second (a "right/" zone) read as second 60 of second 0: glibc adds it back. */
  if (second60 && civil_to_fields(civil).second == 0) t += 1;
  *out = (double)t;
  return PY_OK;
}

static py_result civil_to_epoch(date_detector *d, int64_t civil, double *out) {
  /* Consecutive log lines often carry the same second. mktime of the same input twice in a row
     gives the same answer (glibc's guess for the next call is that answer's own offset), so the
     last one is reused. */
  if (d->mktime_memo_valid && civil == d->mktime_memo_civil) {
    *out = d->mktime_memo_epoch;
    return PY_OK;
  }
  py_result r = civil_to_epoch_uncached(d, civil, out);
  d->mktime_memo_valid = r == PY_OK;
  if (d->mktime_memo_valid) {
    d->mktime_memo_civil = civil;
    d->mktime_memo_epoch = *out;
  }
  return r;
}

/* ---------------------------------------------------------------- strptime.ts */

/* Python int() of a matched group: whitespace, sign, Unicode decimal digits, "_" separators. */
static py_result py_int_general(const date_detector *d, const unsigned char *s, size_t n, int64_t *out) {
  size_t i = 0, next;
  uint32_t c;
  while (i < n) {
    c = utf8_decode(s, n, i, &next);
    if (!py_isspace(c)) break;
    i = next;
  }
  int neg = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    i++;
  }
  int64_t v = 0;
  int digits = 0, underscore = 0;
  while (i < n) {
    c = utf8_decode(s, n, i, &next);
    int dv = digit_value(d, c);
    if (dv >= 0) {
      if (v < INT_SATURATE) v = v * 10 + dv;
      if (v > INT_SATURATE) v = INT_SATURATE;
      digits++;
      underscore = 0;
    } else if (c == '_' && digits > 0 && !underscore) {
      underscore = 1;
    } else {
      break;
    }
    i = next;
  }
  if (digits == 0 || underscore) return PY_VALUE_ERROR;
  while (i < n) {
    c = utf8_decode(s, n, i, &next);
    if (!py_isspace(c)) return PY_VALUE_ERROR;
    i = next;
  }
  *out = neg ? -v : v;
  return PY_OK;
}

/* The ASCII characters Python's str.isspace() accepts. */
static inline int ascii_space(unsigned char c) {
  return c == ' ' || (unsigned)(c - 9) <= 13 - 9 || (unsigned)(c - 0x1C) <= 0x1F - 0x1C;
}

/* py_int_general, first for the usual value: up to 15 ASCII digits (no saturation), maybe
   space-padded (a day " 1"); the same result without decoding. */
static py_result py_int(const date_detector *d, const unsigned char *s, size_t n, int64_t *out) {
  size_t k = 0, end = n;
  while (k < end && ascii_space(s[k])) k++;
  while (end > k && ascii_space(s[end - 1])) end--;
  if (end > k && end - k <= 15) {
    int64_t v = 0;
    size_t i = k;
    for (; i < end; i++) {
      unsigned digit = (unsigned)s[i] - '0';
      if (digit > 9) break;
      v = v * 10 + digit;
    }
    if (i == end) {
      *out = v;
      return PY_OK;
    }
  }
  return py_int_general(d, s, n, out);
}

static const char *const A_MONTH[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const F_MONTH[] = {"january", "february", "march",     "april",   "may",      "june",
                                      "july",    "august",   "september", "october", "november", "december"};
static const char *const A_WEEKDAY[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const F_WEEKDAY[] = {"monday", "tuesday", "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};

/*
 * `list.index(val.lower())` (strptime.ts indexOrValueError). No non-ASCII character lowercases
 * to a string of these names' ASCII letters (Kelvin sign -> "k" is the only non-ASCII -> ASCII
 * lowercase, and no name has a "k"), so a non-ASCII value is never found.
 */
static int name_index(const char *const *list, int count, const unsigned char *s, size_t n) {
  char buf[16];
  if (n == 0 || n >= sizeof buf) return -1;
  for (size_t i = 0; i < n; i++) {
    if (s[i] >= 0x80) return -1;
    buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
  }
  buf[n] = '\0';
  for (int k = 0; k < count; k++)
    if (strcmp(buf, list[k]) == 0) return k;
  return -1;
}

/* fail2ban strptime.py TZ_STR (time-zones.ts), offsets in minutes. */
static const struct {
  const char *abbr;
  int minutes;
} TZ_ABBR[] = {
    {"Y", -720},     {"X", -660},     {"NUT", -660},   {"SST", -660},   {"W", -600},     {"CKT", -600},
    {"HAST", -600},  {"HST", -600},   {"TAHT", -600},  {"TKT", -600},   {"V", -540},     {"AKST", -540},
    {"GAMT", -540},  {"GIT", -540},   {"HADT", -540},  {"HNY", -540},   {"U", -480},     {"AKDT", -480},
    {"CIST", -480},  {"HAY", -480},   {"HNP", -480},   {"PST", -480},   {"PT", -480},    {"T", -420},
    {"HAP", -420},   {"HNR", -420},   {"MST", -420},   {"PDT", -420},   {"S", -360},     {"CST", -360},
    {"EAST", -360},  {"GALT", -360},  {"HAR", -360},   {"HNC", -360},   {"MDT", -360},   {"R", -300},
    {"CDT", -300},   {"COT", -300},   {"EASST", -300}, {"ECT", -300},   {"EST", -300},   {"ET", -300},
    {"HAC", -300},   {"HNE", -300},   {"PET", -300},   {"Q", -240},     {"AST", -240},   {"BOT", -240},
    {"CLT", -240},   {"COST", -240},  {"EDT", -240},   {"FKT", -240},   {"GYT", -240},   {"HAE", -240},
    {"HNA", -240},   {"PYT", -240},   {"P", -180},     {"ADT", -180},   {"ART", -180},   {"BRT", -180},
    {"CLST", -180},  {"FKST", -180},  {"GFT", -180},   {"HAA", -180},   {"PMST", -180},  {"PYST", -180},
    {"SRT", -180},   {"UYT", -180},   {"WGT", -180},   {"O", -120},     {"BRST", -120},  {"FNT", -120},
    {"PMDT", -120},  {"UYST", -120},  {"WGST", -120},  {"N", -60},      {"AZOT", -60},   {"CVT", -60},
    {"EGT", -60},    {"Z", 0},        {"EGST", 0},     {"GMT", 0},      {"UTC", 0},      {"WET", 0},
    {"WT", 0},       {"A", 60},       {"CET", 60},     {"DFT", 60},     {"WAT", 60},     {"WEDT", 60},
    {"WEST", 60},    {"B", 120},      {"CAT", 120},    {"CEDT", 120},   {"CEST", 120},   {"EET", 120},
    {"SAST", 120},   {"WAST", 120},   {"C", 180},      {"EAT", 180},    {"EEDT", 180},   {"EEST", 180},
    {"IDT", 180},    {"MSK", 180},    {"D", 240},      {"AMT", 240},    {"AZT", 240},    {"GET", 240},
    {"GST", 240},    {"KUYT", 240},   {"MSD", 240},    {"MUT", 240},    {"RET", 240},    {"SAMT", 240},
    {"SCT", 240},    {"E", 300},      {"AMST", 300},   {"AQTT", 300},   {"AZST", 300},   {"HMT", 300},
    {"MAWT", 300},   {"MVT", 300},    {"PKT", 300},    {"TFT", 300},    {"TJT", 300},    {"TMT", 300},
    {"UZT", 300},    {"YEKT", 300},   {"F", 360},      {"ALMT", 360},   {"BIOT", 360},   {"BTT", 360},
    {"IOT", 360},    {"KGT", 360},    {"NOVT", 360},   {"OMST", 360},   {"YEKST", 360},  {"G", 420},
    {"CXT", 420},    {"DAVT", 420},   {"HOVT", 420},   {"ICT", 420},    {"KRAT", 420},   {"NOVST", 420},
    {"OMSST", 420},  {"THA", 420},    {"WIB", 420},    {"H", 480},      {"ACT", 480},    {"AWST", 480},
    {"BDT", 480},    {"BNT", 480},    {"CAST", 480},   {"HKT", 480},    {"IRKT", 480},   {"KRAST", 480},
    {"MYT", 480},    {"PHT", 480},    {"SGT", 480},    {"ULAT", 480},   {"WITA", 480},   {"WST", 480},
    {"I", 540},      {"AWDT", 540},   {"IRKST", 540},  {"JST", 540},    {"KST", 540},    {"PWT", 540},
    {"TLT", 540},    {"WDT", 540},    {"WIT", 540},    {"YAKT", 540},   {"K", 600},      {"AEST", 600},
    {"ChST", 600},   {"PGT", 600},    {"VLAT", 600},   {"YAKST", 600},  {"YAPT", 600},   {"L", 660},
    {"AEDT", 660},   {"LHDT", 660},   {"MAGT", 660},   {"NCT", 660},    {"PONT", 660},   {"SBT", 660},
    {"VLAST", 660},  {"VUT", 660},    {"M", 720},      {"ANAST", 720},  {"ANAT", 720},   {"FJT", 720},
    {"GILT", 720},   {"MAGST", 720},  {"MHT", 720},    {"NZST", 720},   {"PETST", 720},  {"PETT", 720},
    {"TVT", 720},    {"WFT", 720},    {"FJST", 780},   {"NZDT", 780},   {"NFT", 690},    {"ACDT", 630},
    {"LHST", 630},   {"ACST", 570},   {"CCT", 390},    {"MMT", 390},    {"NPT", 345},    {"SLT", 330},
    {"AFT", 270},    {"IRDT", 270},   {"IRST", 210},   {"HAT", -150},   {"NDT", -150},   {"HNT", -210},
    {"NST", -210},   {"NT", -210},    {"HLV", -270},   {"VET", -270},   {"MART", -570},  {"MIT", -570},
};

static int tz_abbr_offset(const unsigned char *s, size_t n, int *minutes) {
  if (n == 0) {
    *minutes = 0;
    return 1;
  }
  for (size_t k = 0; k < sizeof TZ_ABBR / sizeof TZ_ABBR[0]; k++) {
    if (strlen(TZ_ABBR[k].abbr) == n && memcmp(TZ_ABBR[k].abbr, s, n) == 0) {
      *minutes = TZ_ABBR[k].minutes;
      return 1;
    }
  }
  return 0;
}

/*
 * strptime.py validateTimeZone + zone2offset (time-zones.ts zoneToOffset): FIXED_OFFSET_TZ_RE
 * `([A-Z](?:[A-Z]{2,4})?)?([+-][01]\d(?::?\d{2})?)?$` anchored at the start (re.match), `\d`
 * Unicode, `$` also before a final "\n". No match: ValueError; unknown abbreviation: KeyError
 * (a fault).
 */
static py_result zone_to_offset(const date_detector *d, const unsigned char *s, size_t n, int *out) {
  if (n > 0 && s[n - 1] == '\n') n--;
  size_t letters = 0;
  while (letters < n && s[letters] >= 'A' && s[letters] <= 'Z') letters++;
  /* The abbreviation is 1 or 3-5 capitals and must be followed by the offset or the end: a
     shorter abbreviation would leave a capital where the offset's sign must be. */
  if (letters == 2 || letters > 5) return PY_VALUE_ERROR;
  const unsigned char *tzo = s + letters;
  size_t tn = n - letters;
  int digits[4] = {0, 0, 0, 0};
  int nd = 0, sign = 1;
  size_t tzo_cps = 0; /* len(tzo) in code points */
  if (tn > 0) {
    size_t i = 0, next;
    uint32_t c = utf8_decode(tzo, tn, i, &next);
    if (c != '+' && c != '-') return PY_VALUE_ERROR;
    sign = c == '-' ? -1 : 1;
    i = next;
    tzo_cps = 1;
    c = utf8_decode(tzo, tn, i, &next);
    if (c != '0' && c != '1') return PY_VALUE_ERROR;
    digits[nd++] = (int)(c - '0');
    i = next;
    tzo_cps++;
    int dv = digit_value(d, utf8_decode(tzo, tn, i, &next));
    if (i >= tn || dv < 0) return PY_VALUE_ERROR;
    digits[nd++] = dv;
    i = next;
    tzo_cps++;
    if (i < tn) {
      c = utf8_decode(tzo, tn, i, &next);
      if (c == ':') {
        i = next;
        tzo_cps++;
      }
      for (int k = 0; k < 2; k++) {
        dv = digit_value(d, utf8_decode(tzo, tn, i, &next));
        if (i >= tn || dv < 0) return PY_VALUE_ERROR;
        digits[nd++] = dv;
        i = next;
        tzo_cps++;
      }
      if (i != tn) return PY_VALUE_ERROR;
    }
  }
  int base;
  if (!tz_abbr_offset(s, letters, &base)) return PY_FAULT; /* KeyError */
  if (tn == 0) {
    *out = base;
  } else if (tzo_cps <= 3) {
    *out = base + sign * (digits[0] * 10 + digits[1]) * 60;
  } else {
    /* tzo[3:5] of "+hhmm" or tzo[4:6] of "+hh:mm": the same two digits */
    *out = base + sign * ((digits[0] * 10 + digits[1]) * 60 + digits[2] * 10 + digits[3]);
  }
  return PY_OK;
}

/* Python 3.11 `_strptime._calc_julian_from_U_or_W` (year already validated). */
static int64_t julian_from_u_or_w(int64_t year, int64_t week, int64_t dow, int week_starts_mon) {
  int64_t first = floor_mod(days_from_civil(year, 1, 1) + 3, 7); /* 1970-01-01 was a Thursday */
  if (!week_starts_mon) {
    first = floor_mod(first + 1, 7);
    dow = floor_mod(dow + 1, 7);
  }
  int64_t week0 = floor_mod(7 - first, 7);
  if (week == 0) return 1 + dow - first;
  return 1 + week0 + 7 * (week - 1) + dow;
}

/* The value of capture g, 0 when it did not participate. */
static inline int group_value(const md_slot *o, const line_t *L, int g, const unsigned char **s, size_t *n) {
  if (g < 0 || (uint32_t)g >= o->pairs) return 0;
  const PCRE2_SIZE *ov = o->ov;
  PCRE2_SIZE a = ov[2 * g], b = ov[2 * g + 1];
  /* PCRE2_UNSET (a capture that did not participate) is above any length. */
  if (a > L->len || b > L->len) return 0;
  *s = L->s + a;
  *n = b > a ? b - a : 0;
  return 1;
}

static void resolve_keys(date_detector *d, int ti) {
  key_info *k = &d->keys[ti];
  if (k->resolved) return;
  plan_template *t = &d->plan->templates[ti];
  k->read_count = 0;
  k->read_first = 1;
  k->read_last = 0;
  for (int j = 0; j < t->key_count; j++) {
    int g = scan_regex_group_number(&t->regex, t->keys[j]);
    k->groups[j] = g;
    if (k->codes[j] == K_OTHER) continue;
    k->read[k->read_count++] = g;
    if (g < 0) continue;
    if (k->read_last < k->read_first) k->read_first = k->read_last = g;
    else if (g < k->read_first) k->read_first = g;
    else if (g > k->read_last) k->read_last = g;
  }
  k->resolved = 1;
}

/* fail2ban strptime.py reGroupDictStrptime (strptime.ts groupsToEpoch), msec=False. */
static py_result groups_to_epoch_uncached(date_detector *d, int ti, const line_t *L, const md_slot *md, double now,
                                          double *out) {
  plan_template *t = &d->plan->templates[ti];
  const key_info *ki = &d->keys[ti];
  int64_t year = 0, month = 0, day = 0, weekday = 0, julian = 0, week = 0;
  int has_year = 0, has_month = 0, has_day = 0, has_weekday = 0, has_julian = 0, has_week = 0;
  int week_starts_mon = 0;
  int has_tz = 0, tzoffset = 0;
  int64_t hour = 0, minute = 0, second = 0;
  /* `found_dict.get('p', '')`: no "p" group = "", a "p" group that did not match = None. */
  int has_p = 0, p_set = 0;
  const unsigned char *pv = NULL;
  size_t pn = 0;
  for (int j = 0; j < t->key_count; j++) {
    if (ki->codes[j] == K_p && ki->groups[j] >= 0) {
      has_p = 1;
      p_set = group_value(md, L, ki->groups[j], &pv, &pn);
      break;
    }
  }
  py_result r;
  for (int j = 0; j < t->key_count; j++) {
    int code = ki->codes[j];
    if (code == K_OTHER || code == K_p) continue;
    const unsigned char *v;
    size_t vn;
    if (!group_value(md, L, ki->groups[j], &v, &vn)) continue; /* `if val is None: continue` */
    int idx;
    switch (code) {
      case K_y:
        if ((r = py_int(d, v, vn, &year)) != PY_OK) return r;
        if (year <= 2000) year += 2000;
        has_year = 1;
        break;
      case K_Y:
        if ((r = py_int(d, v, vn, &year)) != PY_OK) return r;
        has_year = 1;
        break;
      case K_m:
        if ((r = py_int(d, v, vn, &month)) != PY_OK) return r;
        has_month = 1;
        break;
      case K_B:
      case K_b:
        idx = code == K_B ? name_index(F_MONTH, 12, v, vn) : name_index(A_MONTH, 12, v, vn);
        if (idx < 0) return PY_VALUE_ERROR;
        month = idx + 1;
        has_month = 1;
        break;
      case K_d:
        if ((r = py_int(d, v, vn, &day)) != PY_OK) return r;
        has_day = 1;
        break;
      case K_H:
        if ((r = py_int(d, v, vn, &hour)) != PY_OK) return r;
        break;
      case K_I: {
        if ((r = py_int(d, v, vn, &hour)) != PY_OK) return r;
        if (has_p && !p_set) return PY_FAULT; /* None.lower(): AttributeError */
        char ampm[3] = {0, 0, 0};
        int empty = !has_p || pn == 0;
        if (!empty && pn == 2 && pv[0] < 0x80 && pv[1] < 0x80) {
          ampm[0] = (char)(pv[0] >= 'A' && pv[0] <= 'Z' ? pv[0] + 32 : pv[0]);
          ampm[1] = (char)(pv[1] >= 'A' && pv[1] <= 'Z' ? pv[1] + 32 : pv[1]);
        }
        if (empty || strcmp(ampm, "am") == 0) {
          if (hour == 12) hour = 0;
        } else if (strcmp(ampm, "pm") == 0) {
          if (hour != 12) hour += 12;
        }
        break;
      }
      case K_M:
        if ((r = py_int(d, v, vn, &minute)) != PY_OK) return r;
        break;
      case K_S:
        if ((r = py_int(d, v, vn, &second)) != PY_OK) return r;
        break;
      case K_A:
      case K_a:
        idx = code == K_A ? name_index(F_WEEKDAY, 7, v, vn) : name_index(A_WEEKDAY, 7, v, vn);
        if (idx < 0) return PY_VALUE_ERROR;
        weekday = idx;
        has_weekday = 1;
        break;
      case K_w:
        if ((r = py_int(d, v, vn, &weekday)) != PY_OK) return r;
        weekday -= 1;
        if (weekday < 0) weekday = 6;
        has_weekday = 1;
        break;
      case K_j:
        if ((r = py_int(d, v, vn, &julian)) != PY_OK) return r;
        has_julian = 1;
        break;
      case K_U:
      case K_W:
        if ((r = py_int(d, v, vn, &week)) != PY_OK) return r;
        week_starts_mon = code == K_W;
        has_week = 1;
        break;
      case K_z:
      case K_Z:
        if ((vn == 1 && v[0] == 'Z') || (vn == 3 && (memcmp(v, "UTC", 3) == 0 || memcmp(v, "GMT", 3) == 0))) {
          tzoffset = 0;
        } else {
          if ((r = zone_to_offset(d, v, vn, &tzoffset)) != PY_OK) return r;
        }
        has_tz = 1;
        break;
      default:
        break;
    }
  }
  double now_civil = to_civil(now);
  int assume_year = 0;
  if (!has_year) {
    year = civil_to_fields_memo((int64_t)floor(now_civil)).year;
    has_year = 1;
    assume_year = 1;
  }
  if (!has_month || !has_day) {
    if (!has_julian && has_week && has_weekday) {
      /* datetime_date(year, 1, 1) */
      if (!fits_c_int(year)) return PY_FAULT;
      if (year < 1 || year > 9999) return PY_VALUE_ERROR;
      julian = julian_from_u_or_w(year, week, weekday, week_starts_mon);
      has_julian = 1;
    }
    if (has_julian) {
      /* datetime.fromordinal((julian - 1) + datetime(year, 1, 1).toordinal()) */
      if (!fits_c_int(year)) return PY_FAULT;
      if (year < 1 || year > 9999) return PY_VALUE_ERROR;
      int64_t ordinal = julian - 1 + days_from_civil(year, 1, 1) + 719163;
      if (!fits_c_int(ordinal)) return PY_FAULT;
      if (ordinal < 1 || ordinal > 3652059) return PY_VALUE_ERROR;
      civil_fields f = civil_to_fields((ordinal - 719163) * 86400);
      year = f.year;
      month = f.month;
      day = f.day;
      has_month = has_day = 1;
    }
  }
  int assume_today = 0;
  if (!has_month && !has_day) {
    civil_fields f = civil_to_fields_memo((int64_t)floor(now_civil));
    month = f.month;
    day = f.day;
    has_month = has_day = 1;
    assume_today = 1;
  }
  /* datetime(year, month, day, hour, minute, second): arguments convert in order (None is a
     TypeError, a value outside a C int an OverflowError: faults), then are validated. */
  if (!fits_c_int(year) || !has_month || !fits_c_int(month) || !has_day || !fits_c_int(day) ||
      !fits_c_int(hour) || !fits_c_int(minute) || !fits_c_int(second))
    return PY_FAULT;
  if (!is_valid_civil(year, month, day, hour, minute, second)) return PY_VALUE_ERROR;
  int64_t result = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  if (!has_tz && d->plan->has_default_tz) {
    tzoffset = d->plan->default_tz_minutes;
    has_tz = 1;
  }
  if (has_tz) {
    result -= (int64_t)tzoffset * 60;
    if (!in_datetime_range(result)) return PY_FAULT; /* datetime - timedelta: OverflowError */
  }
  if (assume_today && (double)result > now_civil) {
    result -= 86400;
    if (!in_datetime_range(result)) return PY_FAULT;
  }
  if (assume_year && (double)result > now_civil + 86400.0) {
    /* date_result.replace(year=year-1, month=month, day=day) keeps the (zone-shifted) time */
    if (!is_valid_civil(year - 1, month, day, 0, 0, 0)) return PY_VALUE_ERROR;
    result = days_from_civil(year - 1, month, day) * 86400 + floor_mod(result, 86400);
  }
  if (has_tz) {
    *out = (double)result; /* calendar.timegm(date_result.utctimetuple()) */
    return PY_OK;
  }
  return civil_to_epoch(d, result, out);
}

/*
 * The key of a conversion: the value of every group groups_to_epoch_uncached may read, in key
 * order (2-byte length, or 0xFFFF for a group that did not participate, then the bytes). For one
 * template this determines the group values, so equal keys mean equal inputs. 0 when the
 * values are too long to be worth keeping.
 */
static size_t encode_epoch_key(const key_info *ki, const line_t *L, const md_slot *o,
                               unsigned char key[EPOCH_KEY_MAX]) {
  size_t k = 0;
  for (int j = 0; j < ki->read_count; j++) {
    const unsigned char *v;
    size_t vn;
    int set = group_value(o, L, ki->read[j], &v, &vn);
    if (k + 2 + (set ? vn : 0) > EPOCH_KEY_MAX) return 0;
    key[k++] = set ? (unsigned char)(vn >> 8) : 0xFF;
    key[k++] = set ? (unsigned char)vn : 0xFF;
    if (set) {
      memcpy(key + k, v, vn);
      k += vn;
    }
  }
  return k;
}

/* The number of ovector pairs memo_spans keeps for the template of ki, or -1 when too many. */
static int span_pairs(const key_info *ki, const md_slot *o) {
  if (ki->read_last < ki->read_first) return 0;
  if ((uint32_t)ki->read_last >= o->pairs || ki->read_last - ki->read_first >= EPOCH_SPAN_PAIRS) return -1;
  return ki->read_last - ki->read_first + 1;
}

/* Keeps the memoized conversion's groups by position (see groups_to_epoch), when they fit. */
static void memo_spans(date_detector *d, const key_info *ki, const line_t *L, const md_slot *o) {
  d->epoch_memo_spans = 0;
  int pairs = span_pairs(ki, o);
  if (pairs < 0) return;
  size_t lo = SIZE_MAX, hi = 0;
  for (int j = 0; j < ki->read_count; j++) {
    const unsigned char *v;
    size_t vn;
    if (!group_value(o, L, ki->read[j], &v, &vn)) continue;
    size_t a = (size_t)(v - L->s);
    if (a < lo) lo = a;
    if (a + vn > hi) hi = a + vn;
  }
  if (lo > hi) lo = hi = 0;
  if (hi - lo > EPOCH_KEY_MAX) return;
  if (pairs > 0) memcpy(d->epoch_memo_ov, o->ov + 2 * ki->read_first, 2 * (size_t)pairs * sizeof(PCRE2_SIZE));
  memcpy(d->epoch_memo_span, L->s + lo, hi - lo);
  d->epoch_memo_span_start = lo;
  d->epoch_memo_span_len = hi - lo;
  d->epoch_memo_spans = 1;
}

/* Whether the groups are where memo_spans saw them, with the same bytes there. */
static int same_spans(const date_detector *d, const key_info *ki, const line_t *L, const md_slot *o) {
  if (!d->epoch_memo_spans) return 0;
  int pairs = span_pairs(ki, o);
  if (pairs < 0) return 0;
  if (pairs > 0 && memcmp(d->epoch_memo_ov, o->ov + 2 * ki->read_first, 2 * (size_t)pairs * sizeof(PCRE2_SIZE)) != 0)
    return 0;
  size_t start = d->epoch_memo_span_start, n = d->epoch_memo_span_len;
  return start <= L->len && n <= L->len - start && memcmp(L->s + start, d->epoch_memo_span, n) == 0;
}

/*
 * groups_to_epoch_uncached, reusing the previous call's answer when it had the same inputs: logs
 * repeat the same second over many consecutive lines. Its result depends only on the template,
 * the values of the groups it reads, `now` and the process's fixed settings (zone, plan) --
 * except for mktime, whose answer for an ambiguous local time may depend on glibc's guess from
 * its previous call. So only the immediately previous conversion is reused, and only when it
 * succeeded: it was then also the last one to reach civil_to_epoch, whose own memo would have
 * answered the same. Any other outcome clears the memo.
 *
 * The values are compared by their key (encode_epoch_key); first, more cheaply, by position:
 * when every read group spans the same offsets as in the memoized line, and the bytes they
 * cover there are the same, so is every value (a date at the same place in the line, the
 * usual case, needs no key).
 */
static py_result groups_to_epoch(date_detector *d, int ti, const line_t *L, const md_slot *o, double now,
                                 double *out) {
  resolve_keys(d, ti);
  const key_info *ki = &d->keys[ti];
  int same_call =
      d->epoch_memo_valid && d->epoch_memo_tmpl == ti && memcmp(&d->epoch_memo_now, &now, sizeof now) == 0;
  if (same_call && same_spans(d, ki, L, o)) {
    *out = d->epoch_memo_out;
    return PY_OK;
  }
  unsigned char key[EPOCH_KEY_MAX];
  size_t klen = encode_epoch_key(ki, L, o, key);
  if (same_call && klen > 0 && d->epoch_memo_len == klen && memcmp(d->epoch_memo_key, key, klen) == 0) {
    memo_spans(d, ki, L, o);
    *out = d->epoch_memo_out;
    return PY_OK;
  }
  py_result r = groups_to_epoch_uncached(d, ti, L, o, now, out);
  d->epoch_memo_valid = r == PY_OK && klen > 0;
  if (d->epoch_memo_valid) {
    d->epoch_memo_tmpl = ti;
    d->epoch_memo_now = now;
    d->epoch_memo_out = *out;
    d->epoch_memo_len = klen;
    memcpy(d->epoch_memo_key, key, klen);
    memo_spans(d, ki, L, o);
  }
  return r;
}

/* ---------------------------------------------------------------- date-template.ts getDate */

/* DateEpoch.getDate: Python float() of the number (Unicode digits allowed), long-epoch scaling. */
static py_result epoch_value(const date_detector *d, const plan_template *t, const line_t *L, const md_slot *o,
                             double *out) {
  const unsigned char *v;
  size_t vn;
  if (!group_value(o, L, t->group, &v, &vn)) return PY_VALUE_ERROR;
  /* The digits without the point, then "e-<fraction length>": the same decimal number for
     strtod, whatever the locale's radix character. */
  char small[64];
  size_t cap = vn + 32; /* the digits plus "e-<fraction length>" */
  char *buf = cap <= sizeof small ? small : malloc(cap);
  if (!buf) return PY_VALUE_ERROR;
  size_t bn = 0, cps = 0, frac = 0, i = 0, next;
  int dots = 0, digits = 0;
  py_result r = PY_OK;
  while (i < vn) {
    uint32_t c = utf8_decode(v, vn, i, &next);
    i = next;
    cps++;
    if (c == '.') {
      dots++;
      continue;
    }
    int dv = digit_value(d, c);
    if (dv < 0) {
      r = PY_VALUE_ERROR;
      break;
    }
    buf[bn++] = (char)('0' + dv);
    digits++;
    if (dots) frac++;
  }
  if (r == PY_OK && (digits == 0 || dots > 1)) r = PY_VALUE_ERROR;
  if (r == PY_OK) {
    int w = snprintf(buf + bn, cap - bn, "e-%zu", frac);
    if (w < 0 || (size_t)w >= cap - bn) r = PY_VALUE_ERROR;
  }
  if (r == PY_OK) {
    double n = strtod(buf, NULL);
    /* `len(v)` counts code points (Python str). */
    if (t->kind == TEMPLATE_LONG_EPOCH && cps >= 13) {
      if (cps >= 16 && dots == 0)
        n = n / 1000000;
      else
        n = n / 1000;
    }
    *out = n;
  }
  if (buf != small) free(buf);
  return r;
}

/* DateTai64n.getDate: int(value[2:17], 16) of group 1. */
static py_result tai64n_value(const line_t *L, const md_slot *o, double *out) {
  const unsigned char *v;
  size_t vn;
  if (!group_value(o, L, 1, &v, &vn)) return PY_VALUE_ERROR;
  if (vn <= 2) return PY_VALUE_ERROR;
  uint64_t x = 0;
  size_t end = vn < 17 ? vn : 17;
  for (size_t i = 2; i < end; i++) {
    unsigned char c = v[i];
    int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (h < 0) return PY_VALUE_ERROR;
    x = (x << 4) | (uint64_t)h;
  }
  *out = (double)x;
  return PY_OK;
}

/* ---------------------------------------------------------------- the detector */

static void free_md(md_slot *m) {
  if (m->md) pcre2_match_data_free(m->md);
  m->md = NULL;
  m->ov = NULL;
  m->pairs = 0;
}

/* A match data block of `pairs` pairs into m (NULL md when out of memory). */
static void new_md(md_slot *m, uint32_t pairs) {
  m->md = pcre2_match_data_create(pairs, NULL);
  m->ov = m->md ? pcre2_get_ovector_pointer(m->md) : NULL;
  m->pairs = m->md ? pcre2_get_ovector_count(m->md) : 0;
}

/* -1: adaptive (next_k); 0: no memo; else the prefix length always tried. */
static int memo_prefix = -1;

void date_detector_set_memo_prefix(int n) { memo_prefix = n; }

/* Keeps a search decided by line[0..k) (see template_memo); on no memory, keeps nothing. */
/* Only the template's own groups are kept (need = capture count + 1): nothing reads others. */
static void store_memo(template_memo *m, const line_t *L, size_t pos, size_t k, int rc, const md_slot *cur,
                       uint32_t need) {
  m->valid = 0;
  if (rc == 1 && m->ov_pairs < need) {
    PCRE2_SIZE *ov = realloc(m->ov, 2 * need * sizeof *ov);
    if (!ov) return;
    m->ov = ov;
  }
  if (rc == 1) {
    memcpy(m->ov, cur->ov, 2 * need * sizeof *m->ov);
    m->ov_pairs = need;
  }
  memcpy(m->bytes, L->s, k);
  m->pos = pos;
  m->k = k;
  m->rc = rc;
  m->valid = 1;
}

/*
 * `template.matchDate(line, pos, endpos)`: Python `regex.search(line, pos, endpos)` (byte
 * offsets here) into d->cur, counting the template's search hits. 1 / 0 / -1 (limit or error).
 */
static int match_date(date_detector *d, int ti, line_t *L, size_t pos, size_t endpos) {
  plan_template *t = &d->plan->templates[ti];
  if (!d->compiled[ti]) {
    /* Templates compile on first use, under regex.c's lock: another thread's detector may
       compile the same one. This detector reads `code` only once it has been through here. */
    char err[300];
    if (scan_regex_compile(&t->regex, err, sizeof err) != 0) return -1;
    d->compiled[ti] = 1;
  }
  uint32_t need = (uint32_t)t->regex.capture_count + 1;
  if (d->cur.pairs < need) {
    free_md(&d->cur);
    new_md(&d->cur, need);
    if (!d->cur.md) return -1;
  }
  if (endpos > L->len) endpos = L->len;
  /* The search sees line[0..endpos): ASCII there is enough for the ASCII variant. */
  int ascii = ascii_upto(L, endpos);
  template_memo *m = &d->memo[ti];
  int rc;
  if (m->valid && m->pos == pos && m->k <= endpos && memcmp(L->s, m->bytes, m->k) == 0) {
    rc = m->rc;
    if (rc == 1) {
      /* The template's groups go where the search would have put them (md_slot's pointer is
         read-only; cur has room for them, see above). */
      memcpy(pcre2_get_ovector_pointer(d->cur.md), m->ov, 2 * need * sizeof *m->ov);
    }
  } else {
    rc = 2;
    if (m->anchored < 0) m->anchored = (signed char)scan_regex_is_anchored(&t->regex);
    size_t k = memo_prefix > 0 ? (size_t)memo_prefix : m->next_k > pos + 1 ? m->next_k : pos + 1;
    int partial = 0;
    if (memo_prefix != 0 && m->anchored && pos < k && k < endpos && k <= TEMPLATE_MEMO_MAX) {
      rc = scan_regex_search_prefix(&t->regex, (const char *)L->s, k, pos, ascii, d->cur.md);
      if (rc == 0 || rc == 1) store_memo(m, L, pos, k, rc, &d->cur, need);
      /* The template wanted bytes past k: a wider margin from now on (see template_memo). */
      partial = rc == 2 && memo_prefix < 0;
      if (partial) m->margin = m->margin * 2 < TEMPLATE_MEMO_MAX ? m->margin * 2 : TEMPLATE_MEMO_MAX;
    }
    if (rc == 2) rc = scan_regex_search(&t->regex, (const char *)L->s, endpos, pos, ascii, d->cur.md);
    /* k for the next line: past this match by the margin; without a match (a partial prefix
       that the whole line did not match), past this k by it. */
    size_t next = rc == 1 ? d->cur.ov[1] + m->margin : partial ? k + m->margin : 0;
    if (next) m->next_k = next < TEMPLATE_MEMO_MAX ? next : TEMPLATE_MEMO_MAX;
  }
  if (rc == 1) {
    d->search_hits[ti]++;
    return 1;
  }
  return rc == 0 ? 0 : -1;
}

static void swap_md(date_detector *d) {
  md_slot tmp = d->cur;
  d->cur = d->found;
  d->found = tmp;
}

static double weight_of(const date_detector *d, const dd_entry *e) {
  double dist = e->distance > 1 ? (double)e->distance : 1.0;
  return (double)e->hits * d->plan->templates[e->tmpl].weight / dist;
}

/* `_moveable()` of _reorderTemplate: heavier than the template at pos, or pos long unused. */
static int moveable(const date_detector *d, int pos, double weight, double untime) {
  return weight > weight_of(d, &d->order[pos]) || untime > d->order[pos].last_used;
}

/* `DateDetector._reorderTemplate` (date-detector.ts reorderTemplate). */
static int reorder_template(date_detector *d, int num) {
  if (num <= 0 || num >= d->count) return num;
  dd_entry moving = d->order[num];
  double untime = moving.last_used - UNUSED_TIME;
  double weight = weight_of(d, &moving);
  int pos = d->first_unused < num ? d->first_unused : num / 2;
  if (!moveable(d, pos, weight, untime)) {
    if (pos == num - 1) return num;
    pos = num - 1;
    if (!moveable(d, pos, weight, untime)) return num;
  }
  memmove(&d->order[pos + 1], &d->order[pos], (size_t)(num - pos) * sizeof d->order[0]);
  d->order[pos] = moving;
  while (d->first_unused < d->count && d->order[d->first_unused].hits) d->first_unused++;
  return pos;
}

/* Where the winning match is. */
typedef enum { WIN_NONE, WIN_CUR, WIN_FOUND } win_slot;

/*
 * `DateDetector.matchTime` (datedetector.py L331-456, date-detector.ts matchTime), decision for
 * decision. Returns 0 (the winner in *slot, its plan template in *tmpl; WIN_NONE: no date),
 * 1 (LineFault: IndexError while remembering the position) or -1 (regex limit/error).
 */
static int match_time(date_detector *d, line_t *L, double now, win_slot *slot, int *tmpl) {
  const int count = d->count;
  const plan_template *tp = d->plan->templates;
  win_slot match = WIN_NONE;
  int have_found = 0;
  int64_t found_distance = MAXINT, found_endpos = MAXINT;
  int found_idx = -1;
  int ignore_by_search = MAXINT;
  int i = d->last_templ_idx;
  dd_entry *ddt = NULL;
  int64_t distance = 0, endpos = 0;
  int rc;
  int line_anchored_last = 0;
  *slot = WIN_NONE;
  d->fast_hit = 0;
  if (i < count) {
    ddt = &d->order[i];
    const plan_template *t = &tp[ddt->tmpl];
    if (t->flags & (PLAN_LINE_BEGIN | PLAN_LINE_END)) {
      rc = match_date(d, ddt->tmpl, L, 0, L->len);
      ignore_by_search = i;
      line_anchored_last = 1;
    } else {
      distance = d->last_pos_distance;
      endpos = d->last_end_pos;
      /* Same boundaries left and right (outside equal, or inside equal and not alnum). */
      if ((cp_char(L, distance - 1) == d->last_pos_before ||
           (cp_char(L, distance) == d->last_pos_at && !is_alnum(d, d->last_pos_at))) &&
          (cp_char(L, endpos) == d->last_end_after ||
           (cp_char(L, endpos - 1) == d->last_end_last && !is_alnum(d, d->last_end_last)))) {
        rc = match_date(d, ddt->tmpl, L, cp_to_byte(L, distance), cp_to_byte(L, endpos));
      } else {
        rc = match_date(d, ddt->tmpl, L, 0, L->len);
        ignore_by_search = i;
      }
    }
    if (rc < 0) return -1;
    if (rc == 1) {
      const PCRE2_SIZE *ov = d->cur.ov;
      distance = byte_to_cp(L, ov[0]);
      endpos = byte_to_cp(L, ov[1]);
      match = WIN_CUR;
      if (!(count == 1 || (t->flags & (PLAN_LINE_BEGIN | PLAN_LINE_END)) ||
            (distance == d->last_pos_distance && endpos == d->last_end_pos))) {
        /* last pattern collision: reserve it and search */
        swap_md(d);
        have_found = 1;
        found_distance = distance;
        found_endpos = endpos;
        found_idx = i;
        match = WIN_NONE;
      }
    }
  }
  if (match == WIN_NONE) {
    i = 0;
    for (int k = 0; k < count; k++) {
      ddt = &d->order[k];
      if (i == ignore_by_search) {
        i++;
        continue;
      }
      const plan_template *t = &tp[ddt->tmpl];
      rc = match_date(d, ddt->tmpl, L, 0, L->len);
      if (rc < 0) return -1;
      if (rc == 1) {
        const PCRE2_SIZE *ov = d->cur.ov;
        distance = byte_to_cp(L, ov[0]);
        endpos = byte_to_cp(L, ov[1]);
        match = WIN_CUR;
        if (i + 1 >= count) break;
        if (t->flags & (PLAN_LINE_BEGIN | PLAN_LINE_END)) break;
        /* stop if the next template is still unused but this one had hits */
        if (distance == 0 && ddt->hits != 0 && d->search_hits[d->order[i + 1].tmpl] == 0) break;
        if (distance > ddt->distance || distance > d->last_pos_distance) {
          /* distance collision: keep the nearest and search further */
          if (distance < found_distance) {
            swap_md(d);
            have_found = 1;
            found_distance = distance;
            found_endpos = endpos;
            found_idx = i;
          }
          match = WIN_NONE;
          i++;
          continue;
        }
        break;
      }
      i++;
    }
    if (match == WIN_NONE && have_found) {
      match = WIN_FOUND;
      distance = found_distance;
      endpos = found_endpos;
      i = found_idx;
      ddt = &d->order[i];
    }
  }
  if (match == WIN_NONE || ddt == NULL) return 0;
  d->fast_hit = line_anchored_last && match == WIN_CUR && i == d->last_templ_idx;
  ddt->hits += 1;
  ddt->last_used = now;
  ddt->distance = distance;
  if (d->first_unused == i) d->first_unused += 1;
  d->last_pos_distance = distance;
  d->last_end_pos = endpos;
  /* `line[distance-1:distance], line[distance]`, `line[endpos-1], line[endpos:endpos+1]`: the
     indexing may raise IndexError (an empty match at the end), which fails the line. The order
     of the assignments is the TS one (date-detector.ts). */
  d->last_pos_before = cp_char(L, distance - 1);
  int32_t c;
  if (!py_index(L, distance, &c)) return 1;
  d->last_pos_at = c;
  if (!py_index(L, endpos - 1, &c)) return 1;
  d->last_end_last = c;
  d->last_end_after = cp_char(L, endpos);
  *tmpl = ddt->tmpl;
  if (i != 0 && i != d->last_templ_idx) i = reorder_template(d, i);
  d->last_templ_idx = i;
  *slot = match;
  return 0;
}

static key_code key_code_of(const char *k) {
  static const struct {
    const char *name;
    key_code code;
  } map[] = {{"y", K_y}, {"Y", K_Y}, {"m", K_m}, {"B", K_B}, {"b", K_b}, {"d", K_d}, {"H", K_H},
             {"I", K_I}, {"M", K_M}, {"S", K_S}, {"A", K_A}, {"a", K_a}, {"w", K_w}, {"j", K_j},
             {"U", K_U}, {"W", K_W}, {"z", K_z}, {"Z", K_Z}, {"p", K_p}};
  if (!k) return K_OTHER;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(k, map[i].name) == 0) return map[i].code;
  return K_OTHER;
}

static pcre2_code *compile_helper(const char *pattern) {
  int err;
  PCRE2_SIZE off;
  return pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &err,
                       &off, NULL);
}

date_detector *date_detector_new(scan_plan *plan) {
  if (!plan || plan->template_count < 0) return NULL;
  date_detector *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->plan = plan;
  d->count = plan->template_count;
  size_t n = d->count > 0 ? (size_t)d->count : 1;
  d->order = calloc(n, sizeof *d->order);
  d->search_hits = calloc(n, sizeof *d->search_hits);
  d->compiled = calloc(n, 1);
  d->memo = calloc(n, sizeof *d->memo);
  for (size_t i = 0; d->memo && i < n; i++) {
    d->memo[i].anchored = -1;
    d->memo[i].next_k = 40; /* no match yet: a date and a little */
    d->memo[i].margin = MEMO_MARGIN_MIN;
  }
  d->keys = calloc(n, sizeof *d->keys);
  d->alnum_re = compile_helper("[\\p{L}\\p{N}]");
  d->nd_re = compile_helper("\\p{Nd}");
  d->small_md = pcre2_match_data_create(1, NULL);
  new_md(&d->cur, MD_INITIAL_PAIRS);
  new_md(&d->found, MD_INITIAL_PAIRS);
  if (!d->order || !d->search_hits || !d->compiled || !d->memo || !d->keys || !d->alnum_re || !d->nd_re || !d->small_md || !d->cur.md ||
      !d->found.md) {
    date_detector_free(d);
    return NULL;
  }
  for (int i = 0; i < d->count; i++) {
    d->order[i].tmpl = i;
    d->order[i].distance = MAXINT;
    const plan_template *t = &plan->templates[i];
    if (t->kind == TEMPLATE_PATTERN && t->key_count > 0) {
      d->keys[i].codes = calloc((size_t)t->key_count, sizeof(int));
      d->keys[i].groups = calloc((size_t)t->key_count, sizeof(int));
      d->keys[i].read = calloc((size_t)t->key_count, sizeof(int));
      if (!d->keys[i].codes || !d->keys[i].groups || !d->keys[i].read) {
        date_detector_free(d);
        return NULL;
      }
      for (int j = 0; j < t->key_count; j++) d->keys[i].codes[j] = key_code_of(t->keys[j]);
    }
  }
  /* `__lastPos = 1, None`, `__lastEndPos = 0x7fffffff, None` */
  d->last_pos_distance = 1;
  d->last_pos_before = d->last_pos_at = NO_CHAR;
  d->last_end_pos = MAXINT;
  d->last_end_last = d->last_end_after = NO_CHAR;
  d->last_templ_idx = MAXINT;
  d->first_unused = 0;
  tzset(); /* localtime_r need not read TZ itself */
  return d;
}

/*
 * The template memo of `tmpl` holds a match decided by line[0..k), k <= len: the template's
 * search on this line gives that match.
 */
static int memo_decides(const date_detector *d, int tmpl, const unsigned char *line, size_t len) {
  const template_memo *m = &d->memo[tmpl];
  return m->valid && m->rc == 1 && m->pos == 0 && m->k <= len && memcmp(line, m->bytes, m->k) == 0;
}

/*
 * The stage memo (date_detector's `stage`) answers this line. It was kept after a line L0 whose
 * date stage took match_time's fast path (the last, line-anchored template matched again, at
 * order index i; nothing else was searched or moved) with a match its template memo decided on
 * L0's first k bytes, and converted that match through the epoch memo. Since then only lines
 * answered here have passed, and they changed nothing the fast path reads (hits, use times). This
 * line starts with the same k bytes, `now` is the same and the last template is still i: its
 * search gives the same match, every character the stage reads lies inside it or just after (the
 * match ends MEMO_MARGIN_MIN = 4 bytes or more before k, so the character after it lies whole in
 * the k bytes), the conversion finds the same values in the epoch memo — so the answer and the
 * state changes are L0's, made here without the searches.
 */
static int stage_hit(date_detector *d, const unsigned char *line, size_t len, double now, date_match *out) {
  if (!d->stage.valid || memcmp(&d->stage.now, &now, sizeof now) != 0 || d->last_templ_idx != d->stage.order_idx ||
      d->order[d->stage.order_idx].tmpl != d->stage.tmpl || !memo_decides(d, d->stage.tmpl, line, len))
    return 0;
  dd_entry *e = &d->order[d->stage.order_idx];
  d->search_hits[d->stage.tmpl]++;
  e->hits += 1;
  e->last_used = now;
  e->distance = d->stage.distance;
  if (d->first_unused == d->stage.order_idx) d->first_unused += 1;
  d->last_pos_distance = d->stage.distance;
  d->last_end_pos = d->stage.endpos;
  d->last_pos_before = d->stage.pos_before;
  d->last_pos_at = d->stage.pos_at;
  d->last_end_last = d->stage.end_last;
  d->last_end_after = d->stage.end_after;
  *out = d->stage.out;
  out->steady = 1;
  return 1;
}

/* Keeps this line's date stage for stage_hit when it qualifies (see there). */
static void stage_keep(date_detector *d, const unsigned char *line, size_t len, double now, int ti,
                       const date_match *out) {
  const template_memo *m = &d->memo[ti];
  if (memo_prefix == 0 || !d->fast_hit || !out->has_time || out->fault || !memo_decides(d, ti, line, len) ||
      m->ov[1] + MEMO_MARGIN_MIN > m->k || !d->epoch_memo_valid || d->epoch_memo_tmpl != ti)
    return;
  d->stage.order_idx = d->last_templ_idx;
  d->stage.tmpl = ti;
  d->stage.now = now;
  d->stage.out = *out;
  d->stage.distance = d->last_pos_distance;
  d->stage.endpos = d->last_end_pos;
  d->stage.pos_before = d->last_pos_before;
  d->stage.pos_at = d->last_pos_at;
  d->stage.end_last = d->last_end_last;
  d->stage.end_after = d->last_end_after;
  d->stage.valid = 1;
}

int date_detector_match(date_detector *d, const char *line, size_t len, int ascii, double now, date_match *out) {
  memset(out, 0, sizeof *out);
  if (stage_hit(d, (const unsigned char *)line, len, now, out)) return 0;
  d->stage.valid = 0;
  /* The reader knows whether the whole line is ASCII; otherwise the prefix is found as needed. */
  line_t L = {(const unsigned char *)line, len, ascii ? len : 0, ascii ? 1 : 0};
  win_slot slot;
  int ti = -1;
  int rc = match_time(d, &L, now, &slot, &ti);
  if (rc < 0) return -1;
  if (rc == 1) {
    /* LineFault (date-detector.ts match): start = end = 0 */
    out->found = 1;
    out->fault = 1;
    return 0;
  }
  if (slot == WIN_NONE || ti < 0) return 0;
  const md_slot *md = slot == WIN_CUR ? &d->cur : &d->found;
  out->found = 1;
  out->steady = d->fast_hit;
  const unsigned char *g1;
  size_t g1n;
  if (group_value(md, &L, 1, &g1, &g1n)) {
    out->start = (size_t)(g1 - L.s);
    out->end = out->start + g1n;
  } else {
    /* m.start(1) == m.end(1) == -1: fail2ban's line[:-1] + line[-1:] is the line cut at the
       last code point's start, with nothing removed. */
    size_t b = len;
    if (b > 0) b--;
    while (b > 0 && (L.s[b] & 0xC0) == 0x80) b--;
    out->start = out->end = b;
  }
  if (out->start == out->end) return 0; /* nothing cut, no time ({NONE} and the like) */
  const plan_template *t = &d->plan->templates[ti];
  double time = 0;
  py_result r;
  switch (t->kind) {
    case TEMPLATE_PATTERN:
      r = groups_to_epoch(d, ti, &L, md, now, &time);
      break;
    case TEMPLATE_EPOCH:
    case TEMPLATE_LONG_EPOCH:
      r = epoch_value(d, t, &L, md, &time);
      break;
    case TEMPLATE_TAI64N:
      r = tai64n_value(&L, md, &time);
      break;
    default:
      r = PY_VALUE_ERROR;
      break;
  }
  if (r == PY_FAULT) {
    out->fault = 1;
  } else if (r == PY_OK) {
    out->has_time = 1;
    out->time = time;
    if (t->kind == TEMPLATE_PATTERN && slot == WIN_CUR) stage_keep(d, L.s, len, now, ti, out);
  }
  return 0;
}

void date_detector_dump(const date_detector *d, FILE *to) {
  fprintf(to, "date detector: last %d first-unused %d pos %lld %ld %ld end %lld %ld %ld\n", d->last_templ_idx,
          d->first_unused, (long long)d->last_pos_distance, (long)d->last_pos_before, (long)d->last_pos_at,
          (long long)d->last_end_pos, (long)d->last_end_last, (long)d->last_end_after);
  for (int i = 0; i < d->count; i++)
    fprintf(to, "  order %d: template %d hits %lld distance %lld last-used %.17g; searches of template %d: %lld\n", i,
            d->order[i].tmpl, (long long)d->order[i].hits, (long long)d->order[i].distance, d->order[i].last_used, i,
            d->search_hits[i]);
  /* Not state the searches decide (the memo's alone): with the adaptive memo only. */
  if (memo_prefix < 0 && d->memo) {
    fprintf(to, "date memo margins:");
    for (int i = 0; i < d->count; i++) fprintf(to, " %zu", d->memo[i].margin);
    fputc('\n', to);
  }
}

int date_detector_copy_state(date_detector *dst, const date_detector *src) {
  if (dst->plan != src->plan || dst->count != src->count) return -1;
  dst->stage.valid = 0; /* it described dst's own last line */
  size_t n = src->count > 0 ? (size_t)src->count : 1;
  memcpy(dst->order, src->order, n * sizeof *dst->order);
  memcpy(dst->search_hits, src->search_hits, n * sizeof *dst->search_hits);
  dst->last_pos_distance = src->last_pos_distance;
  dst->last_pos_before = src->last_pos_before;
  dst->last_pos_at = src->last_pos_at;
  dst->last_end_pos = src->last_end_pos;
  dst->last_end_last = src->last_end_last;
  dst->last_end_after = src->last_end_after;
  dst->last_templ_idx = src->last_templ_idx;
  dst->first_unused = src->first_unused;
  dst->mktime_offset = src->mktime_offset;
  dst->mktime_memo_valid = src->mktime_memo_valid;
  dst->mktime_memo_civil = src->mktime_memo_civil;
  dst->mktime_memo_epoch = src->mktime_memo_epoch;
  return 0;
}

/* The last template, when there is one (its index in the order, else -1). */
static int last_template(const date_detector *d) {
  return d->last_templ_idx >= 0 && d->last_templ_idx < d->count ? d->order[d->last_templ_idx].tmpl : -1;
}

int date_detector_same_course(const date_detector *a, const date_detector *b) {
  return a->plan == b->plan && a->count == b->count && last_template(a) >= 0 && last_template(a) == last_template(b) &&
         a->mktime_offset == b->mktime_offset;
}

void date_detector_carry_counts(date_detector *dst, const date_detector *from, uint64_t steady, double now) {
  if (steady == 0 || last_template(dst) < 0 || last_template(from) != last_template(dst)) return;
  /* What match_time's fast path (and stage_hit, its memo) does, `steady` times over, to the
     entry of the last template in `from`'s order: hits and searches, use time, distance (that
     of every such line, dst's last one's), and first_unused. Nothing else moved. */
  int64_t distance = dst->order[dst->last_templ_idx].distance;
  int i = from->last_templ_idx;
  size_t n = (size_t)dst->count;
  memcpy(dst->order, from->order, n * sizeof *dst->order);
  memcpy(dst->search_hits, from->search_hits, n * sizeof *dst->search_hits);
  dst->order[i].hits += (long long)steady;
  dst->order[i].last_used = now;
  dst->order[i].distance = distance;
  dst->search_hits[dst->order[i].tmpl] += (long long)steady;
  dst->first_unused = from->first_unused == i ? i + 1 : from->first_unused;
  dst->last_templ_idx = i;
  dst->stage.valid = 0; /* it named an order index of dst's old order */
}

void date_detector_free(date_detector *d) {
  if (!d) return;
  if (d->keys) {
    for (int i = 0; i < d->count; i++) {
      free(d->keys[i].codes);
      free(d->keys[i].groups);
      free(d->keys[i].read);
    }
  }
  free(d->keys);
  if (d->memo) {
    for (int i = 0; i < d->count; i++) free(d->memo[i].ov);
    free(d->memo);
  }
  free(d->order);
  free(d->search_hits);
  free(d->compiled);
  free_md(&d->cur);
  free_md(&d->found);
  if (d->small_md) pcre2_match_data_free(d->small_md);
  if (d->alnum_re) pcre2_code_free(d->alnum_re);
  if (d->nd_re) pcre2_code_free(d->nd_re);
  free(d);
}
