import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateAuthLog } from "../../../bench/generate-auth-log.js";
import { corpusCases, FAIL2BAN_FILTER_DIR, filterSpec } from "../../support/corpus.js";
import {
  REPO_ROOT,
  runScanner,
  SCANNER,
  SCANNER_ASAN,
  scannerEnv,
  writeScanPlan,
} from "../../support/native-scanner.js";
import { scratchDir } from "../../support/scratch-dir.js";

// rampart-scan --threads 2 splits a regular file between two threads and must give exactly the
// answers of one thread: the same stdout bytes (JSON lines, or nothing) and the same stats
// (counts, per-regex hits, abandoned lines, incomplete line). Small --split-min-bytes and
// --split-window-bytes (and --split-at) make small files split, and crafted logs force both
// outcomes: "verified" (thread 2's answers stand) and "rerun" (thread 1 runs the second part).
const RELEASE = SCANNER;
const ASAN = SCANNER_ASAN;
const RAMPART = join(REPO_ROOT, "bin/rampart");
const NOW = 1763720000; // 2025-11-21 10:13:20 UTC
const dir = scratchDir("native-threads");

const ENV = scannerEnv("UTC");

const planFile = (spec: string) => writeScanPlan(dir, spec, FAIL2BAN_FILTER_DIR);

interface Scan {
  readonly stdout: string;
  readonly stats: Record<string, unknown>;
  /** The date detector's state at the end (--dump-date-state), when asked for. */
  readonly dates: string;
}

function scan(binary: string, plan: string, log: string, args: readonly string[]): Scan {
  const r = runScanner(binary, plan, log, args, { now: NOW, env: ENV });
  assert.equal(r.status, 0, `${binary} ${args.join(" ")} ${log}: ${r.stderr.slice(0, 3000)}`);
  assert.doesNotMatch(r.stderr, /Sanitizer|runtime error/, r.stderr.slice(0, 3000));
  const dates = r.stderr
    .split("\n")
    .filter((l) => l.startsWith("date detector:") || l.startsWith("  order "))
    .join("\n");
  return { stdout: r.stdout, stats: JSON.parse(r.stats) as Record<string, unknown>, dates };
}

/**
 * One thread against two, with and without --json: the same bytes and stats. Returns the split
 * outcome ("verified" or "rerun"; undefined when the file was not split).
 */
function compare(binary: string, plan: string, log: string, split: readonly string[], json = [true, false]) {
  const outcomes = new Set<unknown>();
  for (const asJson of json) {
    const mode = asJson ? ["--json"] : [];
    // The date stage one thread ends with, which two threads also report (main.c: the replay's,
    // or thread 2's with thread 1's counts carried over its steady lines): a wrong carry shows.
    const one = scan(binary, plan, log, [...mode, "--threads", "1", "--dump-date-state"]);
    const two = scan(binary, plan, log, [
      ...mode,
      "--threads",
      "2",
      "--split-min-bytes",
      "0",
      "--dump-date-state",
      ...split,
    ]);
    assert.ok(one.dates.startsWith("date detector:"), one.dates);
    assert.equal(two.dates, one.dates, `${log} ${split.join(" ")}: the date stage at the end`);
    assert.equal(one.stats.split, undefined);
    const { split: outcome, replayedLines, ...stats } = two.stats;
    assert.equal(typeof replayedLines, outcome === undefined ? "undefined" : "number");
    assert.equal(two.stdout, one.stdout, `${log} ${split.join(" ")}: stdout`);
    assert.deepEqual(stats, one.stats, `${log} ${split.join(" ")}: stats`);
    outcomes.add(outcome);
  }
  assert.equal(outcomes.size, 1, "the same split outcome with and without --json");
  return [...outcomes][0] as "verified" | "rerun" | undefined;
}

const binaries = [RELEASE, ...(existsSync(ASAN) ? [ASAN] : [])];

