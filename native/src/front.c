/*
 * rampart: the CLI's native front door. bin/rampart hands `rampart filter ...` here.
 *
 * `rampart filter test LOG FILTER [--filter-dir DIR] [--json] [--engine auto|native] [--threads N]`
 * whose scan plan is in the plan cache runs here without starting Node (Node alone takes 60-100 ms,
 * about what the scanner needs for 100,000 lines). The cache entry (format version 2, written
 * and documented by src/adapters/native/plan-cache.ts) lists every condition of its own
 * validity; each is checked here exactly as that module checks it, then rampart-scan runs the
 * plan (fd 3, read straight from the entry) and the output, messages and exit status are those
 * of src/cli/commands/filter.ts nativeFilterTest.
 *
 * Everything else goes to Node unchanged (`node bin/rampart ARGS`): other commands and options,
 * a missing or stale entry (Node rebuilds it), a log that cannot be opened (Node words that
 * error), arguments that are not valid UTF-8.
 * Going to Node is always correct; this file only decides when it is not needed.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"
#include "text.h"

extern char **environ;

#define MAX_ENTRY_BYTES (64u << 20)
#define MAX_CHILD_OUTPUT_BYTES (1u << 20) /* per pipe: stats, stderr */
#define SCANNER_SUFFIX "/native/build/rampart"

static char root[PATH_MAX];
static int root_known;
static int saved_argc;
static char **saved_argv;

/* ---- going to Node ---- */

static _Noreturn void to_node(void) {
  char script[PATH_MAX + 16];
  if (!root_known) {
    fprintf(stderr, "rampart: cannot find the package folder of %s\n", saved_argv[0]);
    exit(1);
  }
  snprintf(script, sizeof script, "%s/bin/rampart", root);
  char **args = calloc((size_t)saved_argc + 2, sizeof *args);
  if (!args) {
    fprintf(stderr, "rampart: out of memory\n");
    exit(1);
  }
  args[0] = "node";
  args[1] = script;
  for (int i = 1; i < saved_argc; i++) args[i + 1] = saved_argv[i];
  execvp("node", args);
  fprintf(stderr, "rampart: cannot start node: %s\n", strerror(errno));
  exit(1);
}

/* ---- small helpers ---- */

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Reads a whole file; NULL when it cannot be opened or read (like readFileSync throwing). */
static unsigned char *read_whole(int fd, size_t *len) {
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap);
  if (!buf) return NULL;
  for (;;) {
    if (n == cap) {
      if (cap >= MAX_ENTRY_BYTES) break;
      unsigned char *bigger = realloc(buf, cap * 2);
      if (!bigger) break;
      buf = bigger;
      cap *= 2;
    }
    ssize_t k = read(fd, buf + n, cap - n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) break;
    if (k == 0) {
      *len = n;
      return buf;
    }
    n += (size_t)k;
  }
  free(buf);
  return NULL;
}

static void hex_of(const void *data, size_t n, char hex[65]) {
  sha256_ctx c;
  unsigned char d[32];
  sha256_init(&c);
  sha256_update(&c, data, n);
  sha256_final(&c, d);
  sha256_hex(d, hex);
}

/* A move of `fd` to 10 or above (close-on-exec), so that dup2 onto 0..4 in the child is real. */
static int high_fd(int fd) {
  if (fd < 0 || fd >= 10) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  close(fd);
  return moved;
}

/* ---- arguments (node:util parseArgs, strict, as filter.ts declares them) ---- */

typedef struct {
  const char *log;
  const char *spec;
  const char *filter_dir; /* NULL: not given */
  int json;
  int threads; /* 0: not given */
} request;

static const char *option_value(int argc, char **argv, int *i, const char *name) {
  const char *arg = argv[*i];
  size_t n = strlen(name);
  if (arg[n] == '=') return arg + n + 1;
  /* parseArgs refuses a value that looks like an option; Node words that error. */
  if (*i + 1 >= argc || argv[*i + 1][0] == '-') to_node();
  return argv[++*i];
}

