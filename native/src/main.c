/*
 * rampart-scan: fail2ban's per-line pipeline over one log, driven by a scan plan.
 *
 *   rampart-scan (--plan FILE | --plan-fd N) [--json] [--now EPOCH_SECONDS]
 *                [--max-line-length N] [--stats-fd N] [--progress] [--threads 1|2]
 *                [--split-min-bytes N] [--split-window-bytes N] [--split-hold-bytes N]
 *                [--split-at N] LOG|-
 *
 * The log is read the way Rampart's matcher worker reads it (src/adapters/matcher/
 * matcher-worker.ts scanFile): lines cut at "\n", trailing "\r"s stripped, empty and "#" lines
 * skipped (still numbered), invalid UTF-8 repaired as TextDecoder does, lines cut to
 * --max-line-length UTF-16 units, and a last line without "\n" left unread (fail2ban does so).
 * Exit status: 0 done, 2 bad arguments or plan, 1 I/O error.
 *
 * Two threads (--threads 2, a regular file of --split-min-bytes or more; never standard input)
 * give exactly the answers of one: the same stdout bytes and the same stats. The port of
 * src/adapters/matcher/split-scan.ts. Thread 1 (this one) scans the first part of the file and
 * streams its output; thread 2 scans the rest, its output held (in memory up to
 * --split-hold-bytes, then in an unlinked temporary file) until it is known to be right. What
 * fail2ban's pipeline carries from line to line is of two kinds, each checked, not assumed:
 *
 * - The date stage (the date detector's template order, hits, last position and mktime guess,
 *   and the last date) never depends on what the regexes found. Most lines' dates are steady
 *   (scan_date_outcome.steady: the last template matched again and gave a time); such a line
 *   reads only which template is the last and mktime's guess. So when thread 2's detector at the
 *   boundary and thread 1's agree on those (date_detector_same_course), thread 2's steady lines
 *   have the true outcomes, and change the true state as they change thread 2's, but for counts
 *   that they raise alike (date_detector_carry_counts). From thread 2's first line that is not
 *   steady on, its outcomes are checked the long way: it hashes them (SHA-256), from its last
 *   checkpoint (a copy of its date stage every 1,024 steady lines); thread 1, done with its part,
 *   rebuilds the true date stage at that checkpoint (thread 2's, with thread 1's counts carried
 *   over the steady lines; its own, when there was no steady line) and replays only the date
 *   stage from there, hashing the same; the digests must be equal. A generated sshd log is
 *   steady throughout: no replay.
 * - The rest (the mlfid cache) is compared whole: thread 2 first runs the --split-window-bytes
 *   before its part for their state only (no output, no counts), and its snapshot at the
 *   boundary (scan_filter_state) must equal thread 1's at the end of its part.
 *
 * Given equal date outcomes and equal state at the boundary, every line of the second part does
 * what it does in one thread, so thread 2's output and counts stand ("split":"verified" in the
 * stats). If not, thread 1 (whose filter is still at the true boundary: the replay ran on a
 * copy) scans the second part itself ("split":"rerun"). Thread 2 numbers its lines by counting
 * the newlines before its window, and the count at the boundary must equal thread 1's. A line
 * abandoned at the match limit loses no state here (unlike the JS engine's worker restart): the
 * native pipeline is deterministic, so it needs no special case.
 *
 *   --threads 1|2            1 (default): never split
 *   --split-min-bytes N      split files of N bytes or more (default 2 MiB)
 *   --split-window-bytes N   thread 2's state-only window before its part (default 256 KiB)
 *   --split-hold-bytes N     thread 2's output kept in memory up to N bytes (default 8 MiB)
 *   --split-at N             tests: the second part starts at the first line start at or after
 *                            byte N (default 51.5% of the file)
 *   --date-memo-prefix N     tests: the date templates' memo (date.c) decides on the first N
 *                            bytes of a line (1-64), or is off (0); default: adaptive
 *   --dump-date-state        tests: the date detector's state at the end, on stderr (and, with
 *                            the adaptive memo, its margins: "date memo margins: ...")
 * The stats then say "split":"verified" or "split":"rerun"; without a split there is no "split".
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, mremap, MADV_HUGEPAGE */

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "date.h"
#include "filter.h"
#include "plan.h"
#include "sha256.h"
#include "text.h"

#define PROG "rampart-scan"
#define READ_CHUNK (1u << 20)
#define OUT_CAP (256u << 10)
#define MAX_ABANDONED 1000
#define MAX_PLAN_BYTES (256u << 20)
#define MAX_LINE_LENGTH_LIMIT (1L << 26)
/* Split defaults (see main's comment and docs): below SPLIT_MIN_BYTES a second thread gains
   less than it costs; the window covers the sessions an mlfid filter keeps open; thread 2 also
   runs the window, so thread 1 takes a little more than half (its dates are replayed only when
   thread 2's are not steady, see split_job). */
#define SPLIT_MIN_BYTES (2ull << 20)
#define SPLIT_WINDOW_BYTES (256ull << 10)
#define SPLIT_HOLD_BYTES (8ull << 20)
/* The held output's first block (big_alloc): one 2 MiB page; doubled as needed (mremap moves no
   bytes). */
#define HELD_FIRST_BYTES ((size_t)2 << 20)
#define SPLIT_FIRST_SHARE 0.515

static const char usage_text[] =
    "usage: " PROG " (--plan FILE | --plan-fd N) [--json] [--now EPOCH_SECONDS] [--max-line-length N]\n"
    "       [--stats-fd N] [--progress] [--threads 1|2] [--split-min-bytes N] [--split-window-bytes N]\n"
    "       [--split-hold-bytes N] [--split-at N] [--date-memo-prefix N] [--dump-date-state] LOG|-\n";

