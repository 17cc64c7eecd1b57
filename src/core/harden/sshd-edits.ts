import { readSshdConfig, type SshdConfigSource } from "../sshd/read-sshd-config.js";
import { allDirectives, firstDirective, type SshdConfig, type SshdDirective } from "../sshd/sshd-config.js";

export const MAIN_FILE = "/etc/ssh/sshd_config";
/** "00-" so it sorts before every usual drop-in (50-cloud-init.conf): sshd keeps the first value. */
export const DROP_IN = "/etc/ssh/sshd_config.d/00-rampart.conf";
const BLOCK_BEGIN = "# BEGIN rampart harden (sshd keeps the first value it reads: these must come first)";
const BLOCK_END = "# END rampart harden";
const DISABLED = "# disabled by rampart harden: ";

/** The settings harden owns, keyword (lower-case) → values; `port` may have several. */
export type SshdSettings = ReadonlyMap<string, readonly string[]>;

const SPELLING: Record<string, string> = {
  port: "Port",
  permitrootlogin: "PermitRootLogin",
  passwordauthentication: "PasswordAuthentication",
  kbdinteractiveauthentication: "KbdInteractiveAuthentication",
  permitemptypasswords: "PermitEmptyPasswords",
  maxauthtries: "MaxAuthTries",
};
const ORDER = Object.keys(SPELLING);

/** Whether a Match block's value for `keyword` undoes what harden sets globally. */
function matchContradicts(keyword: string, wanted: string, value: string): boolean {
  const v = value.toLowerCase();
  if (keyword === "permitrootlogin") return wanted === "no" && v !== "no";
  if (keyword === "maxauthtries") return Number(value) > Number(wanted);
  if (keyword === "port") return false;
  return wanted === "no" && v === "yes";
}

/** Main sshd_config includes sshd_config.d/*.conf from its global section (Debian/Ubuntu default). */
export function includesDropInDir(mainText: string): boolean {
  for (const raw of mainText.split("\n")) {
    const line = raw.trim();
    if (/^match\s/i.test(line)) return false;
    const m = /^include\s*=?\s*(.*)$/i.exec(line);
    if (!m) continue;
    for (const pattern of (m[1] ?? "").split(/\s+/)) {
      if (pattern === "/etc/ssh/sshd_config.d/*.conf" || pattern === "sshd_config.d/*.conf") return true;
    }
  }
  return false;
}

function render(settings: SshdSettings): string[] {
  const lines: string[] = [];
  for (const keyword of ORDER) {
    for (const value of settings.get(keyword) ?? []) lines.push(`${SPELLING[keyword]} ${value}`);
  }
  return lines;
}

/** Settings already in our drop-in or block (kept when a later run changes only some). */
function readOwned(lines: readonly string[]): Map<string, string[]> {
  const owned = new Map<string, string[]>();
  for (const raw of lines) {
    const m = /^\s*([A-Za-z]+)\s+(.+?)\s*$/.exec(raw);
    if (!m || raw.trim().startsWith("#")) continue;
    const keyword = (m[1] as string).toLowerCase();
    if (!(keyword in SPELLING)) continue;
    owned.set(keyword, [...(owned.get(keyword) ?? []), m[2] as string]);
  }
  return owned;
}

function merge(owned: Map<string, string[]>, settings: SshdSettings): Map<string, readonly string[]> {
  const merged = new Map<string, readonly string[]>(owned);
  for (const [k, v] of settings) merged.set(k, v);
  return merged;
}

function dropInText(settings: SshdSettings): string {
  return `# Written by rampart harden; "rampart harden rollback" restores the previous state.
# Named 00- to sort first: sshd_config(5) keeps the first value it reads for a keyword.
${render(settings).join("\n")}
`;
}

function withBlock(mainText: string, settings: (owned: Map<string, string[]>) => SshdSettings): string {
  const lines = mainText.split("\n");
  const begin = lines.indexOf(BLOCK_BEGIN);
  const end = lines.indexOf(BLOCK_END);
  let owned = new Map<string, string[]>();
  let rest = lines;
  if (begin !== -1 && end > begin) {
    owned = readOwned(lines.slice(begin + 1, end));
    rest = [...lines.slice(0, begin), ...lines.slice(end + 1)];
  }
  const block = [BLOCK_BEGIN, ...render(settings(owned)), BLOCK_END];
  return [...block, ...rest].join("\n");
}

