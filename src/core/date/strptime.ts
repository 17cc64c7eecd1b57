/**
 * Port of fail2ban/server/strptime.py (1.0.2): the strftime directive table (`timeRE`) that turns
 * a datepattern into a Python regex, the directive names used for template names, and
 * `reGroupDictStrptime` that turns the named groups of a match into epoch seconds.
 *
 * Faithful quirks (all on purpose, they change results):
 * - `%f` is matched but ignored (Fail2Ban calls reGroupDictStrptime with msec=False), so dates
 *   parsed from patterns are whole seconds; only EPOCH/LEPOCH keep fractions.
 * - `%y` (and `%Exy`) always means 20yy.
 * - A missing year is "this year" (of `now`, local wall time); if the result is more than one
 *   day after `now`, the previous year. A missing month+day is "today"; if the result is after
 *   `now`, yesterday. These comparisons are made between naive datetimes, even when the log gave
 *   an explicit zone (then the UTC wall time is compared with the local `now` — Fail2Ban does so).
 * - `%Z`/`%z` abbreviations use the fixed table of time-zones.ts; `logtimezone` applies only when
 *   the line carries no zone.
 */
import { civilSeconds, civilToFields, daysFromCivil, isValidCivil, weekdayOf } from "./civil.js";
import type { LocalZone } from "./local-zone.js";
import { zoneToOffset } from "./time-zones.js";

const A_MONTH = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const F_MONTH = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const A_WEEKDAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const F_WEEKDAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** Python's _strptime `__seqToRE`: longest first (stable for equal lengths), joined by "|". */
function seqToRe(seq: readonly string[], name: string): string {
  const sorted = [...seq].sort((a, b) => b.length - a.length);
  return `(?P<${name}>${sorted.join("|")})`;
}

const TZ_ABBR_RE = "[A-Z](?:[A-Z]{2,4})?";

/**
 * The 4-digit `%ExY` regex of `_updateTimeRE()`: the centuries-and-decades of last year and
 * in 3 years, plus every decade from 2000 up to the current one. `fail2ban-regex` calls
 * `MyTime.setAlternateNow(0)` + `_updateTimeRE()`, but `0 or 978393600` makes that identical
 * to the daemon's, so one behaviour covers both. `nowYear` is the local year when Fail2Ban
 * started (it is computed once, at import).
 */
export function exYearRegex(nowYear: number): string {
  const prefixes = new Set<string>();
  const cent = (y: number): string => String(y).slice(0, 3);
  prefixes.add(cent(nowYear - 1));
  prefixes.add(cent(nowYear + 3));
  // alternate "now" = 2001-01-02: years 2001 + i for i in range(-1, nowYear - 2001 + 1, 3).
  for (let i = -1; i < nowYear - 2001 + 1; i += 3) prefixes.add(cent(2001 + i));
  const list = [...prefixes].sort();
  return `(?P<Y>${groupPrefixes(list)}\\d)`;
}

/** `grp()` of _updateTimeRE: factor common leading characters (the regex only needs equivalence). */
function groupPrefixes(list: readonly string[]): string {
  if (list.length === 1) return list[0]!;
  return `(?:${list.join("|")})`;
}

