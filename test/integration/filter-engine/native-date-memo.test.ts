import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateAuthLog } from "../../../bench/generate-auth-log.js";
import { corpusCases, FAIL2BAN_FILTER_DIR, filterSpec } from "../../support/corpus.js";
import {
  runScanner,
  SCANNER,
  SCANNER_ASAN,
  scannerEnv,
  writeScanPlan,
} from "../../support/native-scanner.js";
import { scratchDir } from "../../support/scratch-dir.js";

// The date templates' memo and the date stage's (native/src/date.c: template_memo, `stage`)
// change no answer of rampart-scan, nor the date detector's state: a template search decided on a
// line's first k bytes by PCRE2's hard partial matching is reused for later lines starting with
// the same bytes, and so is the whole date stage when it took the fast path. The scanner's test knob --date-memo-prefix turns
// the memo off (0) or fixes k; every run must equal the run without the memo. The crafted logs
// put dates whose text goes on differently after a shared start (fractions, a year, one more
// digit) at every cut: a memo that trusted a prefix too short would give other times or cuts.
const NOW = 1763720000;
const dir = scratchDir("native-date-memo");
const ENV = scannerEnv("Europe/Berlin");
const RELEASE = SCANNER;
const ASAN = SCANNER_ASAN;
const planFile = (spec: string, filterDir?: string) => writeScanPlan(dir, spec, filterDir);

function scan(binary: string, plan: string, log: string, args: readonly string[]) {
  const r = runScanner(binary, plan, log, ["--json", ...args], { now: NOW, env: ENV });
  assert.equal(r.status, 0, r.stderr.slice(0, 2000));
  assert.doesNotMatch(r.stderr, /Sanitizer|runtime error/, r.stderr.slice(0, 2000));
  return r;
}

/** The adaptive memo's margins (a last line of --dump-date-state, see date.c), taken out of `stderr`. */
const MARGINS = /^date memo margins:((?: \d+)*)\n/m;

/**
 * The run with the memo (`memo`: extra knobs, e.g. a fixed prefix) equals the run without. Returns
 * the output and, with the adaptive memo, each plan template's margin at the end.
 */
function sameAsWithout(
  binary: string,
  plan: string,
  log: string,
  args: readonly string[] = [],
  memo: readonly string[] = [],
): { stdout: string; margins: number[] | undefined } {
  // --dump-date-state: the detector's state at the end (template order, counts, positions) on
  // stderr, which the memo must leave as the searches would.
  const without = scan(binary, plan, log, [...args, "--dump-date-state", "--date-memo-prefix", "0"]);
  const withMemo = scan(binary, plan, log, [...args, "--dump-date-state", ...memo]);
  const what = `${log} ${[...args, ...memo].join(" ")}`;
  assert.equal(withMemo.stdout, without.stdout, `${what}: stdout`);
  assert.equal(withMemo.stats, without.stats, `${what}: stats`);
  assert.match(without.stderr, /^date detector: /);
  assert.doesNotMatch(without.stderr, MARGINS);
  const margins = MARGINS.exec(withMemo.stderr)?.[1];
  assert.equal(withMemo.stderr.replace(MARGINS, ""), without.stderr, `${what}: the date detector's state`);
  return { stdout: without.stdout, margins: margins?.trim().split(" ").map(Number) };
}

