import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FilterDefinition } from "../../../src/core/filter/config/filter-definition.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "../../../..");
const SCRIPT = join(REPO, "test/integration/filter-config/fail2ban-filter-reader.py");

export interface OracleCase {
  /** Filter name (basedir set) or absolute path of a foreign file (basedir null). */
  readonly name: string;
  readonly options: Readonly<Record<string, string>>;
  readonly backend: string;
  /** fail2ban's config dir (the parent of filter.d), or null for a foreign file. */
  readonly basedir: string | null;
}

/** What fail2ban's reader yields, in the shape both sides are compared in. */
export interface ReaderAnswer {
  readonly ok: boolean;
  readonly error?: string;
  readonly prefregex: string | null;
  readonly failregex: readonly string[];
  readonly ignoreregex: readonly string[];
  readonly maxlines: number | null;
  readonly datepattern: string | null;
  readonly journalmatch: readonly (readonly string[])[];
  readonly usedns: string | null;
  readonly files: readonly string[] | null;
}

/** Runs fail2ban 1.0.2's FilterReader (Debian's python3) once for all cases. */
export function runFail2banReader(cases: readonly OracleCase[]): Promise<ReaderAnswer[]> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/python3", [SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`fail2ban reader exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as ReaderAnswer[]);
    });
    child.stdin.end(JSON.stringify(cases));
  });
}

/** fail2ban's answer as the server would use it: empty prefregex = none, buffer = max(1, maxlines). */
export function normalizeAnswer(r: ReaderAnswer): ReaderAnswer {
  return {
    ok: r.ok,
    prefregex: r.prefregex === "" ? null : r.prefregex,
    failregex: r.failregex,
    ignoreregex: r.ignoreregex,
    maxlines: Math.max(1, r.maxlines ?? 1),
    datepattern: r.datepattern,
    journalmatch: r.journalmatch,
    usedns: r.usedns,
    files: r.files,
  };
}

export function answerOf(def: FilterDefinition): ReaderAnswer {
  return {
    ok: true,
    prefregex: def.prefregex?.text ?? null,
    failregex: def.failregex.map((r) => r.text),
    ignoreregex: def.ignoreregex.map((r) => r.text),
    maxlines: def.maxlines,
    datepattern: def.datepattern ?? null,
    journalmatch: def.journalmatch.map(shlexSplit),
    usedns: def.usedns ?? null,
    files: def.files,
  };
}

/** shlex.split (POSIX mode, no comments), as fail2ban splits journalmatch lines. */
export function shlexSplit(s: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      word = (word ?? "") + s.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let w = "";
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === "\\" && (s[j + 1] === '"' || s[j + 1] === "\\")) j++;
        w += s[j];
      }
      word = (word ?? "") + w;
      i = j;
    } else if (c === "\\") {
      word = (word ?? "") + (s[++i] ?? "");
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
