import { isAscii } from "node:buffer";
import { closeSync, openSync, readlinkSync, readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import type { Problem } from "../../core/errors/problem.js";
import { instantiateFilter } from "../../core/filter/compiled-filter.js";
import { failureJsonLine, type LogFailure } from "../../core/filter/log-failure.js";
import type { LogFilter } from "../../core/filter/log-filter.js";
import { hostsFileResolver } from "../filter/hosts-file-resolver.js";
import { DateOutcomeDigest } from "./date-outcome-digest.js";
import {
  type BatchReply,
  type BatchRequest,
  type LineCounts,
  type LoadRequest,
  PROGRESS_DONE,
  PROGRESS_INDEX,
  PROGRESS_UNTIMED,
  type RestoreRequest,
  type ScanChunkReply,
  type ScanRequest,
  SLOW_BATCH_MS,
  type SnapshotRequest,
  type WorkerReply,
} from "./matcher-protocol.js";

// The worker side of GuardedMatcher: runs the regexes so that the parent can terminate it when
// a line takes longer than the budget (V8 cannot interrupt a regex any other way).
const {
  progress: progressBuffer,
  maxLineLength,
  withMatches,
} = workerData as {
  progress: SharedArrayBuffer;
  maxLineLength: number;
  withMatches: boolean;
};
const progress = new Int32Array(progressBuffer);
const port = parentPort!;

const filters: LogFilter[] = [];

/**
 * The first message: the filters, compiled on the main thread while this worker booted. Only
 * their RegExps are built here.
 */
function load(request: LoadRequest): void {
  const problems: Problem[] = [];
  for (const compiled of request.filters) {
    const built = instantiateFilter(compiled, hostsFileResolver(compiled.hostsFile));
    if (built.ok) filters.push(built.value);
    else problems.push(...built.problems);
  }
  // V8 compiles a regex on its first uses, and that must not look like a hostile line: each regex
  // and date template is compiled when first needed, with the watchdog's clock stopped.
  for (const filter of filters) {
    filter.collectMatches = withMatches;
    filter.setUntimedRunner(untimed);
  }
  port.postMessage(
    problems.length > 0
      ? ({ type: "error", problems } satisfies WorkerReply)
      : ({ type: "ready", threadId: kernelThreadId() } satisfies WorkerReply),
  );
}

type Request =
  | LoadRequest
  | BatchRequest
  | ScanRequest
  | RestoreRequest
  | SnapshotRequest
  | { type: "describe" };

port.on("message", (message: Request) => {
  if (message.type === "load") {
    load(message);
    return;
  }
  if (message.type === "scan") {
    scanFile(message);
    return;
  }
  if (message.type === "restore") {
    restore(message);
    return;
  }
  if (message.type === "snapshot") {
    const filter = filters[0]!;
    port.postMessage({ type: "snapshot", state: filter.stateSnapshot() } satisfies WorkerReply);
    return;
  }
  if (message.type === "describe") {
    port.postMessage({
      type: "describe",
      filters: filters.map((f) => f.describe()),
    } satisfies WorkerReply);
    return;
  }
  port.postMessage(runBatch(message));
});

function runBatch(request: BatchRequest): BatchReply {
  const started = performance.now();
  const selected = request.filters ?? filters.map((_, i) => i);
  const failures: LogFailure[][] = selected.map(() => []);
  const counts = selected.map(() => emptyCounts());
  const marks = selected.map((k) => hitMark(filters[k]!));
  const { texts, numbers, times, now } = request;
  const skip = new Set(request.skip);
  for (let i = 0; i < texts.length; i++) {
    if (skip.has(i)) continue;
    Atomics.store(progress, PROGRESS_INDEX, i);
    let text = texts[i]!;
    if (text.length > maxLineLength) text = text.slice(0, maxLineLength);
    const number = numbers[i]!;
    const time = times?.[i];
    for (let k = 0; k < selected.length; k++) {
      const filter = filters[selected[k]!]!;
      const found =
        time === undefined
          ? filter.processLine(text, number, now)
          : filter.processJournalLine(text, time, number, now);
      tally(filter, found, counts[k]!);
      // Without withMatches the filter leaves `matches` empty: copying the matched text to the
      // other thread costs more than matching when nobody reads it.
      failures[k]!.push(...found);
    }
    Atomics.add(progress, PROGRESS_DONE, 1);
  }
  Atomics.store(progress, PROGRESS_INDEX, -1);
  for (let k = 0; k < selected.length; k++) addHitsSince(filters[selected[k]!]!, marks[k]!, counts[k]!);
  const checkpoint = request.wantStates || performance.now() - started >= SLOW_BATCH_MS;
  const states = checkpoint ? filters.map((f) => f.exportState()) : undefined;
  return { type: "batch", id: request.id, failures, counts, states };
}

/**
 * A fresh worker continues where the killed one was: the filters' states at the last checkpoint,
 * then the batches done since, for their state only. The progress cells are left alone (the
 * watchdog sees an idle worker): these lines all ran before within their budget, and checkpoints
 * come often enough (GuardedMatcher) that they take at most about 2 × SLOW_BATCH_MS.
 */
function restore(request: RestoreRequest): void {
  for (let k = 0; k < request.states.length; k++) {
    const state = request.states[k];
    if (state !== undefined) filters[k]!.importState(state);
  }
  for (const batch of request.replay) {
    const selected = batch.filters ?? filters.map((_, i) => i);
    const skip = new Set(batch.skip);
    const { texts, numbers, times, now } = batch;
    for (let i = 0; i < texts.length; i++) {
      if (skip.has(i)) continue;
      let text = texts[i]!;
      if (text.length > maxLineLength) text = text.slice(0, maxLineLength);
      const time = times?.[i];
      for (const k of selected) {
        const filter = filters[k]!;
        if (time === undefined) filter.processLine(text, numbers[i]!, now);
        else filter.processJournalLine(text, time, numbers[i]!, now);
      }
    }
  }
}

/** Counts one line's outcome, as fail2ban-regex's summary does. */
function tally(filter: LogFilter, found: readonly LogFailure[], counts: LineCounts): void {
  if (filter.lastPrefMatched) counts.prefMatched++;
  if (found.length > 0) counts.matched++;
  else if (filter.lastLineIgnored) counts.ignored++;
  else counts.missed++;
}

/** This thread's id in /proc (Linux), or undefined elsewhere. */
function kernelThreadId(): number | undefined {
  try {
    const id = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Runs warm-up work (compiling a date template on first use) with the watchdog's clock stopped. */
function untimed(work: () => void): void {
  Atomics.store(progress, PROGRESS_UNTIMED, 1);
  try {
    work();
  } finally {
    Atomics.store(progress, PROGRESS_UNTIMED, 0);
  }
}

const SCAN_CHUNK_BYTES = 1 << 20;
const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * Reads the file itself from a line start and posts one reply per chunk of whole lines. The
 * bytes are decoded as readLineBatches does (UTF-8 with replacement characters; "\n" never
 * occurs inside a multi-byte sequence, so cutting at newlines decodes identically) and a final
 * line without a newline is left unread, as fail2ban does. PROGRESS_INDEX holds the number of
 * the line being matched, so the watchdog can name it.
 */
function scanFile(request: ScanRequest): void {
  const filter = filters[0]!;
  const skip = new Set(request.skip);
  const { now, id } = request;
  const mode = request.mode ?? "full";
  const json = request.json && mode === "full";
  const end = request.end ?? Number.POSITIVE_INFINITY;
  const dates = request.recordDates ? new DateOutcomeDigest() : undefined;
  filter.recordDates = dates;
  const fd = openSync(request.path, "r");
  try {
    let offset = request.offset;
    let linesBefore = request.linesBefore;
    let position = offset;
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    const readBuffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
    for (;;) {
      const n =
        position < end
          ? readSync(fd, readBuffer, 0, Math.min(SCAN_CHUNK_BYTES, end - position), position)
          : 0;
      if (n === 0) {
        const incompleteLine = pendingBytes > 0 ? linesBefore + 1 : undefined;
        post({
          id,
          output: new Uint8Array(0),
          failures: 0,
          counts: emptyCounts(),
          offset,
          linesBefore,
          bytes: 0,
          done: true,
          incompleteLine,
          datesDigest: dates?.digest(),
          states: filters.map((f) => f.exportState()),
        });
        return;
      }
      position += n;
      const read = readBuffer.subarray(0, n);
      const lastNewline = read.lastIndexOf(10);
      if (lastNewline < 0) {
        pending.push(Buffer.from(read));
        pendingBytes += n;
        continue;
      }
      const head = read.subarray(0, lastNewline + 1);
      const block = pendingBytes > 0 ? Buffer.concat([...pending, head]) : head;
      pending.length = 0;
      pendingBytes = 0;
      if (lastNewline + 1 < n) {
        pending.push(Buffer.from(read.subarray(lastNewline + 1)));
        pendingBytes = n - lastNewline - 1;
      }
      const text = isAscii(block) ? block.toString("latin1") : utf8.decode(block);
      const counts = emptyCounts();
      const mark = hitMark(filter);
      const output = new OutputBuffer();
      let failures = 0;
      let start = 0;
      for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
        const lineStart = start;
        let lineEnd = newline;
        start = newline + 1;
        linesBefore++;
        while (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
        // fail2ban-regex skips empty and comment lines.
        if (lineEnd === lineStart || text.charCodeAt(lineStart) === 35) continue;
        if (mode === "full") counts.lines++;
        if (skip.has(linesBefore)) continue;
        Atomics.store(progress, PROGRESS_INDEX, linesBefore);
        const line = text.slice(lineStart, Math.min(lineEnd, lineStart + maxLineLength));
        if (mode === "dates") filter.replayDate(line, now);
        else {
          const found = filter.processLine(line, linesBefore, now);
          if (mode === "full") {
            tally(filter, found, counts);
            failures += found.length;
            if (json) for (const f of found) output.append(failureJsonLine(f));
          }
        }
        Atomics.add(progress, PROGRESS_DONE, 1);
      }
      Atomics.store(progress, PROGRESS_INDEX, -1);
      if (mode === "full") addHitsSince(filter, mark, counts);
      offset += block.length;
      post({
        id,
        output: output.take(),
        failures,
        counts,
        offset,
        linesBefore,
        bytes: block.length,
        done: false,
        states: filters.map((f) => f.exportState()),
      });
    }
  } finally {
    closeSync(fd);
  }
}

function emptyCounts(): ScanChunkReply["counts"] {
  return { matched: 0, ignored: 0, missed: 0, prefMatched: 0, lines: 0, failHits: [], ignoreHits: [] };
}

interface HitMark {
  readonly fail: readonly number[];
  readonly ignore: readonly number[];
}

function hitMark(filter: LogFilter): HitMark {
  return { fail: [...filter.stats.failHits], ignore: [...filter.stats.ignoreHits] };
}

/** The filter's regex hits since `mark`, into `counts`. */
function addHitsSince(filter: LogFilter, mark: HitMark, counts: LineCounts): void {
  counts.failHits = filter.stats.failHits.map((hits, i) => hits - (mark.fail[i] ?? 0));
  counts.ignoreHits = filter.stats.ignoreHits.map((hits, i) => hits - (mark.ignore[i] ?? 0));
}

function post(reply: Omit<ScanChunkReply, "type">): void {
  port.postMessage({ type: "scan-chunk", ...reply } satisfies WorkerReply, [
    reply.output.buffer as ArrayBuffer,
  ]);
}

/**
 * UTF-8 output written straight into bytes: appending 100k small strings to one JS string costs
 * several times more (a deep rope that the garbage collector keeps copying).
 */
class OutputBuffer {
  private buffer = Buffer.allocUnsafeSlow(1 << 16);
  private length = 0;

  append(text: string): void {
    const most = text.length * 3;
    if (this.length + most > this.buffer.length) {
      const next = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.length + most));
      this.buffer.copy(next, 0, 0, this.length);
      this.buffer = next;
    }
    this.length += this.buffer.write(text, this.length);
  }

  /** The bytes so far, in a buffer of their own (transferable). */
  take(): Uint8Array {
    const out = new Uint8Array(this.length);
    out.set(this.buffer.subarray(0, this.length));
    this.length = 0;
    return out;
  }
}
