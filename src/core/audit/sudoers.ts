import type { SourcePosition } from "../errors/problem.js";

/** A sudoers user specification that grants running any command as root. */
export interface SudoGrant {
  /** A user name, or `%group`. */
  readonly principal: string;
  readonly at: SourcePosition;
}

export interface SudoersParse {
  readonly grants: readonly SudoGrant[];
  /** `@includedir`/`#includedir` and `@include`/`#include` targets, to read next. */
  readonly includeDirs: readonly string[];
  readonly includes: readonly string[];
}

/**
 * The part of sudoers(5) the audit needs: which users/groups may run ALL commands. Aliases are
 * expanded for User_Alias and Cmnd_Alias so `ADMINS ALL=(ALL) ALL` counts too.
 */
export function parseSudoers(text: string, file: string): SudoersParse {
  const grants: SudoGrant[] = [];
  const includeDirs: string[] = [];
  const includes: string[] = [];
  const userAliases = new Map<string, string[]>();
  const cmndAliases = new Map<string, string[]>();
  // Backslash-newline continues a line (sudoers(5) "Other special characters").
  const joined: { text: string; line: number }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let t = (lines[i] as string).replace(/\r$/, "");
    const start = i + 1;
    while (t.endsWith("\\") && i + 1 < lines.length) {
      i++;
      t = t.slice(0, -1) + (lines[i] as string);
    }
    joined.push({ text: t, line: start });
  }
  for (const { text: t, line } of joined) {
    const trimmed = t.trim();
    const inc = /^[#@](includedir|include)\s+(\S+)/.exec(trimmed);
    if (inc) {
      (inc[1] === "includedir" ? includeDirs : includes).push(inc[2] as string);
      continue;
    }
    const body = trimmed.replace(/#.*$/, "").trim();
    if (body === "" || body.startsWith("Defaults")) continue;
    const alias = /^(User_Alias|Cmnd_Alias|Cmd_Alias)\s+([A-Z][A-Z0-9_]*)\s*=\s*(.+)$/.exec(body);
    if (alias) {
      const members = (alias[3] as string).split(",").map((m) => m.trim());
      (alias[1] === "User_Alias" ? userAliases : cmndAliases).set(alias[2] as string, members);
      continue;
    }
    if (/^(Host_Alias|Runas_Alias)\b/.test(body)) continue;
    const spec = /^(\S+(?:\s*,\s*\S+)*)\s+\S+\s*=\s*(.*)$/.exec(body);
    if (!spec) continue;
    const commands = (spec[2] as string)
      .replace(/\([^)]*\)/g, " ")
      .replace(/\b[A-Z_]+:/g, " ")
      .split(",")
      .map((c) => c.trim());
    const expanded = commands.flatMap((c) => cmndAliases.get(c) ?? [c]);
    if (!expanded.includes("ALL")) continue;
    for (const who of (spec[1] as string).split(",").map((w) => w.trim())) {
      for (const principal of userAliases.get(who) ?? [who]) {
        if (principal.startsWith("!")) continue;
        grants.push({ principal, at: { file, line, col: 1 } });
      }
    }
  }
  return { grants, includeDirs, includes };
}