static void parse_request(int argc, char **argv, request *r) {
  memset(r, 0, sizeof *r);
  const char *positionals[2];
  int count = 0, seen_dir = 0, seen_engine = 0, seen_threads = 0;
  for (int i = 3; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--") == 0) {
      for (i++; i < argc; i++) {
        if (count == 2) to_node();
        positionals[count++] = argv[i];
      }
      break;
    }
    if (arg[0] != '-' || strcmp(arg, "-") == 0) {
      if (count == 2) to_node();
      positionals[count++] = arg;
    } else if (strcmp(arg, "--json") == 0) {
      r->json = 1;
    } else if (strncmp(arg, "--filter-dir", 12) == 0 && (arg[12] == '\0' || arg[12] == '=')) {
      if (seen_dir++) to_node();
      r->filter_dir = option_value(argc, argv, &i, "--filter-dir");
    } else if (strncmp(arg, "--engine", 8) == 0 && (arg[8] == '\0' || arg[8] == '=')) {
      if (seen_engine++) to_node();
      const char *engine = option_value(argc, argv, &i, "--engine");
      if (strcmp(engine, "auto") != 0 && strcmp(engine, "native") != 0) to_node();
    } else if (strncmp(arg, "--threads", 9) == 0 && (arg[9] == '\0' || arg[9] == '=')) {
      if (seen_threads++) to_node();
      const char *threads = option_value(argc, argv, &i, "--threads");
      if (strcmp(threads, "1") != 0 && strcmp(threads, "2") != 0) to_node();
      r->threads = threads[0] - '0';
    } else {
      to_node();
    }
  }
  if (count != 2) to_node();
  r->log = positionals[0];
  r->spec = positionals[1];
  /* Node reads its arguments as UTF-8: other bytes would make a different key there. */
  for (int i = 1; i < argc; i++)
    if (!utf8_is_valid((const unsigned char *)argv[i], strlen(argv[i]))) to_node();
}

/* ---- the cache folder (plan-cache.ts planCacheDir and PlanCache.open) ---- */

static void cache_dir(char *out, size_t cap) {
  const char *explicit = getenv("RAMPART_CACHE_DIR");
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  int k;
  if (explicit) {
    if (!*explicit) to_node(); /* disabled */
    k = snprintf(out, cap, "%s", explicit);
  } else if (xdg && *xdg) {
    k = snprintf(out, cap, "%s/rampart", xdg);
  } else if (home && *home) {
    k = snprintf(out, cap, "%s/.cache/rampart", home);
  } else {
    to_node();
  }
  if (k < 0 || (size_t)k >= cap) to_node();
  struct stat st;
  /* A plan decides what the scanner runs: never trust a folder someone else can write. */
  if (lstat(out, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 022) != 0)
    to_node();
}

/* ---- the entry ---- */

typedef struct {
  const unsigned char *p;
  size_t n;
} span;

typedef struct {
  long max_line;
  span pref;
  span fail[4096];
  int fail_count;
  span ignore[4096];
  int ignore_count;
  size_t plan_offset;
} entry;

static int span_is(span s, const char *text) { return s.n == strlen(text) && memcmp(s.p, text, s.n) == 0; }

/* A NUL-terminated copy of a path payload; NULL (a failed check) if it holds a NUL. */
static char *path_of(span s) {
  if (memchr(s.p, '\0', s.n)) return NULL;
  char *path = malloc(s.n + 1);
  if (!path) return NULL;
  memcpy(path, s.p, s.n);
  path[s.n] = '\0';
  return path;
}