/* Output held until it is verified: in memory up to `limit`, then in an unlinked file. */
typedef struct {
  char *mem;
  size_t len, cap, limit;
  int fd; /* the spill file, or -1 */
} held;

typedef struct {
  int fd;
  const char *what; /* for messages */
  char *buf;
  size_t len, cap;
  held *hold; /* when set, flushed output goes there instead of fd */
} writer;

/* What a scan of a range does with its lines. */
typedef enum {
  RUN_FULL,  /* the whole pipeline: output and counts */
  RUN_QUIET, /* the whole pipeline for its state only: no output, no counts */
  RUN_DATES  /* only the date stage (scan_filter_date_line) */
} run_mode;

struct split_job;

/* One thread's scanning: its filter, buffers, output and counts. */
typedef struct {
  scan_filter *filter;
  char *read_buf;
  unsigned char *decode_buf;
  int owns_buffers;
  writer out;
  run_mode mode;
  /* Date outcomes, when recording: a compact encoding (see record_date) hashed as it goes. */
  int record;
  sha256_ctx dates;
  unsigned char rec[4096];
  size_t rec_len;
  uint64_t rec_prev_time;
  /* Thread 2 on its part, while every date-stage line has been steady (see steady_line): the
     lines since the boundary, the last checkpoint, and the outcomes since it (not hashed). */
  int steady_run;
  uint64_t steady_lines;
  int checkpoint_due;
  struct split_job *job;
  text_buf pending;
  uint64_t pending_prev_time;
  int reports_progress;
  double last_time;
  char last_time_text[JS_NUMBER_MAX];
  size_t last_time_len;
  int has_last_time;
  /* counts (matcher-worker.ts tally) */
  uint64_t lines, matched, ignored, missed, pref_matched, failures, line_number;
  uint64_t abandoned[MAX_ABANDONED];
  int abandoned_count;
  uint64_t bytes_read;
} worker;

typedef struct {
  /* arguments */
  const char *plan_path;
  int plan_fd;
  int json;
  double now;
  long max_line_length;
  int stats_fd;
  int progress;
  int threads;
  uint64_t split_min_bytes, split_window_bytes, split_hold_bytes;
  int has_split_at;
  uint64_t split_at; /* test knob: where the second part starts (the next line start) */
  const char *log_path;
  /* state */
  scan_plan plan;
  int plan_loaded;
  int log_fd;
  worker main; /* thread 1, and the only one without a split */
  double last_progress;
  uint64_t reported_bytes, reported_lines;
  /* a split scan */
  worker *second, *replay;
  held hold;
  const char *split_outcome; /* "verified" or "rerun" when split */
  uint64_t split_replayed;   /* lines of the second part whose dates thread 1 replayed */
  int dump_date_state; /* tests: --dump-date-state */
  scan_date_stage *final_dates; /* the scan's last date stage, when not A.main's */
} app;

static app A;
/* Set while two threads run: an error then ends the process at once (_exit), without freeing
   what the other thread uses. */
static atomic_int threads_running;
/* Progress across threads: bytes and lines of the lines that count (not windows or replays). */
static atomic_uint_fast64_t progress_bytes, progress_lines;

static size_t keep_bytes(void);
static void big_free(void *p, size_t n);

static void worker_free(worker *w) {
  if (w->filter) scan_filter_free(w->filter);
  w->filter = NULL;
  if (w->owns_buffers) {
    big_free(w->read_buf, keep_bytes() + READ_CHUNK);
    free(w->decode_buf);
  }
  w->read_buf = NULL;
  w->decode_buf = NULL;
  free(w->out.buf);
  w->out.buf = NULL;
}

/*
 * Buffers of a megabyte or more (the read buffers, thread 2's held output) straight from mmap,
 * 2 MiB-aligned and asked to be backed by 2 MiB pages (MADV_HUGEPAGE, where the kernel allows
 * it). They are written once from start to end, and in 4 KiB pages each page costs a fault:
 * thread 2's held output alone took 1,200 on the 200,000-line benchmark, and with its read
 * buffer's they were why thread 2 finished ~4 ms after thread 1. NULL when mmap fails.
 */
#define HUGE_PAGE ((size_t)2 << 20)
static size_t big_length(size_t n) { return (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1); }

static void *big_alloc(size_t n) {
  size_t len = big_length(n);
  char *m = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return NULL;
  char *a = m + ((HUGE_PAGE - (uintptr_t)m % HUGE_PAGE) % HUGE_PAGE);
  if (a > m) munmap(m, (size_t)(a - m));
  munmap(a + len, HUGE_PAGE - (size_t)(a - m));
#ifdef MADV_HUGEPAGE
  madvise(a, len, MADV_HUGEPAGE); /* a hint: 4 KiB pages still work */
#endif
  return a;
}

/* A big_alloc block of `n` bytes grown to `want` (moved if need be); NULL when it cannot be. */
static void *big_grow(void *p, size_t n, size_t want) {
  void *m = mremap(p, big_length(n), big_length(want), MREMAP_MAYMOVE);
  return m == MAP_FAILED ? NULL : m;
}

static void big_free(void *p, size_t n) {
  if (p) munmap(p, big_length(n));
}

static void held_free(held *h) {
  big_free(h->mem, h->cap);
  h->mem = NULL;
  h->len = h->cap = 0;
  if (h->fd >= 0) close(h->fd);
  h->fd = -1;
}

