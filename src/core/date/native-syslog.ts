/**
 * Hand-written matcher for the hottest template, the line-anchored syslog date
 * `{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`, i.e. the Python regex
 *
 *   (?iu)^(?:\W{0,2})?((?:(?P<a>mon|…) )?(?P<b>jan|…) (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])
 *        ?(?P<H>[0-2]?\d):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:\.(?P<f>[0-9]{1,6}))?
 *       (?: (?P<Y>20[012]\d))?)(?=\b|\W|$)
 *
 * It walks the same choice points in the same order as a backtracking engine (nested loops, the
 * earliest choice outermost, greedy options first), so the first success is the regex's match.
 * It only runs when the first 40 characters (all a match can look at: 2 prefix + 32 date + 1
 * look-ahead) are ASCII; otherwise, and for partial searches, the translated regex runs.
 * native-syslog.test.ts checks it against the regex on generated and mutated lines.
 */
import { type DATE_FAULT, DatePatternRegex, type RawMatch } from "./date-template.js";
import type { LocalZone } from "./local-zone.js";
import { NATIVE_ISO_PATTERN, NativeIsoTemplate } from "./native-iso.js";
import { simpleFieldsToEpoch } from "./strptime.js";

export const NATIVE_SYSLOG_PATTERN = "{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?";
const WINDOW = 40;

const MONTHS = new Map<number, number>();
["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].forEach((m, i) => {
  MONTHS.set((m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2), i + 1);
});
const WEEKDAYS = new Set<number>();
for (const d of ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) {
  WEEKDAYS.add((d.charCodeAt(0) << 16) | (d.charCodeAt(1) << 8) | d.charCodeAt(2));
}

/** A native match carries its fields itself (one allocation per line). */
interface SyslogFields extends RawMatch {
  readonly native: true;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly year: number | null;
}

