import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { GuardedMatcher } from "./guarded-matcher.js";

const LINES = [
  "Nov 21 10:00:00 host sshd[4242]: Invalid user bob from 198.51.100.7 port 51000",
  "Nov 21 10:00:01 host sshd[4243]: Accepted publickey for alice from 203.0.113.9 port 22 ssh2",
  "Nov 21 10:00:02 host sshd[4244]: Failed password for root from 198.51.100.8 port 51001 ssh2",
];
const dir = mkdtempSync(join(tmpdir(), "rampart-matcher-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("GuardedMatcher", () => {
  for (const withMatches of [true, false]) {
    it(`batches carry the matched log text only when asked (withMatches ${withMatches})`, async () => {
      const matcher = await GuardedMatcher.start([{ spec: "sshd" }], { withMatches });
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
    const matcher = await GuardedMatcher.start([{ spec: "sshd" }], { withMatches: false });
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
});
