/**
 * The date detector: finds and parses the timestamp of a log line exactly as Fail2Ban 1.0.2 does
 * (port of fail2ban/server/datedetector.py `DateDetector.matchTime` + `getTime`).
 *
 * WHAT THE PIPELINE CUTS (filter.py `processLine`, L631-664): Fail2Ban removes group 1 of the
 * template's regex — `line[:start] + line[end:]` with `start = m.start(1)`, `end = m.end(1)` —
 * and the failregexes see that remaining text. `DateMatch.start/end` are exactly that group 1.
 *  - `{^LN-BEG}` templates are `^(?:\W{0,2})?(DATE)(?=\b|\W|$)`: up to two leading non-word
 *    characters stay in the line (e.g. "[" of "[Jan 23 …]"), nothing after the date is eaten:
 *    "Jan 23 21:59:59 host sshd[1]: x" leaves " host sshd[1]: x" (leading space kept).
 *  - Custom patterns with their own capturing group cut only that group
 *    (`^[^\[]*\[({DATE})` cuts the date inside the brackets); patterns without one are wrapped
 *    whole in group 1 (so `^<W>{DATE}` also cuts "<W>").
 *  - `{NONE}` matches an empty group 1 at 0: nothing is cut, `time` is null, and Fail2Ban uses
 *    the last date if it is less than 60 s old, otherwise "now" (the pipeline's job).
 *  - A found date that cannot be parsed (e.g. "Feb 30", second 60) still cuts the text, `time`
 *    is null; Fail2Ban then uses the last date if younger than 60 s — and in that case it
 *    restores the WHOLE line (`tupleLine = ("", lastTimeText, line)`) — else no date.
 *  - `fault`: Fail2Ban would raise a non-ValueError exception here (unknown zone abbreviation,
 *    `%I` with an optional `%p` absent, an empty match at the very end of a line): the daemon
 *    logs "Failed to process line" and skips the line; fail2ban-regex aborts.
 *
 * STATE: like Fail2Ban, the detector is stateful — it reuses the last winning template when the
 * characters around the last date position still match, weighs templates by hits and distance,
 * and bubbles winners up the list. Those heuristics decide which of several candidate dates in a
 * line wins, so they are ported one-to-one rather than "optimised" (results stay identical).
 */
import { failed, ok, type Problem, problem, type Result } from "../errors/problem.js";
import {
  DATE_FAULT,
  DateTemplate,
  LINE_BEGIN,
  LINE_END,
  type PortableDateTemplate,
  type RawMatch,
} from "./date-template.js";
import { createSystemLocalZone, type LocalZone } from "./local-zone.js";
import { registryFor, TemplateRegistry } from "./template-registry.js";
import { zoneToOffset } from "./time-zones.js";

export type { LocalZone } from "./local-zone.js";

export interface DateMatch {
  /** Start of the date text to cut out (group 1), in UTF-16 code units. */
  readonly start: number;
  /** End of the date text to cut out (group 1). */
  readonly end: number;
  /** Epoch seconds (fractional only for EPOCH/LEPOCH); null = no usable date (see header). */
  readonly time: number | null;
  /** Fail2Ban would fail on this line with an exception (see header). */
  readonly fault: boolean;
}

export interface DateDetectorOptions {
  /** The filter's `datepattern` (multi-line allowed); undefined = the default templates. */
  readonly datepattern?: string | undefined;
  /** Fail2Ban `logtimezone`, e.g. "UTC", "UTC+0200", "CET" (fixed offsets only). */
  readonly logTimeZone?: string | undefined;
  /** Local zone for dates without a zone (default: the process's zone via JS Date). */
  readonly zone?: LocalZone | undefined;
  /** When "Fail2Ban started" (epoch s): fixes the years `%ExY` accepts. Default: now. */
  readonly startTime?: number | undefined;
  /** Wall clock (epoch s) for the "template unused for 5 minutes" rule. Default: `now` of match(). */
  readonly wallClock?: (() => number) | undefined;
  /**
   * Use a private template cache instead of the process-wide one. Fail2Ban shares template
   * objects (and their hit counters, which take part in decisions) between all filters of one
   * process; `fail2ban-regex` runs one filter per process. Set this to reproduce a separate
   * `fail2ban-regex` run when several detectors live in one process. Costs up to ~50 ms of regex translation per detector.
   */
  readonly isolatedTemplates?: boolean | undefined;
}

