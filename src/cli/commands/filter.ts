import { closeSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { builtinFilterDir } from "../../adapters/filter/builtin-filter-dir.js";
import { NodeFilterFiles } from "../../adapters/filter-files/node-filter-files.js";
import { readLineBatches } from "../../adapters/logs/read-lines.js";
import {
  DEFAULT_LINE_BUDGET_MS,
  DEFAULT_MAX_LINE_LENGTH,
  GuardedMatcher,
} from "../../adapters/matcher/guarded-matcher.js";
import type {
  FilterDescription,
  LineCounts,
  ScanChunkReply,
} from "../../adapters/matcher/matcher-protocol.js";
import {
  planSplit,
  type SplitOutcome,
  type SplitPlan,
  scanFileSplit,
} from "../../adapters/matcher/split-scan.js";
import {
  type NativeScanCounts,
  NativeScanError,
  nativeScannerPath,
  runNativeScan,
} from "../../adapters/native/native-scanner.js";
import { PlanCache, planCacheDir, RecordingFilterFiles } from "../../adapters/native/plan-cache.js";
import { formatProblem, type Problem, type Result } from "../../core/errors/problem.js";
import { ExitCode, RampartError } from "../../core/errors/rampart-error.js";
import { type CompiledFilter, describeCompiledFilter } from "../../core/filter/compiled-filter.js";
import type { FilterFiles } from "../../core/filter/config/filter-definition.js";
import { failureJsonLine } from "../../core/filter/log-failure.js";
import type { CliIo } from "../cli-io.js";

const USAGE = `Usage:
  rampart filter test LOG FILTER [--filter-dir DIR] [--json] [--engine E] [--line-budget MS] [--threads N]
  rampart filter list [--filter-dir DIR]

Runs a Fail2Ban-compatible filter over a log, like fail2ban-regex, only much faster.
  LOG     a log file, or - for standard input
  FILTER  a built-in filter name, a path to a .conf, or name[key=value, ...] (e.g. sshd[mode=aggressive])
Options:
  --filter-dir DIR   where named filters resolve (e.g. /etc/fail2ban/filter.d); default: built-ins
  --json             print one JSON object per failure: {"ip", "time", "line", "user"}
  --engine E         auto (default): the native scanner when it is built and can reproduce the
                     filter exactly (single-line filters), else the JavaScript engine; native; js
  --line-budget MS   JavaScript engine: longest time one line may take in the regexes (default 20); a line over it twice
                     (in a fresh worker) is skipped and reported
  --threads N        threads for a log file (not standard input): 1 or 2 (default 2 when the machine
                     has two CPUs); the native scanner splits a file of 2 MiB or more, the JavaScript
                     engine one of 4 MiB or more; the answers are the same either way
Exit status: 0 done, 2 usage error or invalid filter (all problems are printed with file:line:col).
`;

export async function filterCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "test") return filterTest(rest, io);
  if (sub === "list") return filterList(rest, io);
  if (sub === "--help" || sub === "-h") {
    io.stdout.write(USAGE);
    return ExitCode.ok;
  }
  io.stderr.write(sub === undefined ? USAGE : `rampart filter: unknown subcommand "${sub}"\n\n${USAGE}`);
  return ExitCode.usage;
}

function parse(argv: readonly string[], io: CliIo) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        "filter-dir": { type: "string" },
        json: { type: "boolean", default: false },
        "line-budget": { type: "string" },
        threads: { type: "string" },
        engine: { type: "string" },
        config: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`rampart filter: ${(error as Error).message}\n\n${USAGE}`);
    return undefined;
  }
}

