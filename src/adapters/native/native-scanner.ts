import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

/**
 * The native scanner (native/src, built by scripts/setup.sh): fail2ban's per-line pipeline in C
 * with PCRE2-JIT, driven by a scan plan (core/filter/scan-plan.ts). This adapter runs it as a
 * child process: the plan goes in on fd 3, failures come out on stdout (straight to ours when
 * it is the process's own), counts come back as JSON lines on fd 4.
 */

/** Where the scanner binary is: RAMPART_NATIVE_SCANNER, or native/build/rampart-scan in the package. */
export function nativeScannerPath(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const path =
    env.RAMPART_NATIVE_SCANNER ??
    fileURLToPath(new URL("../../../../native/build/rampart-scan", import.meta.url));
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

export interface NativeScanCounts {
  readonly lines: number;
  readonly matched: number;
  readonly ignored: number;
  readonly missed: number;
  readonly prefMatched: number;
  readonly failures: number;
  readonly failHits: readonly number[];
  readonly ignoreHits: readonly number[];
  /** Lines whose regexes hit the match limit (skipped), at most 1000. */
  readonly abandoned: readonly number[];
  /** A last line without a newline, not read (files only, as fail2ban does). */
  readonly incompleteLine: number | null;
  /**
   * When the file was split between two threads (`threads: 2`): "verified" when the second
   * thread's answers stood, "rerun" when the first thread ran the second part again. Either way
   * the answers are those of one thread.
   */
  readonly split?: "verified" | "rerun";
  /**
   * With a split: the second part's lines whose date stage the first thread replayed to check
   * the second's (0 when the second thread's dates were all steady, see native/src/main.c).
   */
  readonly replayedLines?: number;
}

export interface NativeScanOptions {
  readonly scanner: string;
  readonly plan: string;
  /** A log file path, or "-" for `stdin`. */
  readonly log: string;
  readonly json: boolean;
  readonly now: number;
  readonly maxLineLength: number;
  readonly stdin: Readable;
  /** Where failures go; when it is `process.stdout` the child writes to fd 1 itself. */
  readonly stdout: Writable;
  /** The child's environment (its TZ decides local times, as the JS engine's does). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly onProgress?: ((bytes: number, lines: number) => void) | undefined;
  /**
   * 2: a regular log file of `splitMinBytes` or more is split between two threads, with the
   * answers of one (the scanner's `--threads`). Default 1; standard input is never split.
   */
  readonly threads?: 1 | 2 | undefined;
  /** Test knobs: the scanner's --split-min-bytes and --split-window-bytes. */
  readonly splitMinBytes?: number | undefined;
  readonly splitWindowBytes?: number | undefined;
}

export class NativeScanError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

export function runNativeScan(options: NativeScanOptions): Promise<NativeScanCounts> {
  const direct = options.stdout === process.stdout;
  const stdinDirect = options.stdin === process.stdin;
  const args = [
    "--plan-fd",
    "3",
    "--stats-fd",
    "4",
    "--now",
    String(options.now),
    "--max-line-length",
    String(options.maxLineLength),
    ...(options.json ? ["--json"] : []),
    ...(options.onProgress ? ["--progress"] : []),
    ...(options.threads === 2 && options.log !== "-" ? ["--threads", "2"] : []),
    ...(options.splitMinBytes !== undefined ? ["--split-min-bytes", String(options.splitMinBytes)] : []),
    ...(options.splitWindowBytes !== undefined
      ? ["--split-window-bytes", String(options.splitWindowBytes)]
      : []),
    "--",
    options.log,
  ];
  const child = spawn(options.scanner, args, {
    env: options.env as NodeJS.ProcessEnv,
    stdio: [
      options.log === "-" ? (stdinDirect ? "inherit" : "pipe") : "ignore",
      direct ? "inherit" : "pipe",
      "pipe",
      "pipe",
      "pipe",
    ],
  });
  const planStream = child.stdio[3] as Writable;
  planStream.on("error", () => {});
  planStream.end(options.plan);
  if (options.log === "-" && !stdinDirect && child.stdin) {
    child.stdin.on("error", () => {});
    options.stdin.pipe(child.stdin);
  }
  if (!direct && child.stdout) child.stdout.on("data", (chunk: Buffer) => options.stdout.write(chunk));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  let statsText = "";
  let final: NativeScanCounts | undefined;
  const stats = child.stdio[4] as Readable;
  stats.on("data", (chunk: Buffer) => {
    statsText += chunk.toString("utf8");
    let newline = statsText.indexOf("\n");
    while (newline >= 0) {
      const record = JSON.parse(statsText.slice(0, newline)) as
        | { progress: { bytes: number; lines: number } }
        | NativeScanCounts;
      statsText = statsText.slice(newline + 1);
      if ("progress" in record) options.onProgress?.(record.progress.bytes, record.progress.lines);
      else final = record;
      newline = statsText.indexOf("\n");
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", (error) =>
      reject(new NativeScanError(`cannot run ${options.scanner}: ${error.message}`, null)),
    );
    child.on("close", (code) => {
      if (code === 0 && final !== undefined) resolve(final);
      else
        reject(
          new NativeScanError(
            stderr.trim() || `${options.scanner} exited with status ${code} and no counts`,
            code,
          ),
        );
    });
  });
}
