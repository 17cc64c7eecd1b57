import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { Problem } from "../../core/errors/problem.js";
import { RampartError } from "../../core/errors/rampart-error.js";
import type { CompiledFilter } from "../../core/filter/compiled-filter.js";
import type { LogFailure } from "../../core/filter/log-failure.js";
import type { LogFilterState } from "../../core/filter/log-filter.js";
import {
  type BatchReply,
  type BatchRequest,
  type DescribeReply,
  type LoadRequest,
  PROGRESS_CELLS,
  PROGRESS_DONE,
  PROGRESS_INDEX,
  PROGRESS_UNTIMED,
  type RestoreRequest,
  type ScanChunkReply,
  type ScanRequest,
  SLOW_BATCH_MS,
  type SnapshotReply,
  type WorkerReply,
} from "./matcher-protocol.js";

export interface MatcherOptions {
  /** Longest time one line may spend in the regexes before it is abandoned (ms). */
  readonly lineBudgetMs?: number;
  /** Lines longer than this are matched on their first `maxLineLength` characters. */
  readonly maxLineLength?: number;
  /** Send the matched log text along with each failure (default true; the guard's actions use it). */
  readonly withMatches?: boolean;
  /** Told about every abandoned line. */
  readonly onLineAbandoned?: (line: number, text: string) => void;
}

export interface MatchInput {
  readonly texts: readonly string[];
  readonly numbers: readonly number[];
  readonly times?: readonly (number | undefined)[] | undefined;
  readonly filters?: readonly number[] | undefined;
}

export interface MatchResult {
  readonly failures: readonly (readonly LogFailure[])[];
  readonly counts: BatchReply["counts"];
  /** Line numbers abandoned because they exceeded the time budget. */
  readonly abandoned: readonly number[];
}

export interface ScanOptions {
  readonly json: boolean;
  readonly now: number;
  readonly onChunk: (chunk: ScanChunkReply) => void;
  /** Where to start (a line start) and the number of lines before it; the file's start by default. */
  readonly offset?: number | undefined;
  readonly linesBefore?: number | undefined;
  /** Where to stop (a line start); the end of the file by default. */
  readonly end?: number | undefined;
  readonly mode?: ScanRequest["mode"];
  readonly recordDates?: boolean | undefined;
  /** Tell `onLineAbandoned` about lines skipped in this scan (default true). */
  readonly reportAbandoned?: boolean | undefined;
}

export interface ScanResult {
  readonly abandoned: readonly number[];
  readonly incompleteLine: number | undefined;
  /** Fresh workers the scan needed (each continues from the state the killed one had). */
  readonly restarts: number;
  /** The number of the last line read. */
  readonly linesBefore: number;
  /** With `recordDates`: a digest of every line's date outcome (equal digests, equal outcomes). */
  readonly datesDigest: string | undefined;
}

/** Ordinary lines take microseconds; 20 ms leaves room for a slow machine, not for ReDoS. */
export const DEFAULT_LINE_BUDGET_MS = 20;
/** Lines longer than this are matched on their first characters (the native scanner cuts there too). */
export const DEFAULT_MAX_LINE_LENGTH = 65536;
const RETRY_BUDGET_FACTOR = 10;
/**
 * A checkpoint of the filters' states once the batches since the last one hold this many lines,
 * batches or characters (memory), or took SLOW_BATCH_MS (a restart runs them again, unwatched).
 */
const CHECKPOINT_LINES = 4096;
const CHECKPOINT_BATCHES = 256;
const CHECKPOINT_CHARS = 1 << 22;
/** A line that has not used its CPU budget is still ended after this many budgets of wall time. */
const WALL_FACTOR = 50;

const WORKER_URL = new URL("./matcher-worker.js", import.meta.url);

