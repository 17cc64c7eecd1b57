import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createDateDetector } from "../../../src/core/date/date-detector.js";
import { CORPUS_DIR } from "../../support/corpus.js";
import { buildNativeProbe } from "../../support/native-probe.js";
import { scratchDir } from "../../support/scratch-dir.js";

// The native date detector (native/src/date.c) against the TypeScript one it ports, line by
// line over fail2ban's whole corpus with the default templates, in two time zones (one with
// DST): the same date text cut out (as UTF-8 byte offsets), the same time, the same faults.
const ROOT = new URL("../../../../", import.meta.url).pathname;
const dir = scratchDir("native-date");
const NOW = 1763719200; // 2025-11-21 10:00 UTC: fixed, so that both sides infer the same years

/** The corpus lines as the pipeline hands them to the date stage (decoded, no CR, no comments). */
function corpusLines(): string[] {
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  const lines: string[] = [];
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(CORPUS_DIR);
  for (const file of files) {
    const text = decoder.decode(readFileSync(file));
    for (const raw of text.split("\n")) {
      const line = raw.replace(/\r+$/, "");
      if (line !== "" && !line.startsWith("#")) lines.push(line);
    }
  }
  return lines;
}

function utf8Offset(line: string, utf16: number): number {
  return Buffer.byteLength(line.slice(0, utf16), "utf8");
}

describe("native date detector vs the TypeScript one", () => {
  const probe = buildNativeProbe(dir, "date-probe", ["date.c", "zone.c", "plan.c", "regex.c", "text.c"]);
  const planFile = join(dir, "default-templates.plan");
  writeFileSync(join(dir, "dates.conf"), "[Definition]\nfailregex = ^<HOST>$\n");
  const plan = spawnSync(process.execPath, [
    join(ROOT, "dist/src/adapters/native/scan-plan-cli.js"),
    join(dir, "dates.conf"),
  ]);
  assert.equal(plan.status, 0, plan.stderr.toString());
  writeFileSync(planFile, plan.stdout);
  const lines = corpusLines();

  for (const tz of ["UTC", "Europe/Paris"]) {
    it(`gives the same date for every corpus line (TZ=${tz})`, () => {
      const saved = process.env.TZ;
      process.env.TZ = tz;
      try {
        const detector = createDateDetector({ isolatedTemplates: true });
        assert.ok(detector.ok);
        const expected = lines.map((line) => {
          const m = detector.value.match(line, NOW);
          if (m === null) return "0 0 0 0 0 0.000000";
          const start = m.fault ? 0 : utf8Offset(line, m.start);
          const end = m.fault ? 0 : utf8Offset(line, m.end);
          const time = m.time === null ? "0 0.000000" : `1 ${m.time.toFixed(6)}`;
          return m.fault ? "1 1 0 0 0 0.000000" : `1 0 ${start} ${end} ${time}`;
        });
        const run = spawnSync(probe, [planFile, String(NOW)], {
          input: `${lines.join("\n")}\n`,
          env: { ...process.env, TZ: tz },
          maxBuffer: 1 << 28,
        });
        assert.equal(run.status, 0, run.stderr.toString());
        const got = run.stdout.toString().split("\n").slice(0, -1);
        assert.equal(got.length, lines.length);
        const diffs: string[] = [];
        for (let i = 0; i < lines.length; i++) {
          if (got[i] !== expected[i])
            diffs.push(`${JSON.stringify(lines[i])}: C ${got[i]} | TS ${expected[i]}`);
        }
        assert.ok(lines.length > 1000, `only ${lines.length} lines`);
        assert.deepEqual(diffs.slice(0, 10), [], `${diffs.length} differences`);
      } finally {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      }
    });
  }
});
