/**
 * Hand-written matcher for the line-anchored ISO 8601 default template
 * `{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`, i.e.
 *
 *   ^(?:\W{0,2})?((?P<Y>20[012]\d)(?P<_sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=_sep)
 *   (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])(?:T|  ?)(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):
 *   (?P<S>[0-5]?\d|6[0-1])(?:[.,](?P<f>[0-9]{1,6}))?(?:\s*(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?)
 *   (?=\b|\W|$)
 *
 * Same method as native-syslog.ts: the regex's choice points as nested loops in backtracking
 * order; any non-ASCII character it would have to look at sends the line to the regex instead.
 */
import { type DATE_FAULT, DatePatternRegex, type RawMatch } from "./date-template.js";
import type { LocalZone } from "./local-zone.js";
import { simpleFieldsToEpoch } from "./strptime.js";

export const NATIVE_ISO_PATTERN =
  "{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?";
const WINDOW = 40;
/** Returned by the inner stages: a non-ASCII character had to be examined. */
const BAIL = -2;

/** A native match carries its fields itself (one allocation per line). */
interface IsoFields extends RawMatch {
  readonly native: true;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Minutes east of UTC from the line, or null. */
  readonly tz: number | null;
}

function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
/** Python's `\s` restricted to ASCII (str patterns also match \x1c-\x1f). */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f);
}

export class NativeIsoTemplate extends DatePatternRegex {
  private readonly yearPrefixes = new Set<number>();
  // Scratch state of the current search (one search at a time; results are copied out).
  private line = "";
  private n = 0;
  private s = 0;
  private fields = {
    year: 0,
    month: 0,
    day: 0,
    hour: 0,
    minute: 0,
    second: 0,
  };

  constructor(pattern: string, timeRe: ReadonlyMap<string, string>) {
    super(pattern, timeRe);
    const m = /^\(\?P<Y>\(\?:([0-9|]+)\)\\d\)$|^\(\?P<Y>([0-9]{3})\\d\)$/.exec(timeRe.get("ExY")!);
    for (const p of (m?.[1] ?? m?.[2] ?? "").split("|")) if (p !== "") this.yearPrefixes.add(Number(p));
  }

  override search(line: string, pos: number, endpos: number): RawMatch | null {
    const n = line.length;
    if (pos !== 0 || endpos !== n) return super.search(line, pos, endpos);
    const lim = Math.min(n, WINDOW);
    for (let k = 0; k < lim; k += 1) if (line.charCodeAt(k) > 127) return super.search(line, pos, endpos);
    this.line = line;
    this.n = n;
    let k = 0;
    while (k < 2 && k < n && !isWord(line.charCodeAt(k))) k += 1;
    for (let p = k; p >= 0; p -= 1) {
      this.s = p;
      const r = this.body(p);
      if (r === BAIL) return super.search(line, pos, endpos);
      if (r >= 0) return this.result(r);
    }
    return null;
  }

  private tz: number | null = null;

  private result(end: number): RawMatch {
    const f = this.fields;
    const m: IsoFields = {
      start: 0,
      end,
      g1Start: this.s,
      g1End: end,
      data: null,
      native: true,
      year: f.year,
      month: f.month,
      day: f.day,
      hour: f.hour,
      minute: f.minute,
      second: f.second,
      tz: this.tz,
    };
    return m;
  }

  private c(i: number): number {
    return this.line.charCodeAt(i);
  }

  /** End of the match starting at q, -1 if none, BAIL if the regex must decide. */
  private body(q: number): number {
    const y0 = this.c(q);
    const y1 = this.c(q + 1);
    const y2 = this.c(q + 2);
    const y3 = this.c(q + 3);
    if (!isDigit(y0) || !isDigit(y1) || !isDigit(y2) || !isDigit(y3)) return -1;
    const prefix = (y0 - 48) * 100 + (y1 - 48) * 10 + (y2 - 48);
    if (!this.yearPrefixes.has(prefix)) return -1;
    this.fields.year = prefix * 10 + (y3 - 48);
    const sep = this.c(q + 4);
    if (sep !== 45 && sep !== 47 && sep !== 46) return -1;
    const q1 = q + 5;
    const m0 = this.c(q1);
    const m1 = this.c(q1 + 1);
    // %m = 0?[1-9] | 1[0-2]
    for (let alt = 0; alt < 3; alt += 1) {
      let len: number;
      let month: number;
      if (alt === 0) {
        if (m0 !== 48 || !(m1 >= 49 && m1 <= 57)) continue;
        len = 2;
        month = m1 - 48;
      } else if (alt === 1) {
        if (!(m0 >= 49 && m0 <= 57)) continue;
        len = 1;
        month = m0 - 48;
      } else {
        if (m0 !== 49 || !(m1 >= 48 && m1 <= 50)) continue;
        len = 2;
        month = 10 + (m1 - 48);
      }
      if (this.c(q1 + len) !== sep) continue;
      this.fields.month = month;
      const r = this.day(q1 + len + 1);
      if (r !== -1) return r;
    }
    return -1;
  }