static int parse_decimal(span s, int allow_minus, long long *out) {
  size_t i = 0;
  int negative = 0;
  if (allow_minus && s.n > 0 && s.p[0] == '-') negative = 1, i = 1;
  if (i >= s.n || s.n - i > 19) return -1;
  unsigned long long v = 0;
  for (; i < s.n; i++) {
    if (s.p[i] < '0' || s.p[i] > '9') return -1;
    v = v * 10 + (s.p[i] - '0');
  }
  if (v > (unsigned long long)LLONG_MAX) return -1;
  *out = negative ? -(long long)v : (long long)v;
  return 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* plan-cache.ts listingHash: sha256 of the names, sorted bytewise, each followed by NUL. */
static int listing_hash(const char *dir, char hex[65]) {
  DIR *d = opendir(dir);
  if (!d) {
    strcpy(hex, "-");
    return 0;
  }
  size_t count = 0, cap = 64;
  char **names = malloc(cap * sizeof *names);
  struct dirent *e;
  int failed = names == NULL;
  while (!failed && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (count == cap) {
      char **bigger = realloc(names, cap * 2 * sizeof *names);
      if (!bigger) {
        failed = 1;
        break;
      }
      names = bigger;
      cap *= 2;
    }
    if (!(names[count] = strdup(e->d_name))) failed = 1;
    else count++;
  }
  closedir(d);
  if (!failed) {
    qsort(names, count, sizeof *names, compare_names);
    sha256_ctx c;
    unsigned char digest[32];
    sha256_init(&c);
    for (size_t i = 0; i < count; i++) sha256_update(&c, names[i], strlen(names[i]) + 1);
    sha256_final(&c, digest);
    sha256_hex(digest, hex);
  }
  for (size_t i = 0; i < count; i++) free(names[i]);
  free(names);
  return failed ? -1 : 0;
}

/* plan-cache.ts holds() for `read`: sha256 of the bytes, "-" when unreadable. */
static int file_hash(const char *path, char hex[65]) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    strcpy(hex, "-");
    return 0;
  }
  sha256_ctx c;
  unsigned char digest[32], buf[1 << 16];
  sha256_init(&c);
  for (;;) {
    ssize_t k = read(fd, buf, sizeof buf);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      close(fd);
      strcpy(hex, "-"); /* EISDIR and the like: readFileSync throws */
      return 0;
    }
    if (k == 0) break;
    sha256_update(&c, buf, (size_t)k);
  }
  close(fd);
  sha256_final(&c, digest);
  sha256_hex(digest, hex);
  return 0;
}

/* One condition: 1 holds, 0 not. */
static int condition_holds(span tag, span *args, span payload) {
  char *path = path_of(payload);
  if (!path) return 0;
  int ok = 0;
  if (span_is(tag, "stat")) {
    struct stat st;
    long long size, mtime, ino;
    if (parse_decimal(args[0], 0, &size) == 0 && parse_decimal(args[1], 1, &mtime) == 0 &&
        parse_decimal(args[2], 0, &ino) == 0 && stat(path, &st) == 0) {
      long long now_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
      ok = (long long)st.st_size == size && now_ns == mtime && (long long)st.st_ino == ino;
    }
  } else {
    char hex[65];
    int rc = span_is(tag, "list") ? listing_hash(path, hex) : file_hash(path, hex);
    ok = rc == 0 && args[0].n == strlen(hex) && memcmp(args[0].p, hex, args[0].n) == 0;
  }
  free(path);
  return ok;
}

static int local_year(void) {
  time_t t = time(NULL);
  struct tm tm;
  if (!localtime_r(&t, &tm)) return -1;
  return tm.tm_year + 1900;
}

/*
 * Checks the entry against `key` and every condition it lists; fills `e`. 1: usable, 0: not
 * (missing, stale or malformed: Node decides and rebuilds).
 */
