/**
 * The contract between log readers (file tail, journald) and the guard. One source per file or
 * journal query, shared by every jail that watches it.
 */
export interface SourceLine {
  readonly text: string;
  /** 1-based line number within the current file generation (resets after rotation). */
  readonly line: number;
  /** The journal entry's own timestamp (epoch seconds); absent for plain files. */
  readonly time?: number;
}

/** Where a source stopped reading, persisted so a restart neither loses nor repeats lines. */
export interface SourceCheckpoint {
  /** File: inode + byte offset + hash of the first line; journal: the cursor. */
  readonly inode?: number;
  readonly offset?: number;
  readonly firstLineHash?: string;
  readonly line?: number;
  readonly cursor?: string;
}

export interface CheckpointStore {
  load(sourceId: string): SourceCheckpoint | undefined;
  save(sourceId: string, checkpoint: SourceCheckpoint): void;
}

export interface LogSource {
  /** Stable identity: the file path, or "journal:" plus the match expression. */
  readonly id: string;
  /** Starts following; `onLines` gets batches in log order. Resolves once the first read is done. */
  start(onLines: (batch: readonly SourceLine[]) => void): Promise<void>;
  stop(): Promise<void>;
}