static void cleanup(void) {
  worker_free(&A.main);
  if (A.second) worker_free(A.second);
  free(A.second);
  A.second = NULL;
  if (A.replay) worker_free(A.replay);
  free(A.replay);
  A.replay = NULL;
  held_free(&A.hold);
  if (A.plan_loaded) scan_plan_free(&A.plan);
  A.plan_loaded = 0;
  if (A.log_fd > 0) close(A.log_fd);
  A.log_fd = -1;
  scan_regex_thread_done();
}

static _Noreturn void finish(int status) {
  if (atomic_load(&threads_running)) _exit(status);
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

/* An unlinked temporary file in $TMPDIR (or /tmp), readable only through our descriptor. */
static int open_spill_file(void) {
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  int fd;
#ifdef O_TMPFILE
  fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
#endif
  char path[4096];
  int k = snprintf(path, sizeof path, "%s/rampart-scan-XXXXXX", dir);
  if (k < 0 || (size_t)k >= sizeof path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  fd = mkstemp(path);
  if (fd < 0) return -1;
  unlink(path);
  return fd;
}

static void held_append(held *h, const char *p, size_t n) {
  if (h->fd < 0 && h->len + n <= h->limit) {
    if (h->len + n > h->cap) {
      size_t want = h->cap ? h->cap : HELD_FIRST_BYTES;
      while (want < h->len + n) want *= 2;
      if (want > h->limit) want = h->limit;
      char *m = h->mem ? big_grow(h->mem, h->cap, want) : big_alloc(want);
      if (!m) io_error("held output", ENOMEM);
      h->mem = m;
      h->cap = want;
    }
    memcpy(h->mem + h->len, p, n);
    h->len += n;
    return;
  }
  if (h->fd < 0) {
    h->fd = open_spill_file();
    if (h->fd < 0) io_error("a temporary file for held output", errno);
  }
  write_all(h->fd, "the temporary file of held output", p, n);
}

/* Writes the held output to `fd` in order (memory, then the spill file), using buf[0..cap). */
static void held_drain(held *h, int fd, const char *what, char *buf, size_t cap) {
  if (h->len) write_all(fd, what, h->mem, h->len);
  if (h->fd < 0) return;
  for (off_t pos = 0;;) {
    ssize_t n = pread(h->fd, buf, cap, pos);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error("the temporary file of held output", errno);
    }
    if (n == 0) break;
    write_all(fd, what, buf, (size_t)n);
    pos += n;
  }
}

static void out_flush(writer *w) {
  if (w->len) {
    if (w->hold) held_append(w->hold, w->buf, w->len);
    else write_all(w->fd, w->what, w->buf, w->len);
  }
  w->len = 0;
}

static void out_put(writer *w, const char *p, size_t n) {
  if (n > w->cap - w->len) {
    out_flush(w);
    if (n > w->cap) {
      if (w->hold) held_append(w->hold, p, n);
      else write_all(w->fd, w->what, p, n);
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
  worker *a = ctx;
  if (a->mode != RUN_FULL) return;
  a->failures++;
  if (!A.json) return;
  writer *w = &a->out;
  const char *time_text = "null";
  size_t time_len = 4;
  if (isfinite(time)) {
    /* Most failures of a log share their neighbours' time: format each time once. */
    if (!a->has_last_time || memcmp(&a->last_time, &time, sizeof time) != 0) {
      a->last_time = time;
      a->last_time_len = js_number_to_string(time, a->last_time_text);
      a->has_last_time = 1;
    }
    time_text = a->last_time_text;
    time_len = a->last_time_len;
  }
  /* The usual line is written in place, in room for the longest it could be; only values too
     long for the buffer go piece by piece. */
  size_t most =
      6 + JSON_STRING_MAX(id_len) + 8 + time_len + 8 + 20 + 8 + (has_user ? JSON_STRING_MAX(user_len) : 4) + 2;
  if (most > w->cap - w->len) out_flush(w);
  if (most <= w->cap - w->len) {
    char *o = w->buf + w->len;
    memcpy(o, "{\"ip\":", 6);
    o = json_escape_string(o + 6, id, id_len);
    memcpy(o, ",\"time\":", 8);
    memcpy(o + 8, time_text, time_len);
    o += 8 + time_len;
    memcpy(o, ",\"line\":", 8);
    o += 8;
    o += u64_to_decimal(line, o);
    memcpy(o, ",\"user\":", 8);
    o += 8;
    if (has_user) o = json_escape_string(o, user, user_len);
    else {
      memcpy(o, "null", 4);
      o += 4;
    }
    memcpy(o, "}\n", 2);
    w->len = (size_t)(o + 2 - w->buf);
    return;
  }
  out_put(w, "{\"ip\":", 6);
  out_json_string(w, id, id_len);
  out_put(w, ",\"time\":", 8);
  out_put(w, time_text, time_len);
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

/* A whole number from min to max (decimal), or exits with a usage error naming the option. */
static uint64_t parse_count(const char *option, const char *value, uint64_t min, uint64_t max) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(value, &end, 10);
  if (end == value || *end != '\0' || errno == ERANGE || value[0] == '-' || v < min || v > max) {
    char message[160];
    snprintf(message, sizeof message, "%s: want a whole number from %llu to %llu, not '%%s'", option,
             (unsigned long long)min, (unsigned long long)max);
    usage_error(message, value);
  }
  return v;
}

static void parse_args(int argc, char **argv) {
  A.plan_fd = -1;
  A.stats_fd = -1;
  A.threads = 1;
  A.split_min_bytes = SPLIT_MIN_BYTES;
  A.split_window_bytes = SPLIT_WINDOW_BYTES;
  A.split_hold_bytes = SPLIT_HOLD_BYTES;
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
      } else if (strcmp(arg, "--threads") == 0) {
        NEEDS_VALUE();
        A.threads = (int)parse_count(arg, value, 1, 2);
      } else if (strcmp(arg, "--split-min-bytes") == 0) {
        NEEDS_VALUE();
        A.split_min_bytes = parse_count(arg, value, 0, UINT64_C(1) << 62);
      } else if (strcmp(arg, "--split-window-bytes") == 0) {
        NEEDS_VALUE();
        A.split_window_bytes = parse_count(arg, value, 1, UINT64_C(1) << 62);
      } else if (strcmp(arg, "--split-at") == 0) {
        NEEDS_VALUE();
        A.split_at = parse_count(arg, value, 0, UINT64_C(1) << 62);
        A.has_split_at = 1;
      } else if (strcmp(arg, "--split-hold-bytes") == 0) {
        NEEDS_VALUE();
        A.split_hold_bytes = parse_count(arg, value, 0, UINT64_C(1) << 40);
      } else if (strcmp(arg, "--dump-date-state") == 0) {
        A.dump_date_state = 1;
      } else if (strcmp(arg, "--date-memo-prefix") == 0) {
        NEEDS_VALUE();
        date_detector_set_memo_prefix((int)parse_count(arg, value, 0, 64));
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

static _Noreturn void out_of_memory(void) {
  fprintf(stderr, PROG ": out of memory\n");
  finish(1);
}

static scan_date_stage *dates_of(worker *w) { return scan_filter_date_stage(w->filter); }

static scan_filter *new_filter(worker *w) {
  char err[512];
  scan_filter *f = scan_filter_new(&A.plan, on_failure, w, err, sizeof err);
  if (!f) {
    fprintf(stderr, PROG ": plan: %s\n", err);
    finish(2);
  }
  return f;
}

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
  A.main.filter = new_filter(&A.main);
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
  uint64_t bytes = atomic_load_explicit(&progress_bytes, memory_order_relaxed);
  uint64_t lines = atomic_load_explicit(&progress_lines, memory_order_relaxed);
  if (bytes < A.reported_bytes) bytes = A.reported_bytes;
  if (lines < A.reported_lines) lines = A.reported_lines;
  A.reported_bytes = bytes;
  A.reported_lines = lines;
  char line[128];
  int k = snprintf(line, sizeof line, "{\"progress\":{\"bytes\":%llu,\"lines\":%llu}}\n",
                   (unsigned long long)bytes, (unsigned long long)lines);
  write_all(A.stats_fd, "--stats-fd", line, (size_t)k);
}

/* Bytes of a line that decide its first max_line_length UTF-16 units: a unit takes at most 3
   bytes, and a sequence cut at the end is at most 3 bytes more (see process_line). */
static size_t keep_bytes(void) { return 4 * (size_t)A.max_line_length + 16; }

static void worker_buffers(worker *w) {
  size_t keep = keep_bytes();
  w->read_buf = big_alloc(keep + READ_CHUNK);
  w->decode_buf = malloc(3 * keep);
  w->owns_buffers = 1;
  w->out.cap = OUT_CAP;
  w->out.buf = malloc(OUT_CAP);
  if (!w->read_buf || !w->decode_buf || !w->out.buf) out_of_memory();
}

/* ---- date outcomes ---- */

static size_t put_varint(unsigned char *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (unsigned char)v;
  return n;
}

/*
 * A line's date outcome, encoded at p (at most 32 bytes): a head byte (kind, cut, whether the
 * time's bits repeat the previous record's, *prev), then start and end (varints) when cut, then
 * the time's 8 bytes unless repeated. The encoding is prefix-free, so equal digests mean equal
 * outcome sequences.
 */
static size_t encode_date(unsigned char *p, const scan_date_outcome *o, uint64_t *prev) {
  uint64_t bits;
  memcpy(&bits, &o->time, sizeof bits);
  int line = o->kind == SCAN_DATE_LINE;
  int same = line && bits == *prev;
  size_t n = 0;
  p[n++] = (unsigned char)(o->kind | (line && o->cut ? 4 : 0) | (same ? 8 : 0));
  if (line && o->cut) {
    n += put_varint(p + n, o->start);
    n += put_varint(p + n, o->end);
  }
  if (line && !same) {
    memcpy(p + n, &bits, sizeof bits);
    n += sizeof bits;
    *prev = bits;
  }
  return n;
}

static void record_flush(worker *w) {
  sha256_update(&w->dates, w->rec, w->rec_len);
  w->rec_len = 0;
}


/* Appends a line's date outcome (encode_date) to the record. */
static void record_date(worker *w, const scan_date_outcome *o) {
  if (w->rec_len > sizeof w->rec - 32) record_flush(w);
  w->rec_len += encode_date(w->rec + w->rec_len, o, &w->rec_prev_time);
}

static void record_start(worker *w) {
  w->record = 1;
  sha256_init(&w->dates);
  w->rec_len = 0;
  w->rec_prev_time = 0;
}

static void record_digest(worker *w, unsigned char out[32]) {
  record_flush(w);
  sha256_final(&w->dates, out);
  w->record = 0;
}

static void steady_line(worker *w, const scan_date_outcome *o);
static void checkpoint(worker *w, uint64_t next_offset);

/* ---- reading ---- */

/*
 * One line (its "\n" removed). When `overlong`, p[0..n) is only the line's first keep_bytes()
 * bytes and `more_text` says whether the rest held anything but "\r". `newline`: p[n] is the
 * line's "\n" (in the read buffer).
 */
static void process_line(worker *w, const char *p, size_t n, int overlong, int more_text, int newline) {
  size_t whole = n;
  w->line_number++;
  if (!overlong || !more_text)
    while (n > 0 && p[n - 1] == '\r') n--;
  /* fail2ban-regex skips empty and comment lines. */
  if (n == 0 || p[0] == '#') return;
  if (w->mode == RUN_FULL) w->lines++;
  /* Only the first keep_bytes() bytes can reach the regexes: decoding more changes nothing
     (a sequence cut at that point yields U+FFFD beyond the cut made below). */
  size_t keep = keep_bytes();
  if (n > keep) n = keep;
  const unsigned char *s = (const unsigned char *)p;
  int ascii; /* every byte < 0x80: the regexes may run their ASCII variants (regex.h) */
  if (!utf8_check(s, n, &ascii)) {
    n = utf8_repair(s, n, w->decode_buf);
    s = w->decode_buf;
    ascii = 0;
  }
  /* JS text.slice(0, maxLineLength) counts UTF-16 units. When the cut falls inside a surrogate
     pair JS keeps a lone high surrogate, which UTF-8 cannot carry. It stands in as U+FFFD: the
     same length, and matched by the same regex constructs (., \S, negated classes; not \w, \s,
     \d, letters); only if a capture ends with it does the text differ (U+FFFD, not "\ud83d"). */
  int split_pair;
  n = utf8_prefix_for_utf16(s, n, (size_t)A.max_line_length, &split_pair);
  if (split_pair) {
    if (s != w->decode_buf) memcpy(w->decode_buf, s, n);
    s = w->decode_buf;
    memcpy(w->decode_buf + n, "\xEF\xBF\xBD", 3);
    n += 3;
    ascii = 0;
  }
  if (w->mode == RUN_DATES) {
    scan_date_outcome o;
    scan_filter_date_line(w->filter, (const char *)s, n, ascii, A.now, &o);
    if (w->record) record_date(w, &o);
    return;
  }
  scan_line_result r;
  /* Nothing stripped, cut or repaired: the line's "\n" still follows it. */
  int newline_follows = newline && (const char *)s == p && n == whole;
  if (scan_filter_line(w->filter, (const char *)s, n, ascii, newline_follows, w->line_number, A.now, &r) != 0)
    out_of_memory();
  if (w->steady_run) steady_line(w, &r.date);
  else if (w->record) record_date(w, &r.date);
  if (w->mode != RUN_FULL) return;
  if (r.abandoned) {
    /* Like the JS engine's watchdog: the line is skipped, counted in `lines` only. */
    if (w->abandoned_count < MAX_ABANDONED) w->abandoned[w->abandoned_count++] = w->line_number;
    return;
  }
  if (r.pref_matched) w->pref_matched++;
  if (r.failures > 0) w->matched++;
  else if (r.ignored) w->ignored++;
  else w->missed++;
}

static int has_text_besides_cr(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != '\r') return 1;
  return 0;
}

static const char *log_name(void) { return strcmp(A.log_path, "-") == 0 ? "standard input" : A.log_path; }

/*
 * Scans the log from byte `offset` (a line start) to `limit` (a line start, or UINT64_MAX for
 * the end), with read(2) when !positioned (standard input, or a file read whole), else pread.
 * Returns the line number of an unterminated last line, or 0. Lines are numbered on from
 * w->line_number.
 */
static uint64_t scan_range(worker *w, int positioned, uint64_t offset, uint64_t limit) {
  size_t keep = keep_bytes();
  size_t cap = keep + READ_CHUNK;
  char *rb = w->read_buf;
  const char *what = log_name();
  size_t start = 0, end = 0;
  uint64_t pos = offset;
  /* A line longer than the buffer: rb[0..keep) holds its start, the rest is only looked at. */
  int overlong = 0, overlong_more = 0;
  for (;;) {
    size_t want = cap - end;
    if (limit != UINT64_MAX && limit - pos < want) want = (size_t)(limit - pos);
    if (want == 0) break;
    ssize_t got = positioned ? pread(A.log_fd, rb + end, want, (off_t)pos) : read(A.log_fd, rb + end, want);
    if (got < 0) {
      if (errno == EINTR) continue;
      io_error(what, errno);
    }
    if (got == 0) break;
    pos += (uint64_t)got;
    w->bytes_read += (uint64_t)got;
    uint64_t lines_before = w->line_number;
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
      process_line(w, rb, keep, 1, overlong_more, 0);
      overlong = overlong_more = 0;
      start = (size_t)(nl - rb) + 1;
      if (w->checkpoint_due) checkpoint(w, pos - end + start);
    }
    for (;;) {
      char *nl = memchr(rb + start, '\n', end - start);
      if (!nl) break;
      process_line(w, rb + start, (size_t)(nl - (rb + start)), 0, 0, 1);
      start = (size_t)(nl - rb) + 1;
      if (w->checkpoint_due) checkpoint(w, pos - end + start);
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
    if (w->mode == RUN_FULL && A.progress) {
      atomic_fetch_add_explicit(&progress_bytes, (uint64_t)got, memory_order_relaxed);
      atomic_fetch_add_explicit(&progress_lines, w->line_number - lines_before, memory_order_relaxed);
    }
    if (w->reports_progress) report_progress(0);
  }
  if (strcmp(A.log_path, "-") == 0) {
    /* A pipe that has ended has ended its last line too: the JS engine reads standard input with
       readLineBatches' "keep", as fail2ban-regex reads sys.stdin. Only a file's unterminated last
       line may still be being written, and is left for later. */
    if (overlong) process_line(w, rb, keep, 1, overlong_more, 0);
    else if (end > start) process_line(w, rb + start, end - start, 0, 0, 0);
    return 0;
  }
  return (overlong || end > start) ? w->line_number + 1 : 0;
}

/* ---- two threads ---- */

/* The first line start at or after `from` (the byte after a newline), if any before `limit`. */
static int next_line_start(uint64_t from, uint64_t limit, uint64_t *out) {
  char buf[64 << 10];
  for (uint64_t pos = from > 0 ? from - 1 : 0; pos < limit;) {
    ssize_t n = pread(A.log_fd, buf, sizeof buf, (off_t)pos);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    char *nl = memchr(buf, '\n', (size_t)n);
    if (nl) {
      uint64_t start = pos + (uint64_t)(nl - buf) + 1;
      if (start >= limit) return 0;
      *out = start;
      return 1;
    }
    pos += (uint64_t)n;
  }
  return 0;
}

/*
 * The "\n" bytes of p[0..n). Thread 2 counts 10 MB of them before its part on the benchmark:
 * sixteen bytes a step (SSE2, in every x86-64) took that from 3.1 to 2.4 ms, where a memchr per
 * line mispredicted at every line end.
 */
static uint64_t newlines_in(const char *p, size_t n) {
  uint64_t count = 0;
  size_t i = 0;
#ifdef __SSE2__
  const __m128i nl = _mm_set1_epi8('\n');
  while (n - i >= 16) {
    /* Byte counters (0 - -1 per match) for at most 255 steps, then summed by _mm_sad_epu8. */
    size_t steps = (n - i) / 16 < 255 ? (n - i) / 16 : 255;
    __m128i acc = _mm_setzero_si128();
    for (size_t k = 0; k < steps; k++, i += 16)
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), nl));
    __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
    count += (uint64_t)_mm_cvtsi128_si32(sums) + (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
  }
#endif
  for (; i < n; i++) count += p[i] == '\n';
  return count;
}