static int check_entry(const unsigned char *b, size_t n, const char *key, size_t key_len, entry *e) {
  static const char magic[] = "rampart scan-plan cache 2\n";
  memset(e, 0, sizeof *e);
  e->max_line = -1;
  size_t at = sizeof magic - 1;
  int has_key = 0, has_year = 0;
  if (n < at || memcmp(b, magic, at) != 0) return 0;
  /* "sum HASH 0\n\n": the sha256 of every byte after it. */
  if (n - at < 72 || memcmp(b + at, "sum ", 4) != 0 || memcmp(b + at + 68, " 0\n\n", 4) != 0) return 0;
  char sum[65];
  hex_of(b + at + 72, n - at - 72, sum);
  if (memcmp(b + at + 4, sum, 64) != 0) return 0;
  at += 72;
  for (;;) {
    const unsigned char *eol = memchr(b + at, '\n', n - at);
    if (!eol) return 0;
    span fields[8];
    int count = 0;
    size_t start = at, end = (size_t)(eol - b);
    for (size_t i = at; i <= end; i++) {
      if (i == end || b[i] == ' ') {
        if (count == 8) return 0;
        fields[count++] = (span){b + start, i - start};
        start = i + 1;
      }
    }
    long long length;
    if (count < 2 || parse_decimal(fields[count - 1], 0, &length) != 0) return 0;
    size_t body = end + 1;
    if ((unsigned long long)length > n - body) return 0;
    span payload = {b + body, (size_t)length};
    span tag = fields[0];
    span *args = fields + 1;
    int arity = count - 2;
    if (span_is(tag, "plan")) {
      if (body + payload.n != n || arity != 0 || !has_key || !has_year || e->max_line < 0) return 0;
      e->plan_offset = body;
      return 1;
    }
    if (body + payload.n >= n || b[body + payload.n] != '\n') return 0;
    at = body + payload.n + 1;
    long long v;
    if (span_is(tag, "key") && arity == 0) {
      if (payload.n != key_len || memcmp(payload.p, key, key_len) != 0) return 0;
      has_key = 1;
    } else if (span_is(tag, "year") && arity == 1) {
      if (parse_decimal(args[0], 0, &v) != 0 || v != local_year()) return 0;
      has_year = 1;
    } else if (span_is(tag, "maxline") && arity == 1) {
      if (parse_decimal(args[0], 0, &v) != 0 || v <= 0) return 0; /* the scanner checks the range */
      e->max_line = (long)v;
    } else if ((span_is(tag, "stat") && arity == 3) || ((span_is(tag, "list") || span_is(tag, "read")) && arity == 1)) {
      if (!condition_holds(tag, args, payload)) return 0;
    } else if (span_is(tag, "name") && arity == 0) {
      /* the filter's name: Node's summary has no use for it either */
    } else if (span_is(tag, "pref") && arity == 0) {
      e->pref = payload;
    } else if (span_is(tag, "fail") && arity == 0) {
      if (e->fail_count == 4096) return 0;
      e->fail[e->fail_count++] = payload;
    } else if (span_is(tag, "ignore") && arity == 0) {
      if (e->ignore_count == 4096) return 0;
      e->ignore[e->ignore_count++] = payload;
    } else {
      return 0;
    }
  }
}

/* ---- the scanner's counts (its --stats-fd JSON object, native/src/main.c write_stats) ---- */

#define MAX_HITS 4096

typedef struct {
  uint64_t lines, matched, ignored, missed, pref_matched, failures;
  uint64_t fail_hits[MAX_HITS];
  int fail_hits_count;
  uint64_t ignore_hits[MAX_HITS];
  int ignore_hits_count;
  uint64_t abandoned[1000];
  int abandoned_count;
  uint64_t incomplete; /* 0: null */
  char split[16];      /* "" when the scan was not split */
} counts;

static int parse_uint(const char **p, uint64_t *out) {
  const char *s = *p;
  if (*s < '0' || *s > '9') return -1;
  uint64_t v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (uint64_t)(*s++ - '0');
  *p = s;
  *out = v;
  return 0;
}

static int parse_uint_array(const char **p, uint64_t *out, int cap, int *count) {
  const char *s = *p;
  if (*s++ != '[') return -1;
  *count = 0;
  if (*s == ']') {
    *p = s + 1;
    return 0;
  }
  for (;;) {
    uint64_t v;
    if (*count == cap || parse_uint(&s, &v) != 0) return -1;
    out[(*count)++] = v;
    if (*s == ']') break;
    if (*s++ != ',') return -1;
  }
  *p = s + 1;
  return 0;
}

