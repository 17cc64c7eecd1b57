import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GuardedMatcher, ScanResult } from "./guarded-matcher.js";
import type { ScanChunkReply } from "./matcher-protocol.js";

/**
 * `filter test` on one file with two worker threads, with exactly the answers of one.
 *
 * Fail2Ban's pipeline carries state from line to line, so the second half cannot simply start
 * fresh. What carries over is of two kinds, and each is checked rather than assumed:
 *
 * - The date stage (the date detector's template order and the last date) never depends on what
 *   the regexes found. The first worker, once done with its half, replays only the date stage
 *   over the second half (about a fifth of the full cost) from the true state; the second worker
 *   records the date outcome of every line it ran. They must be identical (both are hashed with
 *   SHA-256 as they go, so memory stays flat, and crafted log lines cannot collide them).
 * - The rest (the mlfid cache and the multi-line buffer) is compared whole: the second worker
 *   first runs a window of lines before its half for their state only, and its state snapshot at
 *   the boundary must equal the first worker's at the end of its half.
 *
 * If both hold, the second half's answers are the ones a single worker gives. If not (or either
 * worker needed a restart after an over-budget line: the state survives it, but a skipped line
 * is missing from the date digest that started again after the restart), the second half is run
 * again from the true state. The first half's output streams as it comes; the second half's is
 * held until it is verified, spilling to a temporary file beyond 8 MiB.
 */

export interface SplitPlan {
  /** The first line start at or after the split point: the first worker stops here. */
  readonly middle: number;
  /** Where the second worker starts its state-only window (a line start before `middle`). */
  readonly windowStart: number;
}

export interface SplitScanOptions {
  readonly json: boolean;
  readonly now: number;
  /** Formatted failures, in file order. */
  readonly onOutput: (bytes: Uint8Array) => void;
  /**
   * Resolves when the output sink can take more (a pipe that is full); the held second half is
   * written at this pace, so that it is not all buffered in memory at once.
   */
  readonly outputDrained?: (() => Promise<void>) | undefined;
  /** Counts (and regex hits) of a chunk of lines, once they are final. */
  readonly onCounts: (chunk: ScanChunkReply) => void;
  /** Held output above this many bytes goes to a temporary file (default 8 MiB). */
  readonly memoryLimit?: number | undefined;
}

export type SplitOutcome = "verified" | "rerun";

export interface SplitScanResult {
  readonly incompleteLine: number | undefined;
  readonly outcome: SplitOutcome;
}

/** The first worker also replays the second half's dates, so it gets a little less than half. */
const FIRST_SHARE = 0.47;
const DEFAULT_WINDOW_BYTES = 256 * 1024;
const DEFAULT_MEMORY_LIMIT = 8 * 1024 * 1024;
const NO_OUTPUT = new Uint8Array(0);

/**
 * Where to split a file of `size` bytes, or undefined when it is too small to gain (or has no
 * line start in the right place).
 */
export function planSplit(
  path: string,
  size: number,
  options: { minBytes: number; windowBytes?: number | undefined },
): SplitPlan | undefined {
  if (size < options.minBytes) return undefined;
  const windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
  const middle = nextLineStart(path, Math.floor(size * FIRST_SHARE), size);
  if (middle === undefined || middle <= windowBytes) return undefined;
  const windowStart = nextLineStart(path, middle - windowBytes, middle);
  if (windowStart === undefined || windowStart <= 0 || windowStart >= middle) return undefined;
  return { middle, windowStart };
}

/** The first line start at or after `from` (the byte after a newline), if any before `limit`. */
function nextLineStart(path: string, from: number, limit: number): number | undefined {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (let position = Math.max(0, from - 1); position < limit; ) {
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) return undefined;
      const newline = buffer.subarray(0, n).indexOf(10);
      if (newline >= 0) {
        const start = position + newline + 1;
        return start < limit ? start : undefined;
      }
      position += n;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The number of newlines before byte `end`. Asynchronous, so the workers' first requests go out first. */
async function countLines(path: string, end: number): Promise<number> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let lines = 0;
    for (let position = 0; position < end; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position), position);
      if (bytesRead === 0) break;
      const view = buffer.subarray(0, bytesRead);
      for (let i = view.indexOf(10); i >= 0; i = view.indexOf(10, i + 1)) lines++;
      position += bytesRead;
    }
    return lines;
  } finally {
    await handle.close();
  }
}

