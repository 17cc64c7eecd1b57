import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { RampartError } from "../../core/errors/rampart-error.js";
import type { CompiledFilter } from "../../core/filter/compiled-filter.js";
import { compileLineFilter } from "../filter/load-line-filter.js";
import { GuardedMatcher } from "./guarded-matcher.js";

function compiled(spec: string): CompiledFilter[] {
  const result = compileLineFilter(spec);
  assert.ok(result.ok, JSON.stringify(result));
  return [result.value];
}

const LINES = [
  "Nov 21 10:00:00 host sshd[4242]: Invalid user bob from 198.51.100.7 port 51000",
  "Nov 21 10:00:01 host sshd[4243]: Accepted publickey for alice from 203.0.113.9 port 22 ssh2",
  "Nov 21 10:00:02 host sshd[4244]: Failed password for root from 198.51.100.8 port 51001 ssh2",
];
const REDOS_FILTER = new URL("../../../../test/fixtures/filter-engine/redos.conf", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "rampart-matcher-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("GuardedMatcher", () => {
  for (const withMatches of [true, false]) {
    it(`batches carry the matched log text only when asked (withMatches ${withMatches})`, async () => {
      const matcher = await GuardedMatcher.start(compiled("sshd"), { withMatches });
      try {
        const result = await matcher.match(
          { texts: LINES, numbers: [1, 2, 3] },
          Date.parse("2026-11-22") / 1000,
        );
        const failures = result.failures[0] ?? [];
        assert.deepEqual(
          failures.map((f) => [f.ip, f.line, f.user]),
          [
            ["198.51.100.7", 1, "bob"],
            ["198.51.100.8", 3, "root"],
          ],
        );
        assert.deepEqual(
          failures.map((f) => f.matches),
          withMatches ? [[LINES[0]], [LINES[2]]] : [[], []],
        );
      } finally {
        await matcher.close();
      }
    });
  }

  it("scans a file in the worker with the same answers as batches, and leaves an unfinished last line unread", async () => {
    const log = join(dir, "auth.log");
    writeFileSync(log, `${LINES.join("\n")}\n# comment\n\n${LINES[0]}`);
    const matcher = await GuardedMatcher.start(compiled("sshd"), { withMatches: false });
    try {
      let output = "";
      let lines = 0;
      const result = await matcher.scanFile(log, {
        json: true,
        now: Date.parse("2026-11-22") / 1000,
        onChunk: (chunk) => {
          output += Buffer.from(chunk.output).toString("utf8");
          lines += chunk.counts.lines;
        },
      });
      assert.equal(lines, 3, "comment and empty lines are not counted");
      assert.equal(result.incompleteLine, 6);
      assert.deepEqual(
        output
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l).ip),
        ["198.51.100.7", "198.51.100.8"],
      );
    } finally {
      await matcher.close();
    }
  });

  it("compiles the filters once, while the worker boots, and reuses them when a hostile line restarts it", async () => {
    let compiles = 0;
    const matcher = await GuardedMatcher.start(
      () => {
        compiles++;
        return compiled(REDOS_FILTER);
      },
      { withMatches: false, lineBudgetMs: 10 },
    );
    try {
      // A line the regexes cannot finish within the budget forces two restarts (and is skipped).
      const hostile = `x${"a".repeat(40)}!`;
      const result = await matcher.match(
        {
          texts: ["login failure from 192.0.2.1", hostile, "login failure from 192.0.2.2"],
          numbers: [1, 2, 3],
        },
        Date.parse("2026-11-22") / 1000,
      );
      assert.deepEqual(result.abandoned, [2]);
      assert.equal(compiles, 1);
      assert.deepEqual(
        (result.failures[0] ?? []).map((f) => f.ip),
        ["192.0.2.1", "192.0.2.2"],
      );
    } finally {
      await matcher.close();
    }
  });

  it("rejects with the compiler's problems, and leaves no worker behind", async () => {
    await assert.rejects(
      GuardedMatcher.start(() => {
        const result = compileLineFilter(join(dir, "missing.conf"));
        assert.ok(!result.ok);
        throw new RampartError("filter.invalid", "Cannot load filter", { problems: result.problems });
      }),
      (error: unknown) => error instanceof RampartError && error.problems.length > 0,
    );
  });
});
