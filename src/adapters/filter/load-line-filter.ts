import { createDateDetector } from "../../core/date/date-detector.js";
import { type Problem, problem, type Result } from "../../core/errors/problem.js";
import { type CompiledFilter, instantiateFilter } from "../../core/filter/compiled-filter.js";
import {
  type FilterDefinition,
  type FilterFiles,
  loadFilterDefinition,
  parseFilterSpec,
} from "../../core/filter/config/filter-definition.js";
import { hasFailureIdGroup, type PortableFilterRegex } from "../../core/filter/fail-regex.js";
import type { UseDns } from "../../core/filter/host-tags.js";
import type { LogFilter } from "../../core/filter/log-filter.js";
import { translateFilterRegex } from "../../core/filter/translate-filter-regex.js";
import { NodeFilterFiles } from "../filter-files/node-filter-files.js";
import { builtinFilterDir } from "./builtin-filter-dir.js";
import { hostsFileResolver } from "./hosts-file-resolver.js";

export interface LoadFilterOptions {
  /** Where named filters resolve (e.g. /etc/fail2ban/filter.d); default: Rampart's built-ins. */
  readonly filterDir?: string | undefined;
  /** Overrides the built-in filter folder (tests, packaging). */
  readonly builtinDir?: string | undefined;
  /** "journal" when lines come from journald (selects the filters' journal variants). */
  readonly logtype?: "file" | "journal" | undefined;
  /** Hosts file for hostname ids (default /etc/hosts); DNS is never queried. */
  readonly hostsFile?: string | undefined;
  /** How filter files are read (default: from disk); e.g. to record what a filter was built from. */
  readonly files?: FilterFiles | undefined;
}

/**
 * Loads a filter named like fail2ban-regex's FILTER argument — a name, a path to a .conf, or
 * `name[key=value, …]` — and compiles it, ready to run here.
 */
export function loadLineFilter(spec: string, options: LoadFilterOptions = {}): Result<LogFilter> {
  const compiled = compileLineFilter(spec, options);
  if (!compiled.ok) return compiled;
  return instantiateFilter(compiled.value, hostsFileResolver(compiled.value.hostsFile));
}

/**
 * Loads and translates a filter (see loadLineFilter) into plain data that a matcher worker
 * instantiates (compiled-filter.ts). Every problem (file, interpolation, regex) comes back at
 * once with its position.
 */
export function compileLineFilter(spec: string, options: LoadFilterOptions = {}): Result<CompiledFilter> {
  const parsed = parseFilterSpec(spec);
  if (!parsed.ok) return parsed;
  const filterOptions = { ...parsed.value.options };
  if (options.logtype && filterOptions.logtype === undefined) filterOptions.logtype = options.logtype;
  const filterDir = options.filterDir ?? options.builtinDir ?? builtinFilterDir();
  const definition = loadFilterDefinition(
    { name: parsed.value.name, options: filterOptions, filterDir },
    options.files ?? new NodeFilterFiles(),
  );
  if (!definition.ok) {
    // Report the regex problems of whatever did resolve too: every problem at once.
    const more = definition.partial ? compileFilterDefinition(definition.partial) : undefined;
    const extra = more && !more.ok ? more.problems.filter((p) => p.code !== "filter.no-failregex") : [];
    return { ok: false, problems: [...definition.problems, ...extra] };
  }
  return compileFilterDefinition(definition.value, options.hostsFile);
}

export function compileFilterDefinition(def: FilterDefinition, hostsFile?: string): Result<CompiledFilter> {
  const problems: Problem[] = [];
  const useDns = (def.options.usedns as UseDns | undefined) ?? "warn";
  const multiline = def.maxlines > 1;
  const compile = (
    source: { text: string; at: Problem["at"] },
    kind: string,
  ): PortableFilterRegex | undefined => {
    const result = translateFilterRegex(source.text, { useDns, multiline });
    if (result.ok) return { ...result.value, at: source.at };
    for (const p of result.problems) {
      problems.push(
        problem(p.code, `Invalid ${kind} ${JSON.stringify(source.text)}: ${p.message}`, source.at),
      );
    }
    return undefined;
  };
  const prefRegex = def.prefregex ? compile(def.prefregex, "prefregex") : undefined;
  const failRegexes: PortableFilterRegex[] = [];
  for (const source of def.failregex) {
    const regex = compile(source, "failregex");
    if (!regex) continue;
    if (!hasFailureIdGroup(regex) && !(prefRegex && hasFailureIdGroup(prefRegex))) {
      problems.push(
        problem(
          "filter.no-failure-id",
          `No failure-id group (<HOST>, <ADDR>, <F-ID>…) in failregex ${JSON.stringify(source.text)}`,
          source.at,
        ),
      );
      continue;
    }
    failRegexes.push(regex);
  }
  const ignoreRegexes: PortableFilterRegex[] = [];
  for (const source of def.ignoreregex) {
    const regex = compile(source, "ignoreregex");
    if (regex) ignoreRegexes.push(regex);
  }
  if (def.failregex.length === 0) {
    problems.push(
      problem("filter.no-failregex", `Filter "${def.name}" defines no failregex`, {
        file: def.file,
        line: 1,
        col: 1,
      }),
    );
  }
  const logTimeZone = def.options.logtimezone;
  // Checked here so that a bad datepattern is reported with the rest; each worker builds its own.
  const detector = createDateDetector({ datepattern: def.datepattern, logTimeZone });
  if (!detector.ok) {
    for (const p of detector.problems)
      problems.push(
        problem(p.code, `Invalid datepattern: ${p.message}`, p.at ?? { file: def.file, line: 1, col: 1 }),
      );
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      name: def.name,
      file: def.file,
      prefRegex,
      failRegexes,
      ignoreRegexes,
      maxLines: def.maxlines,
      datepattern: def.datepattern,
      logTimeZone,
      useDns,
      hostsFile,
    },
  };
}
