// Reads a Fail2Ban-style annotated corpus (`# failJSON:` / `# filterOptions:` / `# fileOptions:`)
// into one log per filter option set, following the rules of fail2ban's own
// tests/samplestestcase.py: comment lines are dropped, a line after `# failJSON:` carries that
// expectation, any other line must not match, lines whose `constraint` is false are not fed at
// all, and all blocks sharing an option set feed the same filter instance (its multi-line state).
import { readFileSync } from "node:fs";

export interface Expectation {
  readonly match: boolean;
  /** Failure id (address) the corpus expects; undefined when not given. */
  readonly host?: string;
  readonly time?: string;
  readonly user?: string;
}

export interface CorpusLine {
  /** The log line exactly as it will be written to the temporary log. */
  readonly text: string;
  /** 1-based line number in the corpus file, for messages. */
  readonly corpusLine: number;
  readonly expect: Expectation;
}

export interface CorpusRun {
  readonly corpus: string;
  /** Filter options (the `test.*` keys removed), e.g. `{ mode: "aggressive" }`. */
  readonly options: Readonly<Record<string, string>>;
  readonly lines: CorpusLine[];
}

const ANNOTATION = /^#+ ?(failJSON|fileOptions|filterOptions|addFILE):(.+)$/;

/** Options as fail2ban's `name[key=value, …]` suffix; empty string when there are none. */
export function optionSuffix(options: Readonly<Record<string, string>>): string {
  const entries = Object.entries(options);
  if (entries.length === 0) return "";
  return `[${entries.map(([k, v]) => `${k}=${v}`).join(", ")}]`;
}

// The corpus writes conditions as tiny Python expressions; only these forms occur, anything
// else is an error rather than a silent guess.
function evaluateCondition(
  expr: string,
  filterName: string,
  options: Readonly<Record<string, string>>,
): boolean {
  const m = /^\s*(name|opts\.get\('(\w+)'\))\s*(==|!=)\s*(?:'([^']*)'|(None))\s*$/.exec(expr);
  if (!m) throw new Error(`Unsupported corpus condition "${expr}"`);
  const left = m[1] === "name" ? filterName : options[m[2] ?? ""];
  const right = m[5] === "None" ? undefined : m[4];
  return m[3] === "==" ? left === right : left !== right;
}

function stripTestKeys(opts: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts)) if (!k.startsWith("test.")) out[k] = String(v);
  return out;
}

function expectationFrom(data: Record<string, unknown>): Expectation {
  const host = data.host ?? data.ip4 ?? data.ip6;
  return {
    match: data.match === true,
    ...(typeof host === "string" ? { host } : {}),
    ...(typeof data.time === "string" ? { time: data.time } : {}),
    ...(typeof data.user === "string" ? { user: data.user } : {}),
  };
}

interface ActiveSet {
  readonly key: string;
  readonly options: Record<string, string>;
  readonly prefixLine: string;
}

/**
 * Splits one corpus file into runs, one per distinct option set. `filterName` is the name
 * conditions compare against (`name=='sshd'`); `journalDate` is prepended to lines of
 * `logtype=journal` runs, because a journal line carries no date of its own and the engines
 * read plain files (fail2ban-regex strips the date before matching, as the journal backend would
 * have supplied it).
 */
export function readCorpus(
  path: string,
  corpus: string,
  filterName: string,
  journalDate: string,
): CorpusRun[] {
  const raw = readFileSync(path, "utf8").split("\n");
  const runs = new Map<string, CorpusRun>();
  let common: Record<string, unknown> = {};
  let active: ActiveSet[] | null = null;
  let ignoreBlock = false;

  const activate = (list: Record<string, unknown>[]): void => {
    active = [];
    ignoreBlock = false;
    for (const one of list) {
      const opts = { ...common, ...one };
      const cond = opts["test.condition"];
      if (typeof cond === "string" && !evaluateCondition(cond, filterName, stripTestKeys(opts))) {
        ignoreBlock = true;
        continue;
      }
      const options = stripTestKeys(opts);
      const key = JSON.stringify(options);
      const prefix = opts["test.prefix-line"];
      active.push({ key, options, prefixLine: typeof prefix === "string" ? prefix : "" });
      if (!runs.has(key)) runs.set(key, { corpus, options, lines: [] });
    }
  };

  let pending: Record<string, unknown> | null = null;
  for (let i = 0; i < raw.length; i++) {
    const line = (raw[i] ?? "").replace(/\r$/, "");
    const ann = ANNOTATION.exec(line);
    if (ann) {
      const data = JSON.parse(ann[2] ?? "null") as unknown;
      if (ann[1] === "fileOptions") common = data as Record<string, unknown>;
      else if (ann[1] === "filterOptions")
        activate((Array.isArray(data) ? data : [data]) as Record<string, unknown>[]);
      else if (ann[1] === "failJSON") pending = data as Record<string, unknown>;
      // addFILE is not followed: each corpus file the filter covers is listed explicitly.
      continue;
    }
    if (pending === null && (line.startsWith("#") || line.trim() === "")) continue;
    const data: Record<string, unknown> = pending ?? {};
    pending = null;
    if (ignoreBlock) continue;
    if (active === null) activate([{}]);
    for (const set of active as unknown as ActiveSet[]) {
      const constraint = data.constraint;
      if (typeof constraint === "string" && !evaluateCondition(constraint, filterName, set.options)) continue;
      const journal = set.options.logtype === "journal";
      const text = journal ? `${journalDate} ${set.prefixLine}${line}` : line;
      runs.get(set.key)?.lines.push({ text, corpusLine: i + 1, expect: expectationFrom(data) });
    }
  }
  return [...runs.values()].filter((r) => r.lines.length > 0);
}
