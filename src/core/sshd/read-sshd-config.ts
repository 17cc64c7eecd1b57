import { type Problem, problem, type SourcePosition } from "../errors/problem.js";
import { hasGlobMagic, matchGlobSegment } from "./glob-pattern.js";
import type { SshdConfig, SshdDirective, SshdMatchCriterion } from "./sshd-config.js";
import { SSHD_ALIASES, SSHD_DEPRECATED, SSHD_KEYWORDS, SSHD_MATCH_KEYWORDS } from "./sshd-keywords.js";

/** What the reader needs from a file tree; paths are absolute as seen inside the tree. */
export interface SshdConfigSource {
  /** The file's text, `undefined` when it does not exist; throws for other read errors. */
  readFile(path: string): string | undefined;
  /** Entry names of a directory, `undefined` when it does not exist. */
  listDir(path: string): readonly string[] | undefined;
}

// servconf.c SERVCONF_MAX_DEPTH: sshd refuses deeper Include nesting.
const MAX_INCLUDE_DEPTH = 16;
const MATCH_CRITERIA = new Set([
  "user",
  "group",
  "host",
  "address",
  "localaddress",
  "localport",
  "rdomain",
  "all",
]);

interface Frame {
  /** The Match block lines currently belong to, or undefined for the global section. */
  block: MutableBlock | undefined;
  /** Criteria inherited from an Include placed inside a Match block. */
  inherited: readonly SshdMatchCriterion[];
  inheritedText: string;
}

interface MutableBlock {
  criteria: SshdMatchCriterion[];
  text: string;
  at: SourcePosition;
  directives: SshdDirective[];
}

/**
 * Reads sshd_config the way sshd does (servconf.c): keywords case-insensitive, `Keyword=value`
 * allowed, Include globs expanded in sorted order at the point they appear (relative paths are
 * under /etc/ssh), a Match block lasts until the next Match or the end of its file, and the
 * Match state is restored after an Include returns. Never throws on bad input: problems are data.
 */
export function readSshdConfig(source: SshdConfigSource, mainFile = "/etc/ssh/sshd_config"): SshdConfig {
  const files: string[] = [];
  const global: SshdDirective[] = [];
  const blocks: MutableBlock[] = [];
  const problems: Problem[] = [];

  const readOne = (file: string, depth: number, outer: Frame, includedFrom?: SourcePosition): void => {
    let text: string | undefined;
    try {
      text = source.readFile(file);
    } catch (error) {
      problems.push(
        problem("sshd.unreadable", `Cannot read "${file}": ${(error as Error).message}`, includedFrom),
      );
      return;
    }
    if (text === undefined) {
      if (depth === 0) problems.push(problem("sshd.missing", `Cannot read "${file}": no such file`));
      return;
    }
    files.push(file);
    // A Match started in this file ends with the file; the includer's state comes back after.
    const frame: Frame = { ...outer };
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const raw = (lines[i] as string).replace(/\r$/, "");
      const tokens = tokenize(raw);
      if (tokens.length === 0) continue;
      const first = tokens[0] as Token;
      const at: SourcePosition = { file, line: i + 1, col: first.col };
      const written = first.text;
      let keyword = written.toLowerCase();
      keyword = SSHD_ALIASES[keyword] ?? keyword;
      const args = tokens.slice(1).map((t) => t.text);
      if (keyword === "match") {
        const criteria = parseCriteria(args, at, problems);
        const block: MutableBlock = {
          criteria: [...frame.inherited, ...criteria],
          text: [frame.inheritedText, args.join(" ")].filter((s) => s !== "").join(" + "),
          at,
          directives: [],
        };
        blocks.push(block);
        frame.block = block;
        continue;
      }
      if (keyword === "include") {
        if (args.length === 0) {
          problems.push(problem("sshd.include-empty", "Include needs a file name or pattern", at));
          continue;
        }
        if (depth + 1 > MAX_INCLUDE_DEPTH) {
          problems.push(problem("sshd.include-depth", `Include nested deeper than ${MAX_INCLUDE_DEPTH}`, at));
          continue;
        }
        const inner: Frame = frame.block
          ? {
              block: frame.block,
              inherited: frame.block.criteria,
              inheritedText: frame.block.text,
            }
          : frame;
        for (const pattern of args) {
          const absolute = pattern.startsWith("/") ? pattern : `/etc/ssh/${pattern}`;
          for (const path of expandGlob(source, absolute)) readOne(path, depth + 1, inner, at);
        }
        continue;
      }
      if (!SSHD_KEYWORDS.has(keyword)) {
        if (SSHD_DEPRECATED.has(keyword)) {
          problems.push(problem("sshd.deprecated", `Deprecated keyword "${written}" is ignored by sshd`, at));
        } else {
          problems.push(
            problem(
              "sshd.unknown-keyword",
              `Unknown keyword "${written}": sshd refuses to start with it`,
              at,
            ),
          );
        }
        continue;
      }
      const directive: SshdDirective = { keyword, written, args, at };
      if (frame.block) {
        if (!SSHD_MATCH_KEYWORDS.has(keyword)) {
          problems.push(
            problem("sshd.not-in-match", `Keyword "${written}" is not allowed inside a Match block`, at),
          );
          continue;
        }
        frame.block.directives.push(directive);
      } else {
        global.push(directive);
      }
    }
  };

  readOne(mainFile, 0, { block: undefined, inherited: [], inheritedText: "" });
  return {
    mainFile,
    files,
    global,
    matchBlocks: blocks.map((b) => ({
      criteria: b.criteria,
      text: b.text,
      at: b.at,
      directives: b.directives,
    })),
    problems,
  };
}