/** A source that sees `overrides` on top of the tree: the candidate configuration. */
export function overlaySource(
  tree: SshdConfigSource,
  overrides: ReadonlyMap<string, string>,
): SshdConfigSource {
  return {
    readFile: (path) => overrides.get(path) ?? tree.readFile(path),
    listDir: (path) => {
      const names = new Set(tree.listDir(path) ?? []);
      let found = tree.listDir(path) !== undefined;
      for (const file of overrides.keys()) {
        const slash = file.lastIndexOf("/");
        if (file.slice(0, slash) === path) {
          names.add(file.slice(slash + 1));
          found = true;
        }
      }
      return found ? [...names].sort() : undefined;
    },
  };
}

function disableLine(texts: Map<string, string>, tree: SshdConfigSource, d: SshdDirective): void {
  const text = texts.get(d.at.file) ?? tree.readFile(d.at.file) ?? "";
  const lines = text.split("\n");
  const line = lines[d.at.line - 1];
  if (line === undefined || line.trimStart().startsWith("#")) return;
  lines[d.at.line - 1] = `${DISABLED}${line}`;
  texts.set(d.at.file, lines.join("\n"));
}

function isOurs(d: SshdDirective, useDropIn: boolean, texts: ReadonlyMap<string, string>): boolean {
  if (useDropIn) return d.at.file === DROP_IN;
  if (d.at.file !== MAIN_FILE) return false;
  const lines = (texts.get(MAIN_FILE) ?? "").split("\n");
  const begin = lines.indexOf(BLOCK_BEGIN);
  const end = lines.indexOf(BLOCK_END);
  return begin !== -1 && d.at.line - 1 > begin && d.at.line - 1 < end;
}

export interface SshdEditResult {
  /** path → new text, only for files that change. */
  readonly files: ReadonlyMap<string, string>;
  readonly useDropIn: boolean;
  /** The candidate configuration as sshd would read it. */
  readonly candidate: SshdConfig;
}

/**
 * Puts `settings` where sshd will take them: a drop-in that sorts first when the main file
 * includes sshd_config.d, else a marked block at the top of sshd_config (comments kept). Then it
 * re-reads the candidate with sshd's rules and comments out whatever would still win — an earlier
 * line, an extra Port (ports accumulate), a Match block undoing a setting — until the effective
 * values are ours.
 */
export function planSshdEdits(tree: SshdConfigSource, settings: SshdSettings): SshdEditResult {
  const mainText = tree.readFile(MAIN_FILE) ?? "";
  const useDropIn = includesDropInDir(mainText);
  const texts = new Map<string, string>();
  if (settings.size > 0) {
    if (useDropIn) {
      const existing = tree.readFile(DROP_IN);
      const owned = existing === undefined ? new Map<string, string[]>() : readOwned(existing.split("\n"));
      texts.set(DROP_IN, dropInText(merge(owned, settings)));
    } else {
      texts.set(
        MAIN_FILE,
        withBlock(mainText, (owned) => merge(owned, settings)),
      );
    }
  }
  let candidate = readSshdConfig(overlaySource(tree, texts), MAIN_FILE);
  for (let round = 0; round < 32 && settings.size > 0; round++) {
    let changed = false;
    for (const [keyword, values] of settings) {
      if (keyword === "port") {
        for (const d of allDirectives(candidate, "port")) {
          if (!isOurs(d, useDropIn, texts)) {
            disableLine(texts, tree, d);
            changed = true;
          }
        }
        continue;
      }
      const first = firstDirective(candidate, keyword);
      if (first && !isOurs(first, useDropIn, texts)) {
        disableLine(texts, tree, first);
        changed = true;
      }
      for (const block of candidate.matchBlocks) {
        const d = block.directives.find((x) => x.keyword === keyword);
        if (d && matchContradicts(keyword, values[0] ?? "", d.args.join(" "))) {
          disableLine(texts, tree, d);
          changed = true;
        }
      }
    }
    if (!changed) break;
    candidate = readSshdConfig(overlaySource(tree, texts), MAIN_FILE);
  }
  for (const [path, text] of [...texts]) if (tree.readFile(path) === text) texts.delete(path);
  return { files: texts, useDropIn, candidate };
}

/** The ports sshd listens on per this configuration (Port lines accumulate; default 22). */
export function configuredPorts(config: SshdConfig): number[] {
  const ports = allDirectives(config, "port").map((d) => Number(d.args[0]));
  return ports.length === 0 ? [22] : [...new Set(ports)];
}
