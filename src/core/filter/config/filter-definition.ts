import type { Problem, SourcePosition } from "../../errors/problem.js";

/** Read access to filter files; implemented by the adapter with node:fs. */
export interface FilterFiles {
  /** The file's text (UTF-8), or undefined when it does not exist or is not a readable file. */
  read(path: string): string | undefined;
  /** Names of the entries of `dir` (not paths), [] when it does not exist. */
  list(dir: string): string[];
}

/** A regex (or other value) and the file:line:col its first character was written at. */
export interface RegexSource {
  readonly text: string;
  readonly at: SourcePosition;
}

/**
 * What fail2ban's client would send its server for one filter: regexes with fail2ban's own tags
 * (`<HOST>`, `<F-USER>`…, `<ADDR>`) still literal, everything else resolved.
 */
export interface FilterDefinition {
  readonly name: string;
  /** The main file (name.conf, or the first file read when only a .local exists). */
  readonly file: string;
  /** Every file read, in the order fail2ban merges them. */
  readonly files: readonly string[];
  /** undefined when unset or empty (the server treats an empty prefregex as none). */
  readonly prefregex: RegexSource | undefined;
  readonly failregex: readonly RegexSource[];
  readonly ignoreregex: readonly RegexSource[];
  /** The line buffer size: max(1, maxlines), 1 when unset (fail2ban's Filter default). */
  readonly maxlines: number;
  readonly datepattern: string | undefined;
  /** Non-empty `journalmatch` lines, each still in shell-word syntax (fail2ban splits it with shlex). */
  readonly journalmatch: readonly string[];
  /** The filter's own `usedns` ("yes", "warn", "no", "raw"), when it sets one. */
  readonly usedns: string | undefined;
  /** Final [Init] and call options (incl. logtype, mode) and usedns, tags resolved. */
  readonly options: Readonly<Record<string, string>>;
  /** Things fail2ban silently tolerates but a user likely wants to know (a missing include…). */
  readonly warnings: readonly Problem[];
}

// The loader's entry points, re-exported so that consumers need one import.
export { loadFilterDefinition } from "./load-filter-definition.js";
export { parseFilterSpec } from "./parse-filter-spec.js";