export interface DateDetector {
  /** Finds the date in `line`; `now` (epoch s) drives year/day inference. Null = no date found. */
  match(line: string, now: number): DateMatch | null;
  /** The datepattern is `{NONE}`: lines carry no date (time is "now"/the last date). */
  readonly usesNoDate: boolean;
  /**
   * How to run a template's warm-up when the template is first needed (by default: directly).
   * A worker with a watchdog runs it with the clock stopped: compiling our own regex is not the
   * log line's doing.
   */
  setUntimedRunner(run: (work: () => void) => void): void;
  /** Names of the templates in their current order (diagnostics, like fail2ban-regex prints). */
  templateNames(): readonly string[];
  /**
   * The templates as plain data, in the order the first line will try them, and the
   * `logtimezone` offset in minutes (null: none): what a native engine needs to reproduce this
   * detector. Call it before the first `match`.
   */
  portable(): { templates: PortableDateTemplate[]; defaultTzMinutes: number | null };
  /**
   * Everything the detector's later decisions read, as structured-cloneable data: the template
   * order, each template's hits, last use and distance, the shared templates' hit counters, the
   * last date position and the last template. `importState` into a detector built from the same
   * options makes it decide exactly as this one from here on.
   */
  exportState(): DateDetectorState;
  importState(state: DateDetectorState): void;
}

/** A date detector's carried-over state (see `DateDetector.exportState`). */
export interface DateDetectorState {
  /** Template names, in the detector's current order (empty before the first line). */
  readonly names: readonly string[];
  /**
   * Per template, in that order, four numbers: its hits, last use and distance in this detector,
   * and its process-wide hit counter (`DateTemplate.hits`); then `__lastPos`'s distance,
   * `__lastEndPos`'s end, the last template's index and the first unused one. (Numbers in one
   * typed array: the state crosses threads after every batch.)
   */
  readonly numbers: Float64Array;
  /** `__lastPos`'s char before and at, `__lastEndPos`'s last char and char after. */
  readonly chars: readonly [string, string, string, string];
}

interface DetectorTemplate {
  readonly template: DateTemplate;
  hits: number;
  lastUsed: number;
  distance: number;
}

const MAXINT = 0x7fffffff;
const RE_DATE_PREMATCH = /(?<!\\)\{DATE\}/gi;

function weightOf(t: DetectorTemplate): number {
  return (t.hits * t.template.weight) / Math.max(1, t.distance);
}

/** Python `str.isalnum()` for one character (letters and numeric categories). */
function isAlnum(ch: string): boolean {
  if (ch === "") return false;
  const c = ch.charCodeAt(0);
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return /^[\p{L}\p{N}]$/u.test(ch);
}

class LineFault extends Error {}

const WARM_UP_SAMPLES = [
  "Jan  1 00:00:00 host daemon[1]: warm-up",
  "2005-01-23T21:59:59.123456+01:00 host daemon[1]: warm-up",
  "<38>1 2019-07-08T17:40:16.954167-04:00 host daemon 1 - - warm-up",
  "[23/Jan/2005:21:59:59 +0100] warm-up 1106513999 @4000000041f55dcf2a2e8a5c",
];

/**
 * Searches sample lines (without counting hits) until V8 has compiled the template's regex to
 * native code: V8 interprets a regex's first run and compiles it on the second, which can take
 * tens of milliseconds for a large template.
 */
function warmTemplate(template: DateTemplate): void {
  if (template.warmed) return;
  for (let round = 0; round < 2; round++) {
    for (const sample of WARM_UP_SAMPLES) template.search(sample, 0, sample.length);
  }
  template.warmed = true;
}