/* The last line of `text` as the final counts; -1 if it is not that object. */
static int parse_counts(const char *text, counts *c) {
  memset(c, 0, sizeof *c);
  const char *s = text;
  if (*s++ != '{') return -1;
  int seen = 0;
  for (;;) {
    if (*s++ != '"') return -1;
    const char *name = s;
    while (*s && *s != '"') s++;
    size_t n = (size_t)(s - name);
    if (*s++ != '"' || *s++ != ':') return -1;
#define IS(k) (n == strlen(k) && memcmp(name, k, n) == 0)
    uint64_t *scalar = IS("lines")         ? &c->lines
                       : IS("matched")     ? &c->matched
                       : IS("ignored")     ? &c->ignored
                       : IS("missed")      ? &c->missed
                       : IS("prefMatched") ? &c->pref_matched
                       : IS("failures")    ? &c->failures
                                           : NULL;
    int rc;
    if (scalar) rc = parse_uint(&s, scalar), seen++;
    else if (IS("failHits")) rc = parse_uint_array(&s, c->fail_hits, MAX_HITS, &c->fail_hits_count), seen++;
    else if (IS("ignoreHits")) rc = parse_uint_array(&s, c->ignore_hits, MAX_HITS, &c->ignore_hits_count), seen++;
    else if (IS("abandoned")) rc = parse_uint_array(&s, c->abandoned, 1000, &c->abandoned_count), seen++;
    else if (IS("incompleteLine")) {
      seen++;
      if (strncmp(s, "null", 4) == 0) s += 4, rc = 0;
      else rc = parse_uint(&s, &c->incomplete);
    } else if (IS("replayedLines")) {
      uint64_t replayed;
      rc = parse_uint(&s, &replayed);
    } else if (IS("split") && *s == '"') {
      const char *v = ++s;
      while (*s && *s != '"') s++;
      if (*s != '"' || (size_t)(s - v) >= sizeof c->split) return -1;
      memcpy(c->split, v, (size_t)(s - v));
      s++;
      rc = 0;
    } else
      return -1;
#undef IS
    if (rc != 0) return -1;
    if (*s == '}') break;
    if (*s++ != ',') return -1;
  }
  return seen == 10 ? 0 : -1;
}

/* ---- the summary (filter.ts renderSummary) ---- */

static void put(text_buf *b, const char *s) { text_buf_append(b, s, strlen(s)); }
static void put_span(text_buf *b, span s) { text_buf_append(b, s.p, s.n); }
static void put_uint(text_buf *b, uint64_t v) {
  char t[24];
  text_buf_append(b, t, u64_to_decimal(v, t));
}

/* Number.prototype.toLocaleString("en-US") of a whole number: groups of three, with commas. */
static void put_grouped(text_buf *b, uint64_t v) {
  char t[24];
  size_t n = u64_to_decimal(v, t);
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && (n - i) % 3 == 0) put(b, ",");
    text_buf_append(b, t + i, 1);
  }
}

static void put_hits(text_buf *b, const span *sources, int count, const uint64_t *hits, int hit_count) {
  for (int i = 0; i < count; i++) {
    char number[32];
    snprintf(number, sizeof number, "|  %2d) [", i + 1);
    put(b, number);
    put_uint(b, i < hit_count ? hits[i] : 0);
    put(b, "] ");
    put_span(b, sources[i]);
    put(b, "\n");
  }
}

