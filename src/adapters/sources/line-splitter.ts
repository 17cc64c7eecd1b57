/**
 * Cuts a byte stream into lines for the log sources: `\n` ends a line, a trailing `\r` is dropped
 * (CRLF logs), invalid UTF-8 becomes U+FFFD (WHATWG decoding, as `Buffer.toString` does), NUL
 * bytes stay text. A line longer than `maxLineBytes` is cut there; the rest up to its newline is
 * discarded and counted, so one hostile line cannot grow memory without bound.
 */
export interface SplitLine {
  readonly text: string;
  /** Byte offset just after this line's newline, in the stream's coordinates. */
  readonly end: number;
  readonly truncated: boolean;
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;
  /** Offset (stream coordinates) where the line being assembled started. */
  private lineStart: number;
  /** Lines cut at `maxLineBytes` so far. */
  truncatedLines = 0;

  constructor(
    private readonly maxLineBytes: number,
    startOffset = 0,
  ) {
    this.lineStart = startOffset;
  }

  /** Offset of the first byte not yet part of a delivered line: where a restart must resume. */
  get committedOffset(): number {
    return this.lineStart;
  }

  get hasPartial(): boolean {
    return this.pendingBytes > 0 || this.discarding;
  }

  reset(startOffset: number): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
    this.lineStart = startOffset;
  }

  /** Feeds `chunk`, which starts at stream offset `chunkOffset`; returns the completed lines. */
  push(chunk: Buffer, chunkOffset: number, out: SplitLine[]): void {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl === -1) {
        this.append(chunk.subarray(from));
        return;
      }
      this.append(chunk.subarray(from, nl));
      const end = chunkOffset + nl + 1;
      out.push(this.finish(end));
      from = nl + 1;
    }
  }

  /** Ends the partial line without a newline (the file was rotated away under it). */
  flush(endOffset: number, out: SplitLine[]): void {
    if (this.hasPartial) out.push(this.finish(endOffset));
  }

  private append(part: Buffer): void {
    if (part.length === 0 || this.discarding) return;
    const room = this.maxLineBytes - this.pendingBytes;
    if (part.length > room) {
      if (room > 0) this.pending.push(Buffer.from(part.subarray(0, room)));
      this.pendingBytes = this.maxLineBytes;
      this.discarding = true;
      return;
    }
    // Copy: the caller reuses its read buffer.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private finish(end: number): SplitLine {
    let bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    const truncated = this.discarding;
    if (truncated) this.truncatedLines++;
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
    this.lineStart = end;
    return { text: bytes.toString("utf8"), end, truncated };
  }
}
