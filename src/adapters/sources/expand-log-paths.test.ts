import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { expandLogPaths, fnmatchRegex } from "./expand-log-paths.js";

const root = mkdtempSync(join(tmpdir(), "rampart-glob-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("expandLogPaths", () => {
  for (const f of [
    "nginx/a.error.log",
    "nginx/b.error.log",
    "nginx/access.log",
    "nginx/.hidden.error.log",
    "site1/auth.log",
    "site2/auth.log",
  ]) {
    mkdirSync(join(root, f, ".."), { recursive: true });
    writeFileSync(join(root, f), "");
  }
  mkdirSync(join(root, "nginx", "dir.error.log"));

  it("expands wildcards to existing regular files, sorted, without dot files or directories", () => {
    assert.deepEqual(expandLogPaths([`${root}/nginx/*error.log`]), [
      `${root}/nginx/a.error.log`,
      `${root}/nginx/b.error.log`,
    ]);
  });

  it("expands wildcards in directory segments too", () => {
    assert.deepEqual(expandLogPaths([`${root}/site?/auth.log`]), [
      `${root}/site1/auth.log`,
      `${root}/site2/auth.log`,
    ]);
    assert.deepEqual(expandLogPaths([`${root}/site[!1]/auth.log`]), [`${root}/site2/auth.log`]);
  });

  it("keeps a plain path even when it does not exist (it is waited for), and drops duplicates", () => {
    assert.deepEqual(
      expandLogPaths([`${root}/later.log`, `${root}/site1/auth.log`, `${root}/site*/auth.log`]),
      [`${root}/later.log`, `${root}/site1/auth.log`, `${root}/site2/auth.log`],
    );
  });

  it("treats regex characters in names literally", () => {
    assert.ok(fnmatchRegex("a+b(c).log").test("a+b(c).log"));
    assert.equal(fnmatchRegex("*.log").test("x.log.1"), false);
    assert.ok(fnmatchRegex("[ab]*").test("b1"));
    assert.ok(fnmatchRegex("x[").test("x["));
  });
});
