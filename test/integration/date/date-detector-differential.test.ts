// Differential test: Rampart's date detector against Fail2Ban 1.0.2's own DateDetector
// (f2b-date-oracle.py, spawned once). Both sides run in Europe/Berlin (a DST zone) with a fixed
// `now`; every corpus line and every crafted line must give the same cut span and the same time.
process.env.TZ = "Europe/Berlin";

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createDateDetector } from "../../../src/core/date/date-detector.js";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const oracle = join(repoRoot, "test/integration/date/f2b-date-oracle.py");
const corpusDir = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs";
const filterDir = "/etc/fail2ban/filter.d";
const NOW = 1795258800; // 2026-11-21 12:00:00 Europe/Berlin

interface Case {
  name: string;
  filter?: string | null;
  options?: Record<string, unknown> | null;
  datepattern?: string | null;
  logtimezone?: string | null;
  now?: number;
  lines: string[];
}
type Row = [number, number, number | null, boolean] | null;
interface OracleCase {
  datepattern: string | null;
  error: string | null;
  results: Row[];
  /** Template names in Fail2Ban's order after the case (the detector's internal state). */
  order: string[];
}

/** Lines as fail2ban-regex feeds them to the detector: rstrip("\r\n"), no comments, no blanks. */
function corpusLines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/[\r\n]+$/, ""))
    .filter((l) => l !== "" && !l.startsWith("#"));
}

function corpusCases(): Case[] {
  const cases: Case[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path, `${prefix}${name}/`);
        continue;
      }
      const text = readFileSync(path, "utf8");
      const lines = corpusLines(text);
      const hasFilter = prefix === "" && existsSync(join(filterDir, `${name}.conf`));
      const optionSets: Record<string, unknown>[] = [{}];
      for (const m of text.matchAll(/^# filterOptions: (.*)$/gm)) {
        const parsed = JSON.parse(m[1]!) as Record<string, unknown> | Record<string, unknown>[];
        for (const o of Array.isArray(parsed) ? parsed : [parsed]) {
          const clean = Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith("test.")));
          if (!optionSets.some((s) => JSON.stringify(s) === JSON.stringify(clean))) optionSets.push(clean);
        }
      }
      for (const options of hasFilter ? optionSets : [{}]) {
        cases.push({
          name: `corpus ${prefix}${name} ${JSON.stringify(options)}`,
          filter: hasFilter ? name : null,
          options,
          lines,
        });
      }
    }
  };
  walk(corpusDir, "");
  return cases;
}

function runOracle(cases: Case[]): Promise<OracleCase[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "python3",
      [oracle],
      { env: { ...process.env, TZ: "Europe/Berlin" }, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`oracle failed: ${err.message}\n${stderr}`));
        else resolve((JSON.parse(stdout) as { cases: OracleCase[] }).cases);
      },
    );
    child.stdin!.end(JSON.stringify({ now: NOW, cases }));
  });
}

test("date detector agrees with Fail2Ban 1.0.2 on the corpus and crafted lines", async (t) => {
  const crafted = (
    JSON.parse(readFileSync(join(repoRoot, "test/fixtures/date/crafted-cases.json"), "utf8")) as {
      cases: Case[];
    }
  ).cases;
  const cases = [...corpusCases(), ...crafted];
  const expected = await runOracle(cases);
  assert.equal(expected.length, cases.length);
  let lines = 0;
  let agree = 0;
  let corpusLinesSeen = 0;
  let orderAgree = 0;
  let rejected = 0;
  const disagreements: string[] = [];
  for (let c = 0; c < cases.length; c += 1) {
    const kase = cases[c]!;
    const want = expected[c]!;
    const created = createDateDetector({
      datepattern: want.datepattern ?? undefined,
      logTimeZone: kase.logtimezone ?? undefined,
    });
    if (want.error !== null || !created.ok) {
      // A pattern Fail2Ban rejects at load time, or at its first line (regexes compile lazily).
      const f2bRejects = want.error !== null || want.results.every((r) => r?.[3]);
      assert.equal(!created.ok, f2bRejects, `${kase.name}: rejection differs (${want.error})`);
      rejected += 1;
      continue;
    }
    const detector = created.value;
    // Compared after the lines below: same order = same internal state.
    // Fail2Ban names %Exk/%Exl "Ex%k" or "%Exk" depending on Python's set order (hash seed).
    const norm = (names: readonly string[]) => JSON.stringify(names).replace(/Ex%([kl])/g, "%Ex$1");
    const checkOrder = () => {
      if (norm(detector.templateNames()) === norm(want.order)) orderAgree += 1;
      else
        disagreements.push(`${kase.name}: template order differs: ${JSON.stringify(want.order.slice(0, 3))}`);
    };
    const now = kase.now ?? NOW;
    for (let i = 0; i < kase.lines.length; i += 1) {
      const line = kase.lines[i]!;
      const m = detector.match(line, now);
      const got: Row = m === null ? null : [m.start, m.end, m.time, m.fault];
      const exp = want.results[i]!;
      lines += 1;
      if (kase.filter !== undefined) corpusLinesSeen += 1;
      const same =
        JSON.stringify(exp === null ? null : exp[3] ? "fault" : exp) ===
        JSON.stringify(got === null ? null : got[3] ? "fault" : got);
      if (same) agree += 1;
      else
        disagreements.push(
          `${kase.name} line ${i + 1} ${JSON.stringify(line)}: f2b ${JSON.stringify(exp)} rampart ${JSON.stringify(got)}`,
        );
    }
    checkOrder();
  }
  t.diagnostic(`${orderAgree}/${cases.length - rejected} cases end with the same template order`);
  t.diagnostic(`${agree}/${lines} lines agree (${corpusLinesSeen} corpus lines, ${cases.length} cases)`);
  assert.deepEqual(disagreements.slice(0, 40), [], `${disagreements.length} disagreements`);
  assert.ok(lines > 2000, "the corpus was read");
});