static void render_summary(text_buf *b, const request *r, const entry *e, const counts *c, double elapsed) {
  put(b, "Running tests\n=============\n\nUse   failregex filter : ");
  put(b, r->spec);
  if (r->filter_dir && *r->filter_dir) {
    put(b, ", filter dir: ");
    put(b, r->filter_dir);
  } else
    put(b, " (built-in)");
  put(b, "\nUse         log file   : ");
  put(b, strcmp(r->log, "-") == 0 ? "standard input" : r->log);
  put(b, "\n\nResults\n=======\n\n");
  if (e->pref.p) {
    put(b, "Prefregex: ");
    put_uint(b, c->pref_matched);
    put(b, " total\n|  ");
    put_span(b, e->pref);
    put(b, "\n`-\n\n");
  }
  uint64_t total = 0;
  for (int i = 0; i < e->fail_count; i++) total += i < c->fail_hits_count ? c->fail_hits[i] : 0;
  put(b, "Failregex: ");
  put_uint(b, total);
  put(b, " total\n|-  #) [# of hits] regular expression\n");
  put_hits(b, e->fail, e->fail_count, c->fail_hits, c->fail_hits_count);
  put(b, "`-\n\n");
  total = 0;
  for (int i = 0; i < e->ignore_count; i++) total += i < c->ignore_hits_count ? c->ignore_hits[i] : 0;
  put(b, "Ignoreregex: ");
  put_uint(b, total);
  put(b, " total\n");
  if (e->ignore_count > 0) {
    put(b, "|-  #) [# of hits] regular expression\n");
    put_hits(b, e->ignore, e->ignore_count, c->ignore_hits, c->ignore_hits_count);
    put(b, "`-\n");
  }
  put(b, "\nLines: ");
  put_uint(b, c->lines);
  put(b, " lines, ");
  put_uint(b, c->ignored);
  put(b, " ignored, ");
  put_uint(b, c->matched);
  put(b, " matched, ");
  put_uint(b, c->missed);
  put(b, " missed");
  if (c->abandoned_count > 0) {
    put(b, ", ");
    put_uint(b, (uint64_t)c->abandoned_count);
    put(b, " over time budget");
  }
  char seconds[64];
  snprintf(seconds, sizeof seconds, "\n[processed in %.3f sec, ", elapsed);
  put(b, seconds);
  /* Math.round: halves go up. */
  put_grouped(b, elapsed > 0 ? (uint64_t)floor((double)c->lines / elapsed + 0.5) : c->lines);
  put(b, " lines/s");
  if (c->split[0]) put(b, strcmp(c->split, "rerun") == 0 ? ", 2 threads (second half rerun)" : ", 2 threads");
  put(b, "]\n");
}

/* ---- the progress line (filter.ts progressReporter), on a terminal ---- */

typedef struct {
  int enabled;
  double total;     /* the log's size, 0 when unknown */
  double started;   /* monotonic seconds */
  double last_draw; /* monotonic seconds, < 0 before the first draw */
} progress_line;

static double monotonic_seconds(void);

static void progress_draw(progress_line *p, uint64_t bytes, uint64_t lines) {
  double now = monotonic_seconds();
  if (now - (p->last_draw < 0 ? p->started : p->last_draw) < 0.2) return;
  p->last_draw = now;
  text_buf b = {0};
  char t[64];
  put(&b, "\r");
  if (p->total > 0) {
    snprintf(t, sizeof t, "%.0f%% ", 100.0 * (double)bytes / p->total);
    put(&b, t);
  }
  snprintf(t, sizeof t, "%.1f MiB, ", (double)bytes / 1048576);
  put(&b, t);
  put_grouped(&b, lines);
  put(&b, " lines, ");
  double elapsed = now - p->started;
  put_grouped(&b, elapsed > 0 ? (uint64_t)floor((double)lines / elapsed + 0.5) : lines);
  put(&b, " lines/s   ");
  if (b.data) write_all(2, b.data, b.len);
  text_buf_free(&b);
}

/* Draws from the complete {"progress":...} lines at the start of `stats`, and drops them. */
static void drain_progress(text_buf *stats, progress_line *p) {
  static const char head[] = "{\"progress\":{\"bytes\":";
  size_t at = 0;
  for (;;) {
    char *nl = memchr(stats->data + at, '\n', stats->len - at);
    if (!nl || stats->len - at < sizeof head - 1 || memcmp(stats->data + at, head, sizeof head - 1) != 0) break;
    const char *s = stats->data + at + sizeof head - 1;
    uint64_t bytes, lines;
    if (parse_uint(&s, &bytes) == 0 && strncmp(s, ",\"lines\":", 9) == 0) {
      s += 9;
      if (parse_uint(&s, &lines) == 0) progress_draw(p, bytes, lines);
    }
    at = (size_t)(nl - stats->data) + 1;
  }
  memmove(stats->data, stats->data + at, stats->len - at);
  stats->len -= at;
}

static void progress_done(progress_line *p) {
  if (p->enabled && p->last_draw >= 0) write_all(2, "\r\x1b[K", 4);
}

/* ---- running the scanner ---- */

