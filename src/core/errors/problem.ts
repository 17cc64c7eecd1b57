/** Where in a source text something is; 1-based line and column. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/**
 * An expected problem with user input (config, filter file, rule, argument), reported as data
 * so that loaders can collect every problem at once instead of stopping at the first.
 */
export interface Problem {
  /** Stable machine-readable code, e.g. "filter.unknown-section". */
  readonly code: string;
  /** Sentence-case message that quotes the offending value. */
  readonly message: string;
  readonly at?: SourcePosition;
}

export function problem(code: string, message: string, at?: SourcePosition): Problem {
  return at === undefined ? { code, message } : { code, message, at };
}

/** `file:line:col: message` — the form editors and terminals make clickable. */
export function formatProblem(p: Problem): string {
  return p.at ? `${p.at.file}:${p.at.line}:${p.at.col}: ${p.message}` : p.message;
}

export type Result<T> = { ok: true; value: T } | { ok: false; problems: readonly Problem[] };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function failed<T>(problems: readonly Problem[]): Result<T> {
  return { ok: false, problems };
}