function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Lower-cased 3-letter key at i (ASCII only; non-letters never equal a name key). */
function key3(line: string, i: number): number {
  return (
    ((line.charCodeAt(i) | 0x20) << 16) |
    ((line.charCodeAt(i + 1) | 0x20) << 8) |
    (line.charCodeAt(i + 2) | 0x20)
  );
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function nameAt(line: string, i: number, n: number): number {
  if (i + 3 > n) return -1;
  if (!isLetter(line.charCodeAt(i)) || !isLetter(line.charCodeAt(i + 1)) || !isLetter(line.charCodeAt(i + 2)))
    return -1;
  return key3(line, i);
}

class NativeSyslogTemplate extends DatePatternRegex {
  /** Digits 0-9 of the 3-digit year prefixes `%ExY` accepts (e.g. 200, 201, 202). */
  private readonly yearPrefixes: Set<number>;

  constructor(pattern: string, timeRe: ReadonlyMap<string, string>) {
    super(pattern, timeRe);
    this.yearPrefixes = new Set<number>();
    const m = /^\(\?P<Y>\(\?:([0-9|]+)\)\\d\)$|^\(\?P<Y>([0-9]{3})\\d\)$/.exec(timeRe.get("ExY")!);
    for (const p of (m?.[1] ?? m?.[2] ?? "").split("|")) if (p !== "") this.yearPrefixes.add(Number(p));
  }

  override search(line: string, pos: number, endpos: number): RawMatch | null {
    const n = line.length;
    if (pos !== 0 || endpos !== n) return super.search(line, pos, endpos);
    const lim = Math.min(n, WINDOW);
    for (let k = 0; k < lim; k += 1) if (line.charCodeAt(k) > 127) return super.search(line, pos, endpos);
    let k = 0;
    while (k < 2 && k < n && !isWord(line.charCodeAt(k))) k += 1;
    for (let p = k; p >= 0; p -= 1) {
      const r = this.body(line, p, n);
      if (r !== null) return r;
    }
    return null;
  }

  private body(line: string, s: number, n: number): RawMatch | null {
    for (let withA = 1; withA >= 0; withA -= 1) {
      let q = s;
      if (withA === 1) {
        const w = nameAt(line, q, n);
        if (w < 0 || !WEEKDAYS.has(w) || line.charCodeAt(q + 3) !== 32) continue;
        q += 4;
      }
      const mk = nameAt(line, q, n);
      const month = mk < 0 ? undefined : MONTHS.get(mk);
      if (month === undefined || line.charCodeAt(q + 3) !== 32) continue;
      q += 4;
      const c0 = line.charCodeAt(q);
      const c1 = line.charCodeAt(q + 1);
      // %d = [1-2]\d | [0 ]?[1-9] | 3[0-1]
      for (let alt = 0; alt < 4; alt += 1) {
        let dLen: number;
        let day: number;
        if (alt === 0) {
          if (!(c0 === 49 || c0 === 50) || !isDigit(c1)) continue;
          dLen = 2;
          day = (c0 - 48) * 10 + (c1 - 48);
        } else if (alt === 1) {
          if (!(c0 === 48 || c0 === 32) || !(c1 >= 49 && c1 <= 57)) continue;
          dLen = 2;
          day = c1 - 48;
        } else if (alt === 2) {
          if (!(c0 >= 49 && c0 <= 57)) continue;
          dLen = 1;
          day = c0 - 48;
        } else {
          if (c0 !== 51 || !(c1 === 48 || c1 === 49)) continue;
          dLen = 2;
          day = 30 + (c1 - 48);
        }
        let q2 = q + dLen;
        if (line.charCodeAt(q2) !== 32) continue;
        q2 += 1;
        const r = this.clock(line, q2, n, month, day, s);
        if (r !== null) return r;
      }
    }
    return null;
  }

  /** ` ?(?P<H>[0-2]?\d):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])` and the optional tail. */
  private clock(line: string, q2: number, n: number, month: number, day: number, s: number): RawMatch | null {
    for (let sp = 1; sp >= 0; sp -= 1) {
      if (sp === 1 && line.charCodeAt(q2) !== 32) continue;
      const q3 = q2 + sp;
      const h0 = line.charCodeAt(q3);
      const h1 = line.charCodeAt(q3 + 1);
      for (let hLen = 2; hLen >= 1; hLen -= 1) {
        let hour: number;
        if (hLen === 2) {
          if (!(h0 >= 48 && h0 <= 50) || !isDigit(h1)) continue;
          hour = (h0 - 48) * 10 + (h1 - 48);
        } else {
          if (!isDigit(h0)) continue;
          hour = h0 - 48;
        }
        let q4 = q3 + hLen;
        if (line.charCodeAt(q4) !== 58) continue;
        q4 += 1;
        const m0 = line.charCodeAt(q4);
        const m1 = line.charCodeAt(q4 + 1);
        for (let mLen = 2; mLen >= 1; mLen -= 1) {
          let minute: number;
          if (mLen === 2) {
            if (!(m0 >= 48 && m0 <= 53) || !isDigit(m1)) continue;
            minute = (m0 - 48) * 10 + (m1 - 48);
          } else {
            if (!isDigit(m0)) continue;
            minute = m0 - 48;
          }
          let q5 = q4 + mLen;
          if (line.charCodeAt(q5) !== 58) continue;
          q5 += 1;
          const s0 = line.charCodeAt(q5);
          const s1 = line.charCodeAt(q5 + 1);
          for (let sAlt = 0; sAlt < 3; sAlt += 1) {
            let second: number;
            let sLen: number;
            if (sAlt === 0) {
              if (!(s0 >= 48 && s0 <= 53) || !isDigit(s1)) continue;
              second = (s0 - 48) * 10 + (s1 - 48);
              sLen = 2;
            } else if (sAlt === 1) {
              if (!isDigit(s0)) continue;
              second = s0 - 48;
              sLen = 1;
            } else {
              if (s0 !== 54 || !(s1 === 48 || s1 === 49)) continue;
              second = 60 + (s1 - 48);
              sLen = 2;
            }
            const r = this.tail(line, q5 + sLen, n, month, day, hour, minute, second, s);
            if (r !== null) return r;
          }
        }
      }
    }
    return null;
  }

  /** `(?:\.(?P<f>[0-9]{1,6}))?(?: (?P<Y>ExY))?` then `(?=\b|\W|$)`. */
  private tail(
    line: string,
    q6: number,
    n: number,
    month: number,
    day: number,
    hour: number,
    minute: number,
    second: number,
    s: number,
  ): RawMatch | null {
    let digits = 0;
    if (line.charCodeAt(q6) === 46)
      while (digits < 6 && isDigit(line.charCodeAt(q6 + 1 + digits))) digits += 1;
    // Fraction lengths digits..1 (each needs the "."), then no fraction.
    for (let f = digits; f >= 0; f -= 1) {
      const q7 = f > 0 ? q6 + 1 + f : q6;
      // Year: with, then without.
      if (line.charCodeAt(q7) === 32) {
        const y0 = line.charCodeAt(q7 + 1);
        const y1 = line.charCodeAt(q7 + 2);
        const y2 = line.charCodeAt(q7 + 3);
        const y3 = line.charCodeAt(q7 + 4);
        if (isDigit(y0) && isDigit(y1) && isDigit(y2) && isDigit(y3)) {
          const prefix = (y0 - 48) * 100 + (y1 - 48) * 10 + (y2 - 48);
          if (this.yearPrefixes.has(prefix) && lookaheadOk(line, q7 + 5, n)) {
            return matchOf(s, q7 + 5, month, day, hour, minute, second, prefix * 10 + (y3 - 48));
          }
        }
      }
      if (lookaheadOk(line, q7, n)) {
        return matchOf(s, q7, month, day, hour, minute, second, null);
      }
    }
    return null;
  }

  override getDate(
    m: RawMatch,
    defaultTz: number | null,
    now: number,
    zone: LocalZone,
  ): number | null | typeof DATE_FAULT {
    if ((m as SyslogFields).native !== true) return super.getDate(m, defaultTz, now, zone);
    const f = m as SyslogFields;
    return simpleFieldsToEpoch(f.year, f.month, f.day, f.hour, f.minute, f.second, defaultTz, now, zone);
  }
}

function lookaheadOk(line: string, e: number, n: number): boolean {
  return e >= n || !isWord(line.charCodeAt(e)) || !isWord(line.charCodeAt(e - 1));
}

function matchOf(
  g1Start: number,
  end: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  year: number | null,
): SyslogFields {
  return {
    start: 0,
    end,
    g1Start,
    g1End: end,
    data: null,
    native: true,
    month,
    day,
    hour,
    minute,
    second,
    year,
  };
}

/** A native template for `pattern` when one exists, else null (the registry uses the regex). */
export function createNativeTemplate(
  pattern: string,
  timeRe: ReadonlyMap<string, string>,
): DatePatternRegex | null {
  if (pattern === NATIVE_SYSLOG_PATTERN) return new NativeSyslogTemplate(pattern, timeRe);
  if (pattern === NATIVE_ISO_PATTERN) return new NativeIsoTemplate(pattern, timeRe);
  return null;
}