/** Directive → Python regex, as `timeRE` after Fail2Ban's overrides (C locale). */
export function buildTimeRe(nowYear: number): Map<string, string> {
  const t = new Map<string, string>();
  t.set("d", "(?P<d>[1-2]\\d|[0 ]?[1-9]|3[0-1])");
  t.set("f", "(?P<f>[0-9]{1,6})");
  t.set("H", "(?P<H>[0-1]?\\d|2[0-3])");
  t.set("I", "(?P<I>1[0-2]|0[1-9]|[1-9])");
  t.set("G", "(?P<G>\\d\\d\\d\\d)");
  t.set("j", "(?P<j>36[0-6]|3[0-5]\\d|[1-2]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])");
  t.set("m", "(?P<m>0?[1-9]|1[0-2])");
  t.set("M", "(?P<M>[0-5]?\\d)");
  t.set("S", "(?P<S>[0-5]?\\d|6[0-1])");
  t.set("U", "(?P<U>5[0-3]|[0-4]\\d|\\d)");
  t.set("w", "(?P<w>[0-6])");
  t.set("u", "(?P<u>[1-7])");
  t.set("V", "(?P<V>5[0-3]|0[1-9]|[1-4]\\d|\\d)");
  t.set("y", "(?P<y>\\d\\d)");
  t.set("Y", "(?P<Y>\\d{4})");
  t.set("z", "(?P<z>Z|UTC|GMT|[+-][01]\\d(?::?\\d{2})?)");
  t.set("A", seqToRe(F_WEEKDAY, "A"));
  t.set("a", seqToRe(A_WEEKDAY, "a"));
  t.set("B", seqToRe(F_MONTH, "B"));
  t.set("b", seqToRe(A_MONTH, "b"));
  t.set("p", "(?P<p>am|pm)");
  t.set("Z", "(?P<Z>Z|[A-Z]{3,5})");
  t.set("%", "%");
  t.set("W", "(?P<W>5[0-3]|[0-4]\\d|\\d)");
  t.set(
    "c",
    "(?P<a>mon|tue|wed|thu|fri|sat|sun)\\s+(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\\s+(?P<d>3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])\\s+(?P<H>2[0-3]|[0-1]\\d|\\d):(?P<M>[0-5]\\d|\\d):(?P<S>6[0-1]|[0-5]\\d|\\d)\\s+(?P<Y>\\d\\d\\d\\d)",
  );
  t.set("x", "(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])/(?P<y>\\d\\d)");
  t.set("X", "(?P<H>2[0-3]|[0-1]\\d|\\d):(?P<M>[0-5]\\d|\\d):(?P<S>6[0-1]|[0-5]\\d|\\d)");
  t.set("k", " ?(?P<H>[0-2]?\\d)");
  t.set("l", " ?(?P<I>1?\\d)");
  t.set("ExZ", `(?P<Z>${TZ_ABBR_RE})`);
  t.set("Exz", `(?P<z>(?:${TZ_ABBR_RE})?[+-][01]\\d(?::?\\d{2})?|${TZ_ABBR_RE})`);
  t.set("Exd", "(?P<d>[1-2]\\d|0[1-9]|3[0-1])");
  t.set("Exm", "(?P<m>0[1-9]|1[0-2])");
  t.set("ExH", "(?P<H>[0-1]\\d|2[0-3])");
  t.set("Exk", " ?(?P<H>[0-1]?\\d|2[0-3])");
  t.set("Exl", " ?(?P<I>1[0-2]|\\d)");
  t.set("ExM", "(?P<M>[0-5]\\d)");
  t.set("ExS", "(?P<S>[0-5]\\d|6[0-1])");
  t.set("ExY", exYearRegex(nowYear));
  t.set("Exy", "(?P<y>\\d{2})");
  return t;
}

const NAMES: Record<string, string> = {
  a: "DAY",
  A: "DAYNAME",
  b: "MON",
  B: "MONTH",
  d: "Day",
  H: "24hour",
  I: "12hour",
  j: "Yearday",
  m: "Month",
  M: "Minute",
  p: "AMPM",
  S: "Second",
  U: "Yearweek",
  w: "Weekday",
  W: "Yearweek",
  y: "Year2",
  Y: "Year",
  "%": "%",
  z: "Zone offset",
  f: "Microseconds",
  Z: "Zone name",
};

/** The template-name text of a directive (`_patternName`). */
export function directiveName(key: string): string {
  const n = NAMES[key];
  if (n !== undefined) return n;
  if (key.startsWith("Ex")) {
    const kn = NAMES[key.slice(2)];
    if (kn !== undefined) return `Ex${kn}`;
  }
  return `%${key}`;
}

const DIRECTIVE_RE = /%(%|ExZ|Exz|Exd|Exm|ExH|Exk|Exl|ExM|ExS|ExY|Exy|[dfHIGjmMSUwuVyYzAaBbpZ%WcxXkl])/y;

export class DatePatternError extends Error {}

/**
 * Expands the `%` directives of a datepattern (`_patternRE.sub(r'%(\1)s', ...) % timeRE`), giving
 * the Python regex and the template name. Any other `%` is an error, as Python's `%` formatting
 * rejects it.
 */
export function expandDirectives(
  pattern: string,
  timeRe: ReadonlyMap<string, string>,
): { regex: string; name: string } {
  let regex = "";
  let name = "";
  let i = 0;
  while (i < pattern.length) {
    const pct = pattern.indexOf("%", i);
    if (pct < 0) {
      regex += pattern.slice(i);
      name += pattern.slice(i);
      break;
    }
    regex += pattern.slice(i, pct);
    name += pattern.slice(i, pct);
    DIRECTIVE_RE.lastIndex = pct;
    const m = DIRECTIVE_RE.exec(pattern);
    if (m === null) {
      throw new DatePatternError(
        `Failed to set datepattern "${pattern}" (may be an invalid format or unescaped percent char): unsupported format character at index ${pct}`,
      );
    }
    const key = m[1]!;
    regex += timeRe.get(key)!;
    name += directiveName(key);
    i = pct + m[0].length;
  }
  return { regex, name };
}