  private day(q: number): number {
    const c0 = this.c(q);
    const c1 = this.c(q + 1);
    for (let alt = 0; alt < 4; alt += 1) {
      let len: number;
      let day: number;
      if (alt === 0) {
        if (!(c0 === 49 || c0 === 50) || !isDigit(c1)) continue;
        len = 2;
        day = (c0 - 48) * 10 + (c1 - 48);
      } else if (alt === 1) {
        if (!(c0 === 48 || c0 === 32) || !(c1 >= 49 && c1 <= 57)) continue;
        len = 2;
        day = c1 - 48;
      } else if (alt === 2) {
        if (!(c0 >= 49 && c0 <= 57)) continue;
        len = 1;
        day = c0 - 48;
      } else {
        if (c0 !== 51 || !(c1 === 48 || c1 === 49)) continue;
        len = 2;
        day = 30 + (c1 - 48);
      }
      this.fields.day = day;
      const q2 = q + len;
      // (?:T|  ?): "T", then two spaces, then one space.
      for (let t = 0; t < 3; t += 1) {
        let tl: number;
        if (t === 0) {
          if (this.c(q2) !== 84) continue;
          tl = 1;
        } else if (t === 1) {
          if (this.c(q2) !== 32 || this.c(q2 + 1) !== 32) continue;
          tl = 2;
        } else {
          if (this.c(q2) !== 32) continue;
          tl = 1;
        }
        const r = this.clock(q2 + tl);
        if (r !== -1) return r;
      }
    }
    return -1;
  }

  /** %H:%M:%S with %H = [0-1]?\d | 2[0-3]. */
  private clock(q: number): number {
    const h0 = this.c(q);
    const h1 = this.c(q + 1);
    for (let alt = 0; alt < 3; alt += 1) {
      let len: number;
      let hour: number;
      if (alt === 0) {
        if (!(h0 === 48 || h0 === 49) || !isDigit(h1)) continue;
        len = 2;
        hour = (h0 - 48) * 10 + (h1 - 48);
      } else if (alt === 1) {
        if (!isDigit(h0)) continue;
        len = 1;
        hour = h0 - 48;
      } else {
        if (h0 !== 50 || !(h1 >= 48 && h1 <= 51)) continue;
        len = 2;
        hour = 20 + (h1 - 48);
      }
      let q4 = q + len;
      if (this.c(q4) !== 58) continue;
      q4 += 1;
      const m0 = this.c(q4);
      const m1 = this.c(q4 + 1);
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
        if (this.c(q5) !== 58) continue;
        q5 += 1;
        const s0 = this.c(q5);
        const s1 = this.c(q5 + 1);
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
          this.fields.hour = hour;
          this.fields.minute = minute;
          this.fields.second = second;
          const r = this.tail(q5 + sLen);
          if (r !== -1) return r;
        }
      }
    }
    return -1;
  }

  /** `(?:[.,]%f)?(?:\s*%z)?` then the look-ahead. */
  private tail(q6: number): number {
    const c6 = this.c(q6);
    let digits = 0;
    if (c6 === 46 || c6 === 44) while (digits < 6 && isDigit(this.c(q6 + 1 + digits))) digits += 1;
    for (let f = digits; f >= 0; f -= 1) {
      const r = this.zone(f > 0 ? q6 + 1 + f : q6);
      if (r !== -1) return r;
    }
    return -1;
  }

  private zone(q7: number): number {
    const n = this.n;
    let ws = 0;
    for (;;) {
      const c = this.c(q7 + ws);
      if (c > 127) return BAIL; // Unicode whitespace would extend \s*
      if (!isSpace(c)) break;
      ws += 1;
    }
    for (let w = ws; w >= 0; w -= 1) {
      const q = q7 + w;
      const z0 = this.c(q);
      // Z | UTC | GMT | [+-][01]\d(?::?\d{2})?
      if (z0 === 90) {
        const r = this.finish(q + 1, 0);
        if (r !== -1) return r;
      }
      if (z0 === 85 && this.c(q + 1) === 84 && this.c(q + 2) === 67) {
        const r = this.finish(q + 3, 0);
        if (r !== -1) return r;
      }
      if (z0 === 71 && this.c(q + 1) === 77 && this.c(q + 2) === 84) {
        const r = this.finish(q + 3, 0);
        if (r !== -1) return r;
      }
      if (
        (z0 === 43 || z0 === 45) &&
        (this.c(q + 1) === 48 || this.c(q + 1) === 49) &&
        isDigit(this.c(q + 2))
      ) {
        const sign = z0 === 45 ? -1 : 1;
        const hh = (this.c(q + 1) - 48) * 10 + (this.c(q + 2) - 48);
        const a = this.c(q + 3);
        if (a === 58 && isDigit(this.c(q + 4)) && isDigit(this.c(q + 5))) {
          const mm = (this.c(q + 4) - 48) * 10 + (this.c(q + 5) - 48);
          const r = this.finish(q + 6, sign * (hh * 60 + mm));
          if (r !== -1) return r;
        }
        if (isDigit(a) && isDigit(this.c(q + 4))) {
          const mm = (a - 48) * 10 + (this.c(q + 4) - 48);
          const r = this.finish(q + 5, sign * (hh * 60 + mm));
          if (r !== -1) return r;
        }
        // "+hh" alone: int("+05") * 60
        const r = this.finish(q + 3, sign * hh * 60);
        if (r !== -1) return r;
      }
    }
    this.tz = null;
    const e = q7;
    if (e < n && this.c(e) > 127) return BAIL;
    return e >= n || !isWord(this.c(e)) || !isWord(this.c(e - 1)) ? e : -1;
  }

  private finish(e: number, tz: number): number {
    const n = this.n;
    if (e < n && this.c(e) > 127) return BAIL;
    if (e >= n || !isWord(this.c(e)) || !isWord(this.c(e - 1))) {
      this.tz = tz;
      return e;
    }
    return -1;
  }

  override getDate(
    m: RawMatch,
    defaultTz: number | null,
    now: number,
    zone: LocalZone,
  ): number | null | typeof DATE_FAULT {
    if ((m as IsoFields).native !== true) return super.getDate(m, defaultTz, now, zone);
    const f = m as IsoFields;
    return simpleFieldsToEpoch(
      f.year,
      f.month,
      f.day,
      f.hour,
      f.minute,
      f.second,
      f.tz ?? defaultTz,
      now,
      zone,
    );
  }
}
