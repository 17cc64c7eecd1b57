import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { writeFileAtomic } from "./atomic-write.js";

const dir = mkdtempSync(join(tmpdir(), "rampart-atomic-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("writeFileAtomic", () => {
  it("keeps the exact mode of the file it replaces, whatever the umask", () => {
    const previous = process.umask(0o022);
    try {
      const path = join(dir, "group");
      writeFileSync(path, "old\n");
      chmodSync(path, 0o664);
      writeFileAtomic(path, "new\n");
      assert.equal(readFileSync(path, "utf8"), "new\n");
      assert.equal(statSync(path).mode & 0o7777, 0o664);
      writeFileAtomic(path, "restored\n", { mode: 0o660 });
      assert.equal(statSync(path).mode & 0o7777, 0o660);
      assert.deepEqual(readdirSync(dir), ["group"], "no temporary file is left behind");
    } finally {
      process.umask(previous);
    }
  });
});