/** Python raised something other than ValueError: Fail2Ban fails the whole line. */
export class StrptimeFault extends Error {}

/**
 * `reGroupDictStrptime(found_dict, default_tz)`: `groups` are (name, value) pairs in the order of
 * the groups in the pattern (Python's groupdict() order); undefined = did not participate.
 * Returns epoch seconds, or null where Python raises ValueError (invalid date; Fail2Ban logs
 * "findFailure failed to parse timeText"). Throws StrptimeFault where Python raises another
 * exception.
 */
export function groupsToEpoch(
  names: readonly string[],
  values: readonly (string | undefined)[],
  defaultTzOffset: number | null,
  nowEpoch: number,
  zone: LocalZone,
): number | null {
  let year: number | null = null;
  let month: number | null = null;
  let day: number | null = null;
  let tzoffset: number | null = null;
  let weekday: number | null = null;
  let julian: number | null = null;
  let weekOfYear: number | null = null;
  let weekStartsMon = false;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let pValue: string | undefined | null = null; // null = no "p" group at all
  for (let k = 0; k < names.length; k += 1) if (names[k] === "p") pValue = values[k];
  for (let k = 0; k < names.length; k += 1) {
    const val = values[k];
    if (val === undefined) continue;
    const key = names[k]!;
    switch (key) {
      case "y":
        year = pyInt(val);
        if (year <= 2000) year += 2000;
        break;
      case "Y":
        year = pyInt(val);
        break;
      case "m":
        month = pyInt(val);
        break;
      case "B":
        month = indexOrValueError(F_MONTH, val) + 1;
        break;
      case "b":
        month = indexOrValueError(A_MONTH, val) + 1;
        break;
      case "d":
        day = pyInt(val);
        break;
      case "H":
        hour = pyInt(val);
        break;
      case "I": {
        hour = pyInt(val);
        if (pValue === undefined) throw new StrptimeFault("'NoneType' object has no attribute 'lower'");
        const ampm = (pValue ?? "").toLowerCase();
        if (ampm === "" || ampm === "am") {
          if (hour === 12) hour = 0;
        } else if (ampm === "pm") {
          if (hour !== 12) hour += 12;
        }
        break;
      }
      case "M":
        minute = pyInt(val);
        break;
      case "S":
        second = pyInt(val);
        break;
      case "A":
        weekday = indexOrValueError(F_WEEKDAY, val);
        break;
      case "a":
        weekday = indexOrValueError(A_WEEKDAY, val);
        break;
      case "w":
        weekday = pyInt(val) - 1;
        if (weekday < 0) weekday = 6;
        break;
      case "j":
        julian = pyInt(val);
        break;
      case "U":
      case "W":
        weekOfYear = pyInt(val);
        weekStartsMon = key === "W";
        break;
      case "z":
      case "Z":
        if (val === "Z" || val === "UTC" || val === "GMT") tzoffset = 0;
        else tzoffset = zoneToOffset(val);
        break;
      default:
        break;
    }
  }
  const nowCivil = zone.toCivil(nowEpoch);
  let assumeYear = false;
  if (year === null) {
    year = civilToFields(nowCivil).year;
    assumeYear = true;
  }
  if (month === null || day === null) {
    if (julian === null && weekOfYear !== null && weekday !== null) {
      julian = julianFromUorW(year, weekOfYear, weekday, weekStartsMon);
    }
    if (julian !== null) {
      if (year < 1 || year > 9999) return null;
      const ordinalDays = julian - 1 + daysFromCivil(year, 1, 1);
      // datetime.fromordinal range: 0001-01-01 .. 9999-12-31
      if (ordinalDays < daysFromCivil(1, 1, 1) || ordinalDays > daysFromCivil(9999, 12, 31)) return null;
      const f = civilToFields(ordinalDays * 86400);
      year = f.year;
      month = f.month;
      day = f.day;
    }
  }
  let assumeToday = false;
  if (month === null && day === null) {
    const f = civilToFields(nowCivil);
    month = f.month;
    day = f.day;
    assumeToday = true;
  }
  if (month === null || day === null) throw new StrptimeFault("datetime() argument must be int, not None");
  if (!isValidCivil(year, month, day, hour, minute, second)) return null;
  let result = civilSeconds(year, month, day, hour, minute, second);
  if (tzoffset === null && defaultTzOffset !== null) tzoffset = defaultTzOffset;
  if (tzoffset !== null) result -= tzoffset * 60;
  if (assumeToday && result > nowCivil) result -= 86400;
  if (assumeYear && result > nowCivil + 86400) {
    // date_result.replace(year=year-1, month=month, day=day): keeps the (zone-shifted) time of day.
    if (!isValidCivil(year - 1, month, day, 0, 0, 0)) return null;
    const secsOfDay = (((result % 86400) + 86400) % 86400) | 0;
    result = daysFromCivil(year - 1, month, day) * 86400 + secsOfDay;
  }
  if (tzoffset !== null) return result;
  return civilToEpoch(result, zone);
}

