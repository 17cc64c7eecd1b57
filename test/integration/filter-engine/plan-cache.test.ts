import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { nativeScannerPath } from "../../../src/adapters/native/native-scanner.js";
import { entryName, PlanCache, parseEntry, serializeEntry } from "../../../src/adapters/native/plan-cache.js";
import { runCli } from "../../support/run-cli.js";

// `filter test` keeps each filter's scan plan between runs and must never run a stale one: any
// change to what the plan was built from (the filter file, a new .local, an include, the
// scanner) is seen. The cache has two readers: Node (plan-cache.ts) and the native front door
// (native/src/front.c), which runs a cached plan without Node. Every case is checked with both.
const ROOT = new URL("../../../../", import.meta.url).pathname;
const RAMPART = join(ROOT, "bin/rampart");
const FRONT_DOOR = join(ROOT, "native/build/rampart");
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
// A scanner of this test's own, so that touching it (a rebuild) can be tested.
const scanner = join(dir, "rampart-scan");
copyFileSync(nativeScannerPath({})!, scanner);
chmodSync(scanner, 0o755);

const argv = (summary: boolean) => [
  "filter",
  "test",
  log,
  "app",
  "--filter-dir",
  filterDir,
  ...(summary ? [] : ["--json"]),
];

function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, RAMPART_CACHE_DIR: cacheDir, RAMPART_NATIVE_SCANNER: scanner, ...extra };
}

/** Through Node (in this process): builds and stores the plan when it is missing or stale. */
async function scanWithNode(extra: Record<string, string> = {}, summary = false): Promise<string> {
  const r = await runCli([...argv(summary), "--engine", "native"], { env: envWith(extra) });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/**
 * Through the front door, with no `node` on PATH: a cache hit answers; a miss (which must go to
 * Node) fails to start it, which the caller sees as `undefined`.
 */
function scanWithFrontDoor(extra: Record<string, string> = {}, summary = false): string | undefined {
  const r = spawnSync(RAMPART, argv(summary), { env: envWith({ PATH: "/nonexistent", ...extra }) });
  const stderr = r.stderr.toString();
  if (r.status === 1 && /cannot start node/.test(stderr)) return undefined;
  assert.equal(r.status, 0, stderr);
  return r.stdout.toString();
}

const ips = (stdout: string) =>
  stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { ip: string }).ip);

/** Both readers agree: a hit for both (same answers) or a miss for both. */
function assertBothReaders(expected: "hit" | "miss", why: string): void {
  const cache = PlanCache.open(cacheDir)!;
  const key = { filterSpec: "app", filterDir, scanner };
  const node = cache.get(key);
  const front = scanWithFrontDoor();
  assert.equal(node === undefined ? "miss" : "hit", expected, `Node's reader: ${why}`);
  assert.equal(front === undefined ? "miss" : "hit", expected, `the front door: ${why}`);
}

const conf = (regex: string) => `[Definition]\nfailregex = ${regex}\n`;

