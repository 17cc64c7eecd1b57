import { createHash } from "node:crypto";
import { closeSync, type FSWatcher, fstatSync, openSync, readSync, statSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { LineSplitter, type SplitLine } from "./line-splitter.js";
import type { CheckpointStore, LogSource, SourceCheckpoint, SourceLine } from "./log-source.js";

export interface FileSourceOptions {
  readonly path: string;
  readonly checkpoints: CheckpointStore;
  /** Where to begin when there is no usable checkpoint on the first start (Fail2Ban: end). */
  readonly from?: "start" | "end";
  /** Safety-net stat poll; inotify misses some cases (NFS, overlay, watch on a replaced dir). */
  readonly pollMs?: number;
  readonly maxLineBytes?: number;
  readonly maxBatchLines?: number;
  readonly readChunkBytes?: number;
  /** Operational notes (rotation, truncation, overlong lines) for the daemon's log. */
  readonly onNotice?: (message: string) => void;
}

export interface FileSourceStats {
  readonly linesRead: number;
  readonly truncatedLines: number;
  readonly rotations: number;
  readonly truncations: number;
}

const HASH_PROBE_BYTES = 4096;

/**
 * Follows one log file like `tail -F`, but exactly: rotation by rename (the old inode is read to
 * its end before the new file is opened from 0), copytruncate (size below our offset, or the first
 * line changed), a file that does not exist yet (waited for, then read from its start), and a
 * position (inode, offset, first-line hash, line number) saved after every batch so a restart
 * neither loses nor repeats a line. Wake-ups come from inotify on the file and its directory
 * (fs.watch) with a slow stat poll as safety net; reads are positional and synchronous, bounded
 * per batch, so a line reaches the callback within one event-loop turn of the write.
 */
export class FileSource implements LogSource {
  readonly id: string;
  private readonly opts: Required<Omit<FileSourceOptions, "onNotice">> & Pick<FileSourceOptions, "onNotice">;
  private onLines: ((batch: readonly SourceLine[]) => void) | undefined;
  private fd: number | undefined;
  private ino = 0;
  private dev = 0;
  private offset = 0;
  private line = 0;
  private firstLineHash: string | undefined;
  private splitter: LineSplitter;
  private readonly buffer: Buffer;
  private fileWatcher: FSWatcher | undefined;
  private dirWatcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private again = false;
  private verifyHash = false;
  private firstOpen = true;
  private missingAtStart = false;
  private stopped = false;
  private counters = { linesRead: 0, rotations: 0, truncations: 0 };

  constructor(options: FileSourceOptions) {
    this.id = options.path;
    this.opts = {
      from: "end",
      pollMs: 1000,
      maxLineBytes: 64 * 1024,
      maxBatchLines: 1000,
      readChunkBytes: 64 * 1024,
      ...options,
    };
    this.splitter = new LineSplitter(this.opts.maxLineBytes);
    this.buffer = Buffer.allocUnsafe(this.opts.readChunkBytes);
  }

  get stats(): FileSourceStats {
    return { ...this.counters, truncatedLines: this.splitter.truncatedLines };
  }

  async start(onLines: (batch: readonly SourceLine[]) => void): Promise<void> {
    this.onLines = onLines;
    this.stopped = false;
    this.watchDirectory();
    this.timer = setInterval(() => {
      this.verifyHash = true;
      this.watchDirectory();
      this.kick();
    }, this.opts.pollMs);
    this.timer.unref();
    await this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.fileWatcher?.close();
    this.dirWatcher?.close();
    this.fileWatcher = undefined;
    this.dirWatcher = undefined;
    await this.draining;
    this.closeFile();
  }

  /** Schedules a drain; events that arrive while one runs cause exactly one more pass. */
  private kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again && !this.stopped);
      } catch (error) {
        // An I/O error (EIO, a file replaced by a directory): reopen on the next wake-up.
        this.opts.onNotice?.(`Cannot read log file "${this.opts.path}": ${(error as Error).message}`);
        this.closeFile();
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  private watchDirectory(): void {
    if (this.dirWatcher || this.stopped) return;
    const name = basename(this.opts.path);
    try {
      this.dirWatcher = watch(dirname(this.opts.path), { persistent: true }, (_event, file) => {
        // Another file in a busy /var/log does not concern us; a null name may (overflow).
        if (file === null || file === name) this.kick();
      });
      this.dirWatcher.on("error", () => {
        // The directory itself went away; the poll re-establishes the watch when it returns.
        this.dirWatcher?.close();
        this.dirWatcher = undefined;
      });
    } catch {
      this.dirWatcher = undefined;
    }
  }

  private watchFile(): void {
    this.fileWatcher?.close();
    this.fileWatcher = undefined;
    try {
      this.fileWatcher = watch(this.opts.path, { persistent: true }, () => this.kick());
      this.fileWatcher.on("error", () => {
        this.fileWatcher?.close();
        this.fileWatcher = undefined;
      });
    } catch {
      this.fileWatcher = undefined;
    }
  }

  private async drain(): Promise<void> {
    if (this.fd === undefined && !this.open()) {
      // A file that appears later is new: all of it is read, whatever `from` says.
      if (this.firstOpen) this.missingAtStart = true;
      return;
    }
    for (;;) {
      await this.readToEnd();
      if (this.stopped || this.fd === undefined) return;
      const fst = fstatSync(this.fd);
      if (fst.size < this.offset || (this.verifyHash && this.firstLineChanged())) {
        // copytruncate: logrotate copied the file and truncated it in place (logrotate(8)).
        this.counters.truncations++;
        this.opts.onNotice?.(`Log file "${this.opts.path}" was truncated; reading it again from the start`);
        this.restartAt(0, 0);
        this.firstLineHash = this.readFirstLineHash();
        this.verifyHash = false;
        continue;
      }
      this.verifyHash = false;
      let current: { ino: number; dev: number } | undefined;
      try {
        current = statSync(this.opts.path);
      } catch {
        current = undefined;
      }
      if (current && current.ino === this.ino && current.dev === this.dev) return;
      // Renamed or deleted: the old inode has been read to its end above; its last line may lack
      // a newline (the writer will not finish it in the new file), so it is delivered as is.
      const tail: SplitLine[] = [];
      this.splitter.flush(this.offset, tail);
      this.deliver(tail);
      this.closeFile();
      this.counters.rotations++;
      if (!current) return;
      this.opts.onNotice?.(`Log file "${this.opts.path}" was rotated; following the new file`);
      if (!this.open()) return;
    }
  }

  /** Opens the path; decides where to start. False when the file does not exist (yet). */
  private open(): boolean {
    let fd: number;
    try {
      fd = openSync(this.opts.path, "r");
    } catch {
      return false;
    }
    const st = fstatSync(fd);
    // After an I/O error the same file is reopened where we were; anything else is a new file.
    const previous: SourceCheckpoint | undefined =
      !this.firstOpen && st.ino === this.ino && st.dev === this.dev
        ? {
            inode: this.ino,
            offset: this.splitter.committedOffset,
            line: this.line,
            ...(this.firstLineHash === undefined ? {} : { firstLineHash: this.firstLineHash }),
          }
        : undefined;
    this.fd = fd;
    this.ino = st.ino;
    this.dev = st.dev;
    this.watchFile();
    const first = this.firstOpen;
    this.firstOpen = false;
    this.firstLineHash = this.readFirstLineHash();
    const saved = first ? this.opts.checkpoints.load(this.id) : previous;
    if (saved && this.checkpointFits(saved, st.size)) {
      this.restartAt(saved.offset ?? 0, saved.line ?? 0);
      return true;
    }
    if (first && saved === undefined && this.opts.from === "end" && !this.missingAtStart) {
      this.restartAt(this.lastLineStart(st.size), 0);
      return true;
    }
    // A checkpoint of another generation, a file that appeared later, or a rotated-in file.
    this.restartAt(0, 0);
    return true;
  }

  private checkpointFits(saved: SourceCheckpoint, size: number): boolean {
    if (saved.inode !== this.ino || saved.offset === undefined || saved.offset > size) return false;
    return saved.firstLineHash === undefined || saved.firstLineHash === this.firstLineHash;
  }

  private restartAt(offset: number, line: number): void {
    this.offset = offset;
    this.line = line;
    this.splitter.reset(offset);
  }

  /**
   * Starting "at the end" must not start in the middle of a line a writer is still completing:
   * back up to just after the last newline (within one probe) so that line is read whole.
   */
  private lastLineStart(size: number): number {
    if (size === 0 || this.fd === undefined) return size;
    const probe = Math.min(size, HASH_PROBE_BYTES);
    const n = readSync(this.fd, this.buffer, 0, probe, size - probe);
    const nl = this.buffer.subarray(0, n).lastIndexOf(0x0a);
    if (nl === n - 1) return size;
    return nl === -1 ? (probe === size ? 0 : size) : size - probe + nl + 1;
  }

  private readFirstLineHash(): string | undefined {
    if (this.fd === undefined) return undefined;
    const probe = Buffer.allocUnsafe(HASH_PROBE_BYTES);
    const n = readSync(this.fd, probe, 0, HASH_PROBE_BYTES, 0);
    const nl = probe.subarray(0, n).indexOf(0x0a);
    // No complete first line yet: no identity to compare; the inode alone must do.
    if (nl === -1) return n === HASH_PROBE_BYTES ? hash(probe) : undefined;
    return hash(probe.subarray(0, nl + 1));
  }

  private firstLineChanged(): boolean {
    const previous = this.firstLineHash;
    const now = this.readFirstLineHash();
    if (previous === undefined) {
      this.firstLineHash = now;
      return false;
    }
    return now !== previous;
  }

  private async readToEnd(): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) return;
    for (;;) {
      if (this.stopped || this.fd !== fd) return;
      const n = readSync(fd, this.buffer, 0, this.buffer.length, this.offset);
      if (n === 0) return;
      const batch: SplitLine[] = [];
      this.splitter.push(this.buffer.subarray(0, n), this.offset, batch);
      this.offset += n;
      if (this.firstLineHash === undefined && this.line === 0 && batch.length > 0) {
        this.firstLineHash = this.readFirstLineHash();
      }
      // Deliver as soon as a read completes (latency); cap the batch size (memory, fairness).
      for (let i = 0; i < batch.length; i += this.opts.maxBatchLines) {
        this.deliver(batch.slice(i, i + this.opts.maxBatchLines));
      }
      if (n < this.buffer.length) return;
      // Yield between full chunks so a huge backlog does not starve timers and the socket.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private deliver(batch: readonly SplitLine[]): void {
    if (batch.length === 0) return;
    const lines: SourceLine[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      this.line++;
      const piece = batch[i]!;
      if (piece.truncated) {
        this.opts.onNotice?.(
          `Line ${this.line} of "${this.opts.path}" is longer than ${this.opts.maxLineBytes} bytes; the rest was discarded`,
        );
      }
      lines[i] = { text: piece.text, line: this.line };
    }
    this.counters.linesRead += batch.length;
    this.onLines?.(lines);
    const checkpoint: SourceCheckpoint = {
      inode: this.ino,
      offset: batch[batch.length - 1]!.end,
      line: this.line,
      ...(this.firstLineHash === undefined ? {} : { firstLineHash: this.firstLineHash }),
    };
    this.opts.checkpoints.save(this.id, checkpoint);
  }

  private closeFile(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {}
    }
    this.fd = undefined;
    this.fileWatcher?.close();
    this.fileWatcher = undefined;
  }
}

function hash(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 32);
}
