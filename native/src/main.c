/*
 * rampart-scan: fail2ban's per-line pipeline over one log, driven by a scan plan.
 *
 *   rampart-scan (--plan FILE | --plan-fd N) [--json] [--now EPOCH_SECONDS]
 *                [--max-line-length N] [--stats-fd N] [--progress] LOG|-
 *
 * The log is read the way Rampart's matcher worker reads it (src/adapters/matcher/
 * matcher-worker.ts scanFile): lines cut at "\n", trailing "\r"s stripped, empty and "#" lines
 * skipped (still numbered), invalid UTF-8 repaired as TextDecoder does, lines cut to
 * --max-line-length UTF-16 units, and a last line without "\n" left unread (fail2ban does so).
 * Exit status: 0 done, 2 bad arguments or plan, 1 I/O error.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "plan.h"
#include "text.h"

#define PROG "rampart-scan"
#define READ_CHUNK (1u << 20)
#define OUT_CAP (256u << 10)
#define MAX_ABANDONED 1000
#define MAX_PLAN_BYTES (256u << 20)
#define MAX_LINE_LENGTH_LIMIT (1L << 26)

static const char usage_text[] =
    "usage: " PROG " (--plan FILE | --plan-fd N) [--json] [--now EPOCH_SECONDS] [--max-line-length N]\n"
    "       [--stats-fd N] [--progress] LOG|-\n";

typedef struct {
  int fd;
  const char *what; /* for messages */
  char *buf;
  size_t len, cap;
} writer;

typedef struct {
  /* arguments */
  const char *plan_path;
  int plan_fd;
  int json;
  double now;
  long max_line_length;
  int stats_fd;
  int progress;
  const char *log_path;
  /* state */
  scan_plan plan;
  int plan_loaded;
  scan_filter *filter;
  int log_fd;
  char *read_buf;
  unsigned char *decode_buf;
  writer out;
  double last_time;
  char last_time_text[JS_NUMBER_MAX];
  size_t last_time_len;
  int has_last_time;
  /* counts (matcher-worker.ts tally) */
  uint64_t lines, matched, ignored, missed, pref_matched, failures, line_number;
  uint64_t abandoned[MAX_ABANDONED];
  int abandoned_count;
  uint64_t bytes_read;
  double last_progress;
} app;

static app A;

static void cleanup(void) {
  if (A.filter) scan_filter_free(A.filter);
  A.filter = NULL;
  if (A.plan_loaded) scan_plan_free(&A.plan);
  A.plan_loaded = 0;
  free(A.read_buf);
  A.read_buf = NULL;
  free(A.decode_buf);
  A.decode_buf = NULL;
  free(A.out.buf);
  A.out.buf = NULL;
  if (A.log_fd > 0) close(A.log_fd);
  A.log_fd = -1;
}

static _Noreturn void finish(int status) {
  cleanup();
  exit(status);
}

static _Noreturn void usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, PROG ": ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n%s", usage_text);
  finish(2);
}

static _Noreturn void io_error(const char *what, int err) {
  fprintf(stderr, PROG ": %s: %s\n", what, strerror(err));
  finish(1);
}

/* ---- output ---- */

/* write(2) until done: EINTR retried, a non-blocking fd waited for. A reader that went away
   (EPIPE) ends the scan quietly: nobody is left to read the result. */
static void write_all(int fd, const char *what, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        poll(&pfd, 1, -1);
        continue;
      }
      if (errno == EPIPE) finish(0);
      io_error(what, errno);
    }
    p += w;
    n -= (size_t)w;
  }
}

static void out_flush(writer *w) {
  if (w->len) write_all(w->fd, w->what, w->buf, w->len);
  w->len = 0;
}

