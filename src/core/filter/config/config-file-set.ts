import { type Problem, problem } from "../../errors/problem.js";
import { ConfigLookupError, ConfigStore } from "./config-store.js";
import type { FilterFiles } from "./filter-definition.js";
import { type IniFile, parseIniFile } from "./ini-file.js";
import { pyBasename, pyDirname, pyJoin, pyStripExt } from "./py-text.js";
import { firstOrigin, type OriginTable, splitLines } from "./tracked-text.js";

const INCLUDES = "INCLUDES";
// Python gives up at its recursion limit (about 300 include levels); a clear error comes earlier.
const MAX_INCLUDE_DEPTH = 100;

/** Files fail2ban would merge for one config name, with the parse of each. */
export interface ConfigFileSet {
  readonly store: ConfigStore;
  /** Files read, in merge order (a file included twice appears twice, as in fail2ban). */
  readonly files: readonly string[];
  /** The parse of each file read, in merge order. */
  readonly inis: readonly IniFile[];
  readonly problems: readonly Problem[];
  readonly warnings: readonly Problem[];
}

/**
 * Collects and merges config files the way fail2ban's client does: `ConfigReaderUnshared.read`
 * (name.conf, name.d/*.conf, name.local, name.d/*.local) or `readexplicit` (one file), each file
 * expanded by `SafeConfigParserWithIncludes._getIncludes`: [INCLUDES] before/after, relative to
 * the including file, recursive, loop-safe, every file followed by its own `.local` companion.
 */
export class ConfigFileReader {
  readonly #files: FilterFiles;
  readonly #table: OriginTable;
  readonly #parsed = new Map<string, IniFile | undefined>();
  readonly #problems: Problem[] = [];
  readonly #warnings: Problem[] = [];
  readonly #reported = new Set<string>();

  constructor(files: FilterFiles, table: OriginTable) {
    this.#files = files;
    this.#table = table;
  }

  /** The standard lookup of `base` (a path without extension). */
  readStandard(base: string): ConfigFileSet {
    const dir = pyDirname(base);
    const stem = pyBasename(base);
    const dDir = pyJoin(dir, `${stem}.d`);
    const inD = (ext: string) =>
      this.#files
        .list(dDir)
        .filter((n) => n.endsWith(ext) && !n.startsWith("."))
        .sort()
        .map((n) => pyJoin(dDir, n));
    const candidates = [`${base}.conf`, ...inD(".conf"), `${base}.local`, ...inD(".local")];
    return this.#readAll(candidates.filter((f) => this.#parse(f) !== undefined));
  }

  /** `readexplicit`: one file (and what it includes), without the name.d/ directory. */
  readExplicit(file: string): ConfigFileSet {
    return this.#readAll([file]);
  }

  #readAll(fileNames: string[]): ConfigFileSet {
    const files = fileNames.length === 0 ? [] : this.#getIncludes(fileNames, []);
    const store = new ConfigStore();
    const read: string[] = [];
    const inis: IniFile[] = [];
    for (const f of files) {
      const ini = this.#parse(f);
      if (!ini) continue;
      read.push(f);
      inis.push(ini);
      store.merge(ini);
    }
    return { store, files: read, inis, problems: this.#problems, warnings: this.#warnings };
  }

  // SafeConfigParserWithIncludes._getIncludes + _expandConfFilesWithLocal
  #getIncludes(fileNames: string[], seen: readonly string[]): string[] {
    const expanded: string[] = [];
    for (const f of fileNames) {
      expanded.push(f);
      const local = `${pyStripExt(f)}.local`;
      if (!fileNames.includes(local) && this.#parse(local) !== undefined) expanded.push(local);
    }
    const out: string[] = [];
    for (const f of expanded) out.push(...this.#getIncludesOf(f, seen));
    return out;
  }

  // SafeConfigParserWithIncludes.__getIncludesUncached
  #getIncludesOf(resource: string, seen: readonly string[]): string[] {
    const ini = this.#parse(resource);
    if (!ini) return [];
    const before: string[] = [];
    const after: string[] = [];
    const includes = ini.sections.get(INCLUDES);
    if (includes) {
      const single = ConfigStore.ofFile(ini);
      for (const [option, list] of [
        ["before", before],
        ["after", after],
      ] as const) {
        // options() of configparser include [DEFAULT] names, so a default "before" counts too.
        if (!includes.has(option) && !ini.defaults.has(option)) continue;
        let value: ReturnType<ConfigStore["get"]>;
        try {
          value = single.get(INCLUDES, option);
        } catch (e) {
          if (e instanceof ConfigLookupError) this.#lookupProblem(e);
          continue;
        }
        for (const line of splitLines(value)) {
          const r = line.text.startsWith("/") ? line.text : pyJoin(pyDirname(resource), line.text);
          // fail2ban compares raw paths; comparing normalised ones also stops "./x.conf" loops,
          // which make fail2ban recurse until Python's recursion limit.
          const key = normalize(r);
          if (seen.some((s) => normalize(s) === key)) continue;
          if (seen.length >= MAX_INCLUDE_DEPTH) {
            this.#lookupProblem(
              new ConfigLookupError(
                "interpolation",
                `Includes nest deeper than ${MAX_INCLUDE_DEPTH} levels at "${r}"`,
                firstOrigin(line),
                "filter.include-depth",
              ),
            );
            continue;
          }
          if (line.text !== "" && this.#parse(r) === undefined) {
            const origin = firstOrigin(line);
            const at = this.#table.resolve(origin);
            this.#warn(
              problem(
                "filter.missing-include",
                `Included file "${r}" does not exist (ignored, as fail2ban does)`,
                at,
              ),
            );
          }
          list.push(...this.#getIncludes([r], [...seen, resource]));
        }
      }
    }
    return [...before, resource, ...after];
  }

  #parse(path: string): IniFile | undefined {
    if (this.#parsed.has(path)) return this.#parsed.get(path);
    const text = this.#files.read(path);
    const ini = text === undefined ? undefined : parseIniFile(text, path, this.#table);
    this.#parsed.set(path, ini);
    if (ini) this.#problems.push(...ini.problems);
    return ini;
  }

  #lookupProblem(e: ConfigLookupError): void {
    const at = this.#table.resolve(e.origin);
    const key = `${e.code}\u0000${e.message}\u0000${at?.file}:${at?.line}:${at?.col}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#problems.push(problem(e.code, e.message, at));
  }

  #warn(p: Problem): void {
    const key = `${p.code}\u0000${p.message}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#warnings.push(p);
  }
}

/** posix normalisation ("a/./b/../c" → "a/c"), used only to recognise include loops. */
function normalize(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (part !== ".." || !abs) out.push(part);
  }
  return (abs ? "/" : "") + out.join("/");
}
