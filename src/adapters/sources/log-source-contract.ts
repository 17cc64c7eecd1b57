import assert from "node:assert/strict";
import { it } from "node:test";
import type { CheckpointStore, LogSource, SourceLine } from "./log-source.js";
import { MemoryCheckpointStore } from "./memory-checkpoint-store.js";

/** What the contract needs from one kind of source: a fresh log, and a way to write to it. */
export interface SourceHarness {
  /** A source over the harness's log, starting at its beginning when there is no checkpoint. */
  make(store: CheckpointStore): LogSource;
  append(lines: readonly string[]): Promise<void>;
  /** How an appended text is delivered (the journal prefixes host and identifier). */
  delivered?(text: string): string;
  dispose(): Promise<void>;
}

/** Collects delivered lines; `until` polls (no fixed sleeps) up to a deadline. */
export class Collector {
  readonly lines: SourceLine[] = [];
  batches = 0;
  readonly push = (batch: readonly SourceLine[]): void => {
    this.batches++;
    this.lines.push(...batch);
  };
  get texts(): string[] {
    return this.lines.map((l) => l.text);
  }
  async until(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (Date.now() > deadline) {
        assert.fail(
          `expected ${count} lines, got ${this.lines.length}: ${JSON.stringify(this.texts.slice(-5))}`,
        );
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

/**
 * The behaviour every LogSource must have (file, journal): call inside a `describe`.
 * One suite, several implementations, as hono runs one router spec against every router.
 */
export function logSourceContract(setup: () => Promise<SourceHarness>): void {
  it("delivers appended lines in order, numbered", async () => {
    const h = await setup();
    const source = h.make(new MemoryCheckpointStore());
    const got = new Collector();
    try {
      await source.start(got.push);
      await h.append(["one", "two", "three"]);
      await got.until(3);
      assert.deepEqual(got.texts, ["one", "two", "three"].map(h.delivered ?? String));
      const numbers = got.lines.map((l) => l.line);
      assert.deepEqual(
        numbers,
        [...numbers].sort((a, b) => a - b),
      );
      assert.equal(new Set(numbers).size, 3);
    } finally {
      await source.stop();
      await h.dispose();
    }
  });

  it("resumes after a stop without losing or repeating a line", async () => {
    const h = await setup();
    const store = new MemoryCheckpointStore();
    const first = h.make(store);
    const got = new Collector();
    try {
      await first.start(got.push);
      await h.append(["a1", "a2"]);
      await got.until(2);
      await first.stop();
      assert.ok(store.load(first.id), "a checkpoint was saved under the source's id");
      await h.append(["b1", "b2"]);
      const second = h.make(store);
      const again = new Collector();
      await second.start(again.push);
      await h.append(["c1"]);
      await again.until(3);
      await second.stop();
      assert.deepEqual(again.texts, ["b1", "b2", "c1"].map(h.delivered ?? String));
    } finally {
      await h.dispose();
    }
  });

  it("delivers nothing after stop", async () => {
    const h = await setup();
    const source = h.make(new MemoryCheckpointStore());
    const got = new Collector();
    try {
      await source.start(got.push);
      await source.stop();
      await h.append(["late"]);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got.texts, []);
    } finally {
      await h.dispose();
    }
  });
}