class FailBanDateDetector implements DateDetector {
  private readonly templates: DetectorTemplate[] = [];
  private readonly knownNames = new Set<string>();
  private readonly unusedTime = 300;
  // `__lastPos = (distance, char before, char at)`, `__lastEndPos = (end, last char, char after)`.
  private lastPosDistance = 1;
  private lastPosBefore = "";
  private lastPosAt = "";
  private lastEndPos = MAXINT;
  private lastEndLast = "";
  private lastEndAfter = "";
  private matchedTemplate: DateTemplate | null = null;
  private lastTemplIdx = MAXINT;
  private firstUnused = 0;
  private runUntimed: (work: () => void) => void = (work) => work();
  usesNoDate = false;

  constructor(
    private readonly registry: TemplateRegistry,
    private readonly defaultTz: number | null,
    private readonly zone: LocalZone,
    private readonly wallClock: (() => number) | undefined,
  ) {}

  templateNames(): readonly string[] {
    return this.templates.map((t) => t.template.name);
  }

  portable(): { templates: PortableDateTemplate[]; defaultTzMinutes: number | null } {
    // matchTime loads the defaults into an empty detector at the first line; so does this.
    if (this.templates.length === 0) this.addDefaultTemplate(null, null, true);
    return { templates: this.templates.map((t) => t.template.portable()), defaultTzMinutes: this.defaultTz };
  }

  setUntimedRunner(run: (work: () => void) => void): void {
    this.runUntimed = run;
  }

  exportState(): DateDetectorState {
    const templates = this.templates;
    const n = templates.length;
    const numbers = new Float64Array(4 * n + 4);
    for (let k = 0; k < n; k++) {
      const t = templates[k]!;
      numbers[4 * k] = t.hits;
      numbers[4 * k + 1] = t.lastUsed;
      numbers[4 * k + 2] = t.distance;
      numbers[4 * k + 3] = t.template.hits;
    }
    numbers[4 * n] = this.lastPosDistance;
    numbers[4 * n + 1] = this.lastEndPos;
    numbers[4 * n + 2] = this.lastTemplIdx;
    numbers[4 * n + 3] = this.firstUnused;
    return {
      names: templates.map((t) => t.template.name),
      numbers,
      chars: [this.lastPosBefore, this.lastPosAt, this.lastEndLast, this.lastEndAfter],
    };
  }

  importState(state: DateDetectorState): void {
    const { names, numbers } = state;
    const n = names.length;
    // A detector without templates loads the defaults at its first line (matchTime); so does this.
    if (this.templates.length === 0 && n > 0) this.addDefaultTemplate(null, null, true);
    const byName = new Map(this.templates.map((t) => [t.template.name, t]));
    if (byName.size !== n || numbers.length !== 4 * n + 4)
      throw new Error("date detector state of another filter");
    const order = names.map((name, k) => {
      const t = byName.get(name);
      if (t === undefined) throw new Error(`date detector state names an unknown template "${name}"`);
      t.hits = numbers[4 * k]!;
      t.lastUsed = numbers[4 * k + 1]!;
      t.distance = numbers[4 * k + 2]!;
      // Templates are shared by the filters of one process (fail2ban's cache): their counters
      // only grow, so of several filters' states (exported at different times) the largest is
      // the latest.
      t.template.hits = Math.max(t.template.hits, numbers[4 * k + 3]!);
      return t;
    });
    this.templates.length = 0;
    this.templates.push(...order);
    this.lastPosDistance = numbers[4 * n]!;
    this.lastEndPos = numbers[4 * n + 1]!;
    this.lastTemplIdx = numbers[4 * n + 2]!;
    this.firstUnused = numbers[4 * n + 3]!;
    [this.lastPosBefore, this.lastPosAt, this.lastEndLast, this.lastEndAfter] = state.chars;
    this.matchedTemplate = null;
  }

  /** The template, compiled to native code first if this is its first use in the process. */
  private warmed(template: DateTemplate): DateTemplate {
    if (!template.warmed) this.runUntimed(() => warmTemplate(template));
    return template;
  }

  private appendTemplateObject(template: DateTemplate, ignoreDup = false): void {
    const name = template.name;
    if (this.knownNames.has(name)) {
      if (ignoreDup) return;
      throw new Error(`There is already a template with name "${name}"`);
    }
    this.knownNames.add(name);
    this.templates.push({ template, hits: 0, lastUsed: 0, distance: MAXINT });
  }

