#define _GNU_SOURCE /* tm_gmtoff, secure_getenv */
#include "zone.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ZONE_FILE (1u << 20)
#define MAX_TRANSITIONS 4096
#define MAX_TYPES 256
/* Half a year: a zone whose file has no transitions is checked this far either side too. */
#define HALF_YEAR INT64_C(15778476)

/* The zone file glibc reads, as far as this module uses it; read-only once loaded. */
static struct {
  int usable;
  int count;                 /* transitions */
  int64_t *times;            /* ascending */
  unsigned char *type_of;    /* type index of each transition */
  int type_count;
  int32_t offset[MAX_TYPES]; /* ttinfo utoff */
  unsigned char dst[MAX_TYPES];
  int before_first;          /* the type glibc uses before the first transition (or with none) */
} zone;

static pthread_once_t zone_once = PTHREAD_ONCE_INIT;

/* This thread's interval [lo, hi) of one known offset and DST flag. */
static _Thread_local struct {
  int valid;
  int64_t lo, hi, offset;
  int dst;
} span;

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p) { return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)); }

/* tzset.c tzset_internal and tzfile.c __tzfile_read: which file glibc reads for the local zone. */
static char *zone_path(void) {
  const char *tz = getenv("TZ");
  if (tz && *tz == '\0') tz = "Universal";
  if (tz && *tz == ':') tz++;
  if (!tz) tz = "/etc/localtime";
  if (*tz == '\0') return NULL; /* ":" alone: glibc uses UTC without a file */
  if (*tz == '/') return strdup(tz);
  const char *dir = secure_getenv("TZDIR");
  if (!dir || *dir == '\0') dir = "/usr/share/zoneinfo";
  size_t n = strlen(dir) + strlen(tz) + 2;
  char *path = malloc(n);
  if (path) {
    strcpy(path, dir);
    strcat(path, "/");
    strcat(path, tz);
  }
  return path;
}

static unsigned char *read_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  unsigned char *buf = NULL;
  /* Larger than any zone file, or not a file: not one. */
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size < MAX_ZONE_FILE)
    buf = malloc((size_t)st.st_size);
  size_t n = 0;
  while (buf && n < (size_t)st.st_size) {
    ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
    if (k <= 0) { /* an error, or the file shrank: read it as it was not */
      free(buf);
      buf = NULL;
    } else {
      n += (size_t)k;
    }
  }
  close(fd);
  *len = n;
  return buf;
}

/* Parses TZif (RFC 8536): the 64-bit data of version 2+, else version 1's. 0, or -1. */
static int parse(const unsigned char *b, size_t n) {
  if (n < 44 || memcmp(b, "TZif", 4) != 0) return -1;
  int version = b[4];
  size_t at = 0;
  int wide = 0;
  for (;;) {
    if (n - at < 44 || memcmp(b + at, "TZif", 4) != 0) return -1;
    const unsigned char *h = b + at + 20;
    uint32_t isut = be32(h), isstd = be32(h + 4), leap = be32(h + 8), times = be32(h + 12), types = be32(h + 16),
             chars = be32(h + 20);
    size_t tw = wide ? 8 : 4;
    if (times > MAX_TRANSITIONS || types == 0 || types > MAX_TYPES || isut > types || isstd > types) return -1;
    size_t body = (size_t)times * tw + times + (size_t)types * 6 + chars + (size_t)leap * (tw + 4) + isstd + isut;
    if (n - at - 44 < body) return -1;
    if (!wide && version >= '2') { /* the 64-bit copy follows */
      at += 44 + body;
      wide = 1;
      continue;
    }
    if (leap != 0) return -1; /* leap seconds: civil time is not t + offset */
    const unsigned char *p = b + at + 44;
    zone.times = malloc(((size_t)times + 1) * sizeof *zone.times);
    zone.type_of = malloc((size_t)times + 1);
    if (!zone.times || !zone.type_of) return -1;
    for (uint32_t i = 0; i < times; i++) {
      zone.times[i] = wide ? be64(p + (size_t)i * 8) : (int64_t)(int32_t)be32(p + (size_t)i * 4);
      if (i > 0 && zone.times[i] <= zone.times[i - 1]) return -1;
    }
    p += (size_t)times * tw;
    for (uint32_t i = 0; i < times; i++) {
      if (p[i] >= types) return -1;
      zone.type_of[i] = p[i];
    }
    p += times;
    for (uint32_t i = 0; i < types; i++) {
      zone.offset[i] = (int32_t)be32(p + (size_t)i * 6);
      zone.dst[i] = p[(size_t)i * 6 + 4];
      if (zone.dst[i] > 1) return -1;
    }
    zone.count = (int)times;
    zone.type_count = (int)types;
    /* __tzfile_compute: before the first transition (or with none), the first non-DST type, or
       type 0 when all are DST. */
    zone.before_first = 0;
    while (zone.before_first < zone.type_count && zone.dst[zone.before_first]) zone.before_first++;
    if (zone.before_first == zone.type_count) zone.before_first = 0;
    return 0;
  }
}

static void zone_load(void) {
  tzset();
  char *path = zone_path();
  if (!path) return;
  size_t n = 0;
  unsigned char *b = read_file(path, &n);
  free(path);
  if (b && parse(b, n) == 0) zone.usable = 1;
  free(b);
}

int zone_offset(int64_t t, int64_t *offset, int *isdst) {
  if (!span.valid || t < span.lo || t >= span.hi) return 0;
  *offset = span.offset;
  *isdst = span.dst;
  return 1;
}

/* Whether localtime_r(t) has this offset and DST flag (and is no leap second). */
static int glibc_agrees(int64_t t, int64_t offset, int dst) {
  time_t tt = (time_t)t;
  struct tm tm;
  return localtime_r(&tt, &tm) && tm.tm_gmtoff == offset && tm.tm_isdst == dst && tm.tm_sec != 60;
}

void zone_learn(int64_t t, int64_t offset, const struct tm *tm) {
  pthread_once(&zone_once, zone_load);
  if (!zone.usable || tm->tm_sec == 60 || tm->tm_gmtoff != offset || tm->tm_isdst < 0 || tm->tm_isdst > 1) return;
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  int type = zone.before_first;
  if (zone.count > 0 && t >= zone.times[0]) {
    /* After the last transition glibc follows the POSIX TZ rule: not cached. */
    if (t >= zone.times[zone.count - 1]) return;
    int a = 0, b = zone.count - 1; /* times[a] <= t < times[b] */
    while (b - a > 1) {
      int m = a + (b - a) / 2;
      if (t < zone.times[m]) b = m;
      else a = m;
    }
    lo = zone.times[a];
    hi = zone.times[b];
    type = zone.type_of[a];
  } else if (zone.count > 0) {
    hi = zone.times[0];
  }
  int dst = tm->tm_isdst;
  if (zone.offset[type] != offset || zone.dst[type] != dst) return;
  if (lo != INT64_MIN && !glibc_agrees(lo, offset, dst)) return;
  if (hi != INT64_MAX && !glibc_agrees(hi - 1, offset, dst)) return;
  if (lo == INT64_MIN && hi == INT64_MAX &&
      !(t > INT64_MIN + HALF_YEAR && t < INT64_MAX - HALF_YEAR && glibc_agrees(t - HALF_YEAR, offset, dst) &&
        glibc_agrees(t + HALF_YEAR, offset, dst)))
    return;
  span.lo = lo;
  span.hi = hi;
  span.offset = offset;
  span.dst = dst;
  span.valid = 1;
}