interface Token {
  readonly text: string;
  readonly col: number;
}

/**
 * Splits a line like OpenSSH's argv_split(): whitespace-separated, double or single quotes group,
 * a token starting with `#` starts a comment; the first `=` may separate keyword and value.
 */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /[ \t]/.test(line[i] as string)) i++;
    if (i >= line.length) break;
    if (line[i] === "#") break;
    const col = i + 1;
    let text = "";
    while (i < line.length && !/[ \t]/.test(line[i] as string)) {
      const c = line[i] as string;
      if (c === '"' || c === "'") {
        const end = line.indexOf(c, i + 1);
        const stop = end === -1 ? line.length : end;
        text += line.slice(i + 1, stop);
        i = stop + 1;
        continue;
      }
      if (c === "=" && tokens.length === 0) {
        // `Keyword=value`: '=' ends the keyword (strdelim in misc.c).
        i++;
        break;
      }
      if (c === "\\" && i + 1 < line.length) {
        text += line[i + 1];
        i += 2;
        continue;
      }
      text += c;
      i++;
    }
    if (tokens.length === 0 && text === "") continue;
    tokens.push({ text, col });
    // After `Keyword =`, a lone '=' token is a separator, not a value.
    while (tokens.length === 1 && i < line.length && /[ \t=]/.test(line[i] as string)) {
      if (line[i] === "=") {
        i++;
        break;
      }
      i++;
    }
  }
  return tokens;
}

function parseCriteria(
  args: readonly string[],
  at: SourcePosition,
  problems: Problem[],
): SshdMatchCriterion[] {
  const criteria: SshdMatchCriterion[] = [];
  for (let i = 0; i < args.length; i++) {
    const kind = (args[i] as string).toLowerCase();
    if (!MATCH_CRITERIA.has(kind)) {
      problems.push(problem("sshd.match-criterion", `Unknown Match criterion "${args[i]}"`, at));
      continue;
    }
    if (kind === "all") {
      criteria.push({ kind, patterns: [] });
      continue;
    }
    const value = args[i + 1];
    if (value === undefined) {
      problems.push(problem("sshd.match-criterion", `Match criterion "${args[i]}" needs a value`, at));
      break;
    }
    criteria.push({ kind, patterns: value.split(",") });
    i++;
  }
  return criteria;
}

/** glob(3) over the tree, results sorted per directory like glob without GLOB_NOSORT. */
function expandGlob(source: SshdConfigSource, pattern: string): string[] {
  const segments = pattern.split("/").filter((s) => s !== "");
  let paths = [""];
  for (const segment of segments) {
    const next: string[] = [];
    for (const base of paths) {
      if (!hasGlobMagic(segment)) {
        next.push(`${base}/${segment}`);
        continue;
      }
      const names = source.listDir(base === "" ? "/" : base) ?? [];
      for (const name of [...names].sort()) if (matchGlobSegment(segment, name)) next.push(`${base}/${name}`);
    }
    paths = next;
  }
  return paths;
}