  /** `DateDetector.appendTemplate(str)`. */
  appendTemplate(pattern: string): void {
    const key = pattern.includes("%") ? pattern : pattern.toUpperCase();
    let template = this.registry.get(key);
    if (template === undefined) {
      if (key === "{^LN-BEG}" || key === "{DEFAULT}") {
        // Fail2Ban's filter for {DEFAULT} is `lambda t: ... if key == "{^LN-BEG}" else None`, a
        // lambda returning None: it adds NO template. Alone, {DEFAULT} still means the defaults
        // (an empty detector loads them at the first line); after another pattern it adds nothing.
        this.addDefaultTemplate(
          key === "{^LN-BEG}" ? (t) => (t.flags & LINE_BEGIN) !== 0 : () => false,
          null,
          true,
        );
        return;
      }
      if (key.includes("{DATE}")) {
        this.addDefaultTemplate(null, pattern, false);
        return;
      }
      template =
        key === "{NONE}"
          ? this.registry.patternTemplate("{UNB}^", key)
          : this.registry.patternTemplate(pattern, key);
      this.registry.set(key, template);
    }
    this.appendTemplateObject(template);
  }

  addDefaultTemplate(
    filterTemplate: ((t: DateTemplate) => boolean) | null,
    preMatch: string | null,
    allDefaults: boolean,
  ): void {
    const ignoreDup = this.templates.length > 0;
    const list = allDefaults ? this.registry.cachedTemplates() : this.registry.defaultTemplates();
    for (const t of list) {
      if (filterTemplate !== null && !filterTemplate(t)) continue;
      let template = t;
      if (preMatch !== null) {
        template = this.registry.anchoredTemplate(t, (s) =>
          preMatch.replace(RE_DATE_PREMATCH, () => DateTemplate.unboundPattern(s)),
        );
      }
      this.appendTemplateObject(template, ignoreDup);
    }
  }

  match(line: string, now: number): DateMatch | null {
    let m: RawMatch | null;
    try {
      m = this.matchTime(line, now);
    } catch (e) {
      if (e instanceof LineFault) return { start: 0, end: 0, time: null, fault: true };
      throw e;
    }
    if (m === null) return null;
    const template = this.matchedTemplate!;
    const start = m.g1Start;
    const end = m.g1End;
    if (start === end) return { start, end, time: null, fault: false };
    const t = template.getDate(m, this.defaultTz, now, this.zone);
    if (t === DATE_FAULT) return { start, end, time: null, fault: true };
    return { start, end, time: t, fault: false };
  }

