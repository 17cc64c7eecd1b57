/*
 * fail2ban 1.0.2's date detector (server/datedetector.py + datetemplate.py + strptime.py), in C.
 * A port of Rampart's TypeScript detector (src/core/date/date-detector.ts, date-template.ts,
 * strptime.ts, civil.ts, time-zones.ts, local-zone.ts), decision for decision: the same templates
 * (from the plan, in the plan's order), the same "last template" shortcut, hit counts, distances,
 * reordering, year/day inference and zones, so that the same lines give the same dates.
 */
#ifndef RAMPART_DATE_H
#define RAMPART_DATE_H

#include <stddef.h>
#include <stdio.h>

#include "plan.h"

typedef struct date_detector date_detector;

typedef struct {
  int found;          /* 0: no template matched (DateDetector.matchTime returned None) */
  int fault;          /* fail2ban would raise a non-ValueError exception: the line is skipped */
  size_t start, end;  /* byte offsets in the line of capture group 1 (the date text fail2ban cuts) */
  int has_time;       /* 0: the date was found but is unusable (time None) */
  double time;        /* epoch seconds (fractional only for epoch templates) */
} date_match;

/* The detector over the plan's templates (the plan must outlive it). NULL when out of memory. */
date_detector *date_detector_new(scan_plan *plan);

/*
 * DateDetector.getTime(line) for one line of valid UTF-8 (no trailing newline; `ascii`: whether
 * every byte is < 0x80, utf8_check), with `now` (epoch seconds) standing for time.time().
 * Returns 0, or -1 when a template regex hit the match limit (hostile line; `out` is then "not
 * found").
 */
int date_detector_match(date_detector *d, const char *line, size_t len, int ascii, double now, date_match *out);

/*
 * Makes dst's state (template order, hits, last positions, mktime's guess) a copy of src's, so
 * that it detects the next lines as src would. Both must be over the same plan. 0, or -1.
 */
int date_detector_copy_state(date_detector *dst, const date_detector *src);

/* Tests: the detector's state (template order, counts, last positions), one text block; with the
   adaptive template memo, a last line "date memo margins:" (each plan template's margin). */
void date_detector_dump(const date_detector *d, FILE *to);

/* Tests: the template memo decides on the first n bytes of a line (1-64), or is off (0); set
   before any detector is made. By default the prefix adapts to the dates seen. */
void date_detector_set_memo_prefix(int n);

void date_detector_free(date_detector *d);

#endif
