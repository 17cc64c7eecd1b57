import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateAuthLog } from "../../../bench/generate-auth-log.js";
import { compileLineFilter } from "../../../src/adapters/filter/load-line-filter.js";
import { buildScanPlan } from "../../../src/adapters/native/build-scan-plan.js";
import { corpusCases, FAIL2BAN_FILTER_DIR, filterSpec } from "../../support/corpus.js";
import { runScanner, SCANNER, SCANNER_ASAN, scannerEnv } from "../../support/native-scanner.js";
import { scratchDir } from "../../support/scratch-dir.js";

// The ASCII variants (the plan's `ascii=` fields, regex.h) change no answer of rampart-scan: every
// native corpus log (ASCII and non-ASCII lines mixed) and a generated sshd log give the same
// stdout and stats with the plan as written and with every `ascii=` field removed (the UTF
// patterns then run on every line). pcre2-differential.test.ts checks the variants regex by
// regex; this checks the scanner's choice of one per line (main.c → filter.c, date.c). A variant
// whose groups differ from its pattern's makes the plan fail to load.
const RELEASE = SCANNER;
const ASAN = SCANNER_ASAN;
const NOW = 1763720000;
const dir = scratchDir("native-ascii");

const ENV = scannerEnv("UTC");

const ASCII_FIELD = / ascii=\S*/g;

let planCount = 0;
/** The plan as written and without its ascii= fields, in files; undefined when not native. */
function planFiles(spec: string): { with: string; without: string; variants: number } | undefined {
  const compiled = compileLineFilter(spec, { filterDir: FAIL2BAN_FILTER_DIR });
  if (!compiled.ok) return undefined;
  const plan = buildScanPlan(compiled.value);
  if (!plan.ok) return undefined;
  const n = planCount++;
  const files = { with: join(dir, `plan-${n}`), without: join(dir, `plan-${n}-utf`) };
  writeFileSync(files.with, plan.text);
  writeFileSync(files.without, plan.text.replace(ASCII_FIELD, ""));
  return { ...files, variants: plan.text.match(ASCII_FIELD)?.length ?? 0 };
}

function scan(binary: string, plan: string, log: string, args: readonly string[] = []) {
  return runScanner(binary, plan, log, args, { now: NOW, env: ENV });
}

function same(binary: string, plans: { with: string; without: string }, log: string, args: string[] = []) {
  const a = scan(binary, plans.with, log, ["--json", ...args]);
  const b = scan(binary, plans.without, log, ["--json", ...args]);
  assert.equal(a.status, 0, a.stderr.slice(0, 2000));
  assert.equal(b.status, 0, b.stderr.slice(0, 2000));
  assert.doesNotMatch(a.stderr, /Sanitizer|runtime error/, a.stderr.slice(0, 2000));
  assert.equal(a.stdout, b.stdout, `${log}: stdout`);
  assert.equal(a.stats, b.stats, `${log}: stats`);
  assert.equal(a.stderr, b.stderr, `${log}: stderr`);
}

