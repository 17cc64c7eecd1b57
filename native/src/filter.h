/*
 * One fail2ban filter's per-line pipeline: a port of Rampart's LogFilter (src/core/filter/
 * log-filter.ts: processLine, cutDate, findFailures, failureIds, ignoreLine, mergeFailure) for
 * single-line filters (maxlines = 1), with FilterRegex.search's group semantics
 * (fail-regex.ts) and the mlfid cache (mlfid-cache.ts).
 */
#ifndef RAMPART_FILTER_H
#define RAMPART_FILTER_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "plan.h"
#include "text.h"

typedef struct scan_filter scan_filter;

/*
 * Receives each failure: the id (fail2ban's `<ip>` text), the time, the line number and the user
 * (has_user = 0 for null). The strings live until the next call into the filter.
 */
typedef void (*scan_failure_fn)(void *ctx, const char *id, size_t id_len, double time, uint64_t line,
                                const char *user, size_t user_len, int has_user);

/*
 * A line's date stage (log-filter.ts cutDate): everything the rest of the pipeline gets from it.
 * The date stage never depends on what the regexes found; given the same outcome (and the same
 * state otherwise, scan_filter_state) a line does the same in two filters.
 */
enum { SCAN_DATE_LINE = 0, SCAN_DATE_ABANDONED = 1, SCAN_DATE_FAULT = 2 };
typedef struct {
  int kind;          /* SCAN_DATE_*: LINE goes on to the regexes; ABANDONED (a date template hit
                        the match limit) and FAULT (fail2ban skips the line) do not */
  int cut;           /* the date text line[start..end) is cut out of the line the regexes see */
  size_t start, end; /* 0 when not cut */
  double time;       /* the line's time (a borrowed last date, or `now`, when it has none) */
  int steady;        /* a time the detector's fast path found (date_detector_same_course): the
                        outcome and the state it leaves depend on no count, nor the last date */
} scan_date_outcome;

/* What one line did, for fail2ban-regex's counts (matcher-worker.ts tally). */
typedef struct {
  int failures;     /* failures reported */
  int ignored;      /* LogFilter.lastLineIgnored */
  int pref_matched; /* LogFilter.lastPrefMatched */
  int abandoned;    /* a regex hit the match limit: no failure, and the line is not tallied */
  scan_date_outcome date;
} scan_line_result;

/*
 * The filter of a parsed plan (which must outlive it). Compiles every filter regex now so that a
 * bad plan is reported before any log is read. NULL with a message in err on failure.
 */
scan_filter *scan_filter_new(scan_plan *plan, scan_failure_fn on_failure, void *ctx, char *err, size_t errlen);

/*
 * LogFilter.processLine for one line: valid UTF-8, no newline, already cut to the maximum line
 * length; `ascii` says whether every byte is < 0x80 (the regexes then run their ASCII variants);
 * `newline_follows`: line[len] is a "\n" that may be read (the regexes then search the line in
 * place when nothing before its date is cut, not a copy with "\n" appended). 0, or -1 when out
 * of memory.
 */
int scan_filter_line(scan_filter *f, const char *line, size_t len, int ascii, int newline_follows, uint64_t number,
                     double now, scan_line_result *out);

/*
 * Only the date stage of scan_filter_line (LogFilter.replayDate): the date detector and the last
 * date advance as they would there; no regex runs, nothing is reported or counted.
 */
void scan_filter_date_line(scan_filter *f, const char *line, size_t len, int ascii, double now,
                           scan_date_outcome *out);

/*
 * A filter's date stage on its own: the date detector and the last date, what the date stage
 * carries from line to line (a two-thread scan keeps copies of it, see native/src/main.c).
 */
typedef struct scan_date_stage scan_date_stage;

/* A date stage as a new filter's. NULL when out of memory. */
scan_date_stage *scan_date_stage_new(scan_plan *plan);
void scan_date_stage_free(scan_date_stage *s);

/* The filter's own date stage (it lives as long as the filter). */
scan_date_stage *scan_filter_date_stage(scan_filter *f);

/* Makes dst a copy of src (the same plan): it dates the next lines as src would. -1 when out of memory. */
int scan_date_stage_copy(scan_date_stage *dst, const scan_date_stage *src);

/* date_detector_same_course of the two stages' detectors. */
int scan_date_stage_same_course(const scan_date_stage *a, const scan_date_stage *b);

/*
 * dst is a copy of a stage that has run `steady` steady lines (scan_date_outcome.steady) since it
 * was on the same course as `from`: makes it what `from` becomes after those lines
 * (date_detector_carry_counts; the last date is the last of those lines', already dst's).
 */
void scan_date_stage_carry_counts(scan_date_stage *dst, const scan_date_stage *from, uint64_t steady, double now);

/* Tests: the stage's date detector (date_detector_dump). */
void scan_date_stage_dump(const scan_date_stage *s, FILE *to);

/*
 * The state a line leaves for the next besides the date stage (the mlfid cache), serialized
 * canonically into `out` (replacing its contents): two filters with equal snapshots, fed lines
 * with equal date outcomes, report the same failures and counts from there on. -1 when out of
 * memory.
 */
int scan_filter_state(const scan_filter *f, text_buf *out);

/* Per-regex hit counts (RegexStats), in plan order. */
const uint64_t *scan_filter_fail_hits(const scan_filter *f, int *count);
const uint64_t *scan_filter_ignore_hits(const scan_filter *f, int *count);

/* Zeroes the hit counts (after lines run for their state only). */
void scan_filter_clear_hits(scan_filter *f);

void scan_filter_free(scan_filter *f);


#endif
