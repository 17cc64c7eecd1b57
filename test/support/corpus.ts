import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Fail2Ban 1.0.2's sample logs (Debian's fail2ban package) and filters. */
export const CORPUS_DIR = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs";
export const FAIL2BAN_FILTER_DIR = "/etc/fail2ban/filter.d";

export type FilterOptions = Record<string, string>;

/** Corpus logs whose name is a shipped filter, with every option set the file names. */
export interface CorpusCase {
  readonly log: string;
  readonly filter: string;
  readonly options: FilterOptions;
}

function parseOptionSets(text: string): FilterOptions[] {
  const sets: FilterOptions[] = [{}];
  let fileOptions: FilterOptions = {};
  const key = (o: FilterOptions) => JSON.stringify(Object.entries(o).sort());
  const seen = new Set([key({})]);
  for (const line of text.split("\n")) {
    const m = /^#+ ?(filterOptions|fileOptions):(.+)$/.exec(line);
    if (!m) continue;
    const value = JSON.parse(m[2]!) as FilterOptions | FilterOptions[];
    if (m[1] === "fileOptions") {
      fileOptions = value as FilterOptions;
      continue;
    }
    for (const raw of Array.isArray(value) ? value : [value]) {
      const options: FilterOptions = { ...fileOptions };
      for (const [k, v] of Object.entries(raw)) if (!k.startsWith("test.")) options[k] = String(v);
      if (!seen.has(key(options))) {
        seen.add(key(options));
        sets.push(options);
      }
    }
  }
  return sets;
}

export function corpusCases(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const name of readdirSync(CORPUS_DIR).sort()) {
    const log = join(CORPUS_DIR, name);
    if (!statSync(log).isFile() || !existsSync(join(FAIL2BAN_FILTER_DIR, `${name}.conf`))) continue;
    for (const options of parseOptionSets(readFileSync(log, "utf8")))
      cases.push({ log, filter: name, options });
  }
  return cases;
}

/** `name[k="v", …]` as fail2ban-regex and `rampart filter test` accept it. */
export function filterSpec(name: string, options: FilterOptions): string {
  const entries = Object.entries(options);
  if (entries.length === 0) return name;
  const quote = (v: string) => (v.includes('"') ? `'${v}'` : `"${v}"`);
  return `${name}[${entries.map(([k, v]) => `${k}=${quote(v)}`).join(", ")}]`;
}

/** One failregex-annotated corpus line: `# failJSON: {...}` followed by the line. */
export interface AnnotatedLine {
  readonly text: string;
  readonly expect: Record<string, unknown>;
  /** Option set active for this line (from the last `# filterOptions:`), as a list. */
  readonly optionSets: readonly FilterOptions[];
}

export function annotatedLines(log: string): AnnotatedLine[] {
  const out: AnnotatedLine[] = [];
  let pending: Record<string, unknown> | undefined;
  let optionSets: FilterOptions[] = [{}];
  let fileOptions: FilterOptions = {};
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const m = /^#+ ?(failJSON|filterOptions|fileOptions|addFILE):(.+)$/.exec(line);
    if (m) {
      const value = JSON.parse(m[2]!);
      if (m[1] === "failJSON") pending = value;
      else if (m[1] === "fileOptions") fileOptions = value;
      else if (m[1] === "filterOptions") {
        optionSets = (Array.isArray(value) ? value : [value]).map((o: FilterOptions) => ({
          ...fileOptions,
          ...o,
        }));
      }
      continue;
    }
    if (line.startsWith("#") || line.trim() === "") continue;
    if (pending) out.push({ text: line, expect: pending, optionSets });
    pending = undefined;
  }
  return out;
}