static double monotonic_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void trim(text_buf *b) {
  size_t start = 0, end = b->len;
  while (start < end && (b->data[start] == ' ' || (b->data[start] >= '\t' && b->data[start] <= '\r'))) start++;
  while (end > start && (b->data[end - 1] == ' ' || (b->data[end - 1] >= '\t' && b->data[end - 1] <= '\r'))) end--;
  memmove(b->data, b->data + start, end - start);
  b->len = end - start;
}

/* runNativeScan's arguments (src/adapters/native/native-scanner.ts), in its order. */
static void scanner_args(const request *r, char *scanner, long max_line_value, int tty, int from_stdin,
                         char now_text[JS_NUMBER_MAX + 1], char max_line[24], char *args[16]) {
  /* filter.ts passes Date.now() / 1000 as a JS number string. */
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  double now = (double)((int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000) / 1000;
  now_text[js_number_to_string(now, now_text)] = '\0';
  snprintf(max_line, 24, "%ld", max_line_value);
  int n = 0;
  char *fixed[] = {scanner, "--plan-fd", "3", "--stats-fd", "4", "--now", now_text, "--max-line-length", max_line};
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) args[n++] = fixed[i];
  if (r->json) args[n++] = "--json";
  if (tty) args[n++] = "--progress";
  /* filter.ts: --threads defaults to 2 when this process may run on two CPUs or more (Node's
     availableParallelism, i.e. the affinity mask); standard input is never split. */
  int threads = r->threads;
  if (threads == 0) {
    cpu_set_t cpus;
    threads = sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) >= 2 ? 2 : 1;
  }
  if (threads == 2 && !from_stdin) {
    args[n++] = "--threads";
    args[n++] = "2";
  }
  args[n++] = "--";
  args[n++] = (char *)r->log;
  args[n] = NULL;
}