  /**
   * `DateDetector.matchTime` (datedetector.py L331-456), decision for decision. The winning
   * template is left in `matchedTemplate`. `now` stands in for `time.time()` in "last used"
   * unless a wall clock was injected (the two agree whenever the pipeline passes the real time).
   */
  private matchTime(line: string, now: number): RawMatch | null {
    if (this.templates.length === 0) this.addDefaultTemplate(null, null, true);
    const templates = this.templates;
    const count = templates.length;
    let match: RawMatch | null = null;
    let foundMatch: RawMatch | null = null;
    let foundDistance = MAXINT;
    let foundEndpos = MAXINT;
    let foundIdx = -1;
    let ignoreBySearch = MAXINT;
    let i = this.lastTemplIdx;
    let ddtempl: DetectorTemplate | undefined;
    let template: DateTemplate | undefined;
    let distance = 0;
    let endpos = 0;
    if (i < count) {
      ddtempl = templates[i]!;
      template = ddtempl.template;
      if (template.flags & (LINE_BEGIN | LINE_END)) {
        match = this.warmed(template).matchDate(line);
        ignoreBySearch = i;
      } else {
        distance = this.lastPosDistance;
        endpos = this.lastEndPos;
        if (
          (cpChar(line, distance - 1) === this.lastPosBefore ||
            (cpChar(line, distance) === this.lastPosAt && !isAlnum(this.lastPosAt))) &&
          (cpChar(line, endpos) === this.lastEndAfter ||
            (cpChar(line, endpos - 1) === this.lastEndLast && !isAlnum(this.lastEndLast)))
        ) {
          match = this.warmed(template).matchDate(line, cuPos(line, distance), cuPos(line, endpos));
        } else {
          match = this.warmed(template).matchDate(line);
          ignoreBySearch = i;
        }
      }
      if (match !== null) {
        distance = cpPos(line, match.start);
        endpos = cpPos(line, match.end);
        if (
          !(
            count === 1 ||
            template.flags & (LINE_BEGIN | LINE_END) ||
            (distance === this.lastPosDistance && endpos === this.lastEndPos)
          )
        ) {
          foundMatch = match;
          foundDistance = distance;
          foundEndpos = endpos;
          foundIdx = i;
          match = null;
        }
      }
    }
    if (match === null) {
      i = 0;
      for (let k = 0; k < count; k += 1) {
        ddtempl = templates[k]!;
        if (i === ignoreBySearch) {
          i += 1;
          continue;
        }
        template = ddtempl.template;
        match = this.warmed(template).matchDate(line);
        if (match !== null) {
          distance = cpPos(line, match.start);
          endpos = cpPos(line, match.end);
          if (i + 1 >= count) break;
          if (template.flags & (LINE_BEGIN | LINE_END)) break;
          if (distance === 0 && ddtempl.hits !== 0 && templates[i + 1]!.template.hits === 0) break;
          if (distance > ddtempl.distance || distance > this.lastPosDistance) {
            if (distance < foundDistance) {
              foundMatch = match;
              foundDistance = distance;
              foundEndpos = endpos;
              foundIdx = i;
            }
            match = null;
            i += 1;
            continue;
          }
          break;
        }
        i += 1;
      }
      if (match === null && foundMatch !== null) {
        match = foundMatch;
        distance = foundDistance;
        endpos = foundEndpos;
        i = foundIdx;
        ddtempl = templates[i]!;
        template = ddtempl.template;
      }
    }
    if (match !== null && ddtempl !== undefined && template !== undefined) {
      ddtempl.hits += 1;
      ddtempl.lastUsed = this.wallClock === undefined ? now : this.wallClock();
      ddtempl.distance = distance;
      if (this.firstUnused === i) this.firstUnused += 1;
      this.lastPosDistance = distance;
      this.lastEndPos = endpos;
      if (endpos === match.end && distance < endpos && !isSurrogate(line.charCodeAt(endpos))) {
        // No surrogate up to the end: code-point and UTF-16 indices coincide.
        this.lastPosBefore = distance > 0 ? line[distance - 1]! : "";
        this.lastPosAt = line[distance]!;
        this.lastEndLast = line[endpos - 1]!;
        this.lastEndAfter = endpos < line.length ? line[endpos]! : "";
      } else {
        this.lastPosBefore = cpChar(line, distance - 1);
        this.lastPosAt = pyIndex(line, distance);
        this.lastEndLast = pyIndex(line, endpos - 1);
        this.lastEndAfter = cpChar(line, endpos);
      }
      if (i !== 0 && i !== this.lastTemplIdx) i = this.reorderTemplate(i);
      this.lastTemplIdx = i;
      this.matchedTemplate = template;
      return match;
    }
    return null;
  }

  /** `DateDetector._reorderTemplate`. */
  private reorderTemplate(num: number): number {
    if (num === 0) return num;
    const templates = this.templates;
    const ddtempl = templates[num]!;
    const untime = ddtempl.lastUsed - this.unusedTime;
    const weight = weightOf(ddtempl);
    let pos = this.firstUnused < num ? this.firstUnused : Math.floor(num / 2);
    const moveable = (): boolean => {
      const p = templates[pos]!;
      return weight > weightOf(p) || untime > p.lastUsed;
    };
    if (!moveable()) {
      if (pos === num - 1) return num;
      pos = num - 1;
      if (!moveable()) return num;
    }
    templates.splice(num, 1);
    templates.splice(pos, 0, ddtempl);
    while (this.firstUnused < templates.length && templates[this.firstUnused]!.hits) this.firstUnused += 1;
    return pos;
  }
}