describe("the scan-plan cache", () => {
  it("is used when nothing changed, and rebuilt when the filter, a .local or an include changes", async () => {
    assert.ok(existsSync(FRONT_DOOR), "native/build/rampart is built (scripts/setup.sh)");
    writeFileSync(join(filterDir, "app.conf"), conf("login failure from <HOST>$"));
    assertBothReaders("miss", "nothing stored yet");
    assert.deepEqual(ips(await scanWithNode()), ["192.0.2.1"]);
    assert.deepEqual(readdirSync(cacheDir), [entryName({ filterSpec: "app", filterDir, scanner })]);
    assertBothReaders("hit", "nothing changed");
    assert.deepEqual(ips(scanWithFrontDoor()!), ["192.0.2.1"]);

    // Prove the hit: a cached description that says so shows up in both summaries.
    const entryPath = join(cacheDir, readdirSync(cacheDir)[0]!);
    const original = readFileSync(entryPath);
    const entry = parseEntry(original);
    writeFileSync(
      entryPath,
      serializeEntry({ ...entry, description: { ...entry.description, prefregex: "FROM-THE-CACHE" } }),
    );
    assert.match(await scanWithNode({}, true), /Prefregex: 0 total\n\| {2}FROM-THE-CACHE\n/);
    assert.match(scanWithFrontDoor({}, true)!, /Prefregex: 0 total\n\| {2}FROM-THE-CACHE\n/);
    writeFileSync(entryPath, original);

    writeFileSync(join(filterDir, "app.conf"), conf("bad token from <HOST>$"));
    assertBothReaders("miss", "edited filter");
    assert.deepEqual(ips(await scanWithNode()), ["192.0.2.2"], "edited filter");
    assertBothReaders("hit", "rebuilt after the edit");
    assert.deepEqual(ips(scanWithFrontDoor()!), ["192.0.2.2"]);

    writeFileSync(join(filterDir, "app.local"), conf("(?:login failure|bad token) from <HOST>$"));
    assertBothReaders("miss", "new .local");
    assert.deepEqual(ips(await scanWithNode()), ["192.0.2.1", "192.0.2.2"], "new .local");
    assert.deepEqual(ips(scanWithFrontDoor()!), ["192.0.2.1", "192.0.2.2"]);
    unlinkSync(join(filterDir, "app.local"));
    assertBothReaders("miss", ".local removed");
    assert.deepEqual(ips(await scanWithNode()), ["192.0.2.2"], ".local removed");

    // fail2ban also reads app.d/*.conf and *.local: the loader lists that folder (missing so far).
    writeFileSync(join(filterDir, "unrelated.txt"), "");
    assertBothReaders("hit", "a file the loader never looks at");
    mkdirSync(join(filterDir, "app.d"));
    assertBothReaders("miss", "app.d/ appeared");
    writeFileSync(join(filterDir, "app.d", "more.local"), conf("(?:login failure|bad token) from <HOST>$"));
    assert.deepEqual(ips(await scanWithNode()), ["192.0.2.1", "192.0.2.2"], "app.d/more.local");
    assertBothReaders("hit", "listed again");
    rmSync(join(filterDir, "app.d"), { recursive: true });
    assert.deepEqual(ips(await scanWithNode()), ["192.0.2.2"], "app.d/ removed");

    writeFileSync(join(filterDir, "common.conf"), "[Definition]\nwhat = bad token\n");
    writeFileSync(
      join(filterDir, "app.conf"),
      `[INCLUDES]\nbefore = common.conf\n${conf("%(what)s from <HOST>$")}`,
    );
    assert.deepEqual(ips(await scanWithNode()), ["192.0.2.2"]);
    writeFileSync(join(filterDir, "common.conf"), "[Definition]\nwhat = login failure\n");
    assertBothReaders("miss", "edited include");
    assert.deepEqual(ips(await scanWithNode()), ["192.0.2.1"], "edited include");
    assert.deepEqual(ips(scanWithFrontDoor()!), ["192.0.2.1"]);

    // A rebuilt scanner (same size, new time stamp) makes the plan stale.
    utimesSync(scanner, new Date(), new Date(Date.now() - 3_600_000));
    assertBothReaders("miss", "scanner rebuilt");
    await scanWithNode();
    assertBothReaders("hit", "plan rebuilt for the new scanner");
  });

  it("treats a damaged or foreign entry as a miss", async () => {
    writeFileSync(join(filterDir, "app.conf"), conf("login failure from <HOST>$"));
    await scanWithNode();
    const entryPath = join(cacheDir, entryName({ filterSpec: "app", filterDir, scanner }));
    const good = readFileSync(entryPath);
    const entry = parseEntry(good);
    const damaged: [string, Buffer][] = [
      ["truncated", good.subarray(0, good.length - 10)],
      ["bytes after the plan", Buffer.concat([good, Buffer.from("x")])],
      ["another key", serializeEntry({ ...entry, key: `${entry.key}x` })],
      ["another year", serializeEntry({ ...entry, year: entry.year - 1 })],
      [
        "a hash that does not hold",
        serializeEntry({
          ...entry,
          conditions: entry.conditions.map((c) => (c.tag === "read" ? { ...c, hash: "0".repeat(64) } : c)),
        }),
      ],
      [
        "a changed byte in the plan",
        Buffer.from(good.toString("latin1").replace(/(plan \d+\n[\s\S]*?)a/, "$1b"), "latin1"),
      ],
      ["an old (version 1) entry", Buffer.from(JSON.stringify({ version: 1, plan: entry.plan }))],
    ];
    for (const [why, bytes] of damaged) {
      writeFileSync(entryPath, bytes);
      assertBothReaders("miss", why);
    }
    writeFileSync(entryPath, good);
    assertBothReaders("hit", "restored");
  });

  it("is not used when disabled or when the folder is writable by others", async () => {
    writeFileSync(join(filterDir, "app.conf"), conf("login failure from <HOST>$"));
    await scanWithNode();
    const before = readdirSync(cacheDir).length;
    const disabled = { RAMPART_CACHE_DIR: "", HOME: join(dir, "home"), XDG_CACHE_HOME: "" };
    assert.deepEqual(ips(await scanWithNode(disabled)), ["192.0.2.1"]);
    assert.equal(scanWithFrontDoor(disabled), undefined, "the front door goes to Node");
    assert.throws(() => readdirSync(join(dir, "home")), "nothing written under HOME");
    assert.equal(readdirSync(cacheDir).length, before);
    const shared = join(dir, "shared");
    mkdirSync(shared);
    for (const name of readdirSync(cacheDir)) copyFileSync(join(cacheDir, name), join(shared, name));
    assert.equal(scanWithFrontDoor({ RAMPART_CACHE_DIR: shared }) !== undefined, true, "private: a hit");
    chmodSync(shared, 0o777);
    assert.equal(scanWithFrontDoor({ RAMPART_CACHE_DIR: shared }), undefined, "shared: ignored");
    for (const name of readdirSync(shared)) unlinkSync(join(shared, name));
    assert.deepEqual(ips(await scanWithNode({ RAMPART_CACHE_DIR: shared })), ["192.0.2.1"]);
    assert.deepEqual(readdirSync(shared), []);
  });
});
