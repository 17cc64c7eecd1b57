import { createDateDetector } from "../date/date-detector.js";
import { failed, ok, type Problem, problem, type Result } from "../errors/problem.js";
import { FilterRegex, type PortableFilterRegex } from "./fail-regex.js";
import type { UseDns } from "./host-tags.js";
import { LogFilter } from "./log-filter.js";

/**
 * A loaded and translated filter as plain data (structured-cloneable). Loading and translating
 * take tens of milliseconds; building a LogFilter from this takes a few. So a filter is compiled
 * once, on the main thread while a matcher worker boots, and every worker (fresh, second, or
 * restarted after a hostile line) only instantiates it.
 */
export interface CompiledFilter {
  readonly name: string;
  /** The filter file, for positions in problems found when instantiating. */
  readonly file: string;
  readonly prefRegex: PortableFilterRegex | undefined;
  readonly failRegexes: readonly PortableFilterRegex[];
  readonly ignoreRegexes: readonly PortableFilterRegex[];
  readonly maxLines: number;
  readonly datepattern: string | undefined;
  readonly logTimeZone: string | undefined;
  readonly useDns: UseDns;
  /** Where hostname ids resolve (the hosts file; DNS is never queried); the system's by default. */
  readonly hostsFile: string | undefined;
}

/** The filter's regex texts, as summaries print them (what `LogFilter.describe` gives). */
export function describeCompiledFilter(compiled: CompiledFilter): {
  name: string;
  prefregex: string | undefined;
  failregex: { source: string }[];
  ignoreregex: { source: string }[];
} {
  return {
    name: compiled.name,
    prefregex: compiled.prefRegex?.source,
    failregex: compiled.failRegexes.map((r) => ({ source: r.source })),
    ignoreregex: compiled.ignoreRegexes.map((r) => ({ source: r.source })),
  };
}

/**
 * The LogFilter of a compiled filter. `resolveHost` answers hostname ids (an adapter: the hosts
 * file). A pattern V8 rejects is a translation bug, reported as a problem rather than thrown.
 */
export function instantiateFilter(
  compiled: CompiledFilter,
  resolveHost?: (name: string) => readonly string[],
): Result<LogFilter> {
  const problems: Problem[] = [];
  const build = (portable: PortableFilterRegex): FilterRegex | undefined => {
    try {
      return new FilterRegex(portable);
    } catch (error) {
      problems.push(
        problem(
          "regex.unsupported",
          `Invalid regex ${JSON.stringify(portable.source)}: cannot compile the translated pattern: ${(error as Error).message}`,
          portable.at ?? { file: compiled.file, line: 1, col: 1 },
        ),
      );
      return undefined;
    }
  };
  // Any regex that failed to build is in `problems`, and then no filter is returned.
  const buildAll = (list: readonly PortableFilterRegex[]) =>
    list.map(build).filter((regex): regex is FilterRegex => regex !== undefined);
  const prefRegex = compiled.prefRegex ? build(compiled.prefRegex) : undefined;
  const failRegexes = buildAll(compiled.failRegexes);
  const ignoreRegexes = buildAll(compiled.ignoreRegexes);
  const dateDetector = createDateDetector({
    datepattern: compiled.datepattern,
    logTimeZone: compiled.logTimeZone,
  });
  if (!dateDetector.ok) problems.push(...dateDetector.problems);
  if (problems.length > 0 || !dateDetector.ok) return failed(problems);
  return ok(
    new LogFilter({
      name: compiled.name,
      prefRegex,
      failRegexes,
      ignoreRegexes,
      maxLines: compiled.maxLines,
      dateDetector: dateDetector.value,
      useDns: compiled.useDns,
      resolveHost,
    }),
  );
}