/**
 * Runs filters in a worker thread and bounds the time any one line may take: a watchdog on this
 * thread terminates the worker when a line exceeds `lineBudgetMs`, records the line as abandoned
 * and resumes with a fresh worker at the next line. A backtracking regex (ReDoS) therefore costs
 * at most the budget plus a worker restart, never a hung guard.
 *
 * Nothing carried from line to line is lost on such a restart. At checkpoints (every scan chunk;
 * for batches, every CHECKPOINT_LINES lines, CHECKPOINT_BATCHES batches, CHECKPOINT_CHARS
 * characters or SLOW_BATCH_MS of work, and right after a restart) the worker sends each filter's
 * state (LogFilter.exportState: the multi-line buffer, the mlfid cache, the last date, the date
 * detector); this thread keeps them, and the batches done since. A fresh worker first imports
 * those states and runs those batches again for their state only (a `restore` message), so it
 * starts the batch or chunk it redoes (skipping the abandoned line) exactly where the killed one
 * started it. The skipped line itself leaves no trace, date stage included. (Sending the states
 * with every reply would be simpler, but copying a full mlfid cache with its matched lines
 * between threads costs more than matching a small batch.)
 */
export class GuardedMatcher {
  private worker: Worker | undefined;
  private readonly progress = new Int32Array(new SharedArrayBuffer(4 * PROGRESS_CELLS));
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  /** The worker thread's CPU time in ms, when the system tells it (Linux schedstat). */
  private cpuClock: (() => number | undefined) | undefined;

  /** Each filter's state at the last checkpoint (none yet: as a fresh worker has them). */
  private states: readonly LogFilterState[] = [];
  /** The batches done since that checkpoint (with their final skips), and their lines. */
  private replay: BatchRequest[] = [];
  private replayLines = 0;
  private replayChars = 0;
  private replayMs = 0;

  /** Compiled once, when the first worker boots; every restart reuses them. */
  private filters: readonly CompiledFilter[] | undefined;

  private constructor(
    private readonly compile: () => readonly CompiledFilter[] | Promise<readonly CompiledFilter[]>,
    private readonly options: {
      lineBudgetMs: number;
      maxLineLength: number;
      withMatches: boolean;
      onLineAbandoned: ((line: number, text: string) => void) | undefined;
    },
  ) {}

  /**
   * Starts the worker and loads the filters into it. `filters` may be a function that compiles
   * them (compileLineFilter, perhaps imported on demand): it runs on this thread while the worker
   * boots, and may throw a RampartError with the filters' problems, which `start` rejects with.
   */
  static async start(
    filters:
      | readonly CompiledFilter[]
      | (() => readonly CompiledFilter[] | Promise<readonly CompiledFilter[]>),
    options: MatcherOptions = {},
  ): Promise<GuardedMatcher> {
    const matcher = new GuardedMatcher(typeof filters === "function" ? filters : () => filters, {
      lineBudgetMs: options.lineBudgetMs ?? DEFAULT_LINE_BUDGET_MS,
      maxLineLength: options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH,
      withMatches: options.withMatches ?? true,
      onLineAbandoned: options.onLineAbandoned,
    });
    await matcher.spawn();
    return matcher;
  }

  private async spawn(): Promise<void> {
    const worker = new Worker(WORKER_URL, {
      workerData: {
        progress: this.progress.buffer,
        maxLineLength: this.options.maxLineLength,
        withMatches: this.options.withMatches,
      },
    });
    const first = new Promise<WorkerReply>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    if (this.filters === undefined) {
      // Let other matchers started in the same tick spawn their workers before this thread
      // spends its time compiling: then every worker boots while the filter compiles.
      await Promise.resolve();
      try {
        this.filters = await this.compile();
      } catch (error) {
        await worker.terminate();
        throw error;
      }
    }
    worker.postMessage({ type: "load", filters: this.filters } satisfies LoadRequest);
    const reply = await first;
    this.cpuClock = reply.type === "ready" ? threadCpuClock(reply.threadId) : undefined;
    if (reply.type === "error") {
      await worker.terminate();
      throw new RampartError("filter.invalid", "Cannot load filter", {
        problems: reply.problems as Problem[],
        exitCode: 2,
      });
    }
    worker.unref();
    this.worker = worker;
  }