/* The number of newlines in the log's first `end` bytes, read into buf[0..cap). */
static uint64_t count_newlines(uint64_t end, char *buf, size_t cap) {
  uint64_t lines = 0;
  for (uint64_t pos = 0; pos < end;) {
    size_t want = end - pos < cap ? (size_t)(end - pos) : cap;
    ssize_t n = pread(A.log_fd, buf, want, (off_t)pos);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error(log_name(), errno);
    }
    if (n == 0) break;
    lines += newlines_in(buf, (size_t)n);
    pos += (uint64_t)n;
  }
  return lines;
}

/*
 * Thread 2's part and what it leaves for thread 1. Its date outcomes are checked without a replay
 * while they stay steady (scan_date_outcome.steady): thread 2's detector at the boundary
 * (`course`) and thread 1's must be on the same course (date_detector_same_course); then each
 * steady line gives the same outcome in both and adds the same to the counts. From the first line
 * that is not steady on, thread 2 hashes its outcomes, starting at its last checkpoint (every
 * CHECKPOINT_LINES steady lines: a copy of its date stage in `checkpoint`); thread 1 rebuilds
 * its own date stage there (scan_date_stage_carry_counts) and replays from there only.
 */
#define CHECKPOINT_LINES 1024
typedef struct split_job {
  uint64_t window_start, middle;
  /* thread 2's answers */
  uint64_t window_incomplete, boundary_line, incomplete;
  text_buf state;
  scan_date_stage *course;     /* thread 2's date stage at the boundary */
  scan_date_stage *checkpoint; /* its date stage after checkpoint_steady steady lines */
  uint64_t checkpoint_steady, checkpoint_offset, checkpoint_line;
  /* Set (release) when the checkpoint is final: a line was not steady; the digest then covers
     the outcomes from the checkpoint on (complete once thread 2 is done). */
  atomic_int unsteady;
  unsigned char digest[32];
} split_job;

