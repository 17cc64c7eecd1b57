import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileLineFilter } from "../../src/adapters/filter/load-line-filter.js";
import { buildScanPlan } from "../../src/adapters/native/build-scan-plan.js";

/** What the native scanner's tests share: its builds, their environment, its plans. */
export const REPO_ROOT = new URL("../../../", import.meta.url).pathname;
export const SCANNER = join(REPO_ROOT, "native/build/rampart-scan");
/** The AddressSanitizer + UBSan build (scripts/setup.sh builds both). */
export const SCANNER_ASAN = join(REPO_ROOT, "native/build/rampart-scan-asan");

/** The environment for either build: a report of a sanitizer fails the run (exit 86 or 87). */
export function scannerEnv(tz: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TZ: tz,
    ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0:exitcode=86",
    UBSAN_OPTIONS: "halt_on_error=1:print_stacktrace=1:exitcode=87",
  };
}

let written = 0;
/** The scan plan of a filter spec, written to a new file in `dir`; undefined when the scanner cannot run it. */
export function writeScanPlan(dir: string, spec: string, filterDir?: string): string | undefined {
  const compiled = compileLineFilter(spec, filterDir === undefined ? {} : { filterDir });
  if (!compiled.ok) return undefined;
  const plan = buildScanPlan(compiled.value);
  if (!plan.ok) return undefined;
  const file = join(dir, `plan-${written++}`);
  writeFileSync(file, plan.text);
  return file;
}

export interface ScannerRun {
  readonly status: number | null;
  readonly stdout: string;
  /** What the scanner wrote on --stats-fd 3 (its JSON summary). */
  readonly stats: string;
  readonly stderr: string;
}

/** rampart-scan --plan PLAN --now NOW --stats-fd 3 ARGS LOG, output captured. */
export function runScanner(
  binary: string,
  plan: string,
  log: string,
  args: readonly string[],
  options: { readonly now: number; readonly env: NodeJS.ProcessEnv },
): ScannerRun {
  const r = spawnSync(
    binary,
    ["--plan", plan, "--now", String(options.now), "--stats-fd", "3", ...args, log],
    {
      env: options.env,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      maxBuffer: 1 << 28,
      timeout: 300_000,
    },
  );
  return {
    status: r.status,
    stdout: r.stdout.toString(),
    stats: r.output[3]?.toString() ?? "",
    stderr: r.stderr?.toString() ?? "",
  };
}