  /** Matches one batch; batches are processed strictly in submission order. */
  match(input: MatchInput, now: number): Promise<MatchResult> {
    const run = this.queue.then(() => this.runBatch(input, now));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runBatch(input: MatchInput, now: number): Promise<MatchResult> {
    const abandoned: number[] = [];
    const skip: number[] = [];
    const policy = new OverrunPolicy(this.options.lineBudgetMs);
    let chars = 0;
    for (const text of input.texts) chars += Math.min(text.length, this.options.maxLineLength);
    let wantStates =
      this.replayLines + input.texts.length >= CHECKPOINT_LINES ||
      this.replay.length + 1 >= CHECKPOINT_BATCHES ||
      this.replayChars + chars >= CHECKPOINT_CHARS ||
      this.replayMs >= SLOW_BATCH_MS;
    const started = performance.now();
    for (;;) {
      const request: BatchRequest = {
        type: "batch",
        id: this.nextId++,
        filters: input.filters,
        texts: input.texts,
        numbers: input.numbers,
        times: input.times,
        now,
        skip,
        wantStates,
      };
      const outcome = await this.send(request, policy.budget);
      if (outcome.kind === "reply") {
        const { failures, counts, states } = outcome.reply;
        if (states) this.checkpoint(states);
        else {
          this.replay.push(request);
          this.replayLines += input.texts.length;
          this.replayChars += chars;
          this.replayMs += performance.now() - started;
        }
        return { failures, counts, abandoned };
      }
      // The line at `index` ran over budget: a fresh worker, with the state of the batch's start,
      // redoes the batch (the lines before it again, deterministically, since the killed worker's
      // results never arrived).
      await this.respawn();
      wantStates = true;
      if (!policy.skipAfterTimeout(outcome.index)) continue;
      const number = input.numbers[outcome.index] ?? 0;
      skip.push(outcome.index);
      abandoned.push(number);
      this.options.onLineAbandoned?.(number, input.texts[outcome.index] ?? "");
    }
  }

  /** The filters' states now (from the worker's reply). */
  private checkpoint(states: readonly LogFilterState[]): void {
    this.states = states;
    this.replay = [];
    this.replayLines = 0;
    this.replayChars = 0;
    this.replayMs = 0;
  }

  /**
   * A fresh worker in place of a killed one, where the killed one was when it started the request
   * in progress: the states of the last checkpoint, and the batches done since.
   */
  private async respawn(): Promise<void> {
    await this.spawn();
    if (this.replay.length === 0 && this.states.length === 0) return;
    const { states, replay } = this;
    this.worker?.postMessage({ type: "restore", states, replay } satisfies RestoreRequest);
  }

  private send(
    request: BatchRequest,
    budget: number,
  ): Promise<{ kind: "reply"; reply: BatchReply } | { kind: "timeout"; index: number }> {
    return this.watch(request, budget, (reply) =>
      reply.type === "batch" && reply.id === request.id ? reply : undefined,
    ).then((outcome) =>
      outcome.kind === "reply"
        ? { kind: "reply", reply: outcome.reply }
        : { kind: "timeout", index: outcome.index },
    );
  }

  /**
   * Posts `request` and watches the worker until `handle` returns a final reply. Terminates the
   * worker when the line in progress (the shared PROGRESS_INDEX cell) has used `budget` ms of CPU
   * (of wall time where the system does not report a thread's CPU time).
   */
  private watch<R>(
    request: BatchRequest | ScanRequest,
    budget: number,
    handle: (reply: WorkerReply) => R | undefined,
  ): Promise<{ kind: "reply"; reply: R } | { kind: "timeout"; index: number }> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new RampartError("matcher.stopped", "The matcher is stopped"));
    const cpuClock = this.cpuClock;
    return new Promise((resolve, reject) => {
      Atomics.store(this.progress, PROGRESS_INDEX, -1);
      let lastDone = Atomics.load(this.progress, PROGRESS_DONE);
      let lastIndex = -1;
      let since = performance.now();
      let cpuSince: number | undefined;
      const timer = setInterval(
        () => {
          const done = Atomics.load(this.progress, PROGRESS_DONE);
          const index = Atomics.load(this.progress, PROGRESS_INDEX);
          const now = performance.now();
          const untimed = Atomics.load(this.progress, PROGRESS_UNTIMED) === 1;
          if (done !== lastDone || index !== lastIndex || index < 0 || untimed) {
            lastDone = done;
            lastIndex = index;
            since = now;
            cpuSince = index >= 0 && !untimed ? cpuClock?.() : undefined;
            return;
          }
          if (now - since < budget) return;
          // The budget is CPU time when the worker's is known: on a loaded machine a line may
          // wait for a CPU far longer than it runs, and that is not the line's doing. Wall time
          // still ends a line at WALL_FACTOR times the budget.
          const cpuNow = cpuSince === undefined ? undefined : cpuClock?.();
          const lineCpu = cpuNow === undefined || cpuSince === undefined ? undefined : cpuNow - cpuSince;
          if (lineCpu !== undefined && lineCpu < budget && now - since < budget * WALL_FACTOR) return;
          cleanup();
          this.worker = undefined;
          void worker.terminate();
          resolve({ kind: "timeout", index });
        },
        Math.max(1, Math.floor(budget / 4)),
      );
      const onMessage = (reply: WorkerReply) => {
        let final: R | undefined;
        try {
          final = handle(reply);
        } catch (error) {
          cleanup();
          reject(error);
          return;
        }
        if (final === undefined) return;
        cleanup();
        resolve({ kind: "reply", reply: final });
      };
      // A dead worker answers nothing: every later request must fail fast instead of waiting.
      const onError = (error: Error) => {
        cleanup();
        if (this.worker === worker) this.worker = undefined;
        reject(
          new RampartError("matcher.crashed", `The matcher worker failed: ${error.message}`, {
            cause: error,
          }),
        );
      };
      const onExit = (code: number) => onError(new Error(`the worker exited with code ${code}`));
      const cleanup = () => {
        clearInterval(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.postMessage(request);
    });
  }

  /**
   * Runs the first filter over a whole log file inside the worker, which reads the file itself:
   * no line crosses threads, only formatted output and counts do (`filter test`'s fast path).
   * The time bound is the same as `match`'s: a line over budget gets a fresh worker and ten
   * times the budget, a second overrun skips it. A fresh worker restarts at the last chunk it
   * confirmed, so no output is lost or repeated.
   */
  scanFile(path: string, options: ScanOptions): Promise<ScanResult> {
    const run = this.queue.then(() => this.runScan(path, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runScan(path: string, options: ScanOptions): Promise<ScanResult> {
    let offset = options.offset ?? 0;
    let linesBefore = options.linesBefore ?? 0;
    let restarts = 0;
    const skip: number[] = [];
    const abandoned: number[] = [];
    const policy = new OverrunPolicy(this.options.lineBudgetMs);
    for (;;) {
      const outcome = await this.watch(
        {
          type: "scan",
          id: this.nextId++,
          path,
          offset,
          linesBefore,
          now: options.now,
          skip,
          json: options.json,
          end: options.end,
          mode: options.mode,
          recordDates: options.recordDates,
        },
        policy.budget,
        (reply) => {
          if (reply.type !== "scan-chunk") return undefined;
          offset = reply.offset;
          linesBefore = reply.linesBefore;
          this.checkpoint(reply.states);
          options.onChunk(reply);
          return reply.done ? reply : undefined;
        },
      );
      if (outcome.kind === "reply") {
        const { incompleteLine, datesDigest } = outcome.reply;
        return { abandoned, incompleteLine, restarts, linesBefore, datesDigest };
      }
      // A fresh worker continues from the last chunk it confirmed, with the state it had there.
      await this.respawn();
      restarts++;
      if (!policy.skipAfterTimeout(outcome.index)) continue;
      skip.push(outcome.index);
      abandoned.push(outcome.index);
      if (options.reportAbandoned !== false) {
        this.options.onLineAbandoned?.(outcome.index, readLineAt(path, offset, linesBefore, outcome.index));
      }
    }
  }

  /** Replaces the worker with a fresh one: the filters start over with no carried-over state. */
  async restart(): Promise<void> {
    await this.queue.catch(() => undefined);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    this.checkpoint([]);
    await this.spawn();
  }

  /** The first filter's carried-over state (for a split scan's check). */
  async snapshot(): Promise<SnapshotReply> {
    await this.queue;
    return this.ask<SnapshotReply>({ type: "snapshot" }, "snapshot");
  }

  /** The filters' regexes (for summaries). */
  async describe(): Promise<DescribeReply> {
    await this.queue;
    return this.ask<DescribeReply>({ type: "describe" }, "describe");
  }

  private ask<R extends WorkerReply>(request: { type: R["type"] }, type: R["type"]): Promise<R> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new RampartError("matcher.stopped", "The matcher is stopped"));
    return new Promise((resolve) => {
      const onMessage = (reply: WorkerReply) => {
        if (reply.type !== type) return;
        worker.off("message", onMessage);
        resolve(reply as R);
      };
      worker.on("message", onMessage);
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}

/**
 * The second-chance rule: a line's first overrun gets a fresh worker and ten times the budget, so
 * that a GC pause or a starved CPU is not mistaken for a hostile line; a second overrun is the
 * line's own doing, and it is skipped.
 */
class OverrunPolicy {
  private readonly overruns = new Set<number>();
  budget: number;

  constructor(private readonly baseBudget: number) {
    this.budget = baseBudget;
  }

  /** Called after `line` ran over `budget`; true when the line is to be skipped. */
  skipAfterTimeout(line: number): boolean {
    if (!this.overruns.has(line)) {
      this.overruns.add(line);
      this.budget = this.baseBudget * RETRY_BUDGET_FACTOR;
      return false;
    }
    this.budget = this.baseBudget;
    return true;
  }
}

/** Reads a thread's CPU time (ms) from /proc; undefined when the system does not say. */
function threadCpuClock(threadId: number | undefined): (() => number | undefined) | undefined {
  if (threadId === undefined) return undefined;
  const path = `/proc/self/task/${threadId}/schedstat`;
  const read = (): number | undefined => {
    try {
      const ns = Number(readFileSync(path, "latin1").split(" ", 1)[0]);
      return Number.isFinite(ns) ? ns / 1e6 : undefined;
    } catch {
      return undefined;
    }
  };
  return read() === undefined ? undefined : read;
}

/** The text of line `wanted`, found by reading forward from `offset` (the start of line `linesBefore + 1`). */
function readLineAt(path: string, offset: number, linesBefore: number, wanted: number): string {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 16);
    const parts: Buffer[] = [];
    let line = linesBefore + 1;
    let position = offset;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      position += n;
      let start = 0;
      for (let i = buffer.indexOf(10, 0); i >= 0 && i < n; i = buffer.indexOf(10, start)) {
        if (line === wanted) {
          parts.push(Buffer.from(buffer.subarray(start, i)));
          return Buffer.concat(parts).toString("utf8");
        }
        line++;
        start = i + 1;
      }
      if (line === wanted) parts.push(Buffer.from(buffer.subarray(start, n)));
    }
    return Buffer.concat(parts).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
