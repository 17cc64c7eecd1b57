import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateAuthLog } from "../../../bench/generate-auth-log.js";

// The native front door (native/src/front.c) answers `rampart filter test` from a cached scan
// plan without starting Node. Its answers must be the Node CLI's, byte for byte: every case runs
// once through `node bin/rampart` (which also stores the plan) and once through `bin/rampart`
// with no `node` on PATH, so that only the front door can answer.
const ROOT = new URL("../../../../", import.meta.url).pathname;
const RAMPART = join(ROOT, "bin/rampart");
const dir = mkdtempSync(join(tmpdir(), "rampart-front-door-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const cacheDir = join(dir, "cache");
const authLog = join(dir, "auth.log");
const env = { ...process.env, RAMPART_CACHE_DIR: cacheDir, TZ: "Europe/Paris" };
const noNode = { ...env, PATH: "/nonexistent" };

before(async () => {
  // About 3 MiB: above the scanner's 2 MiB split threshold, so two threads run on two CPUs.
  await generateAuthLog(authLog, 30_000, 5);
});

function viaNode(args: readonly string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [RAMPART, ...args], {
    env,
    input,
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
}

function viaFrontDoor(args: readonly string[], input?: string, extraEnv: NodeJS.ProcessEnv = {}) {
  return spawnSync(RAMPART, args, {
    env: { ...noNode, ...extraEnv },
    input,
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
}

/** The summary's timing line differs from run to run; the rest may not. */
const steady = (stdout: string) =>
  stdout.replace(/\[processed in [\d.]+ sec, [\d,]+ lines\/s/, "[processed in … sec, … lines/s");

function assertSameAnswers(args: readonly string[], input?: string): SpawnSyncReturns<string> {
  const node = viaNode(args, input);
  const front = viaFrontDoor(args, input);
  assert.equal(node.error, undefined);
  assert.equal(front.error, undefined);
  assert.doesNotMatch(front.stderr, /cannot start node/, `the front door answered ${args.join(" ")}`);
  assert.equal(front.status, node.status, front.stderr);
  assert.equal(steady(front.stdout), steady(node.stdout));
  assert.equal(front.stderr, node.stderr);
  return front;
}

describe("the native front door", () => {
  it("gives the Node CLI's answers for fail2ban's sshd filter and the built-in one, JSON and summary", () => {
    const fail2ban = ["filter", "test", authLog, "sshd", "--filter-dir", "/etc/fail2ban/filter.d"];
    const json = assertSameAnswers([...fail2ban, "--json"]);
    assert.ok(json.stdout.split("\n").length > 1000, "failures found");
    const summary = assertSameAnswers(fail2ban);
    assert.match(summary.stdout, /^Failregex: \d+ total$/m);
    assert.match(summary.stdout, /Prefregex: 30000 total/);
    // Split between two threads on two CPUs (the note is part of what both print).
    if (availableParallelism() >= 2) assert.match(summary.stdout, /lines\/s, 2 threads\]/);
    assertSameAnswers(["filter", "test", authLog, "sshd", "--json"]);
    assertSameAnswers(["filter", "test", authLog, "sshd"]);
    assertSameAnswers(["filter", "test", authLog, "sshd[mode=aggressive]", "--json"]);
  });

  it("reads standard input, and reports an unterminated last line and a line over the match limit", () => {
    // test/fixtures/filter-engine/redos.conf, with dates (lines without one would get "now").
    const redos = join(dir, "redos-dated.conf");
    writeFileSync(
      redos,
      "[Definition]\nfailregex = ^ (?=x)x(?:(?! from )\\w+\\s?)+ from <ADDR>$\n            ^ login failure from <ADDR>$\n",
    );
    const text = [
      "2026-11-21 10:00:00 login failure from 192.0.2.1",
      `2026-11-21 10:00:01 x${"a".repeat(40)} from !`,
      "2026-11-21 10:00:02 login failure from 192.0.2.2",
    ].join("\n");
    const file = join(dir, "redos.log");
    writeFileSync(file, text);
    const fromFile = assertSameAnswers(["filter", "test", file, redos, "--json"]);
    assert.match(fromFile.stderr, /line 2 exceeded the regex match limit and was skipped/);
    assert.match(fromFile.stderr, /line 3 has no newline yet and was not read/);
    const piped = assertSameAnswers(["filter", "test", "-", redos], text);
    assert.match(piped.stdout, /Use {9}log file {3}: standard input/);
    assert.match(piped.stdout, /3 lines, 0 ignored, 2 matched, 0 missed, 1 over time budget/);
  });

  it("takes the option forms parseArgs takes", () => {
    const base = ["filter", "test", authLog, "sshd"];
    viaNode([...base, "--json"]);
    for (const args of [
      ["filter", "test", "--json", authLog, "sshd"],
      [...base, "--json", "--engine", "native"],
      [...base, "--engine=auto", "--json"],
      ["filter", "test", "--json", "--", authLog, "sshd"],
      [...base, "--json", "--threads", "1"],
      [...base, "--threads=2", "--json"],
      [...base, "--threads", "1"],
      [...base, "--threads", "2"],
    ])
      assertSameAnswers(args);
    assertSameAnswers(["filter", "test", authLog, "sshd", "--filter-dir=/etc/fail2ban/filter.d", "--json"]);
  });

  it("hands everything else to Node, unchanged", () => {
    viaNode(["filter", "test", authLog, "sshd", "--json"]);
    const handedOver = [
      ["filter", "list"],
      ["filter", "test", "--help"],
      ["filter", "test", authLog, "sshd", "--json", "--engine", "js"],
      ["filter", "test", authLog, "sshd", "--json", "--threads", "3"],
      ["filter", "test", authLog, "sshd", "--json", "--verbose"],
      ["filter", "test", authLog, "sshd", "extra"],
      ["filter", "test", authLog, "sshd", "--filter-dir"],
      ["filter", "test", join(dir, "missing.log"), "sshd", "--json"],
      ["filter", "test", dir, "sshd", "--json"],
      ["filter", "test", authLog, "not-a-filter", "--json"],
    ];
    for (const args of handedOver) {
      const front = viaFrontDoor(args);
      assert.equal(front.status, 1, args.join(" "));
      assert.match(front.stderr, /^rampart: cannot start node/, args.join(" "));
      // With node on PATH, the same command gives what Node gives.
      const node = viaNode(args);
      const handed = spawnSync(RAMPART, args, { env, encoding: "utf8", maxBuffer: 1 << 28 });
      assert.equal(handed.status, node.status, args.join(" "));
      assert.equal(handed.stdout, node.stdout);
      assert.equal(handed.stderr, node.stderr);
    }
    // A terminal gets Node's progress display; a cache nobody else may write is required.
    const shared = join(dir, "shared");
    mkdirSync(shared, { mode: 0o777 });
    spawnSync("chmod", ["777", shared]);
    const front = viaFrontDoor(["filter", "test", authLog, "sshd", "--json"], undefined, {
      RAMPART_CACHE_DIR: shared,
    });
    assert.match(front.stderr, /^rampart: cannot start node/);
  });

  it("answers with a terminal on stderr too (drawing Node's progress line)", () => {
    const args = ["filter", "test", authLog, "sshd", "--json"];
    const expected = viaNode(args).stdout;
    const out = join(dir, "tty.json");
    // script(1) gives the command a pseudo-terminal; its stdout goes to a file, as in `> out`.
    const r = spawnSync(
      "/usr/bin/script",
      [
        "-qec",
        `PATH=/nonexistent '${RAMPART}' ${args.map((a) => `'${a}'`).join(" ")} > '${out}'`,
        "/dev/null",
      ],
      { env, encoding: "utf8", maxBuffer: 1 << 28 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /cannot start node/);
    assert.equal(readFileSync(out, "utf8"), expected);
  });

  it("is found through a symbolic link to bin/rampart (an npm bin link)", () => {
    viaNode(["filter", "test", authLog, "sshd", "--json"]);
    const bin = join(dir, "bin");
    mkdirSync(bin);
    symlinkSync(RAMPART, join(bin, "rampart"));
    // The script resolves the link with readlink; PATH has that and nothing else.
    symlinkSync("/usr/bin/readlink", join(bin, "readlink"));
    const linked = spawnSync(join(bin, "rampart"), ["filter", "test", authLog, "sshd", "--json"], {
      env: { ...env, PATH: bin },
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    assert.equal(linked.status, 0, linked.stderr);
    assert.equal(linked.stdout, viaNode(["filter", "test", authLog, "sshd", "--json"]).stdout);
  });
});