async function filterTest(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parse(argv, io);
  if (!args) return ExitCode.usage;
  if (args.values.help) {
    io.stdout.write(USAGE);
    return ExitCode.ok;
  }
  const [log, filterSpec, ...extra] = args.positionals;
  if (log === undefined || filterSpec === undefined || extra.length > 0) {
    io.stderr.write(`rampart filter test: expected LOG and FILTER\n\n${USAGE}`);
    return ExitCode.usage;
  }
  const budgetText = args.values["line-budget"];
  const lineBudgetMs = budgetText === undefined ? DEFAULT_LINE_BUDGET_MS : Number(budgetText);
  if (!Number.isFinite(lineBudgetMs) || lineBudgetMs <= 0) {
    io.stderr.write(`rampart filter test: invalid --line-budget "${budgetText}" (milliseconds > 0)\n`);
    return ExitCode.usage;
  }
  const threadsText = args.values.threads;
  const threads = threadsText === undefined ? Math.min(2, availableParallelism()) : Number(threadsText);
  if (threads !== 1 && threads !== 2) {
    io.stderr.write(`rampart filter test: invalid --threads "${threadsText}" (1 or 2)\n`);
    return ExitCode.usage;
  }
  const json = args.values.json;
  const engine = args.values.engine ?? "auto";
  if (engine !== "auto" && engine !== "native" && engine !== "js") {
    io.stderr.write(`rampart filter test: invalid --engine "${engine}" (auto, native or js)\n`);
    return ExitCode.usage;
  }
  // Compiled at most once: by the native path (unless its plan is cached), or by the JS path
  // while its workers boot.
  let compiled: Result<CompiledFilter> | undefined;
  const compileOnce = async (files?: FilterFiles): Promise<Result<CompiledFilter>> => {
    if (compiled === undefined) {
      const { compileLineFilter } = await import("../../adapters/filter/load-line-filter.js");
      compiled = compileLineFilter(filterSpec, { filterDir: args.values["filter-dir"], files });
    }
    return compiled;
  };
  if (engine !== "js") {
    const status = await nativeFilterTest(io, {
      log,
      filterSpec,
      filterDir: args.values["filter-dir"],
      compile: compileOnce,
      json,
      threads,
      required: engine === "native",
    });
    if (status !== undefined) return status;
  }
  const abandoned: { line: number; length: number }[] = [];
  const split = threads === 2 && log !== "-" ? planFileSplit(log) : undefined;
  let matcher: GuardedMatcher;
  let second: GuardedMatcher | undefined;
  try {
    // Compiled once, on this thread, while the workers boot: even the compiler's modules are
    // loaded only once the workers are on their way.
    const compile = async () => {
      const compiled = await compileOnce();
      if (compiled.ok) return [compiled.value];
      throw new RampartError("filter.invalid", "Cannot load filter", {
        problems: compiled.problems,
        exitCode: ExitCode.usage,
      });
    };
    const start = () =>
      GuardedMatcher.start(compile, {
        lineBudgetMs,
        withMatches: false,
        onLineAbandoned: (line, text) => abandoned.push({ line, length: text.length }),
      });
    const started = await Promise.allSettled(split ? [start(), start()] : [start()]);
    const failure = started.find((s) => s.status === "rejected");
    if (failure) {
      for (const s of started) if (s.status === "fulfilled") await s.value.close();
      throw failure.reason;
    }
    const [one, two] = started.map((s) => (s as PromiseFulfilledResult<GuardedMatcher>).value);
    matcher = one!;
    second = two;
  } catch (error) {
    if (error instanceof RampartError && error.problems.length > 0) {
      return reportFilterProblems(io, filterSpec, error.problems);
    }
    throw error;
  }

  const started = performance.now();
  const totals: Totals = {
    lines: 0,
    matched: 0,
    ignored: 0,
    missed: 0,
    prefMatched: 0,
    failures: 0,
    failHits: [],
    ignoreHits: [],
  };
  const progress = progressReporter(io, log);
  try {
    const incomplete =
      log === "-"
        ? await matchStream(io, matcher, json, totals, progress)
        : await scanFile(io, log, matcher, second, split, json, totals, progress);
    if (incomplete !== undefined && log !== "-") {
      io.stderr.write(
        `rampart filter test: line ${incomplete} has no newline yet and was not read (as fail2ban does)\n`,
      );
    }
  } catch (error) {
    await matcher.close();
    await second?.close();
    progress.done();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") {
      io.stderr.write(`rampart filter test: cannot read log "${log}": ${(error as Error).message}\n`);
      return ExitCode.usage;
    }
    throw error;
  }
  progress.done();
  const elapsed = (performance.now() - started) / 1000;
  for (const a of abandoned) {
    io.stderr.write(
      `rampart filter test: line ${a.line} (${a.length} characters) exceeded the ${lineBudgetMs} ms budget and was skipped\n`,
    );
  }
  if (!json) {
    const regexes = (await matcher.describe()).filters[0];
    io.stdout.write(
      renderSummary(log, filterSpec, args.values["filter-dir"], regexes, totals, elapsed, abandoned.length),
    );
  }
  await matcher.close();
  await second?.close();
  return ExitCode.ok;
}