export async function scanFileSplit(
  first: GuardedMatcher,
  second: GuardedMatcher,
  path: string,
  plan: SplitPlan,
  options: SplitScanOptions,
): Promise<SplitScanResult> {
  const { json, now } = options;
  const middleLine = countLines(path, plan.middle);
  const held = new HeldOutput(options.memoryLimit ?? DEFAULT_MEMORY_LIMIT);
  const heldCounts: ScanChunkReply[] = [];
  try {
    const firstRun = (async () => {
      const own = await first.scanFile(path, {
        json,
        now,
        end: plan.middle,
        onChunk: (chunk) => {
          if (chunk.output.length > 0) options.onOutput(chunk.output);
          options.onCounts(chunk);
        },
      });
      const snapshot = await first.snapshot();
      const replay = await first.scanFile(path, {
        json: false,
        now,
        offset: plan.middle,
        linesBefore: own.linesBefore,
        mode: "dates",
        recordDates: true,
        reportAbandoned: false,
        onChunk: () => {},
      });
      return { own, snapshot, replay };
    })();
    const secondRun = (async () => {
      const window = await second.scanFile(path, {
        json: false,
        now,
        offset: plan.windowStart,
        end: plan.middle,
        mode: "quiet",
        reportAbandoned: false,
        onChunk: () => {},
      });
      const snapshot = await second.snapshot();
      const own = await second.scanFile(path, {
        json,
        now,
        offset: plan.middle,
        linesBefore: await middleLine,
        recordDates: true,
        reportAbandoned: false,
        onChunk: (chunk) => {
          if (chunk.output.length > 0) held.append(chunk.output);
          heldCounts.push({ ...chunk, output: NO_OUTPUT });
        },
      });
      return { window, snapshot, own };
    })();
    const [a, b] = await Promise.all([firstRun, secondRun]);
    const verified =
      a.own.linesBefore === (await middleLine) &&
      noRestarts(a.replay, b.window, b.own) &&
      a.snapshot.state === b.snapshot.state &&
      a.replay.datesDigest !== undefined &&
      a.replay.datesDigest === b.own.datesDigest &&
      a.replay.incompleteLine === b.own.incompleteLine;
    if (verified) {
      await held.drainTo(options.onOutput, options.outputDrained);
      for (const chunk of heldCounts) options.onCounts(chunk);
      return { incompleteLine: b.own.incompleteLine, outcome: "verified" };
    }
    // The true state at the boundary is the first worker's before its replay: a fresh worker
    // rebuilds it (output already written is not repeated) and runs the second half.
    held.discard();
    await second.restart();
    await second.scanFile(path, {
      json: false,
      now,
      end: plan.middle,
      mode: "quiet",
      reportAbandoned: false,
      onChunk: () => {},
    });
    const rerun = await second.scanFile(path, {
      json,
      now,
      offset: plan.middle,
      linesBefore: await middleLine,
      onChunk: (chunk) => {
        if (chunk.output.length > 0) options.onOutput(chunk.output);
        options.onCounts(chunk);
      },
    });
    return { incompleteLine: rerun.incompleteLine, outcome: "rerun" };
  } finally {
    held.discard();
  }
}

function noRestarts(...runs: ScanResult[]): boolean {
  return runs.every((run) => run.restarts === 0);
}

/** Output held until it is verified: in memory up to a limit, then in a private temporary file. */
class HeldOutput {
  private readonly parts: Uint8Array[] = [];
  private bytes = 0;
  private spill: { dir: string; fd: number } | undefined;

  constructor(private readonly memoryLimit: number) {}

  append(chunk: Uint8Array): void {
    if (this.spill === undefined && this.bytes + chunk.length <= this.memoryLimit) {
      this.parts.push(chunk);
      this.bytes += chunk.length;
      return;
    }
    if (this.spill === undefined) {
      const dir = mkdtempSync(join(tmpdir(), "rampart-scan-"));
      this.spill = { dir, fd: openSync(join(dir, "held"), "w+", 0o600) };
    }
    writeAll(this.spill.fd, chunk);
  }

  async drainTo(
    write: (bytes: Uint8Array) => void,
    drained: (() => Promise<void>) | undefined,
  ): Promise<void> {
    for (const part of this.parts) {
      write(part);
      await drained?.();
    }
    this.parts.length = 0;
    const spill = this.spill;
    if (spill === undefined) return;
    for (let position = 0; ; ) {
      const buffer = Buffer.allocUnsafe(1 << 20);
      const n = readSync(spill.fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      write(buffer.subarray(0, n));
      await drained?.();
      position += n;
    }
  }

  discard(): void {
    this.parts.length = 0;
    const spill = this.spill;
    this.spill = undefined;
    if (spill === undefined) return;
    closeSync(spill.fd);
    rmSync(spill.dir, { recursive: true, force: true });
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}
