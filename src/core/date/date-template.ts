/**
 * Date templates: port of fail2ban/server/datetemplate.py (1.0.2).
 *
 * A template is built exactly as Fail2Ban builds it — the same Python regex text, the same name,
 * the same flags (line-begin / word-begin / word-end) — because names, flags and the regex text
 * all feed the detector's decisions. The Python regex is then translated to JS (python-regex.ts),
 * or replaced by a hand-written matcher (native-syslog.ts) that is proven equal by tests.
 */

import type { LocalZone } from "./local-zone.js";
import { translatePythonRegex } from "./python-regex.js";
import {
  decimalValue,
  expandDirectives,
  groupsToEpoch,
  StrptimeFault,
  ValueErrorSignal,
} from "./strptime.js";
import { TimeZoneKeyError, TimeZoneValueError } from "./time-zones.js";
import { rewriteWordBegin } from "./word-start.js";

export const LINE_BEGIN = 8;
export const LINE_END = 4;
export const WORD_BEGIN = 2;
export const WORD_END = 1;

// The meta-regexes of datetemplate.py, in JS (they only ever see ASCII regex text).
const RE_GROUPED = /(?<!\(\?)(?<!\\)\((?!\?)/;
const RE_GROUP = /^((?:\(\?\w+\))?\^?(?:\(\?\w+\))?)([^\n]*?)(\$?)$/;
const RE_GLOBALFLAGS = /((?:^|(?!<\\))\(\?[a-z]+\))/;
const RE_EXLINE_NO_BOUNDS = /^\{UNB\}/;
const RE_EXLINE_BOUND_BEG = /^\{\^LN-BEG\}/;
const RE_EXSANC_BOUND_BEG = /^\((?:\?:)?\^\|\\b\|\\W\)/;
const RE_EXEANC_BOUND_BEG = /\(\?=\\b\|\\W\|\$\)$/;
const RE_NO_WRD_BOUND_BEG = /^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)/;
const RE_NO_WRD_BOUND_END = /(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$/;
const RE_DEL_WRD_BOUNDS = /^\(*(?:\(\?\w+\))?\(*\*\*|(?<!\\)\*\*\)*$/g;
const RE_LINE_BOUND_BEG = /^(?:\(\?\w+\))?(?:\^|\((?:\?:)?\^(?!\|))/;
const RE_LINE_BOUND_END = /(?<![\\|])(?:\$\)?)$/;
const RE_ALPHA_PATTERN = /(?<!%)%[aAbBpc]/;
export const RE_EPOCH_PATTERN = /(?<!\\)\{L?EPOCH\}/i;
const RE_EPOCH_PATTERN_G = /(?<!\\)\{L?EPOCH\}/gi;

/** One search hit: the whole match and group 1 (the date text Fail2Ban cuts out). */
export interface RawMatch {
  readonly start: number;
  readonly end: number;
  readonly g1Start: number;
  readonly g1End: number;
  /** Template-specific data for getDate (the JS match, or parsed fields). */
  readonly data: unknown;
}

/**
 * A template as plain data, for the native scanner: its regex translated to JS (group 1 is the
 * date text fail2ban cuts out) and how a match becomes a time.
 */
export interface PortableDateTemplate {
  readonly kind: "pattern" | "epoch" | "long-epoch" | "tai64n";
  readonly name: string;
  readonly flags: number;
  readonly weight: number;
  readonly pattern: string;
  readonly jsFlags: string;
  /** kind "pattern": the strptime directive groups, in groupdict order. */
  readonly keys: readonly string[];
  /** Epoch kinds: the capture holding the number. */
  readonly group: number;
}

/** getDate outcome when Python raises a non-ValueError (Fail2Ban drops/crashes on the line). */
export const DATE_FAULT = Symbol("date-fault");

export type WordBegin = boolean | "start";

export abstract class DateTemplate {
  name = "";
  weight = 1.0;
  flags = 0;
  /** Successful searches over the whole process (shared like Fail2Ban's cached template objects). */
  hits = 0;
  /** The Python regex text (`template.regex`). */
  regex = "";
  /** The original datepattern, only for pattern templates (`hasattr(template, 'pattern')`). */
  pattern: string | undefined = undefined;
  /** V8 has compiled this template's regex to native code (see DateDetector's warm-up). */
  warmed = false;

  /** `DateTemplate.setRegex`: adds boundaries and group 1, computes flags. */
  protected setRegexText(input: string, wordBegin: WordBegin, wordEnd: boolean): void {
    let regex = input.trim();
    const gf = RE_GLOBALFLAGS.exec(regex);
    if (gf) regex = regex.replace(RE_GLOBALFLAGS, "");
    const boundBegin = wordBegin !== false && !RE_NO_WRD_BOUND_BEG.test(regex);
    const boundEnd = wordEnd && !RE_NO_WRD_BOUND_END.test(regex);
    if (!RE_GROUPED.test(regex)) regex = regex.replace(RE_GROUP, "$1($2)$3");
    this.flags = 0;
    if (boundBegin) {
      this.flags |= wordBegin !== "start" ? WORD_BEGIN : LINE_BEGIN;
      if (wordBegin !== "start") regex = `(?=^|\\b|\\W)${regex}`;
      else {
        regex = `^(?:\\W{0,2})?${regex}`;
        if (!this.name.startsWith("{^LN-BEG}")) this.name = `{^LN-BEG}${this.name}`;
      }
    }
    if (boundEnd) {
      this.flags |= WORD_END;
      regex += "(?=\\b|\\W|$)";
    }
    if (!(this.flags & LINE_BEGIN) && RE_LINE_BOUND_BEG.test(regex)) this.flags |= LINE_BEGIN;
    if (!(this.flags & LINE_END) && RE_LINE_BOUND_END.test(regex)) this.flags |= LINE_END;
    regex = regex.replace(RE_DEL_WRD_BOUNDS, (m) => m.replaceAll("**", ""));
    if (gf) regex = gf[1] + regex;
    this.regex = regex;
  }

  /** Python `regex.search(line, pos, endpos)`. */
  abstract search(line: string, pos: number, endpos: number): RawMatch | null;

  /** `matchDate`: search and count the hit. */
  matchDate(line: string, pos = 0, endpos = line.length): RawMatch | null {
    const m = this.search(line, pos, endpos);
    if (m !== null) this.hits += 1;
    return m;
  }

  /** Epoch seconds; null = unparsable (Python ValueError); DATE_FAULT = other exception. */
  abstract getDate(
    m: RawMatch,
    defaultTz: number | null,
    now: number,
    zone: LocalZone,
  ): number | null | typeof DATE_FAULT;

  /** This template as plain data (translating its regex if needed); throws PythonRegexError. */
  abstract portable(): PortableDateTemplate;

  /** `DateTemplate.unboundPattern`. */
  static unboundPattern(pattern: string): string {
    return pattern
      .replace(RE_EXLINE_NO_BOUNDS, "")
      .replace(RE_EXLINE_BOUND_BEG, "")
      .replace(RE_EXSANC_BOUND_BEG, "")
      .replace(RE_EXEANC_BOUND_BEG, "");
  }
}

/** A template searched with the JS translation of its Python regex. */
abstract class RegexDateTemplate extends DateTemplate {
  private compiled: RegExp | null = null;
  /** 1 when the text before group 1 is captured as an extra group 1 (see wrapPrefix). */
  protected groupShift = 0;
  protected groupNames: readonly string[] = [];

  /** The Python regex actually compiled (Epoch drops its no-op conditionals). */
  protected compilableRegex(): string {
    return this.regex;
  }

  /** Compiles now; throws PythonRegexError on an invalid or unsupported regex. */
  compile(): void {
    const py = rewriteWordBegin(this.compilableRegex());
    const wrapped = wrapPrefix(py);
    if (wrapped !== null) {
      // Group offsets come from the lengths of groups 1 and 2: no `d` flag (3-4x slower).
      const t = translatePythonRegex(wrapped);
      this.groupNames = t.groupNames;
      this.groupShift = 1;
      this.compiled = new RegExp(t.source, `${t.flags}g`);
    } else {
      const t = translatePythonRegex(py);
      this.groupNames = t.groupNames;
      this.groupShift = 0;
      this.compiled = new RegExp(t.source, `${t.flags}gd`);
    }
  }

  /** The regex without the JS-only prefix wrapping (a native engine reports every group's span). */
  protected portableRegex(): { pattern: string; jsFlags: string; groupNames: readonly string[] } {
    const t = translatePythonRegex(rewriteWordBegin(this.compilableRegex()));
    return { pattern: t.source, jsFlags: t.flags, groupNames: t.groupNames };
  }

  search(line: string, pos: number, endpos: number): RawMatch | null {
    if (this.compiled === null) this.compile();
    const re = this.compiled!;
    const s = endpos < line.length ? line.slice(0, endpos) : line;
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) return null;
    if (this.groupShift === 1) {
      const g1Start = m.index + m[1]!.length;
      return { start: m.index, end: m.index + m[0].length, g1Start, g1End: g1Start + m[2]!.length, data: m };
    }
    const g1 = m.indices![1];
    return {
      start: m.index,
      end: m.index + m[0].length,
      g1Start: g1 ? g1[0] : -1,
      g1End: g1 ? g1[1] : -1,
      data: m,
    };
  }
}

/**
 * `(?flags)PREFIX(GROUP1)REST` → `(?flags)(PREFIX)(GROUP1)REST` when that cannot change the
 * match: group 1 opens at the top level, is not quantified, the regex has no top-level "|" and
 * no numbered back-references (named ones are unaffected). Otherwise null.
 */
function wrapPrefix(py: string): string | null {
  const flags = /^(?:\(\?[a-zA-Z]+\))*/.exec(py)![0];
  const body = py.slice(flags.length);
  let depth = 0;
  let inClass = false;
  let open = -1;
  let close = -1;
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i]!;
    if (c === "\\") {
      if (/[1-9]/.test(body[i + 1] ?? "") && !inClass) return null;
      i += 1;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      if (body[i + 1] === "^") i += 1;
      if (body[i + 1] === "]") i += 1;
    } else if (c === "(") {
      const capturing = body[i + 1] !== "?" || body.startsWith("(?P<", i);
      if (capturing && open < 0) {
        if (depth !== 0) return null;
        open = i;
      }
      depth += 1;
    } else if (c === ")") {
      depth -= 1;
      if (depth === 0 && open >= 0 && close < 0) close = i;
    } else if (c === "|" && depth === 0) return null;
  }
  if (open < 0 || close < 0) return null;
  if (/^[?*+{]/.test(body.slice(close + 1))) return null;
  return `${flags}(${body.slice(0, open)})${body.slice(open)}`;
}

export class DatePatternRegex extends RegexDateTemplate {
  /**
   * `deferCompile`: translate the regex at first use instead of now — for the built-in default
   * templates, which are known to be valid and mostly never reached (a user's datepattern is
   * compiled at once, so that its errors are reported when the filter loads).
   */
  constructor(pattern: string, timeRe: ReadonlyMap<string, string>, deferCompile = false) {
    super();
    this.pattern = pattern;
    let p = pattern;
    let wordBegin: WordBegin = true;
    let wordEnd = true;
    if (RE_EXLINE_NO_BOUNDS.test(p)) {
      p = p.replace(RE_EXLINE_NO_BOUNDS, "");
      wordBegin = wordEnd = false;
    }
    if (wordBegin && RE_EXLINE_BOUND_BEG.test(p)) {
      p = p.replace(RE_EXLINE_BOUND_BEG, "");
      wordBegin = "start";
    }
    const { regex, name } = expandDirectives(p, timeRe);
    this.name = name;
    this.setRegexText(RE_ALPHA_PATTERN.test(p) ? `(?iu)${regex}` : regex, wordBegin, wordEnd);
    if (!deferCompile) this.compile();
  }

  portable(): PortableDateTemplate {
    const { pattern, jsFlags, groupNames } = this.portableRegex();
    const base = { name: this.name, flags: this.flags, weight: this.weight, pattern, jsFlags };
    return { kind: "pattern", ...base, keys: groupNames, group: 1 };
  }

  getDate(
    m: RawMatch,
    defaultTz: number | null,
    now: number,
    zone: LocalZone,
  ): number | null | typeof DATE_FAULT {
    const groups = (m.data as RegExpExecArray).groups ?? {};
    const names = this.groupNames;
    const values: (string | undefined)[] = [];
    for (const n of names) values.push(groups[n]);
    return strptimeGuarded(names, values, defaultTz, now, zone);
  }
}

export function strptimeGuarded(
  names: readonly string[],
  values: readonly (string | undefined)[],
  defaultTz: number | null,
  now: number,
  zone: LocalZone,
): number | null | typeof DATE_FAULT {
  try {
    return groupsToEpoch(names, values, defaultTz, now, zone);
  } catch (e) {
    if (e instanceof ValueErrorSignal || e instanceof TimeZoneValueError) return null;
    if (e instanceof StrptimeFault || e instanceof TimeZoneKeyError) return DATE_FAULT;
    throw e;
  }
}

export class DateEpoch extends RegexDateTemplate {
  private readonly longFrm: boolean;
  private readonly grpIdx: number;

  constructor(lineBeginOnly: boolean, pattern: string | undefined, longFrm: boolean) {
    super();
    this.name = pattern ?? "Epoch";
    this.longFrm = longFrm;
    this.grpIdx = 1;
    let epochRe = "\\d{10,11}\\b(?:\\.\\d{3,6})?";
    if (longFrm) {
      this.name = pattern ?? "LongEpoch";
      epochRe = "\\d{10,11}(?:\\d{3}(?:\\.\\d{1,6}|\\d{3})?)?";
    }
    if (pattern !== undefined) {
      this.grpIdx = 2;
      this.setRegexText(`(${pattern.replace(RE_EPOCH_PATTERN_G, () => `(${epochRe})`)})`, true, true);
    } else if (!lineBeginOnly) {
      this.setRegexText(
        `((?:^|(?P<square>(?<=^\\[))|(?P<selinux>(?<=\\baudit\\()))${epochRe})(?:(?(selinux)(?=:\\d+\\)))|(?(square)(?=\\])))`,
        false,
        true,
      );
    } else {
      this.setRegexText(`((?P<square>(?<=^\\[))?${epochRe})(?(square)(?=\\]))`, "start", true);
    }
    // Only a user's pattern can be invalid: compile it now so that errors surface at load time;
    // the built-in forms compile at first use.
    if (pattern !== undefined) this.compile();
  }

  /**
   * The conditional groups of Fail2Ban's EPOCH regexes never change a match: in
   * `(?:(?(selinux)A)|(?(square)B))` one branch is always empty, and `(?P<square>…)?` backtracks
   * to "not taken" when `(?(square)(?=\]))` fails (verified against Python in the tests).
   */
  protected override compilableRegex(): string {
    return this.regex
      .replace("(?:(?(selinux)(?=:\\d+\\)))|(?(square)(?=\\])))", "")
      .replace("(?(square)(?=\\]))", "");
  }

  portable(): PortableDateTemplate {
    const { pattern, jsFlags } = this.portableRegex();
    const base = { name: this.name, flags: this.flags, weight: this.weight, pattern, jsFlags };
    return { kind: this.longFrm ? "long-epoch" : "epoch", ...base, keys: [], group: this.grpIdx };
  }

  getDate(m: RawMatch): number | null {
    const v = (m.data as RegExpExecArray)[this.grpIdx + this.groupShift];
    if (v === undefined) return null;
    let n = pyFloat(v);
    if (this.longFrm && v.length >= 13) {
      if (v.length >= 16 && !v.includes(".")) n = n / 1000000;
      else n = n / 1000;
    }
    return n;
  }
}

/** Python float() of a digits[.digits] string (non-ASCII decimal digits allowed, as \d is Unicode). */
function pyFloat(v: string): number {
  if (/^[0-9.]*$/.test(v)) return Number(v);
  let out = "";
  for (const ch of v) out += ch === "." ? "." : /[0-9]/.test(ch) ? ch : String(decimalValue(ch));
  return Number(out);
}

export class DateTai64n extends RegexDateTemplate {
  constructor(wordBegin: WordBegin) {
    super();
    this.name = "TAI64N";
    this.setRegexText("@[0-9a-f]{24}", wordBegin, true);
  }

  portable(): PortableDateTemplate {
    const { pattern, jsFlags } = this.portableRegex();
    const base = { name: this.name, flags: this.flags, weight: this.weight, pattern, jsFlags };
    return { kind: "tai64n", ...base, keys: [], group: 1 };
  }

  getDate(m: RawMatch): number | null {
    const v = (m.data as RegExpExecArray)[1 + this.groupShift];
    if (v === undefined) return null;
    return Number.parseInt(v.slice(2, 17), 16);
  }
}