describe("rampart-scan: the ASCII variants change no answer", {
  skip: !existsSync(RELEASE) && "not built",
}, () => {
  it("every native fail2ban corpus log, with and without the ASCII variants", () => {
    let logs = 0;
    let nonAscii = 0;
    for (const c of corpusCases()) {
      const plans = planFiles(filterSpec(c.filter, c.options));
      if (plans === undefined) continue;
      assert.ok(plans.variants > 0, `${c.filter}: no ASCII variant in the plan`);
      same(RELEASE, plans, c.log);
      logs++;
      if (/[^\0-\x7f]/.test(readFileSync(c.log, "latin1"))) nonAscii++;
    }
    assert.ok(logs >= 100, `only ${logs} corpus logs`);
    assert.ok(nonAscii >= 3, `only ${nonAscii} logs with non-ASCII lines`);
  });

  it("a generated sshd log with non-ASCII lines among ASCII ones, one and two threads", async () => {
    const plans = planFiles("sshd") ?? assert.fail("no scan plan for sshd");
    const log = join(dir, "bench.log");
    await generateAuthLog(log, 20_000);
    const lines = readFileSync(log, "utf8").split("\n");
    // Non-ASCII users and hosts, a no-break or ideographic space between host and "sshd[…]:",
    // and an invalid byte (repaired to U+FFFD) after every 11th line. And lines whose answer would
    // change were they taken for ASCII (the ASCII variants run on their bytes): "« " before the
    // date, which {^LN-BEG} allows as two characters but not as three bytes (the host left out,
    // so the prefregex still finds "sshd[…]:" after the date is cut); a no-break space at the end,
    // which the failregexes' final \s* takes as Python's \s does.
    const edits: readonly ((l: string) => string)[] = [
      (l) => l.replace(/user (\S+)/, "user $1é").replace("web01", "wéb01"),
      (l) => l.replace(" sshd[", "\u00a0sshd["),
      (l) => `« ${l.replace("web01 ", "")}`,
      (l) => l.replace(" sshd[", "\u3000sshd["),
      (l) => `« ${l.replace("web01 ", "")}`,
      (l) => `${l}\u00a0`,
    ];
    const mixed: Buffer[] = lines.map((l, i) => {
      const text = i % 5 === 3 ? edits[((i / 5) % edits.length) | 0]!(l) : l;
      return Buffer.concat([Buffer.from(text), Buffer.from(i % 11 === 5 ? [0xff, 0x0a] : [0x0a])]);
    });
    writeFileSync(log, Buffer.concat(mixed));
    for (const binary of [RELEASE, ...(existsSync(ASAN) ? [ASAN] : [])]) {
      same(binary, plans, log);
      same(binary, plans, log, ["--threads", "2", "--split-min-bytes", "0"]);
    }
    const out = scan(RELEASE, plans.with, log, ["--json"]).stdout;
    assert.match(out, /"user":"[^"]*é"/);
    const guillemet = mixed.flatMap((l, i) => (l.toString().startsWith("« ") ? [i + 1] : []));
    const reported = new Set(
      out.split("\n").flatMap((l) => (l ? [(JSON.parse(l) as { line: number }).line] : [])),
    );
    assert.ok(guillemet.filter((n) => reported.has(n)).length >= 100, "few « lines reported");
    const nbsp = mixed.flatMap((l, i) => (l.toString().endsWith("\u00a0\n") ? [i + 1] : []));
    assert.ok(nbsp.filter((n) => reported.has(n)).length >= 100, "few lines ending in U+00A0 reported");
  });

  it("refuses a plan whose ASCII variant has other groups than its pattern", () => {
    const plans = planFiles("sshd") ?? assert.fail("no scan plan for sshd");
    const text = readFileSync(plans.with, "utf8");
    const bad = join(dir, "bad-plan");
    const log = join(dir, "one.log");
    writeFileSync(log, "Jan  1 00:00:00 web01 sshd[1]: Invalid user x from 192.0.2.1 port 1\n");
    assert.equal(scan(RELEASE, plans.with, log).status, 0);
    // The prefregex's variant with one more group.
    const line = text.split("\n").find((l) => l.startsWith("regex role=pref")) ?? assert.fail("no prefregex");
    const broken = line.replace(/( ascii=\S*)/, "$1%28%29");
    assert.notEqual(broken, line);
    writeFileSync(bad, text.replace(line, broken));
    const r = scan(RELEASE, bad, log);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /ASCII variant: its capture groups/);
    // And an ascii field that is not ASCII.
    writeFileSync(bad, text.replace(line, line.replace(/ ascii=/, " ascii=%c3%a9")));
    const s = scan(RELEASE, bad, log);
    assert.equal(s.status, 2, s.stderr);
    assert.match(s.stderr, /field 'ascii' is not ASCII/);
  });
});
