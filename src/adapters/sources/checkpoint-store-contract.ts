import assert from "node:assert/strict";
import { it } from "node:test";
import type { CheckpointStore } from "./log-source.js";

/**
 * The behaviour every CheckpointStore must have (memory, JSON file, the daemon's SQLite store):
 * call inside a `describe`. `reopen` returns a store over the same backing storage, or undefined
 * when the store is not persistent.
 */
export function checkpointStoreContract(
  make: () => { store: CheckpointStore; reopen: () => CheckpointStore | undefined },
): void {
  it("returns undefined for a source it never saw", () => {
    const { store } = make();
    assert.equal(store.load("/var/log/none.log"), undefined);
  });

  it("returns what was saved, per source, the last save winning", () => {
    const { store } = make();
    store.save("/var/log/auth.log", { inode: 12, offset: 100, line: 3, firstLineHash: "ab" });
    store.save("/var/log/auth.log", { inode: 12, offset: 250, line: 7, firstLineHash: "ab" });
    store.save("journal:_COMM=sshd", { cursor: "s=1;i=2" });
    assert.deepEqual(store.load("/var/log/auth.log"), {
      inode: 12,
      offset: 250,
      line: 7,
      firstLineHash: "ab",
    });
    assert.deepEqual(store.load("journal:_COMM=sshd"), { cursor: "s=1;i=2" });
  });

  it("does not let the caller mutate what it stored", () => {
    const { store } = make();
    const cp = { inode: 1, offset: 2 };
    store.save("a", cp);
    cp.offset = 99;
    assert.equal(store.load("a")?.offset, 2);
  });

  it("keeps large offsets and inodes exactly (files over 4 GiB)", () => {
    const { store } = make();
    store.save("big", { inode: 2 ** 40 + 3, offset: 2 ** 33 + 1, line: 123456789 });
    assert.deepEqual(store.load("big"), { inode: 2 ** 40 + 3, offset: 2 ** 33 + 1, line: 123456789 });
  });

  it("survives a reopen when persistent", () => {
    const { store, reopen } = make();
    store.save("x", { inode: 5, offset: 6, line: 1, firstLineHash: "h" });
    const again = reopen();
    if (again === undefined) return;
    assert.deepEqual(again.load("x"), { inode: 5, offset: 6, line: 1, firstLineHash: "h" });
  });
}