static void out_put(writer *w, const char *p, size_t n) {
  if (n > w->cap - w->len) {
    out_flush(w);
    if (n > w->cap) {
      write_all(w->fd, w->what, p, n);
      return;
    }
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

/* JSON.stringify(s), escaped straight into the buffer in pieces (values may be 1 MB+). */
static void out_json_string(writer *w, const char *s, size_t n) {
  out_put(w, "\"", 1);
  while (n > 0) {
    size_t room = (w->cap - w->len) / 6;
    if (room == 0) {
      out_flush(w);
      continue;
    }
    size_t chunk = n < room ? n : room;
    w->len = (size_t)(json_escape_body(w->buf + w->len, s, chunk) - w->buf);
    s += chunk;
    n -= chunk;
  }
  out_put(w, "\"", 1);
}

static void out_uint(writer *w, uint64_t v) {
  char t[24];
  out_put(w, t, u64_to_decimal(v, t));
}

/* failureJsonLine (log-failure.ts): {"ip":..,"time":..,"line":..,"user":..} and "\n". */
static void on_failure(void *ctx, const char *id, size_t id_len, double time, uint64_t line, const char *user,
                       size_t user_len, int has_user) {
  app *a = ctx;
  a->failures++;
  if (!a->json) return;
  writer *w = &a->out;
  out_put(w, "{\"ip\":", 6);
  out_json_string(w, id, id_len);
  out_put(w, ",\"time\":", 8);
  if (!isfinite(time)) out_put(w, "null", 4);
  else {
    /* Most failures of a log share their neighbours' time: format each time once. */
    if (!a->has_last_time || memcmp(&a->last_time, &time, sizeof time) != 0) {
      a->last_time = time;
      a->last_time_len = js_number_to_string(time, a->last_time_text);
      a->has_last_time = 1;
    }
    out_put(w, a->last_time_text, a->last_time_len);
  }
  out_put(w, ",\"line\":", 8);
  out_uint(w, line);
  out_put(w, ",\"user\":", 8);
  if (has_user) out_json_string(w, user, user_len);
  else out_put(w, "null", 4);
  out_put(w, "}\n", 2);
}

/* ---- arguments ---- */

static int parse_fd_arg(const char *s, int *out) {
  if (!*s || strlen(s) > 9) return -1;
  long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    v = v * 10 + (*p - '0');
  }
  *out = (int)v;
  return 0;
}

static void parse_args(int argc, char **argv) {
  A.plan_fd = -1;
  A.stats_fd = -1;
  A.max_line_length = 65536; /* GuardedMatcher's default, as `rampart filter test` uses */
  int has_now = 0, positional_only = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (!positional_only && arg[0] == '-' && arg[1] != '\0') {
      const char *value = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDS_VALUE()                                          \
  do {                                                         \
    if (!value) usage_error("option %s needs a value", arg);   \
    i++;                                                       \
  } while (0)
      if (strcmp(arg, "--") == 0) positional_only = 1;
      else if (strcmp(arg, "--json") == 0) A.json = 1;
      else if (strcmp(arg, "--progress") == 0) A.progress = 1;
      else if (strcmp(arg, "--plan") == 0) {
        NEEDS_VALUE();
        if (A.plan_path || A.plan_fd >= 0) usage_error("%s: only one plan may be given", arg);
        A.plan_path = value;
      } else if (strcmp(arg, "--plan-fd") == 0) {
        NEEDS_VALUE();
        if (A.plan_path || A.plan_fd >= 0) usage_error("%s: only one plan may be given", arg);
        if (parse_fd_arg(value, &A.plan_fd) != 0) usage_error("--plan-fd: invalid file descriptor '%s'", value);
      } else if (strcmp(arg, "--stats-fd") == 0) {
        NEEDS_VALUE();
        if (parse_fd_arg(value, &A.stats_fd) != 0) usage_error("--stats-fd: invalid file descriptor '%s'", value);
      } else if (strcmp(arg, "--now") == 0) {
        NEEDS_VALUE();
        char *end;
        errno = 0;
        double now = strtod(value, &end);
        if (end == value || *end != '\0' || !isfinite(now) || errno == ERANGE)
          usage_error("--now: invalid number '%s'", value);
        A.now = now;
        has_now = 1;
      } else if (strcmp(arg, "--max-line-length") == 0) {
        NEEDS_VALUE();
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end == value || *end != '\0' || errno == ERANGE || v < 1 || v > MAX_LINE_LENGTH_LIMIT)
          usage_error("--max-line-length: want a whole number from 1 to 67108864, not '%s'", value);
        A.max_line_length = v;
      } else
        usage_error("unknown option '%s'", arg);
#undef NEEDS_VALUE
    } else {
      if (A.log_path) usage_error("only one log may be given ('%s' is extra)", arg);
      A.log_path = arg;
    }
  }
  if (!A.plan_path && A.plan_fd < 0) usage_error("%s", "a plan is required (--plan FILE or --plan-fd N)");
  if (!A.log_path) usage_error("%s", "a log is required (a file, or - for standard input)");
  if (A.plan_fd == 0 && strcmp(A.log_path, "-") == 0)
    usage_error("%s", "--plan-fd 0 and the log '-' cannot both be standard input");
  if (A.plan_fd >= 0 && fcntl(A.plan_fd, F_GETFD) < 0) usage_error("--plan-fd: %s", strerror(errno));
  if (A.stats_fd >= 0 && fcntl(A.stats_fd, F_GETFD) < 0) usage_error("--stats-fd: %s", strerror(errno));
  if (!has_now) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    A.now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  }
}