function reportFilterProblems(io: CliIo, filterSpec: string, problems: readonly Problem[]): number {
  io.stderr.write(`rampart filter test: cannot load filter "${filterSpec}":\n`);
  for (const p of problems) io.stderr.write(`  ${formatProblem(p)}\n`);
  return ExitCode.usage;
}

/**
 * `filter test` on the native scanner. Undefined when it cannot run this filter exactly (or is
 * not built) and the JS engine should; an error instead when the native engine was required.
 */
async function nativeFilterTest(
  io: CliIo,
  request: {
    log: string;
    filterSpec: string;
    filterDir: string | undefined;
    compile: (files?: FilterFiles) => Promise<Result<CompiledFilter>>;
    json: boolean;
    threads: 1 | 2;
    required: boolean;
  },
): Promise<number | undefined> {
  const { log, json } = request;
  const refuse = (why: string): number | undefined => {
    if (!request.required) return undefined;
    io.stderr.write(`rampart filter test: the native engine cannot run this filter: ${why}\n`);
    return ExitCode.usage;
  };
  const scanner = nativeScannerPath(io.env);
  if (scanner === undefined) return refuse("the scanner is not built (run scripts/setup.sh)");
  const files = new NodeFilterFiles();
  const cache = PlanCache.open(planCacheDir(io.env));
  const key = { filterSpec: request.filterSpec, filterDir: request.filterDir, scanner };
  let planned = cache?.get(key);
  if (planned === undefined) {
    const recording = new RecordingFilterFiles(files);
    const compiled = await request.compile(recording);
    if (!compiled.ok) return reportFilterProblems(io, request.filterSpec, compiled.problems);
    const filter = compiled.value;
    const { buildScanPlan, planHostsFile } = await import("../../adapters/native/build-scan-plan.js");
    const plan = buildScanPlan(filter);
    if (!plan.ok) return refuse(plan.reason);
    planned = {
      plan: plan.text,
      description: describeCompiledFilter(filter),
      maxLine: DEFAULT_MAX_LINE_LENGTH,
    };
    const hostsFile = planHostsFile(filter);
    cache?.put(key, recording, hostsFile === undefined ? [] : [hostsFile], planned);
  }
  if (log !== "-") {
    try {
      checkLogReadable(log);
    } catch (error) {
      io.stderr.write(`rampart filter test: cannot read log "${log}": ${(error as Error).message}\n`);
      return ExitCode.usage;
    }
  }
  const progress = progressReporter(io, log);
  let reported = 0;
  const started = performance.now();
  let counts: NativeScanCounts;
  try {
    counts = await runNativeScan({
      scanner,
      plan: planned.plan,
      log,
      json,
      now: Date.now() / 1000,
      maxLineLength: planned.maxLine,
      stdin: io.stdin,
      stdout: io.stdout,
      env: io.env,
      threads: request.threads,
      onProgress: io.stderr.isTTY
        ? (bytes, lines) => {
            progress.bytes(bytes - reported);
            reported = bytes;
            progress.lines(lines);
          }
        : undefined,
    });
  } catch (error) {
    progress.done();
    if (error instanceof NativeScanError && error.exitCode === 1) {
      io.stderr.write(`rampart filter test: cannot read log "${log}": ${error.message}\n`);
      return ExitCode.usage;
    }
    throw error;
  }
  progress.done();
  const elapsed = (performance.now() - started) / 1000;
  if (counts.incompleteLine !== null && log !== "-") {
    io.stderr.write(
      `rampart filter test: line ${counts.incompleteLine} has no newline yet and was not read (as fail2ban does)\n`,
    );
  }
  for (const line of counts.abandoned) {
    io.stderr.write(`rampart filter test: line ${line} exceeded the regex match limit and was skipped\n`);
  }
  if (!json) {
    const totals: Totals = { ...counts, failHits: [...counts.failHits], ignoreHits: [...counts.ignoreHits] };
    io.stdout.write(
      renderSummary(
        log,
        request.filterSpec,
        request.filterDir,
        planned.description,
        totals,
        elapsed,
        counts.abandoned.length,
      ),
    );
  }
  return ExitCode.ok;
}

/** Throws (with `code`, as fs does) unless `log` is a readable file: such errors are the user's (exit 2). */
function checkLogReadable(log: string): void {
  if (statSync(log).isDirectory()) {
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${log}'`), {
      code: "EISDIR",
    });
  }
  closeSync(openSync(log, "r"));
}

