import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { compileLineFilter } from "../filter/load-line-filter.js";
import { GuardedMatcher } from "./guarded-matcher.js";
import type { ScanChunkReply } from "./matcher-protocol.js";
import { planSplit, type SplitPlan, scanFileSplit } from "./split-scan.js";

// A split scan must give exactly one worker's answers: output bytes, line counts and hit counts.
// Every case compares against a single worker on the same file, and checks which way the split
// went, so that both the verified path and the rerun path are proven, not just reached.

const FAIL2BAN_SSHD = "/etc/fail2ban/filter.d/sshd.conf";
const ROOT = new URL("../../../../", import.meta.url).pathname;
const REDOS = join(ROOT, "test/fixtures/filter-engine/redos.conf");
const NOW = Date.parse("2026-11-22T00:00:00Z") / 1000;
const dir = mkdtempSync(join(tmpdir(), "rampart-split-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  output: string;
  counts: Omit<ScanChunkReply["counts"], "failHits" | "ignoreHits"> & { failures: number };
  hits: number[];
  abandoned: number[];
}

function collector() {
  const run: Run = {
    output: "",
    counts: { matched: 0, ignored: 0, missed: 0, prefMatched: 0, lines: 0, failures: 0 },
    hits: [],
    abandoned: [],
  };
  const onCounts = (chunk: ScanChunkReply) => {
    for (const key of ["matched", "ignored", "missed", "prefMatched", "lines"] as const)
      run.counts[key] += chunk.counts[key];
    run.counts.failures += chunk.failures;
    chunk.counts.failHits.forEach((hits, i) => {
      run.hits[i] = (run.hits[i] ?? 0) + hits;
    });
  };
  const onOutput = (bytes: Uint8Array) => {
    run.output += Buffer.from(bytes).toString("utf8");
  };
  return { run, onCounts, onOutput };
}

/**
 * These tests prove the split's answers, not the watchdog (guarded-matcher.test.ts does): by
 * default a line budget no ordinary line reaches even on a machine loaded many times over (with
 * 20 ms, a worker descheduled for a second under load had a benign line abandoned in one run and
 * not in the other). The ReDoS case sets its own.
 */
async function start(spec: string, run: Run, lineBudgetMs = 10_000): Promise<GuardedMatcher> {
  const compiled = compileLineFilter(spec);
  assert.ok(compiled.ok, JSON.stringify(compiled));
  return GuardedMatcher.start([compiled.value], {
    withMatches: false,
    lineBudgetMs,
    onLineAbandoned: (line) => run.abandoned.push(line),
  });
}

async function single(spec: string, path: string, lineBudgetMs?: number): Promise<Run> {
  const { run, onCounts, onOutput } = collector();
  const matcher = await start(spec, run, lineBudgetMs);
  try {
    await matcher.scanFile(path, {
      json: true,
      now: NOW,
      onChunk: (chunk) => {
        onOutput(chunk.output);
        onCounts(chunk);
      },
    });
  } finally {
    await matcher.close();
  }
  return run;
}

async function split(
  spec: string,
  path: string,
  plan: SplitPlan,
  lineBudgetMs?: number,
): Promise<Run & { outcome: string }> {
  const { run, onCounts, onOutput } = collector();
  const [first, second] = await Promise.all([start(spec, run, lineBudgetMs), start(spec, run, lineBudgetMs)]);
  try {
    const result = await scanFileSplit(first, second, path, plan, {
      json: true,
      now: NOW,
      onOutput,
      onCounts,
      memoryLimit: 4096,
    });
    return { ...run, outcome: result.outcome };
  } finally {
    await first.close();
    await second.close();
  }
}

/** sshd connections interleaved so that many of them (and their mlfid entries) span any split point. */
function sshdLog(connections: number): string {
  const lines: string[] = [];
  const open: { pid: number; ip: string; step: number }[] = [];
  let second = 0;
  const stamp = () => {
    second++;
    const s = second % 60;
    const m = Math.floor(second / 60) % 60;
    const h = 10 + Math.floor(second / 3600);
    return `Nov 21 ${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  };
  for (let c = 0; c < connections || open.length > 0; ) {
    if (c < connections && open.length < 12) {
      open.push({ pid: 1000 + c, ip: `198.51.${(c >> 8) & 255}.${c & 255}`, step: 0 });
      c++;
      continue;
    }
    const k = (second * 7) % open.length;
    const conn = open[k]!;
    const head = `${stamp()} host sshd[${conn.pid}]:`;
    const user = conn.pid % 3 === 0 ? "root" : `user${conn.pid % 17}`;
    const kind = conn.pid % 4;
    if (kind === 0 && conn.step === 0) lines.push(`${head} Invalid user ${user} from ${conn.ip} port 4000`);
    else if (kind === 1 && conn.step === 0)
      lines.push(`${head} Failed publickey for ${user} from ${conn.ip} port 4001 ssh2: RSA SHA256:abc`);
    else if (kind === 2 && conn.step === 1)
      lines.push(`${head} Accepted publickey for ${user} from ${conn.ip} port 4002 ssh2: RSA SHA256:abc`);
    else if (conn.step < 3) lines.push(`${head} Failed password for ${user} from ${conn.ip} port 4003 ssh2`);
    else lines.push(`${head} Connection closed by ${conn.ip} port 4004 [preauth]`);
    conn.step++;
    if (conn.step > 3) open.splice(k, 1);
  }
  return `${lines.join("\n")}\n`;
}

function assertSameRun(actual: Run, expected: Run): void {
  assert.equal(actual.output, expected.output, "the same failures, bytes for bytes");
  assert.deepEqual(actual.counts, expected.counts);
  assert.deepEqual(actual.hits, expected.hits);
  assert.deepEqual(actual.abandoned, expected.abandoned);
}

describe("split scan", () => {
  const log = join(dir, "auth.log");
  writeFileSync(log, sshdLog(3000));
  const size = statSync(log).size;

  for (const spec of [FAIL2BAN_SSHD, "sshd"]) {
    it(`verifies and keeps the second half's answers when its window rebuilt the state (${spec})`, async () => {
      const plan = planSplit(log, size, { minBytes: 0, windowBytes: 64 * 1024 });
      assert.ok(plan, "the log is big enough to split");
      const expected = await single(spec, log);
      assert.ok(expected.counts.failures > 1000);
      const actual = await split(spec, log, plan);
      assert.equal(actual.outcome, "verified");
      assertSameRun(actual, expected);
    });
  }

  it("reruns the second half when its state differs (no window: the mlfid cache starts empty)", async () => {
    const plan = planSplit(log, size, { minBytes: 0 })!;
    const expected = await single(FAIL2BAN_SSHD, log);
    const actual = await split(FAIL2BAN_SSHD, log, { middle: plan.middle, windowStart: plan.middle });
    assert.equal(actual.outcome, "rerun");
    assertSameRun(actual, expected);
  });

  it("reruns the second half when a date outcome differs, and only then", async () => {
    // No mlfid and one-line buffers: the state snapshots always agree, only dates can differ. A
    // dateless line borrows the last date; the second worker, started fresh at the middle,
    // has none to borrow if the dateless line comes first.
    const filter = join(dir, "plain.conf");
    writeFileSync(filter, "[Definition]\nfailregex = ^login failure from <ADDR>$\n");
    // Local time, as the date detector reads a date without a zone: 30 s before NOW, so recent.
    const t = new Date((NOW - 30) * 1000);
    const two = (n: number) => String(n).padStart(2, "0");
    const stamp = `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
    const dated = (n: number) => `${stamp} login failure from 192.0.2.${n % 250}`;
    const lines = Array.from({ length: 4000 }, (_, n) => dated(n));
    const middleLine = 2000;
    for (const [name, dateless, outcome] of [
      ["at the middle", middleLine, "rerun"],
      ["later on", middleLine + 10, "verified"],
    ] as const) {
      const withDateless = lines.map((l, n) => (n === dateless ? "login failure from 192.0.2.251" : l));
      const path = join(dir, `dates-${dateless}.log`);
      const text = `${withDateless.join("\n")}\n`;
      writeFileSync(path, text);
      const middle = Buffer.byteLength(`${withDateless.slice(0, middleLine).join("\n")}\n`);
      const expected = await single(filter, path);
      const actual = await split(filter, path, { middle, windowStart: middle });
      assert.equal(actual.outcome, outcome, `dateless line ${name}`);
      assertSameRun(actual, expected);
    }
  });

  it("reruns the second half when one of its lines ran over budget, and skips it once", async () => {
    const benign = (n: number) => `login failure from 192.0.${n >> 8}.${n & 255}`;
    const lines = Array.from({ length: 6000 }, (_, i) => (i === 4500 ? `x${"a".repeat(40)}!` : benign(i)));
    const path = join(dir, "hostile.log");
    writeFileSync(path, `${lines.join("\n")}\n`);
    const plan = planSplit(path, statSync(path).size, { minBytes: 0, windowBytes: 4096 })!;
    // 50 ms: the hostile line never finishes, a benign one (or a worker's first line, which
    // builds its regexes) stays far below even when the machine is loaded and the watchdog falls
    // back on wall time (50 budgets).
    const expected = await single(REDOS, path, 50);
    assert.deepEqual(expected.abandoned, [4501]);
    const actual = await split(REDOS, path, plan, 50);
    assert.equal(actual.outcome, "rerun");
    assertSameRun(actual, expected);
  });

  it("does not split a file below the minimum or without a line start to split at", () => {
    assert.equal(planSplit(log, size, { minBytes: size + 1 }), undefined);
    const oneLine = join(dir, "one-line.log");
    writeFileSync(oneLine, `${"x".repeat(100_000)}\n`);
    assert.equal(planSplit(oneLine, 100_001, { minBytes: 0 }), undefined);
  });
});
