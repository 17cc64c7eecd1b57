import { failed, ok, type Problem, problem, type SourcePosition } from "../../errors/problem.js";
import { ConfigFileReader, type ConfigFileSet } from "./config-file-set.js";
import { ConfigLookupError, type ConfigStore, splitConditional } from "./config-store.js";
import type { FilterDefinition, FilterFiles, RegexSource } from "./filter-definition.js";
import { pyBasename, pyDirname, pyJoin, pyParseInt, pyStripExt } from "./py-text.js";
import { substituteTags, type TagProblem } from "./substitute-tags.js";
import { OriginTable, splitLines, type TrackedText, untracked } from "./tracked-text.js";
import { unknownSections } from "./unknown-sections.js";

export interface LoadFilterSpec {
  /** A bare filter name (resolved in filterDir) or a path to a filter file. */
  readonly name: string;
  /** Call options (`name[key=value]`): override [Init] and same-named [Definition] options. */
  readonly options: Readonly<Record<string, string>>;
  /** Where named filters live (fail2ban's filter.d). */
  readonly filterDir: string;
  /** fail2ban backend; "auto" (fail2ban-regex's default) gives logtype=file, "systemd…" journal. */
  readonly backend?: string;
}

// FilterReader._configOpts, in fail2ban's order.
const DEFINITION_OPTIONS = [
  "usedns",
  "prefregex",
  "ignoreregex",
  "failregex",
  "maxlines",
  "datepattern",
  "journalmatch",
] as const;
// Options returned as fields of their own rather than in `options`.
const VALUE_OPTIONS = new Set([
  "prefregex",
  "ignoreregex",
  "failregex",
  "maxlines",
  "datepattern",
  "journalmatch",
]);

/**
 * Loads a fail2ban filter exactly as fail2ban-regex does (fail2banregex.py readRegex →
 * FilterReader read, applyAutoOptions, getOptions, convert) and returns what the client would send
 * the server. Never throws: every problem found is returned.
 */
export type FilterDefinitionResult =
  | { readonly ok: true; readonly value: FilterDefinition }
  | { readonly ok: false; readonly problems: readonly Problem[]; readonly partial?: FilterDefinition };

export function loadFilterDefinition(spec: LoadFilterSpec, files: FilterFiles): FilterDefinitionResult {
  const table = new OriginTable();
  const reader = new ConfigFileReader(files, table);
  const located = locate(spec, files);
  if (!located) {
    return failed([
      problem(
        "filter.not-found",
        `Cannot find filter "${spec.name}" (looked for it ${spec.name.includes("/") ? "as a path" : `in "${spec.filterDir}"`})`,
      ),
    ]);
  }
  const set = located.standard ? reader.readStandard(located.base) : reader.readExplicit(located.base);
  if (set.files.length === 0) {
    return failed([...set.problems, problem("filter.not-found", `Cannot read filter "${spec.name}"`)]);
  }
  const mainFile = located.standard
    ? (set.files.find((f) => f === `${located.base}.conf`) ??
      set.files.find((f) => f.startsWith(located.base)) ??
      located.base)
    : located.base;
  return evaluate(spec, located.name, mainFile, set, table);
}

interface Located {
  readonly name: string;
  /** Standard: path without extension (dir/name); explicit: the file. */
  readonly base: string;
  readonly standard: boolean;
}

// fail2banregex.py readRegex: which file a filter argument names and how it is read. A bare name
// and anything inside a "filter.d" folder use the standard lookup (with .local and name.d/), any
// other path is read "explicitly" (that file, its includes and its .local).
function locate(spec: LoadFilterSpec, files: FilterFiles): Located | undefined {
  const name = spec.name;
  const tryNames = name.slice(-6).includes(".") ? [name] : [name, `${name}.conf`, `${name}.local`];
  for (const t of tryNames) {
    const hasSlash = t.includes("/");
    const file = hasSlash ? t : pyJoin(spec.filterDir, t);
    if (files.read(file) === undefined) continue;
    const dir = hasSlash ? pyDirname(file) : spec.filterDir;
    const stem = pyStripExt(pyBasename(name));
    const standard =
      !hasSlash ||
      stripSlashes(dir) === stripSlashes(spec.filterDir) ||
      pyBasename(dir) === "filter.d" ||
      (!name.slice(-6).includes(".") && !name.includes("/"));
    // fail2ban-regex reads the foreign file under the name given, not the one it found; a path
    // given without ".conf" then fails there. Reading the file found is the evident intent.
    return standard
      ? { name: stem, base: pyJoin(dir, stem), standard }
      : { name: stem, base: file, standard };
  }
  return undefined;
}