/** Below this size a second worker costs more to start than it saves. */
const SPLIT_MIN_BYTES = 4 * 1024 * 1024;

/** Where to split a regular log file between two workers; undefined for one worker. */
function planFileSplit(log: string): SplitPlan | undefined {
  try {
    const stat = statSync(log);
    return stat.isFile() ? planSplit(log, stat.size, { minBytes: SPLIT_MIN_BYTES }) : undefined;
  } catch {
    // Reported when the scan opens the file.
    return undefined;
  }
}

interface Totals {
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  prefMatched: number;
  failures: number;
  /** Per failregex and ignoreregex, added up from every batch or chunk (they survive worker restarts). */
  failHits: number[];
  ignoreHits: number[];
  /** How a split between two workers went, when there was one. */
  split?: SplitOutcome;
}

function addCounts(totals: Totals, counts: LineCounts): void {
  totals.matched += counts.matched;
  totals.ignored += counts.ignored;
  totals.missed += counts.missed;
  totals.prefMatched += counts.prefMatched;
  counts.failHits.forEach((hits, i) => {
    totals.failHits[i] = (totals.failHits[i] ?? 0) + hits;
  });
  counts.ignoreHits.forEach((hits, i) => {
    totals.ignoreHits[i] = (totals.ignoreHits[i] ?? 0) + hits;
  });
}

type Progress = ReturnType<typeof progressReporter>;

/**
 * A file: the worker reads it itself and sends back formatted output per chunk. With a second
 * worker and a split plan, each reads part of the file (split-scan.ts), with the same answers.
 */
async function scanFile(
  io: CliIo,
  log: string,
  matcher: GuardedMatcher,
  second: GuardedMatcher | undefined,
  split: SplitPlan | undefined,
  json: boolean,
  totals: Totals,
  progress: Progress,
): Promise<number | undefined> {
  // Open errors belong to the user (exit 2), not to the worker.
  checkLogReadable(log);
  const onCounts = (chunk: ScanChunkReply) => {
    totals.lines += chunk.counts.lines;
    addCounts(totals, chunk.counts);
    totals.failures += chunk.failures;
    progress.bytes(chunk.bytes);
    progress.lines(totals.lines);
  };
  const onOutput = (bytes: Uint8Array) => io.stdout.write(bytes);
  const now = Date.now() / 1000;
  const scanned =
    second !== undefined && split !== undefined
      ? await scanFileSplit(matcher, second, log, split, {
          json,
          now,
          onOutput,
          onCounts,
          outputDrained: () =>
            io.stdout.writableNeedDrain
              ? new Promise<void>((resolve) => io.stdout.once("drain", () => resolve()))
              : Promise.resolve(),
        })
      : await matcher.scanFile(log, {
          json,
          now,
          onChunk: (chunk) => {
            if (chunk.output.length > 0) onOutput(chunk.output);
            onCounts(chunk);
          },
        });
  if ("outcome" in scanned) totals.split = scanned.outcome;
  return scanned.incompleteLine;
}

/** Standard input: lines are read here and matched in batches by the worker. */
async function matchStream(
  io: CliIo,
  matcher: GuardedMatcher,
  json: boolean,
  totals: Totals,
  progress: Progress,
): Promise<number | undefined> {
  let pending: Promise<void> = Promise.resolve();
  let incomplete: number | undefined;
  const reading = readLineBatches(io.stdin, {
    onBytes: progress.bytes,
    incompleteLastLine: "keep",
    onIncompleteLastLine: (n) => {
      incomplete = n;
    },
  });
  for await (const batch of reading) {
    // fail2ban-regex skips comment and empty lines.
    const texts: string[] = [];
    const numbers: number[] = [];
    for (const line of batch) {
      if (line.text === "" || line.text.startsWith("#")) continue;
      texts.push(line.text);
      numbers.push(line.number);
    }
    totals.lines += texts.length;
    const result = matcher.match({ texts, numbers }, Date.now() / 1000);
    // Keep one batch in flight while the next is read and split on this thread.
    await pending;
    pending = result.then((r) => {
      const counts = r.counts[0];
      if (counts) addCounts(totals, counts);
      const failures = r.failures[0] ?? [];
      totals.failures += failures.length;
      if (json && failures.length > 0) {
        let out = "";
        for (const f of failures) out += failureJsonLine(f);
        io.stdout.write(out);
      }
      progress.lines(totals.lines);
    });
  }
  await pending;
  return incomplete;
}

