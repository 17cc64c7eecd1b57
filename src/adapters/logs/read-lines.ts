import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";

export interface LogLine {
  /** The line without its trailing `\r`/`\n` characters (fail2ban-regex strips both). */
  readonly text: string;
  /** 1-based physical line number. */
  readonly number: number;
}

/**
 * Streams a log (path, or "-" for standard input) as batches of lines, decoding UTF-8 with
 * replacement characters for invalid bytes (fail2ban decodes with errors="replace" too). Memory
 * stays flat: only the current chunk and one partial line are held.
 */
export async function* readLineBatches(
  source: string | Readable,
  options: {
    batchSize?: number;
    onBytes?: (bytes: number) => void;
    /**
     * A last line without a newline may still be being written: fail2ban's FileContainer leaves
     * it unread, and so does "drop" (the default keeps it). The callback hears about it.
     */
    incompleteLastLine?: "keep" | "drop";
    onIncompleteLastLine?: (number: number) => void;
  } = {},
): AsyncGenerator<LogLine[]> {
  const stream = typeof source === "string" ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  const batchSize = options.batchSize ?? 4096;
  let partial = "";
  let number = 0;
  let batch: LogLine[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    options.onBytes?.(chunk.length);
    const text = partial + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n", start); nl >= 0; nl = text.indexOf("\n", start)) {
      batch.push({ text: stripLineEnd(text.slice(start, nl)), number: ++number });
      start = nl + 1;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    partial = text.slice(start);
  }
  partial += decoder.decode();
  if (partial !== "") {
    number++;
    options.onIncompleteLastLine?.(number);
    if (options.incompleteLastLine !== "drop") batch.push({ text: stripLineEnd(partial), number });
  }
  if (batch.length > 0) yield batch;
}

function stripLineEnd(line: string): string {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 13 && c !== 10) break;
    end--;
  }
  return end === line.length ? line : line.slice(0, end);
}
