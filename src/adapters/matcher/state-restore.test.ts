import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { CompiledFilter } from "../../core/filter/compiled-filter.js";
import { instantiateFilter } from "../../core/filter/compiled-filter.js";
import type { LogFailure } from "../../core/filter/log-failure.js";
import { compileLineFilter } from "../filter/load-line-filter.js";
import { GuardedMatcher } from "./guarded-matcher.js";

// A worker killed for an over-budget line must not take the filter's carried-over state with it:
// the fresh worker continues from the state the killed one had at the start of the batch (or scan
// chunk) it redoes. The fixture merges one connection's lines by <F-MLFID>: "connect from" only
// remembers the address, a later "auth failed" of the same connection is the failure; that line
// has no date of its own and borrows the last one. The hostile line sits between them.
//
// The oracle is the same matcher on the same lines with the hostile line left out (a batch) or
// turned into a comment line (a scan, which skips comment lines without touching any state): an
// abandoned line is skipped whole, date stage included, so both leave the state exactly as it was.

const FILTER = new URL("../../../../test/fixtures/filter-engine/redos-mlfid.conf", import.meta.url).pathname;
const NOW = Date.parse("2026-11-21T10:00:30Z") / 1000;
const CONNECT = "2026-11-21 10:00:00 +0000 conn[7]: connect from 192.0.2.7";
const NOISE = "2026-11-21 10:00:05 +0000 noise";
const HOSTILE = `2026-11-21 10:00:06 +0000 x${"a".repeat(40)}!`;
/** No date: borrows the last one (10:00:05, under 60 s before NOW). */
const FAILED = "conn[7]: auth failed for bob";
const BUDGET_MS = 10;