function stripSlashes(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

function evaluate(
  spec: LoadFilterSpec,
  name: string,
  mainFile: string,
  set: ConfigFileSet,
  table: OriginTable,
): FilterDefinitionResult {
  const store = set.store;
  const problems: Problem[] = [...set.problems];
  const mainAt: SourcePosition = { file: mainFile, line: 1, col: 1 };
  const seen = new Set<string>();
  const report = (code: string, message: string, origin: number) => {
    const at = table.resolve(origin) ?? mainAt;
    const key = `${code}\u0000${message}\u0000${at.file}:${at.line}:${at.col}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(problem(code, message, at));
  };
  const reportLookup = (e: unknown) => {
    if (e instanceof ConfigLookupError) report(e.code, e.message, e.origin);
    else throw e;
  };

  if (!store.hasSection("Definition")) {
    report("filter.missing-definition", `Filter "${name}" has no [Definition] section`, -1);
  }

  // DefinitionInitConfigReader: the call options are the initial [Init] options.
  const initOpts = new Map<string, TrackedText>();
  for (const [k, v] of Object.entries(spec.options)) initOpts.set(k, untracked(v));
  // FilterReader.applyAutoOptions: logtype follows the backend unless set by the call or by the
  // filter's own [Definition] (not [DEFAULT]).
  if (!initOpts.get("logtype")?.text && !store.sections.get("Definition")?.has("logtype")) {
    initOpts.set("logtype", untracked((spec.backend ?? "auto").startsWith("systemd") ? "journal" : "file"));
  }
  const pOpts = new Map(initOpts);

  // ConfigReaderUnshared.getOptions("Definition", …, pOpts): call options win and are skipped.
  const opts = new Map<string, TrackedText | null>();
  for (const opt of DEFINITION_OPTIONS) {
    if (pOpts.has(opt)) continue;
    try {
      const v = store.find("Definition", opt, pOpts);
      if (v === "no-section") opts.set(opt, null);
      else if (v !== "no-option") opts.set(opt, v);
    } catch (e) {
      reportLookup(e);
    }
  }
  // Own [Init] options (not [DEFAULT]'s) become init options unless the call set them, and are
  // also kept as "known/<opt>" for `<known/opt>`.
  const init = store.sections.get("Init");
  if (init) {
    for (const opt of init.keys()) {
      if (opt === "__name__") continue;
      let v: TrackedText | undefined;
      try {
        v = store.get("Init", opt);
      } catch (e) {
        reportLookup(e);
        continue;
      }
      if (!opt.startsWith("known/")) initOpts.set(`known/${opt}`, v);
      if (!initOpts.has(opt)) initOpts.set(opt, v);
    }
  }

  // getCombined: definition options overlaid by init options, then tag substitution.
  const combined = new Map<string, TrackedText | null>(opts);
  for (const [k, v] of initOpts) combined.set(k, v);
  const ignore = new Set<string>();
  for (const k of combined.keys()) {
    const cond = splitConditional(k);
    if (cond) ignore.add(cond[0]);
  }
  const defCache = new Map<string, TrackedText | undefined>();
  const lookup = (tag: string) => {
    if (defCache.has(tag)) return defCache.get(tag);
    let v: TrackedText | undefined;
    try {
      v = getCombOption(store, tag, pOpts);
    } catch (e) {
      reportLookup(e);
    }
    defCache.set(tag, v);
    return v;
  };
  const tagProblems: TagProblem[] = [];
  const final = substituteTags(combined, ignore, lookup, tagProblems);
  for (const p of tagProblems) report(p.code, p.message, p.origin);

  const text = (k: string) => final.get(k) ?? undefined;
  const regexes = (k: string): RegexSource[] => {
    const v = text(k);
    if (!v) return [];
    return splitLines(v)
      .filter((l) => l.text !== "")
      .map((l) => ({ text: l.text, at: positionOf(l, table) ?? mainAt }));
  };

  let maxlines = 1;
  const rawMax = text("maxlines");
  if (rawMax) {
    const n = pyParseInt(rawMax.text);
    if (n === undefined) {
      report(
        "filter.bad-maxlines",
        `Option "maxlines" must be a whole number, got "${rawMax.text}"`,
        rawMax.origins[0] ?? -1,
      );
    } else {
      maxlines = Math.max(1, n);
    }
  }
  const failregex = regexes("failregex");
  const warnings = [...set.warnings];
  if (failregex.length === 0 && store.hasSection("Definition")) {
    warnings.push(problem("filter.no-failregex", `Filter "${name}" defines no failregex`, mainAt));
  }
  problems.push(...unknownSections(set.inis));

  const pref = text("prefregex");
  const options: Record<string, string> = {};
  for (const [k, v] of final) {
    if (v && !k.startsWith("known/") && !VALUE_OPTIONS.has(k)) options[k] = v.text;
  }
  const definition: FilterDefinition = {
    name,
    file: mainFile,
    files: set.files,
    prefregex:
      pref && pref.text !== "" ? { text: pref.text, at: positionOf(pref, table) ?? mainAt } : undefined,
    failregex,
    ignoreregex: regexes("ignoreregex"),
    maxlines,
    datepattern: text("datepattern")?.text,
    journalmatch: (text("journalmatch")?.text.split("\n") ?? []).filter((l) => l !== ""),
    usedns: text("usedns")?.text,
    options,
    warnings,
  };
  // With problems, what could be resolved still goes back (`partial`), so that the regex
  // compiler can add its own problems and the user sees every one at once.
  return problems.length > 0 ? { ok: false, problems, partial: definition } : ok(definition);
}

// DefinitionInitConfigReader.getCombOption: a [Definition] option (or "sec/opt") for a tag that is
// not itself an option; a missing section or option means "leave the tag as it is".
function getCombOption(
  store: ConfigStore,
  tag: string,
  pOpts: ReadonlyMap<string, TrackedText>,
): TrackedText | undefined {
  return store.getEx("Definition", tag, pOpts);
}

function positionOf(t: TrackedText, table: OriginTable): SourcePosition | undefined {
  for (const o of t.origins) {
    if (o >= 0) return table.resolve(o);
  }
  return undefined;
}