/* Thread 2, a steady run: the line's outcome waits (unhashed) until the next checkpoint. */
static void steady_line(worker *w, const scan_date_outcome *o) {
  if (o->steady) {
    if (text_buf_reserve(&w->pending, w->pending.len + 32) != 0) out_of_memory();
    w->pending.len += encode_date((unsigned char *)w->pending.data + w->pending.len, o, &w->pending_prev_time);
    if (++w->steady_lines % CHECKPOINT_LINES == 0) w->checkpoint_due = 1;
    return;
  }
  /* The first line that is not steady: the record starts at the last checkpoint. */
  split_job *job = w->job;
  w->steady_run = 0;
  w->checkpoint_due = 0;
  record_start(w);
  if (w->pending.len > 0) sha256_update(&w->dates, (const unsigned char *)w->pending.data, w->pending.len);
  w->rec_prev_time = w->pending_prev_time;
  text_buf_free(&w->pending);
  record_date(w, o);
  atomic_store_explicit(&job->unsteady, 1, memory_order_release);
}

/* Thread 2, a steady run: a checkpoint after the line that ended at next_offset. */
static void checkpoint(worker *w, uint64_t next_offset) {
  split_job *job = w->job;
  w->checkpoint_due = 0;
  if (scan_date_stage_copy(job->checkpoint, dates_of(w)) != 0) out_of_memory();
  job->checkpoint_steady = w->steady_lines;
  job->checkpoint_offset = next_offset;
  job->checkpoint_line = w->line_number;
  w->pending.len = 0;
  w->pending_prev_time = 0;
}