// Positions in the detector's state are Python str indices (code points), as in Fail2Ban:
// they are compared across lines, so a line with astral characters (two UTF-16 units) before
// the date must not shift them. Lines without surrogates take the fast paths.

function isSurrogate(c: number): boolean {
  return (c & 0xf800) === 0xd800;
}

/** Code-point index of UTF-16 index `cu`. */
function cpPos(line: string, cu: number): number {
  for (let k = 0; k < cu; k += 1) {
    if (isSurrogate(line.charCodeAt(k))) {
      let cp = 0;
      for (let j = 0; j < cu; j += 1) {
        const c = line.charCodeAt(j);
        if (!((c & 0xfc00) === 0xdc00 && j > 0 && (line.charCodeAt(j - 1) & 0xfc00) === 0xd800)) cp += 1;
      }
      return cp;
    }
  }
  return cu;
}

/** UTF-16 index of code-point index `cp`, clamped to the line (Python clamps pos/endpos). */
function cuPos(line: string, cp: number): number {
  const n = line.length;
  const lim = Math.min(cp, n);
  for (let k = 0; k < lim; k += 1) {
    if (isSurrogate(line.charCodeAt(k))) {
      let cu = 0;
      for (let seen = 0; seen < cp && cu < n; seen += 1) {
        const c = line.charCodeAt(cu);
        cu += (c & 0xfc00) === 0xd800 && (line.charCodeAt(cu + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      }
      return cu;
    }
  }
  return lim;
}

/** Python `line[cp:cp+1]` for cp >= -1 ("" outside the line). */
function cpChar(line: string, cp: number): string {
  if (cp < 0) return "";
  const cu = cuPos(line, cp);
  if (cu >= line.length) return "";
  const c = line.charCodeAt(cu);
  if ((c & 0xfc00) === 0xd800 && (line.charCodeAt(cu + 1) & 0xfc00) === 0xdc00) return line.slice(cu, cu + 2);
  return line[cu]!;
}

/** Python `line[i]` (negative from the end); IndexError → the line fails. */
function pyIndex(line: string, i: number): string {
  if (i >= 0) {
    const ch = cpChar(line, i);
    if (ch === "") throw new LineFault("string index out of range");
    return ch;
  }
  if (line.length === 0) throw new LineFault("string index out of range");
  const cps = Array.from(line);
  const ch = cps[cps.length + i];
  if (ch === undefined) throw new LineFault("string index out of range");
  return ch;
}

/**
 * Builds a detector for a filter's `datepattern` / `logtimezone`. A bad pattern or zone gives
 * Problems (Fail2Ban would fail when loading the filter or at the first line).
 */
export function createDateDetector(options: DateDetectorOptions): Result<DateDetector> {
  const problems: Problem[] = [];
  let defaultTz: number | null = null;
  if (options.logTimeZone !== undefined) {
    try {
      defaultTz = zoneToOffset(options.logTimeZone);
    } catch {
      problems.push(
        problem("date.bad-timezone", `Unknown or unsupported time zone "${options.logTimeZone}"`),
      );
    }
  }
  const startTime = options.startTime ?? Date.now() / 1000;
  const zone = options.zone ?? createSystemLocalZone();
  const startYear = Number(new Date(startTime * 1000).getFullYear());
  const registry =
    options.isolatedTemplates === true ? new TemplateRegistry(startYear) : registryFor(startYear);
  const detector = new FailBanDateDetector(registry, defaultTz, zone, options.wallClock);
  if (options.datepattern !== undefined) {
    const patterns = options.datepattern
      .split(/\n+/)
      .map((p) => p.trim())
      .filter((p) => p !== "");
    for (const p of patterns) {
      try {
        detector.appendTemplate(p);
      } catch (e) {
        problems.push(problem("date.bad-pattern", `Invalid datepattern "${p}": ${(e as Error).message}`));
      }
    }
    detector.usesNoDate = patterns.length > 0 && patterns.every((p) => p.toUpperCase() === "{NONE}");
  }
  if (problems.length > 0) return failed(problems);
  return ok(detector);
}