describe("rampart-scan --threads 2 gives the answers of one thread", {
  skip: !existsSync(RELEASE) && "not built",
}, () => {
  const sshd = planFile("sshd") ?? assert.fail("no scan plan for sshd");

  it("a generated sshd log, split with the default window, in memory and spilled to a file", async () => {
    const log = join(dir, "bench.log");
    await generateAuthLog(log, 40_000);
    assert.equal(
      scan(RELEASE, sshd, log, ["--threads", "2", "--split-min-bytes", "0"]).stats.replayedLines,
      0,
    );
    for (const binary of binaries) {
      assert.equal(compare(binary, sshd, log, []), "verified");
      assert.equal(compare(binary, sshd, log, ["--split-hold-bytes", "4096"], [true]), "verified");
    }
    // A last line without its newline: numbered, not read, the same with two threads.
    const cut = join(dir, "bench-cut.log");
    await generateAuthLog(cut, 30_000);
    const size = statSync(cut).size;
    writeFileSync(cut, Buffer.from("Jan  1 00:00:00 web01 sshd[1]: Invalid user x from 192.0.2.1 port 1"), {
      flag: "a",
    });
    assert.ok(statSync(cut).size > size);
    const r = scan(RELEASE, sshd, cut, ["--threads", "2", "--split-min-bytes", "0"]);
    assert.equal(r.stats.incompleteLine, 30_001);
    assert.equal(compare(RELEASE, sshd, cut, []), "verified");
  });

  it("thread 2's held output grown past its first 2 MiB block (mremap), and in a smaller limit spilled", async () => {
    // 120,000 lines: thread 2 holds about 2.3 MB of JSON, so its first block grows once.
    const log = join(dir, "bench-big.log");
    await generateAuthLog(log, 120_000);
    for (const binary of binaries) {
      assert.equal(compare(binary, sshd, log, [], [true]), "verified");
      assert.equal(compare(binary, sshd, log, ["--split-hold-bytes", "3000000"], [true]), "verified");
    }
  });

  it("every fail2ban corpus log with its filter (the native ones), at several windows", () => {
    let cases = 0;
    const outcomes = { verified: 0, rerun: 0 };
    for (const c of corpusCases()) {
      const plan = planFile(filterSpec(c.filter, c.options));
      if (plan === undefined) continue;
      const size = statSync(c.log).size;
      for (const window of [64, Math.max(64, Math.floor(size / 3))]) {
        const outcome = compare(RELEASE, plan, c.log, ["--split-window-bytes", String(window)]);
        if (outcome !== undefined) outcomes[outcome]++;
      }
      if (binaries.includes(ASAN)) compare(ASAN, plan, c.log, ["--split-window-bytes", "256"], [true]);
      cases++;
    }
    assert.ok(cases >= 80, `only ${cases} corpus cases ran natively`);
    assert.ok(outcomes.verified > 0 && outcomes.rerun > 0, JSON.stringify(outcomes));
  });

  // Crafted logs: the second part starts (--split-at) right after line `split` (0-based count of
  // lines before it), and the window covers the 250 lines before it (the mlfid cache holds 100).
  const t = (i: number) => new Date((NOW - 3000 + i) * 1000);
  const syslog = (i: number) => {
    const d = t(i);
    const month = d.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
    const hms = d.toISOString().slice(11, 19);
    return `${month} ${String(d.getUTCDate()).padStart(2, " ")} ${hms}`;
  };
  const us = (i: number) => {
    const d = t(i);
    const p = (n: number) => String(n).padStart(2, "0");
    return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${d.toISOString().slice(11, 19)}`;
  };
  const invalid = (i: number, date: string) =>
    `${date}${date ? " " : ""}host sshd[${5000 + i}]: Invalid user u${i % 50} from 192.0.2.${(i % 250) + 1} port ${1000 + i}`;

  function crafted(name: string, lines: readonly string[], split: number): { log: string; args: string[] } {
    const log = join(dir, `${name}.log`);
    const text = (ls: readonly string[]) => ls.map((l) => `${l}\n`).join("");
    writeFileSync(log, text(lines));
    const at = Buffer.byteLength(text(lines.slice(0, split)));
    const window = Buffer.byteLength(text(lines.slice(split - 250, split)));
    return { log, args: ["--split-at", String(at), "--split-window-bytes", String(window)] };
  }

  function expect(
    name: string,
    lines: readonly string[],
    split: number,
    outcome: "verified" | "rerun",
    plan = sshd,
  ): string {
    const { log, args } = crafted(name, lines, split);
    for (const binary of binaries) assert.equal(compare(binary, plan, log, args), outcome, name);
    return scan(RELEASE, plan, log, ["--json"]).stdout;
  }

  /** How many lines of the second part thread 1 replayed the dates of (stats.replayedLines). */
  function replayed(name: string, lines: readonly string[], split: number, plan = sshd): number {
    const { log, args } = crafted(name, lines, split);
    const r = scan(RELEASE, plan, log, ["--threads", "2", "--split-min-bytes", "0", ...args]);
    return r.stats.replayedLines as number;
  }

  it("plain: verified", () => {
    const lines = Array.from({ length: 1200 }, (_, i) => invalid(i, syslog(i)));
    expect("plain", lines, 900, "verified");
    // Every date of the second part is steady (the last template, again): nothing replayed.
    assert.equal(replayed("plain", lines, 900), 0);
  });

  // Three date formats a line can start with, in this order: with seconds, without, day first.
  // A line with seconds is also read by the second (its minute): which one reads it depends on
  // the detector's past (its last template, or its order when it searches).
  const threeFormats = (() => {
    const conf = join(dir, "three-formats.conf");
    writeFileSync(
      conf,
      [
        "[Definition]",
        "failregex = sshd\\[\\d+\\]: Invalid user \\S+ from <HOST>",
        "datepattern = ^%%Y-%%m-%%d %%H:%%M:%%S",
        "              ^%%Y-%%m-%%d %%H:%%M",
        "              ^%%d/%%m/%%Y %%H:%%M",
        "",
      ].join("\n"),
    );
    return planFile(conf) ?? assert.fail("no scan plan for three-formats.conf");
  })();
  const iso = (i: number) => t(i).toISOString().slice(0, 10);
  const seconds = (i: number) => invalid(i, `${iso(i)} ${t(i).toISOString().slice(11, 19)}`);
  const minutes = (i: number) => invalid(i, `${iso(i)} ${t(i).toISOString().slice(11, 16)}`);
  const dayFirst = (i: number) => {
    const [y, m, d] = iso(i).split("-");
    return invalid(i, `${d}/${m}/${y} ${t(i).toISOString().slice(11, 16)}`);
  };

  it("steady dates after the split, but another last template than thread 1's: rerun", () => {
    // Thread 1 keeps reading lines with seconds by their minute (its last template, from the
    // lines before); thread 2, fresh in a window of such lines, reads their seconds.
    const lines = [
      ...Array.from({ length: 600 }, (_, i) => minutes(i)),
      ...Array.from({ length: 900 }, (_, i) => seconds(i + 600)),
    ];
    const out = expect("other-course", lines, 1200, "rerun", threeFormats);
    assert.ok(out.split("\n").every((l) => l === "" || (JSON.parse(l) as { time: number }).time % 60 === 0));
  });

  // The detector's order differs between the threads while their last template is the same:
  // thread 1 saw minute dates first (order: minute, day-first, seconds), thread 2 only day-first
  // ones (day-first, seconds, minute). A line with seconds after 1,024 steady day-first lines is
  // then searched, and the order decides.
  const orders = (tail: (i: number) => string) => [
    ...Array.from({ length: 400 }, (_, i) => minutes(i)),
    ...Array.from({ length: 400 + 1100 }, (_, i) => dayFirst(i + 400)),
    tail(1900),
    ...Array.from({ length: 100 }, (_, i) => dayFirst(i + 1901)),
  ];

  it("a searched date after a checkpoint, decided by the order: replayed from there, rerun", () => {
    // Thread 1 replays from thread 2's checkpoint with its own order and counts, and reads the
    // line by its minute (thread 2 by its seconds): the dates differ, thread 1 runs the rest.
    const lines = orders(seconds);
    expect("orders", lines, 800, "rerun", threeFormats);
    const n = replayed("orders", lines, 800, threeFormats);
    assert.ok(n > 0 && n < 1201 - 1024 + 1, String(n));
  });

  it("a line without a date after a checkpoint: replayed from there, verified", () => {
    const lines = orders((i) => invalid(i, ""));
    expect("orders-dateless", lines, 800, "verified", threeFormats);
    const n = replayed("orders-dateless", lines, 800, threeFormats);
    assert.ok(n > 0 && n < 1201 - 1024 + 1, String(n));
  });

  it("an mlfid session opened before the window and completed after the split: rerun", () => {
    const filler = (i: number) => `${syslog(i)} host sshd[${5000 + i}]: Server listening on 0.0.0.0 port 22.`;
    const lines = [
      `${syslog(0)} host sshd[777]: Connection from 198.51.100.7 port 4444 on 10.0.0.1 port 22`,
      ...Array.from({ length: 1000 }, (_, i) => filler(i + 1)),
      `${syslog(1001)} host sshd[777]: Disconnecting: Too many authentication failures for root [preauth]`,
      ...Array.from({ length: 200 }, (_, i) => filler(i + 1002)),
    ];
    const out = expect("mlfid", lines, 1001, "rerun");
    // The failure takes its address from the session's first line, 1000 lines before.
    assert.match(out, /^\{"ip":"198\.51\.100\.7","time":\d+,"line":1002,"user":"root"\}\n$/);
  });

  it("a date format change right after the split: rerun", () => {
    // syslog dates long before the window, US dates in it, syslog again after the split: the
    // detector's template order and hits (its history) decide how the first lines are read.
    const lines = [
      ...Array.from({ length: 600 }, (_, i) => invalid(i, syslog(i))),
      ...Array.from({ length: 300 }, (_, i) => invalid(i + 600, us(i + 600))),
      ...Array.from({ length: 300 }, (_, i) => invalid(i + 900, syslog(i + 900))),
    ];
    expect("format-change", lines, 900, "rerun");
  });

  it("a line without a date right after the split: rerun", () => {
    // Only the first line has a date (recent: within 60 s of now); every later line borrows it.
    // Thread 2's window has no dated line, so it would use `now`.
    const recent = (() => {
      const d = new Date((NOW - 10) * 1000);
      return `${d.toLocaleString("en-US", { month: "short", timeZone: "UTC" })} ${d.getUTCDate()} ${d.toISOString().slice(11, 19)}`;
    })();
    const lines = [invalid(0, recent), ...Array.from({ length: 1200 }, (_, i) => invalid(i + 1, ""))];
    const out = expect("dateless", lines, 900, "rerun");
    const times = new Set(
      out
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { time: number }).time),
    );
    assert.deepEqual([...times], [NOW - 10]);
  });

  it("standard input and --threads 1 are never split; bad --threads values are refused", () => {
    const log = join(dir, "bench.log");
    const r = spawnSync(
      RELEASE,
      ["--plan", sshd, "--threads", "2", "--split-min-bytes", "0", "--stats-fd", "3", "-"],
      {
        env: ENV,
        input: "Nov 21 10:00:00 host sshd[1]: Invalid user a from 192.0.2.1 port 1\n",
        stdio: ["pipe", "pipe", "pipe", "pipe"],
      },
    );
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal((JSON.parse(r.output[3]?.toString() ?? "") as { split?: string }).split, undefined);
    assert.equal(
      scan(RELEASE, sshd, log, ["--threads", "1", "--split-min-bytes", "0"]).stats.split,
      undefined,
    );
    for (const bad of ["0", "3", "two", ""]) {
      const b = spawnSync(RELEASE, ["--plan", sshd, "--threads", bad, log], { env: ENV });
      assert.equal(b.status, 2, bad);
      assert.match(b.stderr.toString(), /--threads/);
    }
  });

  it("rampart filter test --engine native --threads 2: the same answers, and the summary says so", async () => {
    const log = join(dir, "cli.log");
    await generateAuthLog(log, 40_000);
    assert.ok(statSync(log).size >= 2 << 20);
    const run = (args: string[]) => {
      const r = spawnSync(RAMPART, ["filter", "test", log, "sshd", "--engine", "native", ...args], {
        env: ENV,
        maxBuffer: 1 << 28,
        timeout: 120_000,
      });
      assert.equal(r.status, 0, r.stderr.toString());
      return r.stdout.toString();
    };
    assert.equal(run(["--json", "--threads", "2"]), run(["--json", "--threads", "1"]));
    const one = run(["--threads", "1"]);
    const two = run(["--threads", "2"]);
    const summary = (text: string) => text.replace(/\[processed in .*\]/, "");
    assert.equal(summary(two), summary(one));
    assert.match(two, /lines\/s, 2 threads\]/);
    assert.doesNotMatch(one, /lines\/s, 2 threads/);
    // A rerun shows in the summary: every line after the first borrows its (recent) date, which
    // thread 2's window cannot know.
    const now = new Date();
    const stamp = `${now.toLocaleString("en-US", { month: "short", timeZone: "UTC" })} ${String(now.getUTCDate()).padStart(2, " ")} ${now.toISOString().slice(11, 19)}`;
    const lines = [invalid(0, stamp), ...Array.from({ length: 40_000 }, (_, i) => invalid(i + 1, ""))];
    writeFileSync(log, lines.map((l) => `${l}\n`).join(""));
    assert.ok(statSync(log).size >= 2 << 20);
    const rerun = run(["--threads", "2"]);
    assert.match(rerun, /lines\/s, 2 threads \(second half rerun\)\]/);
    assert.equal(summary(rerun), summary(run(["--threads", "1"])));
  });
});
