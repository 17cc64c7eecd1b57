import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { checkpointStoreContract } from "./checkpoint-store-contract.js";
import { JsonCheckpointStore } from "./json-checkpoint-store.js";
import { MemoryCheckpointStore } from "./memory-checkpoint-store.js";

const dir = mkdtempSync(join(tmpdir(), "rampart-cp-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describe("MemoryCheckpointStore", () => {
  checkpointStoreContract(() => ({ store: new MemoryCheckpointStore(), reopen: () => undefined }));
});

describe("JsonCheckpointStore", () => {
  checkpointStoreContract(() => {
    const path = join(dir, `positions-${n++}.json`);
    return { store: new JsonCheckpointStore(path), reopen: () => new JsonCheckpointStore(path) };
  });

  it("treats a damaged file as empty instead of failing", () => {
    const path = join(dir, "damaged.json");
    writeFileSync(path, "{not json");
    assert.equal(new JsonCheckpointStore(path).load("x"), undefined);
  });
});
