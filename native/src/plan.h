/*
 * The scan plan: one filter, compiled by Rampart's TypeScript side (fail2ban INI, tags, Python
 * regex translation, date templates), handed to the native scanner as text.
 *
 * FORMAT (version 1). UTF-8 text, one record per line, fields separated by one space:
 *
 *   rampart-scan-plan 1
 *   filter name=S maxlines=N usedns=yes|warn|no|raw
 *   regex role=pref|fail|ignore options=O start=HEX32|* names=L pattern=S [ascii=S]
 *         [absent=S absent-pattern=S [absent-ascii=S]] [tail-group=N tail=S [tail-ascii=S]]
 *   date default-tz=N|none
 *   template kind=pattern|epoch|long-epoch|tai64n flags=N weight=F name=S options=O keys=L group=N pattern=S
 *            [ascii=S]
 *   host name=S addresses=L
 *   end
 *
 * - S: a percent-encoded string: every byte outside [A-Za-z0-9._~/:+-] is written %HH (upper or
 *   lower case hex accepted).
 * - L: a comma-separated list of S; "-" stands for "no name" (an unnamed capture); an empty
 *   value is the empty list.
 * - O: PCRE2 compile options as letters: i (CASELESS), m (MULTILINE), s (DOTALL); may be empty.
 * - start: 32 hex digits = 16 bytes of the start-character bitmap (byte k, bit j = character
 *   8k+j), or * for "any character may start a match".
 * - regex absent / absent-pattern: a prefilter. On a subject where the literal `absent` (not
 *   empty) occurs nowhere, `absent-pattern` (the pattern with the alternatives that need the
 *   literal made to fail at once; the same groups) gives exactly the pattern's answer;
 *   absent-ascii is its ASCII variant.
 * - regex tail-group / tail: on a subject with no "\n" before its last byte, `tail` (the pattern
 *   with its last `([^\n]+)(?=\n?$)` written `(?=[^\n])()`; the same groups) finds the same
 *   match once it and group tail-group end at the subject's end (before a last "\n");
 *   tail-ascii is its ASCII variant.
 * - regex names: the capture name of each group by index, starting at group 1 (fail2ban's group
 *   names: ip4, ip6, dns, fid, user, mlfid, content, nofail, ...). The index is PCRE2's: groups
 *   no key is read from are usually left out of the pattern, and the alternatives of a
 *   branch-reset group `(?|…)` share their numbers, and so their names.
 * - template: in the detector's initial order. flags: LINE_BEGIN 8, LINE_END 4, WORD_BEGIN 2,
 *   WORD_END 1. keys: for kind=pattern, the strptime directive group names in pattern order
 *   (fail2ban's groupdict order); group: for epoch kinds, the capture holding the number. The
 *   date text fail2ban cuts out is always capture group 1.
 * - ascii (optional, regex and template): the same regex for subjects whose bytes are all ASCII
 *   (< 0x80), in pure-ASCII text, compiled without PCRE2_UTF (same options O); exactly equivalent
 *   there, with the same capture groups (count and names, checked at compile). Without it the
 *   pattern runs on every subject.
 * - date default-tz: `logtimezone` as minutes east of UTC, or none.
 * - host: an entry of the hosts file (hostname ids resolve there only; DNS is never queried).
 * - Unknown record kinds or fields are errors (a newer plan than this scanner understands).
 */
#ifndef RAMPART_PLAN_H
#define RAMPART_PLAN_H

#include "regex.h"

#define PLAN_LINE_BEGIN 8
#define PLAN_LINE_END 4
#define PLAN_WORD_BEGIN 2
#define PLAN_WORD_END 1

typedef enum { USEDNS_YES, USEDNS_WARN, USEDNS_NO, USEDNS_RAW } use_dns_mode;
typedef enum { TEMPLATE_PATTERN, TEMPLATE_EPOCH, TEMPLATE_LONG_EPOCH, TEMPLATE_TAI64N } template_kind;

typedef struct {
  template_kind kind;
  int flags;
  double weight;
  char *name;
  scan_regex regex;     /* group 1 = the date text fail2ban cuts out */
  char **keys;          /* kind=pattern: directive names in groupdict order */
  int key_count;
  int group;            /* epoch kinds: capture index of the number */
} plan_template;

typedef struct {
  char *name;
  char **addresses;
  int address_count;
} plan_host;

typedef struct {
  char *name;
  int max_lines;
  use_dns_mode use_dns;
  scan_regex *pref;     /* NULL when the filter has no prefregex */
  scan_regex *fail;
  int fail_count;
  scan_regex *ignore;
  int ignore_count;
  int has_default_tz;
  int default_tz_minutes;
  plan_template *templates;
  int template_count;
  plan_host *hosts;
  int host_count;
} scan_plan;

/*
 * Parses a plan. 0 on success; -1 with "line N: problem" in err. Regexes are not compiled
 * here (they compile on first use, like the JS engine's).
 */
int scan_plan_parse(const char *text, size_t len, scan_plan *out, char *err, size_t errlen);
void scan_plan_free(scan_plan *plan);

#endif