function renderSummary(
  log: string,
  filterSpec: string,
  filterDir: string | undefined,
  filter: FilterDescription | undefined,
  totals: Totals,
  elapsed: number,
  abandoned: number,
): string {
  const out: string[] = [];
  out.push("Running tests", "=============", "");
  out.push(
    `Use   failregex filter : ${filterSpec}${filterDir ? `, filter dir: ${filterDir}` : " (built-in)"}`,
  );
  out.push(`Use         log file   : ${log === "-" ? "standard input" : log}`, "", "Results", "=======", "");
  if (filter?.prefregex !== undefined)
    out.push(`Prefregex: ${totals.prefMatched} total`, `|  ${filter.prefregex}`, "`-", "");
  // Hits are added up per chunk or batch: a worker restart zeroes the worker's own.
  const fail = (filter?.failregex ?? []).map((r, i) => ({ source: r.source, hits: totals.failHits[i] ?? 0 }));
  const ignore = (filter?.ignoreregex ?? []).map((r, i) => ({
    source: r.source,
    hits: totals.ignoreHits[i] ?? 0,
  }));
  out.push(
    `Failregex: ${fail.reduce((n, r) => n + r.hits, 0)} total`,
    "|-  #) [# of hits] regular expression",
  );
  for (const [i, r] of fail.entries()) out.push(`|  ${String(i + 1).padStart(2)}) [${r.hits}] ${r.source}`);
  out.push("`-", "");
  out.push(`Ignoreregex: ${ignore.reduce((n, r) => n + r.hits, 0)} total`);
  if (ignore.length > 0) {
    out.push("|-  #) [# of hits] regular expression");
    for (const [i, r] of ignore.entries())
      out.push(`|  ${String(i + 1).padStart(2)}) [${r.hits}] ${r.source}`);
    out.push("`-");
  }
  out.push("");
  out.push(
    `Lines: ${totals.lines} lines, ${totals.ignored} ignored, ${totals.matched} matched, ${totals.missed} missed${abandoned > 0 ? `, ${abandoned} over time budget` : ""}`,
  );
  const rate = elapsed > 0 ? Math.round(totals.lines / elapsed) : totals.lines;
  const threads =
    totals.split === undefined ? "" : `, 2 threads${totals.split === "rerun" ? " (second half rerun)" : ""}`;
  out.push(`[processed in ${elapsed.toFixed(3)} sec, ${rate.toLocaleString("en-US")} lines/s${threads}]`, "");
  return out.join("\n");
}

/** A one-line progress indicator on stderr, only when stderr is a terminal. */
function progressReporter(io: CliIo, log: string) {
  let total = 0;
  if (io.stderr.isTTY && log !== "-") {
    try {
      total = statSync(log).size;
    } catch {}
  }
  const enabled = io.stderr.isTTY === true;
  let bytes = 0;
  let lastDraw = 0;
  const started = performance.now();
  return {
    bytes(n: number) {
      bytes += n;
    },
    lines(lines: number) {
      if (!enabled) return;
      const now = performance.now();
      if (now - lastDraw < 200) return;
      lastDraw = now;
      const rate = Math.round(lines / ((now - started) / 1000));
      const percent = total > 0 ? `${((100 * bytes) / total).toFixed(0)}% ` : "";
      io.stderr.write(
        `\r${percent}${(bytes / 1048576).toFixed(1)} MiB, ${lines.toLocaleString("en-US")} lines, ${rate.toLocaleString("en-US")} lines/s   `,
      );
    },
    done() {
      if (enabled && lastDraw > 0) io.stderr.write("\r\x1b[K");
    },
  };
}

async function filterList(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parse(argv, io);
  if (!args) return ExitCode.usage;
  const dir = args.values["filter-dir"] ?? builtinFilterDir();
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith(".conf") && !n.includes("common"))
      .sort();
  } catch (error) {
    io.stderr.write(`rampart filter list: cannot read "${dir}": ${(error as Error).message}\n`);
    return ExitCode.usage;
  }
  for (const name of names) {
    const text = readFileSync(join(dir, name), "utf8");
    const description = /^#\s*(.+)$/m.exec(text)?.[1]?.trim() ?? "";
    io.stdout.write(`${basename(name, ".conf").padEnd(22)} ${description}\n`);
  }
  return ExitCode.ok;
}