/* ---- plan ---- */

static void load_plan(void) {
  int fd = A.plan_fd;
  const char *what = A.plan_path ? A.plan_path : "--plan-fd";
  if (A.plan_path) {
    fd = open(A.plan_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) io_error(A.plan_path, errno);
  }
  size_t len = 0, cap = 64 << 10;
  char *text = malloc(cap);
  if (!text) io_error(what, ENOMEM);
  for (;;) {
    if (len == cap) {
      if (cap >= MAX_PLAN_BYTES) {
        free(text);
        fprintf(stderr, PROG ": %s: the plan is larger than %u MiB\n", what, MAX_PLAN_BYTES >> 20);
        finish(2);
      }
      char *next = realloc(text, cap * 2);
      if (!next) {
        free(text);
        io_error(what, ENOMEM);
      }
      text = next;
      cap *= 2;
    }
    ssize_t n = read(fd, text + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(text);
      io_error(what, e);
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  if (A.plan_path) close(fd);
  char err[512];
  if (scan_plan_parse(text, len, &A.plan, err, sizeof err) != 0) {
    free(text);
    fprintf(stderr, PROG ": plan %s\n", err);
    finish(2);
  }
  free(text);
  A.plan_loaded = 1;
  A.filter = scan_filter_new(&A.plan, on_failure, &A, err, sizeof err);
  if (!A.filter) {
    fprintf(stderr, PROG ": plan: %s\n", err);
    finish(2);
  }
}

/* ---- reading ---- */

static double monotonic_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report_progress(int force) {
  if (!A.progress || A.stats_fd < 0) return;
  double t = monotonic_seconds();
  if (!force && t - A.last_progress < 0.2) return;
  A.last_progress = t;
  char line[128];
  int k = snprintf(line, sizeof line, "{\"progress\":{\"bytes\":%llu,\"lines\":%llu}}\n",
                   (unsigned long long)A.bytes_read, (unsigned long long)A.line_number);
  write_all(A.stats_fd, "--stats-fd", line, (size_t)k);
}

/* Bytes of a line that decide its first max_line_length UTF-16 units: a unit takes at most 3
   bytes, and a sequence cut at the end is at most 3 bytes more (see process_line). */
static size_t keep_bytes(void) { return 4 * (size_t)A.max_line_length + 16; }

/*
 * One line (its "\n" removed). When `overlong`, p[0..n) is only the line's first keep_bytes()
 * bytes and `more_text` says whether the rest held anything but "\r".
 */
static void process_line(const char *p, size_t n, int overlong, int more_text) {
  A.line_number++;
  if (!overlong || !more_text)
    while (n > 0 && p[n - 1] == '\r') n--;
  /* fail2ban-regex skips empty and comment lines. */
  if (n == 0 || p[0] == '#') return;
  A.lines++;
  /* Only the first keep_bytes() bytes can reach the regexes: decoding more changes nothing
     (a sequence cut at that point yields U+FFFD beyond the cut made below). */
  size_t keep = keep_bytes();
  if (n > keep) n = keep;
  const unsigned char *s = (const unsigned char *)p;
  if (!utf8_is_valid(s, n)) {
    n = utf8_repair(s, n, A.decode_buf);
    s = A.decode_buf;
  }
  /* JS text.slice(0, maxLineLength) counts UTF-16 units. When the cut falls inside a surrogate
     pair JS keeps a lone high surrogate, which UTF-8 cannot carry. It stands in as U+FFFD: the
     same length, and matched by the same regex constructs (., \S, negated classes; not \w, \s,
     \d, letters); only if a capture ends with it does the text differ (U+FFFD, not "\ud83d"). */
  int split_pair;
  n = utf8_prefix_for_utf16(s, n, (size_t)A.max_line_length, &split_pair);
  if (split_pair) {
    if (s != A.decode_buf) memcpy(A.decode_buf, s, n);
    s = A.decode_buf;
    memcpy(A.decode_buf + n, "\xEF\xBF\xBD", 3);
    n += 3;
  }
  scan_line_result r;
  if (scan_filter_line(A.filter, (const char *)s, n, A.line_number, A.now, &r) != 0) {
    fprintf(stderr, PROG ": out of memory\n");
    finish(1);
  }
  if (r.abandoned) {
    /* Like the JS engine's watchdog: the line is skipped, counted in `lines` only. */
    if (A.abandoned_count < MAX_ABANDONED) A.abandoned[A.abandoned_count++] = A.line_number;
    return;
  }
  if (r.pref_matched) A.pref_matched++;
  if (r.failures > 0) A.matched++;
  else if (r.ignored) A.ignored++;
  else A.missed++;
}

static int has_text_besides_cr(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != '\r') return 1;
  return 0;
}

/* Returns the line number of a log file's unterminated last line, or 0. */
static uint64_t scan_log(void) {
  size_t keep = keep_bytes();
  size_t cap = keep + READ_CHUNK;
  A.read_buf = malloc(cap);
  A.decode_buf = malloc(3 * keep);
  if (!A.read_buf || !A.decode_buf) {
    fprintf(stderr, PROG ": out of memory\n");
    finish(1);
  }
  char *rb = A.read_buf;
  const char *what = strcmp(A.log_path, "-") == 0 ? "standard input" : A.log_path;
  size_t start = 0, end = 0;
  /* A line longer than the buffer: rb[0..keep) holds its start, the rest is only looked at. */
  int overlong = 0, overlong_more = 0;
  for (;;) {
    ssize_t got = read(A.log_fd, rb + end, cap - end);
    if (got < 0) {
      if (errno == EINTR) continue;
      io_error(what, errno);
    }
    if (got == 0) break;
    A.bytes_read += (uint64_t)got;
    size_t fresh = end;
    end += (size_t)got;
    if (overlong) {
      char *nl = memchr(rb + fresh, '\n', end - fresh);
      if (!nl) {
        overlong_more |= has_text_besides_cr(rb + fresh, end - fresh);
        end = keep;
        continue;
      }
      overlong_more |= has_text_besides_cr(rb + fresh, (size_t)(nl - (rb + fresh)));
      process_line(rb, keep, 1, overlong_more);
      overlong = overlong_more = 0;
      start = (size_t)(nl - rb) + 1;
    }
    for (;;) {
      char *nl = memchr(rb + start, '\n', end - start);
      if (!nl) break;
      process_line(rb + start, (size_t)(nl - (rb + start)), 0, 0);
      start = (size_t)(nl - rb) + 1;
    }
    if (start == 0 && end == cap) {
      overlong = 1;
      overlong_more = has_text_besides_cr(rb + keep, end - keep);
      end = keep;
    } else if (start > 0) {
      memmove(rb, rb + start, end - start);
      end -= start;
      start = 0;
    }
    report_progress(0);
  }
  if (strcmp(A.log_path, "-") == 0) {
    /* A pipe that has ended has ended its last line too: the JS engine reads standard input with
       readLineBatches' "keep", as fail2ban-regex reads sys.stdin. Only a file's unterminated last
       line may still be being written, and is left for later. */
    if (overlong) process_line(rb, keep, 1, overlong_more);
    else if (end > start) process_line(rb + start, end - start, 0, 0);
    return 0;
  }
  return (overlong || end > start) ? A.line_number + 1 : 0;
}

/* ---- stats ---- */

static void append_uint(text_buf *b, uint64_t v) {
  char t[24];
  int k = snprintf(t, sizeof t, "%llu", (unsigned long long)v);
  text_buf_append(b, t, (size_t)k);
}

static void write_stats(uint64_t incomplete) {
  if (A.stats_fd < 0) return;
  text_buf b = {0};
  int nf, ni;
  const uint64_t *fail_hits = scan_filter_fail_hits(A.filter, &nf);
  const uint64_t *ignore_hits = scan_filter_ignore_hits(A.filter, &ni);
  const char *names[] = {"lines", "matched", "ignored", "missed", "prefMatched", "failures"};
  uint64_t values[] = {A.lines, A.matched, A.ignored, A.missed, A.pref_matched, A.failures};
  for (int i = 0; i < 6; i++) {
    text_buf_append(&b, i == 0 ? "{\"" : ",\"", 2);
    text_buf_append(&b, names[i], strlen(names[i]));
    text_buf_append(&b, "\":", 2);
    append_uint(&b, values[i]);
  }
  text_buf_append(&b, ",\"failHits\":[", 13);
  for (int i = 0; i < nf; i++) {
    if (i) text_buf_append(&b, ",", 1);
    append_uint(&b, fail_hits[i]);
  }
  text_buf_append(&b, "],\"ignoreHits\":[", 16);
  for (int i = 0; i < ni; i++) {
    if (i) text_buf_append(&b, ",", 1);
    append_uint(&b, ignore_hits[i]);
  }
  text_buf_append(&b, "],\"abandoned\":[", 15);
  for (int i = 0; i < A.abandoned_count; i++) {
    if (i) text_buf_append(&b, ",", 1);
    append_uint(&b, A.abandoned[i]);
  }
  text_buf_append(&b, "],\"incompleteLine\":", 19);
  if (incomplete) append_uint(&b, incomplete);
  else text_buf_append(&b, "null", 4);
  if (text_buf_append(&b, "}\n", 2) != 0) {
    text_buf_free(&b);
    fprintf(stderr, PROG ": out of memory\n");
    finish(1);
  }
  write_all(A.stats_fd, "--stats-fd", b.data, b.len);
  text_buf_free(&b);
}

int main(int argc, char **argv) {
  A.log_fd = -1;
  /* A closed output is seen as EPIPE from write(2) and handled there. */
  signal(SIGPIPE, SIG_IGN);
  parse_args(argc, argv);
  /* With TZ unset, glibc's mktime re-reads (stats) /etc/localtime on every call, and the date
     detector calls it per line; naming the same default zone explicitly makes glibc load it
     once. The zone is unchanged: TZ unset means /etc/localtime. */
  if (!getenv("TZ")) setenv("TZ", ":/etc/localtime", 0);
  load_plan();
  A.out.fd = 1;
  A.out.what = "standard output";
  A.out.cap = OUT_CAP;
  A.out.buf = malloc(OUT_CAP);
  if (!A.out.buf) {
    fprintf(stderr, PROG ": out of memory\n");
    finish(1);
  }
  if (strcmp(A.log_path, "-") == 0) A.log_fd = 0;
  else {
    A.log_fd = open(A.log_path, O_RDONLY | O_CLOEXEC);
    if (A.log_fd < 0) io_error(A.log_path, errno);
    posix_fadvise(A.log_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  /* Everything is set up: from here on only the log is read. No set-uid/file-capability
     program run from here may gain privileges (we run none; this closes the door). */
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  uint64_t incomplete = scan_log();
  out_flush(&A.out);
  report_progress(1);
  write_stats(incomplete);
  finish(0);
}
