import type { SourcePosition } from "../../errors/problem.js";

/**
 * A string that remembers, per character, where in which filter file it was written. Interpolation
 * and tag substitution move text between options; carrying the origin along lets every final
 * failregex report the file:line:col it really comes from, so the regex compiler (which runs
 * later) can point at the right place.
 */
export interface TrackedText {
  readonly text: string;
  /** One entry per UTF-16 unit of `text`: an origin id from an {@link OriginTable}, or -1. */
  readonly origins: readonly number[];
}

const OFFSET_BITS = 2 ** 24;

/** Maps origin ids back to positions; one table per load. */
export class OriginTable {
  readonly #starts: SourcePosition[] = [];

  /** Text written at `at` (its first character), one origin per character. */
  track(text: string, at: SourcePosition): TrackedText {
    const base = this.#starts.length * OFFSET_BITS;
    this.#starts.push(at);
    const origins = new Array<number>(text.length);
    for (let i = 0; i < text.length; i++) origins[i] = base + Math.min(i, OFFSET_BITS - 1);
    return { text, origins };
  }

  resolve(origin: number): SourcePosition | undefined {
    if (origin < 0) return undefined;
    const start = this.#starts[Math.floor(origin / OFFSET_BITS)];
    if (start === undefined) return undefined;
    return { file: start.file, line: start.line, col: start.col + (origin % OFFSET_BITS) };
  }
}

/** Text of unknown origin (call options, section names). */
export function untracked(text: string): TrackedText {
  return { text, origins: new Array<number>(text.length).fill(-1) };
}

export function sliceTracked(t: TrackedText, start: number, end: number = t.text.length): TrackedText {
  return { text: t.text.slice(start, end), origins: t.origins.slice(start, end) };
}

export function concatTracked(parts: readonly TrackedText[]): TrackedText {
  if (parts.length === 1) return parts[0]!;
  let text = "";
  const origins: number[] = [];
  for (const p of parts) {
    text += p.text;
    for (const o of p.origins) origins.push(o);
  }
  return { text, origins };
}

/** Joins with newlines; each newline takes the origin of the line after it. */
export function joinLines(lines: readonly TrackedText[]): TrackedText {
  const parts: TrackedText[] = [];
  lines.forEach((line, i) => {
    if (i > 0) parts.push({ text: "\n", origins: [line.origins[0] ?? -1] });
    parts.push(line);
  });
  return parts.length === 0 ? untracked("") : concatTracked(parts);
}

/** Splits on "\n" like Python's `str.split("\n")`. */
export function splitLines(t: TrackedText): TrackedText[] {
  const out: TrackedText[] = [];
  let start = 0;
  for (;;) {
    const nl = t.text.indexOf("\n", start);
    if (nl < 0) break;
    out.push(sliceTracked(t, start, nl));
    start = nl + 1;
  }
  out.push(sliceTracked(t, start));
  return out;
}

/** First known origin in `t`, so an error can point at the text. */
export function firstOrigin(t: TrackedText): number {
  for (const o of t.origins) if (o >= 0) return o;
  return -1;
}
