/*
 * date-probe: runs log lines through the native date detector (native/src/date.c) with the
 * templates of a scan plan, for the differential test against the TypeScript detector
 * (src/core/date/date-detector.ts): test/integration/date/native-date-differential.test.ts builds
 * and runs it.
 *
 * Build: gcc -std=c11 -O2 -Wall -Inative/src native/test/date-probe.c native/src/date.c \
 *          native/src/plan.c native/src/regex.c native/src/text.c \
 *          $(pkg-config --cflags --libs libpcre2-8) -lm
 *
 * Usage: date-probe PLAN-FILE NOW < lines
 *   NOW: epoch seconds standing for time.time() (the same for every line).
 * stdin: log lines, one per line ("\n" removed; bytes passed as they are, so feed valid UTF-8).
 * stdout, one line per log line:
 *   found fault start end has_time time
 * with start/end the byte offsets of the date text and time printed with %.6f (0.000000 when
 * has_time is 0), or "L" when a template regex hit the match limit.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "plan.h"
#include "text.h"

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n == cap) {
      char *grown = realloc(buf, cap * 2);
      if (!grown) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = grown;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    if (got == 0) break;
    n += got;
  }
  fclose(f);
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: date-probe PLAN-FILE NOW < lines\n");
    return 2;
  }
  size_t plan_len;
  char *text = read_file(argv[1], &plan_len);
  if (!text) {
    perror(argv[1]);
    return 2;
  }
  double now = strtod(argv[2], NULL);
  scan_plan plan;
  char err[512];
  if (scan_plan_parse(text, plan_len, &plan, err, sizeof err) != 0) {
    fprintf(stderr, "plan: %s\n", err);
    free(text);
    return 2;
  }
  free(text);
  date_detector *d = date_detector_new(&plan);
  if (!d) {
    fprintf(stderr, "out of memory\n");
    scan_plan_free(&plan);
    return 2;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  while ((got = getline(&line, &cap, stdin)) >= 0) {
    size_t n = (size_t)got;
    if (n > 0 && line[n - 1] == '\n') n--;
    date_match m;
    int ascii;
    utf8_check((const unsigned char *)line, n, &ascii);
    if (date_detector_match(d, line, n, ascii, now, &m) < 0) {
      puts("L");
      continue;
    }
    printf("%d %d %zu %zu %d %.6f\n", m.found, m.fault, m.start, m.end, m.has_time, m.has_time ? m.time : 0.0);
  }
  free(line);
  date_detector_free(d);
  scan_plan_free(&plan);
  return 0;
}