int main(int argc, char **argv) {
  saved_argc = argc;
  saved_argv = argv;
  signal(SIGPIPE, SIG_IGN);
  char self[PATH_MAX];
  if (realpath("/proc/self/exe", self)) {
    size_t n = strlen(self), s = strlen(SCANNER_SUFFIX);
    if (n > s && strcmp(self + n - s, SCANNER_SUFFIX) == 0) {
      memcpy(root, self, n - s);
      root[n - s] = '\0';
      root_known = 1;
    }
  }
  if (argc < 3 || strcmp(argv[1], "filter") != 0 || strcmp(argv[2], "test") != 0) to_node();
  int tty = isatty(2);
  request r;
  parse_request(argc, argv, &r);

  char scanner[PATH_MAX + 32];
  const char *scanner_env = getenv("RAMPART_NATIVE_SCANNER");
  if (scanner_env) {
    if (strlen(scanner_env) >= sizeof scanner) to_node();
    strcpy(scanner, scanner_env);
  } else {
    if (!root_known) to_node();
    snprintf(scanner, sizeof scanner, "%s/native/build/rampart-scan", root);
  }
  if (access(scanner, X_OK) != 0) to_node();

  /* plan-cache.ts keyText and entryName. */
  text_buf key = {0};
  put(&key, "rampart plan key 2");
  text_buf_append(&key, "", 1);
  put(&key, r.spec);
  text_buf_append(&key, "", 1);
  put(&key, r.filter_dir ? "d" : "-");
  if (r.filter_dir) put(&key, r.filter_dir);
  text_buf_append(&key, "", 1);
  put(&key, scanner);
  if (!key.data) to_node();
  char key_hex[65], dir[PATH_MAX], path[PATH_MAX + 128];
  hex_of(key.data, key.len, key_hex);
  key_hex[32] = '\0';
  cache_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/scan-plan-%s", dir, key_hex);
  int entry_fd = high_fd(open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (entry_fd < 0) to_node();
  size_t entry_len;
  unsigned char *bytes = read_whole(entry_fd, &entry_len);
  static entry e;
  if (!bytes || !check_entry(bytes, entry_len, key.data, key.len, &e)) to_node();
  if (lseek(entry_fd, (off_t)e.plan_offset, SEEK_SET) != (off_t)e.plan_offset) to_node();

  int from_stdin = strcmp(r.log, "-") == 0;
  double log_size = 0; /* for the progress line's percentage */
  if (!from_stdin) {
    struct stat st;
    int fd = open(r.log, O_RDONLY | O_CLOEXEC);
    int ok = fd >= 0 && fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode);
    if (fd >= 0) close(fd);
    if (!ok) to_node();
    log_size = (double)st.st_size;
  }

  char now_text[JS_NUMBER_MAX + 1], max_line[24];
  char *args[16];
  scanner_args(&r, scanner, e.max_line, tty, from_stdin, now_text, max_line, args);

  int stats_pipe[2], err_pipe[2];
  if (pipe2(stats_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) to_node();
  for (int i = 0; i < 2; i++) {
    stats_pipe[i] = high_fd(stats_pipe[i]);
    err_pipe[i] = high_fd(err_pipe[i]);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, entry_fd, 3);
  posix_spawn_file_actions_adddup2(&actions, stats_pipe[1], 4);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  /* filter.ts: a log file's scanner gets no standard input; "-" passes ours on. */
  if (!from_stdin) posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  double started = monotonic_seconds();
  progress_line progress = {tty, log_size, started, -1};
  pid_t pid;
  int spawn_error = posix_spawn(&pid, scanner, &actions, NULL, args, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(stats_pipe[1]);
  close(err_pipe[1]);
  close(entry_fd);
  if (spawn_error != 0) {
    fprintf(stderr, "rampart: internal error: cannot run %s: %s\n", scanner, strerror(spawn_error));
    return 1;
  }
  text_buf stats = {0}, err = {0};
  struct pollfd fds[2] = {{stats_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_count = 2;
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char chunk[8192];
      ssize_t k = read(fds[i].fd, chunk, sizeof chunk);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_count--;
        continue;
      }
      text_buf *b = i == 0 ? &stats : &err;
      if (b->len < MAX_CHILD_OUTPUT_BYTES) text_buf_append(b, chunk, (size_t)k);
      if (i == 0 && tty) drain_progress(&stats, &progress);
    }
  }
  progress_done(&progress);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  double elapsed = monotonic_seconds() - started;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  text_buf_append(&stats, "", 1);
  counts c;
  /* The final counts are the last line (progress lines, if any, come before). */
  char *last = stats.data;
  if (last) {
    char *end = last + strlen(last);
    while (end > last && end[-1] == '\n') *--end = '\0';
    char *nl = strrchr(last, '\n');
    if (nl) last = nl + 1;
  }
  int have_counts = code == 0 && last && parse_counts(last, &c) == 0;
  if (!have_counts) {
    trim(&err);
    text_buf_append(&err, "", 1);
    char fallback[PATH_MAX + 160];
    if (code >= 0) snprintf(fallback, sizeof fallback, "%s exited with status %d and no counts", scanner, code);
    else snprintf(fallback, sizeof fallback, "%s exited with status null and no counts", scanner);
    const char *message = err.data && err.data[0] ? err.data : fallback;
    if (code == 1) {
      fprintf(stderr, "rampart filter test: cannot read log \"%s\": %s\n", r.log, message);
      return 2;
    }
    fprintf(stderr, "rampart: internal error: %s\n", message);
    return 1;
  }
  text_buf out = {0};
  if (c.incomplete && !from_stdin) {
    put(&out, "rampart filter test: line ");
    put_uint(&out, c.incomplete);
    put(&out, " has no newline yet and was not read (as fail2ban does)\n");
  }
  for (int i = 0; i < c.abandoned_count; i++) {
    put(&out, "rampart filter test: line ");
    put_uint(&out, c.abandoned[i]);
    put(&out, " exceeded the regex match limit and was skipped\n");
  }
  if (out.len) write_all(2, out.data, out.len);
  if (!r.json) {
    text_buf summary = {0};
    render_summary(&summary, &r, &e, &c, elapsed);
    if (!summary.data || write_all(1, summary.data, summary.len) != 0) return 1;
  }
  return 0;
}
