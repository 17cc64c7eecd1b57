import type { Problem } from "../../core/errors/problem.js";
import type { CompiledFilter } from "../../core/filter/compiled-filter.js";
import type { LogFailure } from "../../core/filter/log-failure.js";
import type { LogFilterState } from "../../core/filter/log-filter.js";

/** The worker's first message: the filters to run, one per jail, compiled on the main thread. */
export interface LoadRequest {
  readonly type: "load";
  readonly filters: readonly CompiledFilter[];
}

export interface BatchRequest {
  readonly type: "batch";
  readonly id: number;
  /** Which filters see these lines (indexes into the init list); all when absent. */
  readonly filters?: readonly number[] | undefined;
  readonly texts: readonly string[];
  readonly numbers: readonly number[];
  /** Journal entry times (epoch seconds); when present the date is not parsed from the text. */
  readonly times?: readonly (number | undefined)[] | undefined;
  readonly now: number;
  /** Indexes of lines to skip: they ran over the time budget in an earlier attempt. */
  readonly skip: readonly number[];
  /** Reply with every filter's state (a checkpoint, see GuardedMatcher). */
  readonly wantStates?: boolean | undefined;
}

/**
 * Scan a log file from `offset` (a line start) in the worker itself: the lines never cross
 * threads, only the formatted output and counts come back, once per chunk. Only filter 0 runs.
 */
export interface ScanRequest {
  readonly type: "scan";
  readonly id: number;
  readonly path: string;
  /** Byte offset to start at; always the start of a line. */
  readonly offset: number;
  /** Number of the line at `offset`, minus one. */
  readonly linesBefore: number;
  readonly now: number;
  /** Line numbers to skip: they ran over the time budget twice. */
  readonly skip: readonly number[];
  /** Format failures as `filter test --json` lines (otherwise only counts come back). */
  readonly json: boolean;
  /** Stop before this byte offset (a line start); the end of the file when absent. */
  readonly end?: number | undefined;
  /**
   * "full" (the default) runs the whole pipeline; "quiet" runs it for its state only (no output,
   * no counts); "dates" runs only the date stage, recording its outcomes. A split scan uses these.
   */
  readonly mode?: "full" | "quiet" | "dates" | undefined;
  /** Record each line's date outcome (LogFilter.recordDates); their digest comes with the last chunk. */
  readonly recordDates?: boolean | undefined;
}

/**
 * Sent to a fresh worker before the batch or scan it redoes: each filter's state at the last
 * checkpoint (LogFilter.exportState), by filter index (undefined leaves one fresh), then the
 * batches done since, with their skips, to run again for their state only. Then the worker is
 * where the killed one was when it started the batch or chunk in progress. Messages are handled
 * in order, so no reply is needed.
 */
export interface RestoreRequest {
  readonly type: "restore";
  readonly states: readonly (LogFilterState | undefined)[];
  readonly replay: readonly BatchRequest[];
}

/** Asks for the first filter's carried-over state (LogFilter.stateSnapshot). */
export interface SnapshotRequest {
  readonly type: "snapshot";
}

export interface SnapshotReply {
  readonly type: "snapshot";
  readonly state: string;
}

/**
 * Lines by outcome, prefregex hits, and each failregex's and ignoreregex's hits. Counted per
 * batch or chunk, so that totals survive a worker restart (which starts the filter's own over).
 */
export interface LineCounts {
  matched: number;
  ignored: number;
  missed: number;
  prefMatched: number;
  failHits: number[];
  ignoreHits: number[];
}

export interface ScanChunkReply {
  readonly type: "scan-chunk";
  readonly id: number;
  /** The formatted failures of this chunk's lines, UTF-8 (whole lines). */
  readonly output: Uint8Array;
  readonly counts: LineCounts & { lines: number };
  readonly failures: number;
  /** Where the next chunk starts, and the number of the last line read (empty and comment lines too). */
  readonly offset: number;
  readonly linesBefore: number;
  readonly bytes: number;
  /** Set on the last chunk; `incompleteLine` is the number of a final line without a newline (left unread). */
  readonly done: boolean;
  readonly incompleteLine?: number | undefined;
  /** With `recordDates`, on the last chunk: a SHA-256 of the date outcomes of every line run. */
  readonly datesDigest?: string | undefined;
  /**
   * Each filter's state after this chunk's lines (LogFilter.exportState), by filter index: a
   * checkpoint every chunk, since one per MiB costs nothing.
   */
  readonly states: readonly LogFilterState[];
}

export type LineOutcome = "matched" | "ignored" | "missed";

export interface BatchReply {
  readonly type: "batch";
  readonly id: number;
  /** failures[k] are those of filter k (in request order), in line order. */
  readonly failures: readonly (readonly LogFailure[])[];
  /** Per filter: counts of this batch's lines by outcome, and regex hits. */
  readonly counts: readonly LineCounts[];
  /** With `wantStates`: each filter's state after the batch (LogFilter.exportState), by filter index. */
  readonly states?: readonly LogFilterState[] | undefined;
}

/** The filters' regexes, for summaries (hit counts come with each batch or chunk: LineCounts). */
export interface DescribeReply {
  readonly type: "describe";
  readonly filters: readonly FilterDescription[];
}

export interface FilterDescription {
  readonly name: string;
  readonly prefregex: string | undefined;
  readonly failregex: readonly { readonly source: string }[];
  readonly ignoreregex: readonly { readonly source: string }[];
}

export type WorkerReply =
  | {
      readonly type: "ready";
      /** The worker's kernel thread id (Linux), so that the watchdog can read its CPU time. */
      readonly threadId?: number | undefined;
    }
  | { readonly type: "error"; readonly problems: readonly Problem[] }
  | BatchReply
  | ScanChunkReply
  | DescribeReply
  | SnapshotReply;

/**
 * A batch that took this long (ms) replies with the filters' states even unasked: a restart runs
 * the batches since the last checkpoint again, unwatched, so they must stay cheap.
 */
export const SLOW_BATCH_MS = 50;

/**
 * Shared progress cells: [0] = index of the line in progress (-1 idle), [1] = lines done,
 * [2] = 1 while the worker does one-off warm-up work that the watchdog must not time.
 */
export const PROGRESS_INDEX = 0;
export const PROGRESS_DONE = 1;
export const PROGRESS_UNTIMED = 2;
export const PROGRESS_CELLS = 3;
