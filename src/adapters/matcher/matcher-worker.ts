import { parentPort, workerData } from "node:worker_threads";
import type { LogFailure } from "../../core/filter/log-failure.js";
import type { LogFilter } from "../../core/filter/log-filter.js";
import { loadLineFilter } from "../filter/load-line-filter.js";
import {
  type BatchReply,
  type BatchRequest,
  type FilterRequest,
  PROGRESS_DONE,
  PROGRESS_INDEX,
  type WorkerReply,
} from "./matcher-protocol.js";

// The worker side of GuardedMatcher: runs the regexes so that the parent can terminate it when
// a line takes longer than the budget (V8 cannot interrupt a regex any other way).
const {
  filters: requests,
  progress: progressBuffer,
  maxLineLength,
  withMatches,
} = workerData as {
  filters: FilterRequest[];
  progress: SharedArrayBuffer;
  maxLineLength: number;
  withMatches: boolean;
};
const progress = new Int32Array(progressBuffer);
const port = parentPort!;

const filters: LogFilter[] = [];
const problems = [];
for (const request of requests) {
  const loaded = loadLineFilter(request.spec, request);
  if (loaded.ok) filters.push(loaded.value);
  else problems.push(...loaded.problems);
}
// Compile every regex now, before the watchdog's clock runs: V8 compiles lazily on first use,
// and a first use must not look like a hostile line.
for (const filter of filters) filter.warmUp();
port.postMessage(
  problems.length > 0
    ? ({ type: "error", problems } satisfies WorkerReply)
    : ({ type: "ready" } satisfies WorkerReply),
);

port.on("message", (message: BatchRequest | { type: "stats" }) => {
  if (message.type === "stats") {
    port.postMessage({
      type: "stats",
      filters: filters.map((f) => f.describe()),
    } satisfies WorkerReply);
    return;
  }
  port.postMessage(runBatch(message));
});

function runBatch(request: BatchRequest): BatchReply {
  const selected = request.filters ?? filters.map((_, i) => i);
  const failures: LogFailure[][] = selected.map(() => []);
  const counts = selected.map(() => ({ matched: 0, ignored: 0, missed: 0, prefMatched: 0 }));
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
      const count = counts[k]!;
      if (filter.lastPrefMatched) count.prefMatched++;
      if (found.length > 0) {
        count.matched++;
        // Copying the matched text to the other thread costs more than matching when unused.
        if (withMatches) failures[k]!.push(...found);
        else for (const f of found) failures[k]!.push({ ...f, matches: [] });
      } else if (filter.lastLineIgnored) count.ignored++;
      else count.missed++;
    }
    Atomics.add(progress, PROGRESS_DONE, 1);
  }
  Atomics.store(progress, PROGRESS_INDEX, -1);
  return { type: "batch", id: request.id, failures, counts };
}
