/*
 * zone-probe: checks zone.c's lock-free answers (zone_offset, cached by zone_learn exactly as
 * date.c's local_civil does) against glibc's localtime_r for the zone in TZ, between two years:
 * every 997 seconds, every second around each offset change, and random jumps between far apart
 * times (so cached intervals are left and re-entered). Prints "ok CHECKED fast FAST" (FAST: the
 * answers that came from the cache) or the first mismatch, and exits 1 on a mismatch.
 * test/integration/date/native-zone.test.ts builds and runs it.
 *
 * Usage: TZ=Europe/Paris zone-probe FROM_YEAR TO_YEAR
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zone.h"

#include "probe-random.h"

static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int64_t tm_to_civil(const struct tm *tm) {
  return days_from_civil((int64_t)tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday) * 86400 +
         (int64_t)tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

static long checked, fast;

/* date.c local_civil's use of zone.h, against a fresh localtime_r. */
static int check(int64_t t) {
  time_t tt = (time_t)t;
  struct tm want;
  if (!localtime_r(&tt, &want)) return 0; /* out of range: local_civil asks glibc, which fails alike */
  int64_t want_civil = tm_to_civil(&want);
  int64_t offset;
  int dst;
  checked++;
  if (zone_offset(t, &offset, &dst)) {
    fast++;
    if (t + offset != want_civil || dst != want.tm_isdst || want.tm_sec == 60) {
      printf("mismatch at %lld: glibc civil %lld isdst %d sec %d, cache civil %lld isdst %d\n", (long long)t,
             (long long)want_civil, want.tm_isdst, want.tm_sec, (long long)(t + offset), dst);
      return 1;
    }
  } else {
    zone_learn(t, want_civil - t, &want);
  }
  return 0;
}


int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int from = atoi(argv[1]), to = atoi(argv[2]);
  tzset();
  int64_t start = days_from_civil(from, 1, 1) * 86400, end = days_from_civil(to + 1, 1, 1) * 86400;
  for (int64_t t = start; t < end; t += 997)
    if (check(t)) return 1;
  /* Each change of offset or DST flag, to the second, with every second around it. */
  int changes = 0;
  long prev_off = LONG_MIN;
  int prev_dst = -2;
  for (int64_t t = start; t < end; t += 900) {
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    if (prev_off != LONG_MIN && (tm.tm_gmtoff != prev_off || tm.tm_isdst != prev_dst)) {
      int64_t a = t - 900, b = t; /* the change is in (a, b] */
      while (b - a > 1) {
        int64_t m = a + (b - a) / 2;
        time_t mt = (time_t)m;
        struct tm mtm;
        localtime_r(&mt, &mtm);
        if (mtm.tm_gmtoff == prev_off && mtm.tm_isdst == prev_dst) a = m;
        else b = m;
      }
      changes++;
      for (int64_t x = b - 3; x <= b + 3; x++)
        if (check(x)) return 1;
      for (int64_t x = b + 3; x >= b - 3; x--)
        if (check(x)) return 1;
      for (int k = 0; k < 200; k++) {
        unsigned long long r = next_random();
        int64_t x = (r & 1) ? b - 86400 + (int64_t)((r >> 1) % 172800) : start + (int64_t)((r >> 1) % (uint64_t)(end - start));
        if (check(x)) return 1;
      }
    }
    prev_off = tm.tm_gmtoff;
    prev_dst = tm.tm_isdst;
  }
  printf("ok %ld fast %ld (%d changes)\n", checked, fast, changes);
  return 0;
}