const dir = mkdtempSync(join(tmpdir(), "rampart-restore-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function compiled(): CompiledFilter[] {
  const result = compileLineFilter(FILTER);
  assert.ok(result.ok, JSON.stringify(result));
  return [result.value];
}

function summary(failures: readonly LogFailure[]) {
  return failures.map((f) => ({ ip: f.ip, line: f.line, user: f.user, time: f.time, matches: f.matches }));
}

describe("a worker restart keeps every filter's state", () => {
  it("per batch (the guard daemon's path): mlfid merging and the borrowed date survive a hostile line", async () => {
    const run = async (second: { texts: string[]; numbers: number[] }) => {
      const abandoned: number[] = [];
      const matcher = await GuardedMatcher.start(compiled(), {
        lineBudgetMs: BUDGET_MS,
        onLineAbandoned: (line) => abandoned.push(line),
      });
      try {
        const first = await matcher.match({ texts: [CONNECT, NOISE], numbers: [1, 2] }, NOW);
        const next = await matcher.match(second, NOW);
        return { failures: [...(first.failures[0] ?? []), ...(next.failures[0] ?? [])], abandoned };
      } finally {
        await matcher.close();
      }
    };
    const hostile = await run({ texts: [HOSTILE, FAILED], numbers: [3, 4] });
    const oracle = await run({ texts: [FAILED], numbers: [4] });
    assert.deepEqual(hostile.abandoned, [3]);
    assert.deepEqual(oracle.abandoned, []);
    // fail2ban's matched text of a line that borrows a date: the date's text, then the line.
    const borrowed = `2026-11-21 10:00:05 +0000${FAILED}`;
    const time = Date.parse("2026-11-21T10:00:05Z") / 1000;
    assert.deepEqual(summary(oracle.failures), [
      { ip: "192.0.2.7", line: 4, user: "bob", time, matches: [CONNECT, borrowed] },
    ]);
    assert.deepEqual(summary(hostile.failures), summary(oracle.failures));
  });

  it("per batch, after a checkpoint and with filters chosen per batch: every filter continues where it was", async () => {
    // Two filters (two jails on one log); 5000 noise lines make the first batch a checkpoint
    // (the states cross over), the batches after it are replayed on a restart.
    const noise = Array.from({ length: 5000 }, () => NOISE);
    const connect9 = "2026-11-21 10:00:04 +0000 conn[9]: connect from 192.0.2.9";
    const failed9 = "2026-11-21 10:00:07 +0000 conn[9]: auth failed for eve";
    const run = async (withHostile: boolean) => {
      const abandoned: number[] = [];
      const matcher = await GuardedMatcher.start([...compiled(), ...compiled()], {
        lineBudgetMs: BUDGET_MS,
        onLineAbandoned: (line) => abandoned.push(line),
      });
      const n = noise.length;
      try {
        const batches = [
          { texts: [CONNECT, ...noise], numbers: Array.from({ length: n + 1 }, (_, k) => k + 1) },
          { texts: [connect9], numbers: [n + 2], filters: [1] },
          { texts: [NOISE], numbers: [n + 3], filters: [0] },
          withHostile
            ? { texts: [HOSTILE, FAILED, failed9], numbers: [n + 4, n + 5, n + 6] }
            : { texts: [FAILED, failed9], numbers: [n + 5, n + 6] },
        ];
        const failures: string[][] = [[], []];
        for (const batch of batches) {
          const result = await matcher.match(batch, NOW);
          const chosen = batch.filters ?? [0, 1];
          chosen.forEach((k, i) => {
            failures[k]!.push(...summary(result.failures[i] ?? []).map((f) => JSON.stringify(f)));
          });
        }
        return { failures, abandoned };
      } finally {
        await matcher.close();
      }
    };
    const hostile = await run(true);
    const oracle = await run(false);
    assert.deepEqual(hostile.abandoned, [5004]);
    // Filter 0 saw conn[7]'s connect, filter 1 conn[7]'s and conn[9]'s.
    assert.equal(oracle.failures[0]!.length, 1);
    assert.equal(oracle.failures[1]!.length, 2);
    assert.deepEqual(hostile.failures, oracle.failures);
  });

  it("per scan chunk (filter test's path): a fresh worker continues from the chunk's starting state", async () => {
    // The worker reads 1 MiB at a time: the hostile line opens the second chunk, so the state a
    // fresh worker needs is the one the first chunk left.
    const CHUNK = 1 << 20;
    const head = [CONNECT];
    let bytes = CONNECT.length + 1;
    while (CHUNK - bytes > 2 * (NOISE.length + 1)) {
      head.push(NOISE);
      bytes += NOISE.length + 1;
    }
    const last = `${NOISE} ${"z".repeat(CHUNK - bytes - NOISE.length - 2)}`;
    head.push(last);
    bytes += last.length + 1;
    assert.equal(bytes, CHUNK);
    const hostileLine = head.length + 1;
    const scan = async (name: string, middle: string) => {
      const path = join(dir, name);
      writeFileSync(path, `${[...head, middle, FAILED, NOISE].join("\n")}\n`);
      const matcher = await GuardedMatcher.start(compiled(), { lineBudgetMs: BUDGET_MS });
      try {
        let output = "";
        const result = await matcher.scanFile(path, {
          json: true,
          now: NOW,
          onChunk: (chunk) => {
            output += Buffer.from(chunk.output).toString("utf8");
          },
        });
        return { output: output.split("\n").filter(Boolean), result };
      } finally {
        await matcher.close();
      }
    };
    const hostile = await scan("hostile.log", HOSTILE);
    const oracle = await scan("oracle.log", "# the hostile line, as a comment");
    assert.deepEqual(hostile.result.abandoned, [hostileLine]);
    assert.ok(hostile.result.restarts > 0);
    assert.equal(oracle.output.length, 1);
    const failure = JSON.parse(oracle.output[0]!);
    assert.equal(failure.ip, "192.0.2.7");
    assert.equal(failure.line, hostileLine + 1);
    assert.equal(failure.user, "bob");
    assert.equal(failure.time, Date.parse("2026-11-21T10:00:05Z") / 1000);
    assert.deepEqual(hostile.output, oracle.output);
  });

  it("LogFilter.exportState/importState: a filter that imports another's state answers as it would", () => {
    const build = () => {
      const built = instantiateFilter(compiled()[0]!, () => []);
      assert.ok(built.ok);
      return built.value;
    };
    const lines = [CONNECT, NOISE, "Nov 21 10:00:07 conn[8]: connect from 192.0.2.8", NOISE, FAILED];
    const rest = ["conn[8]: auth failed for eve", "2026-11-21 10:00:09 +0000 conn[7]: auth failed for amy"];
    for (let cut = 0; cut <= lines.length; cut++) {
      const whole = build();
      const part = build();
      for (const [k, line] of lines.entries()) {
        whole.processLine(line, k + 1, NOW);
        if (k < cut) part.processLine(line, k + 1, NOW);
      }
      const resumed = build();
      resumed.importState(structuredClone(part.exportState()));
      assert.equal(resumed.stateSnapshot(), part.stateSnapshot());
      for (const [k, line] of lines.slice(cut).entries()) resumed.processLine(line, cut + k + 1, NOW);
      assert.deepEqual(resumed.exportState(), whole.exportState(), `cut at ${cut}`);
      for (const [k, line] of rest.entries()) {
        const n = lines.length + k + 1;
        assert.deepEqual(resumed.processLine(line, n, NOW), whole.processLine(line, n, NOW), `cut at ${cut}`);
      }
    }
  });
});
