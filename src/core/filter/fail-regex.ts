import type { SourcePosition } from "../errors/problem.js";

/** A log line split around its timestamp: [before date, date text, after date] (filter.py "tupleLine"). */
export type TupleLine = readonly [string, string, string];

export type Groups = Record<string, string | undefined>;

/** One successful search: captured groups by Python name, and how the buffer's lines split. */
export interface RegexHit {
  readonly groups: Groups;
  readonly matchedLines: readonly TupleLine[];
  readonly unmatchedLines: readonly TupleLine[];
}

/**
 * A filter regex translated to JavaScript, as plain data (structured-cloneable): the main thread
 * translates a filter once (translate-filter-regex.ts) and each matcher worker, fresh or
 * restarted, only builds the RegExp from it.
 */
export interface PortableFilterRegex {
  /** The regex as the filter file wrote it. */
  readonly source: string;
  /** The JavaScript pattern and flags. */
  readonly pattern: string;
  readonly flags: string;
  /** JS capture index → Python group name. */
  readonly captureNames: readonly (string | undefined)[];
  /** ASCII characters a match can start with, when the regex is anchored at the buffer's start. */
  readonly startChars: Uint8Array | undefined;
  /** The ASCII text every match starts with, when anchored at the buffer's start ("" if none). */
  readonly head?: string | undefined;
  /** Where the filter file wrote it, for a problem found when the RegExp is built. */
  readonly at?: SourcePosition | undefined;
}

const COMPLEX_NAME = /^(alt_|tuple_)(.*?)(?:_\d+)?$/;
const FAILURE_ID_PRESENTS = ["fid", "ip4", "ip6", "dns", "mlfid"];

/** fail2ban requires a failure-id group in the failregex or the prefregex. */
export function hasFailureIdGroup(regex: Pick<PortableFilterRegex, "captureNames">): boolean {
  return regex.captureNames.some((name) => name !== undefined && FAILURE_ID_PRESENTS.includes(name));
}

/** fail2ban's `"\n".join(...) + "\n"` buffer over the text without dates. */
export function tupleLinesBuffer(lines: readonly TupleLine[]): string {
  let out = "";
  for (const [before, , after] of lines) out += `${before}${after}\n`;
  return out;
}

/**
 * A compiled filter regex (failregex, ignoreregex or prefregex) with fail2ban's search
 * semantics (server/failregex.py `Regex`): search anywhere, alt_/tuple_ group merging, and the
 * matched/unmatched line bookkeeping that multi-line buffers need.
 */
export class FilterRegex {
  readonly source: string;
  private readonly regex: RegExp;
  /** JS capture index → Python group name; read by index, not through `match.groups` (it is slow). */
  private readonly captureNames: readonly (string | undefined)[];
  /** ASCII characters a match can start with, when the regex is anchored at the buffer's start. */
  private readonly startChars: Uint8Array | undefined;
  private readonly altValues: readonly (readonly [string, string])[];
  private readonly hasSkipLines: boolean;
  /** V8 has compiled the regex to native code (its first run interprets, the second compiles). */
  warmed = false;

  /** Builds the RegExp; throws V8's SyntaxError when it rejects the pattern (a translation bug). */
  constructor(portable: PortableFilterRegex) {
    this.source = portable.source;
    this.regex = new RegExp(portable.pattern, portable.flags);
    this.captureNames = portable.captureNames;
    this.startChars = portable.startChars;
    const captureNames = portable.captureNames;
    const groupNames = new Set(captureNames.filter((n): n is string => n !== undefined));
    const alt: [string, string][] = [];
    for (const name of groupNames) {
      if (name.length <= 4) continue;
      const m = COMPLEX_NAME.exec(name);
      if (m && m[1] === "alt_") alt.push([name, mapName(m[2] ?? "")]);
    }
    this.altValues = alt.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.hasSkipLines = [...groupNames].some((n) => n.startsWith("skiplines"));
  }

  /** Runs the regex on a sample until V8 has compiled it to native code. */
  warmUp(): void {
    const sample = "Jan  1 00:00:00 host daemon[1]: warm-up from 192.0.2.1 port 1\n";
    for (let round = 0; round < 3; round++) this.regex.exec(sample);
    this.warmed = true;
  }

  /**
   * True when this regex provably cannot match a buffer that starts with UTF-16 code unit
   * `code` — the caller may skip it. Never true for unanchored or MULTILINE regexes.
   */
  cannotStartWith(code: number): boolean {
    return code < 128 && this.startChars !== undefined && this.startChars[code] === 0;
  }

  /** Searches `buffer` (built from `orgLines`); returns undefined when there is no match. */
  search(buffer: string, orgLines: readonly TupleLine[]): RegexHit | undefined {
    this.regex.lastIndex = 0;
    const m = this.regex.exec(buffer);
    if (!m) return undefined;
    // Every Python name is present; it takes the last participating copy (copies made by the
    // translation are numbered in pattern order), undefined when none participated.
    const groups: Groups = {};
    const names = this.captureNames;
    for (let i = 1; i < names.length; i++) {
      const py = names[i];
      if (py === undefined) continue;
      const value = m[i];
      if (value !== undefined || groups[py] === undefined) groups[py] = value;
    }
    for (const [alt, target] of this.altValues) {
      const v = groups[alt];
      if (v && !groups[target]) groups[target] = v;
    }
    if (orgLines.length <= 1) return { groups, matchedLines: orgLines, unmatchedLines: [] };
    return { groups, ...this.splitLines(m, buffer, orgLines, groups) };
  }

  private splitLines(
    m: RegExpExecArray,
    buffer: string,
    orgLines: readonly TupleLine[],
    groups: Groups,
  ): { matchedLines: readonly TupleLine[]; unmatchedLines: readonly TupleLine[] } {
    const start = m.index;
    const end = m.index + m[0].length;
    const matchLineStart = buffer.lastIndexOf("\n", start) + 1;
    let matchLineEnd = buffer.indexOf("\n", Math.max(end - 1, 0));
    matchLineEnd = matchLineEnd < 0 ? buffer.length : matchLineEnd + 1;
    const count = (to: number) => {
      let n = 0;
      for (let i = buffer.indexOf("\n"); i >= 0 && i < to; i = buffer.indexOf("\n", i + 1)) n++;
      return n;
    };
    const first = count(matchLineStart);
    const last = count(matchLineEnd);
    const matched = orgLines.slice(first, last);
    const unmatched = orgLines.slice(0, first);
    if (this.hasSkipLines) {
      let n = 0;
      for (const skipped of this.skippedLines(groups)) {
        for (let i = n; i < matched.length; i++) {
          const line = matched[i]!;
          if (line[0] + line[2] === skipped) {
            unmatched.push(...matched.splice(i, 1));
            n = i;
            break;
          }
        }
      }
    }
    unmatched.push(...orgLines.slice(last));
    return { matchedLines: matched, unmatchedLines: unmatched };
  }

  private skippedLines(groups: Groups): string[] {
    let text = "";
    for (let n = 0; `skiplines${n}` in groups; n++) text += groups[`skiplines${n}`] ?? "";
    // Python str.splitlines(): no trailing empty element.
    const lines = text.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines;
  }
}

function mapName(tag: string): string {
  const lower = tag.toLowerCase();
  return lower === "id" ? "fid" : lower === "port" ? "fport" : lower;
}