/** Lines of one date format whose date text continues differently after shared starts. */
function craftedLog(): string {
  const variants = [
    "Nov 21 12:34:56",
    "Nov 21 12:34:56.250",
    "Nov 21 12:34:56 2023",
    "Nov 21 12:34:56.5 2024",
    "Nov 21 12:34:5",
    "Nov 21 12:34:567",
    "Nov 21 12:34",
    "Fri Nov 21 12:34:56",
    "Nov 2 12:34:56",
    "Nov 21  12:34:56",
    "2025-11-21 12:34:56",
    "2025-11-21 12:34:56,123",
    "2025-11-21T12:34:56Z",
    "2025-11-21T12:34:56+02:00",
    "2025-11-21 12:34:56.123456 +0100",
    "2025-11-21 12:34",
    "[21/Nov/2025:12:34:56 +0000]",
    "[21/Nov/2025:12:34:56 -0500]",
    "21/Nov/2025:12:34:56",
    "1763720000",
    "1763720000.5",
    "@4000000069200f5e00000000",
  ];
  const lines: string[] = [];
  // Every variant after every other (a memo made by one line, tried on the next), twice.
  for (let round = 0; round < 2; round++) {
    for (const [i, a] of variants.entries()) {
      for (const [j, b] of variants.entries()) {
        lines.push(`${a} host login failure from 192.0.2.${(i * 7 + j) % 250}`);
        lines.push(`${b} host login failure from 198.51.100.${(i + j * 5) % 250}`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

describe("rampart-scan: the date templates' memo changes no answer", {
  skip: !existsSync(RELEASE) && "not built",
}, () => {
  it("crafted dates that go on differently after a shared start, at every prefix length", () => {
    const filter = join(dir, "login.conf");
    writeFileSync(filter, "[Definition]\nfailregex = login failure from <ADDR>$\n");
    const plan = planFile(filter) ?? assert.fail("no scan plan");
    const log = join(dir, "crafted.log");
    writeFileSync(log, craftedLog());
    const base = sameAsWithout(RELEASE, plan, log).stdout;
    assert.ok(base.split("\n").length > 1000, "the crafted lines are failures");
    // The times differ between variants: a wrongly reused date would show.
    assert.ok(new Set(base.split("\n").map((l) => l && JSON.parse(l).time)).size > 10);
    for (let k = 1; k <= 40; k++) sameAsWithout(RELEASE, plan, log, [], ["--date-memo-prefix", String(k)]);
    sameAsWithout(ASAN, plan, log);
    sameAsWithout(ASAN, plan, log, [], ["--date-memo-prefix", "16"]);
  });

  it("dates that need more than their end + 4 bytes: the margin grows, the partial answers are searched again", () => {
    // The adaptive memo decides a line on its first k bytes, k = the last match's end + a margin
    // that starts at 4 and doubles each time a prefix search comes back partial (the template
    // wanted bytes past k). Each log below (a fresh scanner, so margin 4 at the start) puts after
    // the line that comes back partial a line sharing those k bytes whose date differs past
    // them: trusting the partial answer (keeping it, or the whole line's answer, for those k
    // bytes) would give that line the other date. `margin`: the syslog template's at the end.
    const filter = join(dir, "login-grow.conf");
    writeFileSync(filter, "[Definition]\nfailregex = login failure from <ADDR>$\n");
    const plan = planFile(filter) ?? assert.fail("no scan plan");
    const P = "Nov 21 12:34:50"; // ends at 15: k = 19, then 23, 31 as the margin grows
    // The memo keeps spans, not text: the line after the partial one ends its date elsewhere.
    const cases: { name: string; dates: string[]; margin: number }[] = [
      {
        // k = 19 cuts " 202": a year or not (" 20241" is no year: the time is this year's).
        name: "a year after the time",
        dates: [
          P,
          P,
          "Nov 21 12:34:56 2024",
          "Nov 21 12:34:56 20241",
          P,
          "Nov 21 12:34:56 20241",
          "Nov 21 12:34:56 2024",
        ],
        margin: 8,
      },
      {
        // k = 19 cuts ".123": seven digits are no fraction, and then " 2024" no year.
        name: "a fraction",
        dates: [
          P,
          P,
          "Nov 21 12:34:56.123456 2024",
          "Nov 21 12:34:56.1234567 2024",
          P,
          "Nov 21 12:34:56.123",
        ],
        margin: 8,
      },
      {
        // Partial at 19 ("...56" may end there), no match on the whole line ("56x"); the next
        // line shares the 19 bytes and has a date.
        name: "a partial prefix, no match on the whole line",
        dates: [
          P,
          P,
          "Fri Nov 21 12:34:56x",
          "Fri Nov 21 12:34:56",
          P,
          "Fri Nov 21 12:34:56x",
          "Fri Nov 21 12:34:56",
        ],
        margin: 8,
      },
      {
        // margin 4 -> 8 (k = 19, a year), 8 -> 16 (k = 23, a fraction and a year), 16 -> 32
        // (k = 31, a day, a fraction and a year: the date ends at k, the look-ahead wants more).
        name: "one doubling after the other",
        dates: [
          P,
          P,
          "Nov 21 12:34:56 2024",
          "Nov 21 12:34:56 20241",
          P,
          "Nov 21 12:34:56.123456 2024",
          "Nov 21 12:34:56.123456 20241",
          P,
          "Fri Nov 21 12:34:56.123456 2024",
          "Fri Nov 21 12:34:56.123456 2024x",
          P,
          "Fri Nov 21 12:34:56.123456 2023",
        ],
        margin: 32,
      },
    ];
    for (const [n, c] of cases.entries()) {
      const log = join(dir, `grow-${n}.log`);
      const lines = c.dates.map((d, i) => `${d} host login failure from 192.0.2.${i + 1}`);
      writeFileSync(log, `${lines.join("\n")}\n`);
      for (const binary of [RELEASE, ASAN]) {
        const { stdout, margins } = sameAsWithout(binary, plan, log);
        assert.equal(stdout.trim().split("\n").length, lines.length, `${c.name}: every line is a failure`);
        assert.ok(margins, `${c.name}: the margins`);
        // The syslog template's margin grew; no other template's did.
        assert.deepEqual(
          margins.filter((m) => m !== 4),
          [c.margin],
          `${c.name}: the margins ${margins.join(" ")}`,
        );
      }
    }
  });

  it("every native fail2ban corpus log", () => {
    let logs = 0;
    for (const c of corpusCases()) {
      const plan = planFile(filterSpec(c.filter, c.options), FAIL2BAN_FILTER_DIR);
      if (plan === undefined) continue;
      sameAsWithout(RELEASE, plan, c.log);
      logs++;
    }
    assert.ok(logs >= 100, `only ${logs} corpus logs`);
  });

  it("a generated sshd log, one and two threads", async () => {
    const plan = planFile("sshd", FAIL2BAN_FILTER_DIR) ?? assert.fail("no scan plan for sshd");
    const log = join(dir, "auth.log");
    await generateAuthLog(log, 30_000);
    for (const threads of ["1", "2"]) {
      const { margins } = sameAsWithout(RELEASE, plan, log, ["--threads", threads, "--split-min-bytes", "0"]);
      // Syslog dates: every line is decided on its date and 4 bytes (the speed, not the answers).
      assert.ok(
        margins?.every((m) => m === 4),
        `margins ${margins?.join(" ")}`,
      );
    }
  });
});
