import assert from "node:assert/strict";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCli } from "../../support/run-cli.js";

// `filter test` keeps each filter's scan plan between runs and must never run a stale one: any
// change to what the plan was built from (the filter file, a new .local, an include) is seen.
const dir = mkdtempSync(join(tmpdir(), "rampart-plan-cache-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const filterDir = join(dir, "filter.d");
mkdirSync(filterDir);
const cacheDir = join(dir, "cache");
const log = join(dir, "app.log");
writeFileSync(
  log,
  [
    "2026-11-21 10:00:00 login failure from 192.0.2.1",
    "2026-11-21 10:00:01 bad token from 192.0.2.2",
    "",
  ].join("\n"),
);

async function scan(extraEnv: Record<string, string> = {}, summary = false) {
  const r = await runCli(
    [
      "filter",
      "test",
      log,
      "app",
      "--filter-dir",
      filterDir,
      "--engine",
      "native",
      ...(summary ? [] : ["--json"]),
    ],
    { env: { ...process.env, RAMPART_CACHE_DIR: cacheDir, ...extraEnv } },
  );
  assert.equal(r.code, 0, r.stderr);
  if (summary) return [r.stdout];
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { ip: string }).ip);
}

const conf = (regex: string) => `[Definition]\nfailregex = ${regex}\n`;

describe("the scan-plan cache", () => {
  it("is used when nothing changed, and rebuilt when the filter, a .local or an include changes", async () => {
    writeFileSync(join(filterDir, "app.conf"), conf("login failure from <HOST>$"));
    assert.deepEqual(await scan(), ["192.0.2.1"]);
    const entries = readdirSync(cacheDir);
    assert.equal(entries.length, 1);
    // Prove a hit: a cached description that says so shows up in the summary.
    const entryPath = join(cacheDir, entries[0]!);
    const entry = JSON.parse(readFileSync(entryPath, "utf8")) as { description: { prefregex?: string } };
    entry.description.prefregex = "FROM-THE-CACHE";
    writeFileSync(entryPath, JSON.stringify(entry));
    assert.match((await scan({}, true))[0]!, /FROM-THE-CACHE/);

    writeFileSync(join(filterDir, "app.conf"), conf("bad token from <HOST>$"));
    assert.deepEqual(await scan(), ["192.0.2.2"], "edited filter");
    assert.doesNotMatch((await scan({}, true))[0]!, /FROM-THE-CACHE/);

    writeFileSync(join(filterDir, "app.local"), conf("(?:login failure|bad token) from <HOST>$"));
    assert.deepEqual(await scan(), ["192.0.2.1", "192.0.2.2"], "new .local");
    unlinkSync(join(filterDir, "app.local"));
    assert.deepEqual(await scan(), ["192.0.2.2"], ".local removed");

    writeFileSync(join(filterDir, "common.conf"), "[Definition]\nwhat = bad token\n");
    writeFileSync(
      join(filterDir, "app.conf"),
      `[INCLUDES]\nbefore = common.conf\n${conf("%(what)s from <HOST>$")}`,
    );
    assert.deepEqual(await scan(), ["192.0.2.2"]);
    writeFileSync(join(filterDir, "common.conf"), "[Definition]\nwhat = login failure\n");
    assert.deepEqual(await scan(), ["192.0.2.1"], "edited include");
  });

  it("is not used when disabled or when the folder is writable by others", async () => {
    writeFileSync(join(filterDir, "app.conf"), conf("login failure from <HOST>$"));
    const before = readdirSync(cacheDir).length;
    assert.deepEqual(await scan({ RAMPART_CACHE_DIR: "", HOME: join(dir, "home"), XDG_CACHE_HOME: "" }), [
      "192.0.2.1",
    ]);
    assert.throws(() => readdirSync(join(dir, "home")), "nothing written under HOME");
    assert.equal(readdirSync(cacheDir).length, before);
    const shared = join(dir, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    assert.deepEqual(await scan({ RAMPART_CACHE_DIR: shared }), ["192.0.2.1"]);
    assert.deepEqual(readdirSync(shared), []);
  });
});