/** `time.mktime(date_result.timetuple())` for a civil time. */
function civilToEpoch(civil: number, zone: LocalZone): number {
  if (zone.civilToEpoch !== undefined) return zone.civilToEpoch(civil);
  const f = civilToFields(civil);
  return zone.toEpoch(f.year, f.month, f.day, f.hour, f.minute, f.second);
}

let memoNowCivil = Number.NaN;
let memoNowYear = 0;

/**
 * The common case of groupsToEpoch, for native matchers: month and day known, no zone in the
 * line, year optional (null = infer). Same results as groupsToEpoch for those fields.
 */
export function simpleFieldsToEpoch(
  year: number | null,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  defaultTzOffset: number | null,
  nowEpoch: number,
  zone: LocalZone,
): number | null {
  const nowCivil = zone.toCivil(nowEpoch);
  let y: number;
  if (year === null) {
    if (nowCivil !== memoNowCivil) {
      memoNowCivil = nowCivil;
      memoNowYear = civilToFields(nowCivil).year;
    }
    y = memoNowYear;
  } else y = year;
  if (!isValidCivil(y, month, day, hour, minute, second)) return null;
  let result = civilSeconds(y, month, day, hour, minute, second);
  if (defaultTzOffset !== null) result -= defaultTzOffset * 60;
  if (year === null && result > nowCivil + 86400) {
    if (!isValidCivil(y - 1, month, day, 0, 0, 0)) return null;
    const secsOfDay = (((result % 86400) + 86400) % 86400) | 0;
    result = daysFromCivil(y - 1, month, day) * 86400 + secsOfDay;
  }
  if (defaultTzOffset !== null) return result;
  return civilToEpoch(result, zone);
}

function indexOrValueError(list: readonly string[], val: string): number {
  const idx = list.indexOf(pyLower(val));
  if (idx < 0) throw new ValueErrorSignal();
  return idx;
}

/** Marker for Python's ValueError inside groupsToEpoch (caught by the caller → null). */
export class ValueErrorSignal extends Error {}

function pyLower(s: string): string {
  return s.toLowerCase();
}

/** Python int() of a regex-matched digit string; handles non-ASCII decimal digits (\d is Unicode). */
export function pyInt(s: string): number {
  let ascii = true;
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c > 127) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Number.parseInt(s, 10);
  let out = "";
  for (const ch of s) out += ch === " " ? " " : String(decimalValue(ch));
  return Number.parseInt(out.trim(), 10);
}

let ndZeros: number[] | null = null;

/** Digit value of a Unicode decimal digit (category Nd comes in runs of ten starting at 0). */
export function decimalValue(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp >= 48 && cp <= 57) return cp - 48;
  if (ndZeros === null) {
    ndZeros = [];
    const nd = /^\p{Nd}$/u;
    let run = 0;
    for (let c = 0; c <= 0x1ffff; c += 1) {
      if (nd.test(String.fromCodePoint(c))) {
        if (run === 0) ndZeros.push(c);
        run = (run + 1) % 10;
      } else run = 0;
    }
  }
  let zero = 0;
  for (const z of ndZeros) if (z <= cp) zero = z;
  return (cp - zero) % 10;
}

/** Python 3.11 `_strptime._calc_julian_from_U_or_W`. */
function julianFromUorW(year: number, weekOfYear: number, dayOfWeek: number, weekStartsMon: boolean): number {
  let firstWeekday = weekdayOf(year, 1, 1);
  let dow = dayOfWeek;
  if (!weekStartsMon) {
    firstWeekday = (firstWeekday + 1) % 7;
    dow = (dow + 1) % 7;
  }
  const week0Length = (7 - firstWeekday) % 7;
  if (weekOfYear === 0) return 1 + dow - firstWeekday;
  return 1 + week0Length + 7 * (weekOfYear - 1) + dow;
}
