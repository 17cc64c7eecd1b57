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

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random lines mixing date shapes at random places, with mutations (seeded: reproducible). */
function generatedLines(seed: number, count: number): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const n = (max: number) => String(Math.floor(r() * max));
  const dates = [
    () =>
      `${pick(["Jan", "feb", "Nov", "DEC"])} ${pick([n(32), ` ${n(10)}`])} ${n(25)}:${n(60)}:${n(62)}${pick(["", ".123", " 2026", ".5 2019"])}`,
    () =>
      `${pick(["2026", "2005", "1999"])}${pick(["-", "/", "."])}${n(13)}-${n(32)}${pick(["T", " ", "  "])}${n(24)}:${n(60)}:${n(60)}${pick(["", ".123456", ",5", "Z", "+01:00", " -0530", " UTC"])}`,
    () =>
      `${n(32)}/${pick(["Oct", "Jan"])}/${pick(["2006", "2026"])}:${n(24)}:${n(60)}:${n(60)} ${pick(["-0000", "+0200"])}`,
    () => `${pick(["", "["])}${1000000000 + Math.floor(r() * 900000000)}${pick(["", ".123", "]"])}`,
    () => `${n(24)}:${n(60)}:${n(60)}`,
    () =>
      pick([
        "@4000000037c219bf2ef02e94",
        "130322 11:46:11",
        "23/01/05 21:59:59",
        "PDT Apr 16 21:05:29",
        "01-27-2012 16:22:44",
      ]),
  ];
  const words = [
    "host",
    "sshd[123]:",
    "Failed",
    "from",
    "1.2.3.4",
    "x",
    "é",
    "😀",
    "[",
    "]",
    "-",
    "user=root",
    "::",
    "audit(",
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const parts: string[] = [];
    const len = 1 + Math.floor(r() * 6);
    const datePos = r() < 0.8 ? Math.floor(r() * Math.min(len, 3)) : -1;
    for (let k = 0; k < len; k += 1) parts.push(k === datePos ? pick(dates)() : pick(words));
    if (r() < 0.15) parts.push(pick(dates)());
    let line = parts.join(r() < 0.9 ? " " : "");
    if (r() < 0.2) {
      const at = Math.floor(r() * line.length);
      line = line.slice(0, at) + pick(["", "1", " ", ":", "é", "a"]) + line.slice(at + 1);
    }
    if (line.trim() !== "" && !line.startsWith("#")) out.push(line);
  }
  return out;
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
  const generated: Case[] = [
    { name: "generated, defaults", lines: generatedLines(1, 1500) },
    { name: "generated, {^LN-BEG}", datepattern: "{^LN-BEG}", lines: generatedLines(2, 1500) },
    {
      name: "generated, two patterns",
      datepattern: "%b %d %H:%M:%S\n%Y-%m-%d %H:%M:%S",
      lines: generatedLines(3, 1000),
    },
    { name: "generated, {DATE}", datepattern: "^[^\\[]*\\[({DATE})", lines: generatedLines(4, 1000) },
    { name: "generated, EPOCH", datepattern: "EPOCH", lines: generatedLines(5, 500) },
  ];
  const cases = [...corpusCases(), ...crafted, ...generated];
  const expected = await runOracle(cases);
  assert.equal(expected.length, cases.length);
  let lines = 0;
  let agree = 0;
  let corpusLinesSeen = 0;
  let orderAgree = 0;
  let withTime = 0;
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
      if (exp !== null && exp[2] !== null) withTime += 1;
      if (same) agree += 1;
      else
        disagreements.push(
          `${kase.name} line ${i + 1} ${JSON.stringify(line)}: f2b ${JSON.stringify(exp)} rampart ${JSON.stringify(got)}`,
        );
    }
    checkOrder();
  }
  t.diagnostic(`${withTime} lines have a parsed time in Fail2Ban`);
  t.diagnostic(`${orderAgree}/${cases.length - rejected} cases end with the same template order`);
  t.diagnostic(`${agree}/${lines} lines agree (${corpusLinesSeen} corpus lines, ${cases.length} cases)`);
  assert.deepEqual(disagreements.slice(0, 40), [], `${disagreements.length} disagreements`);
  assert.ok(lines > 2000, "the corpus was read");
});
