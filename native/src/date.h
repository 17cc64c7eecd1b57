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
#include <stdint.h>
#include <stdio.h>

#include "plan.h"

typedef struct date_detector date_detector;

typedef struct {
  int found;          /* 0: no template matched (DateDetector.matchTime returned None) */
  int fault;          /* fail2ban would raise a non-ValueError exception: the line is skipped */
  size_t start, end;  /* byte offsets in the line of capture group 1 (the date text fail2ban cuts) */
  int has_time;       /* 0: the date was found but is unusable (time None) */
  double time;        /* epoch seconds (fractional only for epoch templates) */
  int steady;         /* the fast path decided it (see date_detector_same_course) */
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

/*
 * A line whose date the fast path decided (`steady` in its date_match: the last template, anchored
 * at the line's start, matched again, so no other was tried and none moved) and that got a time
 * read only what this says is equal: which template is the last one, and mktime's guess (plus
 * `now`, and caches that never change an answer). The order of the others, the hit counts, use
 * times and distances may differ between two detectors with different pasts; only a search (a
 * line that is not steady) reads them. So two detectors for which this returns 1 give the same
 * answers to a run of steady lines and leave the same state but for those (which the lines change
 * alike): what the two-thread scan (main.c) uses to skip replaying such runs.
 */
int date_detector_same_course(const date_detector *a, const date_detector *b);

/*
 * dst is a copy (date_detector_copy_state) of a detector that has run `steady` (> 0) steady lines
 * since it was on the same course as `from` (date_detector_same_course): makes dst what `from`
 * becomes after those lines: `from`'s order and counts, with what those lines added to them,
 * and the rest (last positions, mktime's guess) dst's own.
 */
void date_detector_carry_counts(date_detector *dst, const date_detector *from, uint64_t steady, double now);

/* Tests: the detector's state (template order, counts, last positions), one text block; with the
   adaptive template memo, a last line "date memo margins:" (each plan template's margin). */
void date_detector_dump(const date_detector *d, FILE *to);

/* Tests: the template memo decides on the first n bytes of a line (1-64), or is off (0); set
   before any detector is made. By default the prefix adapts to the dates seen. */
void date_detector_set_memo_prefix(int n);

void date_detector_free(date_detector *d);

#endif
