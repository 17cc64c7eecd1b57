import type { Problem } from "../errors/problem.js";
import { parseColonFile } from "./parse-colon-file.js";

export interface PasswdEntry {
  readonly name: string;
  readonly passwordField: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
  readonly line: number;
}

export interface ShadowEntry {
  readonly name: string;
  readonly hash: string;
  readonly line: number;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
  readonly line: number;
}

export interface AccountsDb {
  readonly passwd: readonly PasswdEntry[];
  readonly passwdFile: string;
  /** Undefined when the shadow file could not be read (the reason is in problems). */
  readonly shadow: readonly ShadowEntry[] | undefined;
  readonly shadowFile: string;
  /** Why the shadow file could not be read (EACCES when not root). */
  readonly shadowError?: string;
  readonly groups: readonly GroupEntry[];
  readonly problems: readonly Problem[];
}

export function parsePasswd(
  text: string,
  file: string,
): { entries: PasswdEntry[]; problems: readonly Problem[] } {
  const parsed = parseColonFile(text, file, 7);
  const problems = [...parsed.problems];
  const entries: PasswdEntry[] = [];
  for (const r of parsed.records) {
    const [name, pw, uid, gid, , home, shell] = r.fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) {
      problems.push({
        code: "accounts.malformed-line",
        message: `Malformed line in "${file}": UID "${uid}" or GID "${gid}" is not a number`,
        at: { file, line: r.line, col: 1 },
      });
      continue;
    }
    entries.push({ name, passwordField: pw, uid: Number(uid), gid: Number(gid), home, shell, line: r.line });
  }
  return { entries, problems };
}

export function parseShadow(
  text: string,
  file: string,
): { entries: ShadowEntry[]; problems: readonly Problem[] } {
  const parsed = parseColonFile(text, file, 9);
  return {
    entries: parsed.records.map((r) => ({
      name: r.fields[0] as string,
      hash: r.fields[1] as string,
      line: r.line,
    })),
    problems: parsed.problems,
  };
}

export function parseGroup(
  text: string,
  file: string,
): { entries: GroupEntry[]; problems: readonly Problem[] } {
  const parsed = parseColonFile(text, file, 4);
  const entries: GroupEntry[] = [];
  for (const r of parsed.records) {
    const members = (r.fields[3] as string).split(",").filter((m) => m !== "");
    entries.push({ name: r.fields[0] as string, gid: Number(r.fields[2]), members, line: r.line });
  }
  return { entries, problems: parsed.problems };
}

/** How a shadow(5) hash field reads: empty, locked (`!`/`*` prefix), or a hash of some scheme. */
export type HashState = "empty" | "locked" | "hash-strong" | "hash-weak";

export function classifyHash(hash: string): HashState {
  if (hash === "") return "empty";
  if (hash.startsWith("!") || hash.startsWith("*")) return "locked";
  // crypt(5): $y$ yescrypt, $gy$, $7$ scrypt, $6$/$5$ SHA-crypt, $2b$ bcrypt are current; $1$ MD5 and DES are not.
  if (/^\$(y|gy|7|6|5|2[abxy]?)\$/.test(hash)) return "hash-strong";
  return "hash-weak";
}
