import type { CheckpointStore, SourceCheckpoint } from "./log-source.js";

/** Positions kept in memory only: for tests and for `filter test`-style one-shot reads. */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly entries = new Map<string, SourceCheckpoint>();

  load(sourceId: string): SourceCheckpoint | undefined {
    const found = this.entries.get(sourceId);
    return found === undefined ? undefined : { ...found };
  }

  save(sourceId: string, checkpoint: SourceCheckpoint): void {
    this.entries.set(sourceId, { ...checkpoint });
  }
}
