import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { CORPUS_DIR, corpusCases, FAIL2BAN_FILTER_DIR, filterSpec } from "../../support/corpus.js";
import { runCli } from "../../support/run-cli.js";

// Acceptance 1 of issue #2: for every corpus log named like a filter and every option set it
// names, `rampart filter test --json` finds the same (ip, time) failures in the same order as
// fail2ban-regex. Both run in the same time zone (one with DST) at the same "now".
process.env.TZ = "Europe/Berlin";

const ORACLE = new URL("../../../../test/support/fail2ban-regex-oracle.py", import.meta.url).pathname;

interface Found {
  readonly ip: string;
  readonly time: number;
}

type Engine = "js" | "native";

async function rampart(
  log: string,
  spec: string,
  engine: Engine,
): Promise<{ code: number; found: Found[]; stderr: string }> {
  const run = await runCli([
    "filter",
    "test",
    log,
    spec,
    "--filter-dir",
    FAIL2BAN_FILTER_DIR,
    "--json",
    "--engine",
    engine,
  ]);
  const found = run.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Found);
  return { code: run.code, found, stderr: run.stderr };
}

describe("filter engine vs fail2ban-regex 1.0.2 on fail2ban's corpus", () => {
  const cases = corpusCases();
  const started = Date.now() / 1000;
  const oracle = JSON.parse(
    execFileSync("/usr/bin/python3", [ORACLE], {
      input: JSON.stringify(cases.map((c) => ({ log: c.log, filter: filterSpec(c.filter, c.options) }))),
      env: { ...process.env, TZ: process.env.TZ },
      cwd: CORPUS_DIR,
      maxBuffer: 64 << 20,
    }).toString(),
  ) as { lines: string[]; error: string | null }[];

  it("covers every corpus log that names a filter", () => {
    assert.ok(cases.length >= 100, `only ${cases.length} cases`);
  });

  // Both engines: the JS one, and the native scanner wherever it can run the filter (it refuses,
  // with exit status 2, what it cannot reproduce exactly; those cases are counted).
  const nativeRefused: string[] = [];
  const runs = cases.flatMap((c, index) =>
    (["js", "native"] as const).map((engine) => ({ c, index, engine })),
  );
  after(() => {
    assert.ok(
      nativeRefused.length <= 20,
      `the native scanner refused ${nativeRefused.length} cases: ${nativeRefused.join(", ")}`,
    );
  });

  runs.forEach(({ c, index, engine }) => {
    const spec = filterSpec(c.filter, c.options);
    it(`${engine}: ${c.filter} ${spec}`, async () => {
      const expected = oracle[index]!;
      assert.equal(expected.error, null, `fail2ban-regex failed: ${expected.error}`);
      const want = expected.lines.map((l) => {
        const [ip, time] = l.split(" ");
        return { ip: ip!, time: Number(time) };
      });
      const got = await rampart(c.log, spec, engine);
      if (engine === "native" && got.code === 2 && got.stderr.includes("native engine cannot run")) {
        nativeRefused.push(`${spec} (${got.stderr.trim().split(": ").pop()})`);
        return;
      }
      assert.equal(got.code, 0, got.stderr);
      const finished = Date.now() / 1000 + 5;
      // A line without a date gets "now": equal when both sides say "now".
      const isNow = (t: number) => t >= started - 5 && t <= finished;
      const same = (a: Found, b: Found) =>
        a.ip === b.ip && (Math.abs(a.time - b.time) < 1e-3 || (isNow(a.time) && isNow(b.time)));
      const diffs: string[] = [];
      for (let i = 0; i < Math.max(want.length, got.found.length); i++) {
        const w = want[i];
        const g = got.found[i];
        if (!w || !g || !same(w, g))
          diffs.push(
            `#${i}: fail2ban ${w ? `${w.ip} ${w.time}` : "-"} | rampart ${g ? `${g.ip} ${g.time} (line ${(g as { line?: number }).line})` : "-"}`,
          );
      }
      assert.deepEqual(
        diffs,
        [],
        `${diffs.length} differences (fail2ban ${want.length}, rampart ${got.found.length}):\n${diffs.slice(0, 15).join("\n")}`,
      );
    });
  });
});
