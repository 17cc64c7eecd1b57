/*
 * mktime-probe: checks date.c's port of glibc's mktime (civil_to_epoch_uncached, whose guess is
 * kept in the detector rather than in glibc's process-wide static) against glibc's own mktime,
 * call for call, over sequences of local times that cross every DST transition of the zone in
 * TZ between two years: in order, backwards, and jumping around (the guess each call leaves
 * decides the next answer in a repeated or skipped hour). Prints "ok N" or the first mismatch,
 * and exits 1 on a mismatch. test/integration/date/native-mktime.test.ts builds and runs it.
 *
 * Build: gcc -std=c11 -O2 -Inative/src native/test/mktime-probe.c native/src/zone.c native/src/plan.c \
 *          native/src/regex.c native/src/text.c $(pkg-config --cflags --libs libpcre2-8) -lm
 * Usage: TZ=Europe/Paris mktime-probe FROM_YEAR TO_YEAR
 */
#include "../src/date.c"
#include "probe-random.h"


static long checked;

static int check(date_detector *d, int64_t civil) {
  civil_fields f = civil_to_fields(civil);
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = (int)(f.year - 1900);
  tm.tm_mon = f.month - 1;
  tm.tm_mday = f.day;
  tm.tm_hour = f.hour;
  tm.tm_min = f.minute;
  tm.tm_sec = f.second;
  tm.tm_isdst = -1;
  tm.tm_wday = -1;
  time_t want = mktime(&tm);
  int want_fault = want == (time_t)-1 && tm.tm_wday == -1;
  double got = 0;
  py_result r = civil_to_epoch_uncached(d, civil, &got);
  checked++;
  if ((r == PY_FAULT) != want_fault || (!want_fault && got != (double)want)) {
    printf("mismatch at civil %lld (%04lld-%02d-%02d %02d:%02d:%02d): glibc %lld%s, port %.0f%s\n", (long long)civil,
           (long long)f.year, f.month, f.day, f.hour, f.minute, f.second, (long long)want,
           want_fault ? " (fault)" : "", got, r == PY_FAULT ? " (fault)" : "");
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int from = atoi(argv[1]), to = atoi(argv[2]);
  tzset();
  date_detector d;
  memset(&d, 0, sizeof d); /* mktime_offset 0: glibc's static before its first call */
  /* Local times around each transition: every offset change between FROM and TO, found by
     scanning UTC hours. */
  int64_t start = days_from_civil(from, 1, 1) * 86400, end = days_from_civil(to + 1, 1, 1) * 86400;
  long prev_off = LONG_MIN;
  int64_t transitions[4096];
  int count = 0;
  for (int64_t t = start; t < end && count < 4096; t += 1800) {
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    long off = (long)(tm_to_civil(&tm) - t);
    if (prev_off != LONG_MIN && off != prev_off) transitions[count++] = t;
    prev_off = off;
  }
  int64_t ref[4] = {days_from_civil(from, 1, 15) * 86400 + 43200, days_from_civil(from, 7, 15) * 86400 + 43200,
                    days_from_civil(to, 1, 15) * 86400 + 43200, days_from_civil(to, 7, 15) * 86400 + 43200};
  for (int i = 0; i < count; i++) {
    time_t tt = (time_t)transitions[i];
    struct tm tm;
    localtime_r(&tt, &tm);
    int64_t c = tm_to_civil(&tm);
    /* Forwards and backwards through the three hours around it, minute by minute. */
    for (int64_t x = c - 5400; x <= c + 5400; x += 60)
      if (check(&d, x)) return 1;
    for (int64_t x = c + 5400; x >= c - 5400; x -= 60)
      if (check(&d, x)) return 1;
    /* Random jumps: near the transition, far away (summer, winter), and back. */
    for (int k = 0; k < 2000; k++) {
      unsigned long long r = next_random();
      int64_t x = (r & 3) == 0 ? ref[(r >> 2) & 3] + (int64_t)((r >> 8) % 86400) : c - 7200 + (int64_t)((r >> 8) % 14400);
      if (check(&d, x)) return 1;
    }
  }
  printf("ok %ld (%d transitions)\n", checked, count);
  return 0;
}