/* Thread 2: the window for its state, then the second part, its output held. */
static void *second_thread(void *arg) {
  split_job *job = arg;
  worker *w = A.second;
  w->line_number = count_newlines(job->window_start, w->read_buf, keep_bytes() + READ_CHUNK);
  w->mode = RUN_QUIET;
  job->window_incomplete = scan_range(w, 1, job->window_start, job->middle);
  job->boundary_line = w->line_number;
  if (scan_filter_state(w->filter, &job->state) != 0) out_of_memory();
  if (scan_date_stage_copy(job->course, dates_of(w)) != 0) out_of_memory();
  scan_filter_clear_hits(w->filter);
  w->mode = RUN_FULL;
  w->job = job;
  w->steady_run = 1;
  w->steady_lines = 0;
  w->pending_prev_time = 0;
  job->checkpoint_steady = 0;
  job->checkpoint_offset = job->middle;
  job->checkpoint_line = job->boundary_line;
  job->incomplete = scan_range(w, 1, job->middle, UINT64_MAX);
  if (!w->steady_run) record_digest(w, job->digest);
  w->steady_run = 0;
  text_buf_free(&w->pending);
  out_flush(&w->out);
  scan_regex_thread_done();
  return NULL;
}

/* The split of the log, when it is worth one: 1 with the window start and the boundary. */
static int plan_split(uint64_t *window_start, uint64_t *middle) {
  if (A.threads < 2 || strcmp(A.log_path, "-") == 0) return 0;
  struct stat st;
  if (fstat(A.log_fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  uint64_t size = (uint64_t)st.st_size;
  if (size < A.split_min_bytes || size == 0) return 0;
  uint64_t at = A.has_split_at ? A.split_at : (uint64_t)((double)size * SPLIT_FIRST_SHARE);
  if (!next_line_start(at, size, middle)) return 0;
  if (*middle <= A.split_window_bytes) return 0;
  if (!next_line_start(*middle - A.split_window_bytes, *middle, window_start)) return 0;
  return *window_start > 0 && *window_start < *middle;
}

static void add_counts(worker *to, const worker *from) {
  to->lines += from->lines;
  to->matched += from->matched;
  to->ignored += from->ignored;
  to->missed += from->missed;
  to->pref_matched += from->pref_matched;
  to->failures += from->failures;
  for (int i = 0; i < from->abandoned_count && to->abandoned_count < MAX_ABANDONED; i++)
    to->abandoned[to->abandoned_count++] = from->abandoned[i];
}

/*
 * Thread 1, once thread 2's checkpoint is final: the second part's date stage from there (from
 * the boundary when thread 2 had no steady line), from the true state, on a copy, hashed into
 * `digest`. 0 when that state is not known: a steady run on another course.
 */
static int replay_dates(split_job *job, uint64_t *incomplete, unsigned char digest[32]) {
  worker *t1 = &A.main, *rp = A.replay;
  uint64_t from = job->middle;
  if (job->checkpoint_steady > 0) {
    if (!scan_date_stage_same_course(dates_of(t1), job->course)) return 0;
    if (scan_date_stage_copy(dates_of(rp), job->checkpoint) != 0) out_of_memory();
    scan_date_stage_carry_counts(dates_of(rp), dates_of(t1), job->checkpoint_steady, A.now);
    from = job->checkpoint_offset;
  } else if (scan_date_stage_copy(dates_of(rp), dates_of(t1)) != 0) {
    out_of_memory();
  }
  rp->read_buf = t1->read_buf;
  rp->decode_buf = t1->decode_buf;
  rp->line_number = job->checkpoint_line;
  rp->reports_progress = t1->reports_progress;
  record_start(rp);
  *incomplete = scan_range(rp, 1, from, UINT64_MAX);
  record_digest(rp, digest);
  A.split_replayed = rp->line_number - job->checkpoint_line;
  return 1;
}

/*
 * The scan with two threads (see the top of this file). Returns the unterminated last line's
 * number, or 0; A.main then holds every count, A.second's filter the second part's hits when
 * verified.
 */
static uint64_t scan_split(uint64_t window_start, uint64_t middle) {
  worker *t1 = &A.main;
  A.second = calloc(1, sizeof *A.second);
  A.replay = calloc(1, sizeof *A.replay);
  if (!A.second || !A.replay) out_of_memory();
  worker *t2 = A.second, *rp = A.replay;
  t2->filter = new_filter(t2);
  worker_buffers(t2);
  A.hold.fd = -1;
  A.hold.limit = (size_t)A.split_hold_bytes;
  t2->out.fd = -1;
  t2->out.what = "held output";
  t2->out.hold = &A.hold;
  rp->filter = new_filter(rp);
  rp->mode = RUN_DATES;
  split_job job = {.window_start = window_start, .middle = middle};
  job.course = scan_date_stage_new(&A.plan);
  job.checkpoint = scan_date_stage_new(&A.plan);
  if (!job.course || !job.checkpoint) out_of_memory();
  atomic_init(&job.unsteady, 0);
  atomic_store(&threads_running, 1);
  pthread_t thread;
  int err = pthread_create(&thread, NULL, second_thread, &job);
  if (err != 0) io_error("a second thread", err);
  /* Thread 1: the first part, streamed. */
  uint64_t first_incomplete = scan_range(t1, 1, 0, middle);
  uint64_t boundary_line = t1->line_number;
  text_buf state = {0};
  if (scan_filter_state(t1->filter, &state) != 0) out_of_memory();
  /* The second part's dates: a replay (from the true state, on a copy) of what thread 2's steady
     run does not vouch for, started now if thread 2 already knows where, else once it is done. */
  int replayed = 0, dates_checked = 0;
  uint64_t replay_incomplete = 0;
  unsigned char digest[32];
  if (atomic_load_explicit(&job.unsteady, memory_order_acquire)) {
    replayed = 1;
    dates_checked = replay_dates(&job, &replay_incomplete, digest);
  }
  err = pthread_join(thread, NULL);
  if (err != 0) io_error("a second thread", err);
  atomic_store(&threads_running, 0);
  if (!replayed && atomic_load(&job.unsteady)) {
    replayed = 1;
    dates_checked = replay_dates(&job, &replay_incomplete, digest);
  }
  if (replayed)
    dates_checked = dates_checked && replay_incomplete == job.incomplete && memcmp(digest, job.digest, sizeof digest) == 0;
  else
    dates_checked = scan_date_stage_same_course(dates_of(t1), job.course);
  int verified = first_incomplete == 0 && job.window_incomplete == 0 && job.boundary_line == boundary_line &&
                 state.len == job.state.len && memcmp(state.data, job.state.data, state.len) == 0 && dates_checked;
  text_buf_free(&state);
  text_buf_free(&job.state);
  scan_date_stage_free(job.course);
  scan_date_stage_free(job.checkpoint);
  if (verified) {
    A.split_outcome = "verified";
    /* --dump-date-state: the date stage one thread would end with (tests compare it), the
       replay's, or thread 2's final one with thread 1's counts carried over its steady lines. */
    if (A.dump_date_state && !replayed) {
      if (scan_date_stage_copy(dates_of(rp), dates_of(t2->steady_lines > 0 ? t2 : t1)) != 0) out_of_memory();
      scan_date_stage_carry_counts(dates_of(rp), dates_of(t1), t2->steady_lines, A.now);
    }
    A.final_dates = dates_of(rp);
    out_flush(&t1->out);
    held_drain(&A.hold, t1->out.fd, t1->out.what, t1->out.buf, t1->out.cap);
    held_free(&A.hold);
    add_counts(t1, t2);
    t1->line_number = t2->line_number;
    return job.incomplete;
  }
  /* Thread 1's filter is still at the true boundary: it scans the second part itself. */
  A.split_outcome = "rerun";
  held_free(&A.hold);
  worker_free(t2);
  free(A.second);
  A.second = NULL;
  if (first_incomplete != 0) return first_incomplete; /* the file shrank under us */
  /* Progress starts over from the boundary (report_progress never goes back). */
  atomic_store(&progress_bytes, middle);
  atomic_store(&progress_lines, boundary_line);
  return scan_range(t1, 1, middle, UINT64_MAX);
}

/* Returns the line number of a log file's unterminated last line, or 0. */
static uint64_t scan_log(void) {
  worker_buffers(&A.main);
  A.main.out.fd = 1;
  A.main.out.what = "standard output";
  A.main.mode = RUN_FULL;
  A.main.reports_progress = 1;
  uint64_t window_start, middle;
  if (plan_split(&window_start, &middle)) return scan_split(window_start, middle);
  return scan_range(&A.main, 0, 0, UINT64_MAX);
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
  const worker *w = &A.main;
  const uint64_t *fail_hits = scan_filter_fail_hits(w->filter, &nf);
  const uint64_t *ignore_hits = scan_filter_ignore_hits(w->filter, &ni);
  /* A verified split: the second part's hits are thread 2's. */
  const uint64_t *fail_more = A.second ? scan_filter_fail_hits(A.second->filter, &nf) : NULL;
  const uint64_t *ignore_more = A.second ? scan_filter_ignore_hits(A.second->filter, &ni) : NULL;
  const char *names[] = {"lines", "matched", "ignored", "missed", "prefMatched", "failures"};
  uint64_t values[] = {w->lines, w->matched, w->ignored, w->missed, w->pref_matched, w->failures};
  for (int i = 0; i < 6; i++) {
    text_buf_append(&b, i == 0 ? "{\"" : ",\"", 2);
    text_buf_append(&b, names[i], strlen(names[i]));
    text_buf_append(&b, "\":", 2);
    append_uint(&b, values[i]);
  }
  text_buf_append(&b, ",\"failHits\":[", 13);
  for (int i = 0; i < nf; i++) {
    if (i) text_buf_append(&b, ",", 1);
    append_uint(&b, fail_hits[i] + (fail_more ? fail_more[i] : 0));
  }
  text_buf_append(&b, "],\"ignoreHits\":[", 16);
  for (int i = 0; i < ni; i++) {
    if (i) text_buf_append(&b, ",", 1);
    append_uint(&b, ignore_hits[i] + (ignore_more ? ignore_more[i] : 0));
  }
  text_buf_append(&b, "],\"abandoned\":[", 15);
  for (int i = 0; i < w->abandoned_count; i++) {
    if (i) text_buf_append(&b, ",", 1);
    append_uint(&b, w->abandoned[i]);
  }
  text_buf_append(&b, "],\"incompleteLine\":", 19);
  if (incomplete) append_uint(&b, incomplete);
  else text_buf_append(&b, "null", 4);
  if (A.split_outcome) {
    text_buf_append(&b, ",\"split\":\"", 10);
    text_buf_append(&b, A.split_outcome, strlen(A.split_outcome));
    text_buf_append(&b, "\",\"replayedLines\":", 18);
    append_uint(&b, A.split_replayed);
  }
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
  out_flush(&A.main.out);
  report_progress(1);
  write_stats(incomplete);
  if (A.dump_date_state && (A.final_dates || A.main.filter))
    scan_date_stage_dump(A.final_dates ? A.final_dates : dates_of(&A.main), stderr);
  finish(0);
}
