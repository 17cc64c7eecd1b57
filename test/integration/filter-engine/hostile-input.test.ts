import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

// Issue #2 acceptance 4 and 5, through the real CLI process: hostile logs never crash or hang
// it, and a broken filter is reported completely with exit status 2.
const ROOT = new URL("../../../../", import.meta.url).pathname;
const RAMPART = join(ROOT, "bin/rampart");
const FIXTURES = join(ROOT, "test/fixtures/filter-engine");
const dir = mkdtempSync(join(tmpdir(), "rampart-hostile-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], input?: Buffer | string) {
  const started = performance.now();
  const r = spawnSync(RAMPART, args, { input: input ?? "", timeout: 60_000, maxBuffer: 1 << 28 });
  return { ...r, stdout: r.stdout.toString(), stderr: r.stderr.toString(), ms: performance.now() - started };
}

function failures(stdout: string): { ip: string; line: number; user: string | null }[] {
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const SYSLOG = "Nov 21 10:00:00 host sshd[4242]:";

for (const [label, filterArgs] of [
  [
    "fail2ban's sshd filter (JS engine)",
    ["sshd", "--filter-dir", "/etc/fail2ban/filter.d", "--engine", "js"],
  ],
  [
    "fail2ban's sshd filter (native)",
    ["sshd", "--filter-dir", "/etc/fail2ban/filter.d", "--engine", "native"],
  ],
  ["the built-in sshd filter (JS engine)", ["sshd", "--engine", "js"]],
  ["the built-in sshd filter (native)", ["sshd", "--engine", "native"]],
] as const) {
  describe(`hostile input through ${label}`, () => {
    it("reports the real client, never an address injected in the user name", () => {
      const log = join(dir, `inject-${label.replace(/\W+/g, "-")}.log`);
      writeFileSync(
        log,
        [
          `${SYSLOG} Failed password for invalid user x from 1.2.3.4 port 22 from 198.51.100.7 port 51000 ssh2`,
          `${SYSLOG} Invalid user a from 1.2.3.4 port 22 from 198.51.100.8 port 51001`,
          `${SYSLOG} Failed password for root from 1.2.3.4 port 22 ssh2 from 198.51.100.9 port 51002 ssh2`,
        ].join("\n") + "\n",
      );
      const r = run(["filter", "test", log, ...filterArgs, "--json"]);
      assert.equal(r.status, 0, r.stderr);
      const ips = failures(r.stdout).map((f) => f.ip);
      assert.ok(!ips.includes("1.2.3.4"), `injected address reported: ${ips.join(", ")}`);
      assert.ok(ips.includes("198.51.100.7"), `real client missing: ${ips.join(", ")}`);
    });

    it("survives 1 MB lines, NUL bytes, invalid UTF-8 and CRLF, and still finds the failures after them", () => {
      const huge = `${SYSLOG} Failed password for invalid user ${"A".repeat(1 << 20)} from 198.51.100.20 port 1 ssh2`;
      const parts: Buffer[] = [
        Buffer.from(`${huge}\n`),
        Buffer.from(`${SYSLOG} Invalid user nul\0user from 198.51.100.21 port 2\n`),
        Buffer.concat([
          Buffer.from(`${SYSLOG} Invalid user bad`),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from(" from 198.51.100.22 port 3\n"),
        ]),
        Buffer.from(`${SYSLOG} Invalid user crlf from 198.51.100.23 port 4\r\n`),
        Buffer.from(`${"(".repeat(100000)}${" from ".repeat(20000)}\n`),
        Buffer.from(`${SYSLOG} Invalid user last from 198.51.100.24 port 5\n`),
      ];
      const log = join(dir, `mixed-${label.replace(/\W+/g, "-")}.log`);
      writeFileSync(log, Buffer.concat(parts));
      const r = run(["filter", "test", log, ...filterArgs, "--json"]);
      assert.equal(r.status, 0, r.stderr);
      const ips = failures(r.stdout).map((f) => f.ip);
      for (const ip of ["198.51.100.21", "198.51.100.22", "198.51.100.23", "198.51.100.24"])
        assert.ok(ips.includes(ip), `${ip} missing: ${ips}`);
      assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
    });
  });
}

// The JS engine bounds a line by time (a watchdog restarts its worker); the native scanner by
// PCRE2's match limit (10^7 backtracking steps, then the line is skipped). Both are run.
const ENGINES = [
  { engine: "js", skipped: (line: number) => new RegExp(`line ${line} .*exceeded the 10 ms budget`) },
  { engine: "native", skipped: (line: number) => new RegExp(`line ${line} exceeded the regex match limit`) },
] as const;

for (const { engine, skipped } of ENGINES) {
  const redos = (log: string) => [
    "filter",
    "test",
    log,
    join(FIXTURES, "redos.conf"),
    "--json",
    "--line-budget",
    "10",
    "--engine",
    engine,
  ];

  describe(`an unterminated last line (${engine} engine)`, () => {
    const text = "login failure from 192.0.2.1\nlogin failure from 192.0.2.2";
    const args = (log: string) => [
      "filter",
      "test",
      log,
      join(FIXTURES, "redos.conf"),
      "--json",
      "--engine",
      engine,
    ];
    it("is read from standard input (the pipe has ended), not from a file (it may be being written)", () => {
      const piped = run(args("-"), text);
      assert.equal(piped.status, 0, piped.stderr);
      assert.deepEqual(
        failures(piped.stdout).map((f) => f.line),
        [1, 2],
      );
      const log = join(dir, `unterminated-${engine}.log`);
      writeFileSync(log, text);
      const file = run(args(log));
      assert.equal(file.status, 0, file.stderr);
      assert.deepEqual(
        failures(file.stdout).map((f) => f.line),
        [1],
      );
      assert.match(file.stderr, /line 2 has no newline yet and was not read/);
    });
  });

  describe(`time bound per line (${engine} engine)`, () => {
    it("abandons a catastrophically backtracking line within the budget and goes on", () => {
      // " from " is there, so no required-literal shortcut (PCRE2 has them) can refuse the line
      // before the nested quantifier explodes.
      const hostile = `x${"a".repeat(40)} from !`;
      const lines = [`login failure from 192.0.2.1`, hostile, hostile, `login failure from 192.0.2.2`];
      const log = join(dir, `redos-${engine}.log`);
      writeFileSync(log, `${lines.join("\n")}\n`);
      const r = run(redos(log));
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(
        failures(r.stdout).map((f) => [f.ip, f.line]),
        [
          ["192.0.2.1", 1],
          ["192.0.2.2", 4],
        ],
      );
      assert.match(r.stderr, skipped(2));
      assert.match(r.stderr, skipped(3));
      // Two abandoned lines cost at most 2 × (budget + 10 × budget + 2 restarts) over a clean run
      // (JS), or two match limits (native); without the bound this run would not end for hours.
      const clean = join(dir, `clean-${engine}.log`);
      writeFileSync(clean, `${[lines[0], lines[3]].join("\n")}\n`);
      const baseline = run(redos(clean));
      assert.ok(r.ms - baseline.ms < 3_000, `hostile run ${r.ms} ms vs clean run ${baseline.ms} ms`);
    });

    if (engine === "native") {
      it("costs one match limit per hostile line: 50 of them in well under a second", () => {
        // A line is abandoned at its first regex over the limit (10^6 steps, about 3 ms here):
        // its cost is that plus the ordinary work, whatever its length. 20 ms per line leaves
        // room for a loaded machine; without the limit the run would not end for hours.
        const hostile = (n: number) => `x${"a".repeat([40, 1000, 60_000][n % 3]!)} from !`;
        const lines = Array.from({ length: 50 }, (_, n) => hostile(n));
        const log = join(dir, "redos-50.log");
        writeFileSync(log, `${lines.join("\n")}\n`);
        const clean = join(dir, "redos-50-clean.log");
        writeFileSync(clean, "login failure from 192.0.2.1\n");
        const baseline = run(redos(clean));
        const r = run(redos(log));
        assert.equal(r.status, 0, r.stderr);
        for (let line = 1; line <= 50; line++) assert.match(r.stderr, skipped(line));
        assert.ok(
          r.ms - baseline.ms < 50 * 20,
          `50 hostile lines: ${r.ms} ms vs clean run ${baseline.ms} ms`,
        );
      });
    }
  });

  describe(`time bound per line, in a file of several chunks and on standard input (${engine} engine)`, () => {
    // The JS worker reads a file in 1 MiB chunks and a fresh worker restarts at the last chunk it
    // confirmed: every failure must still come out once, in order, around an abandoned line.
    const benign = (n: number) => `login failure from 192.0.${n >> 8}.${n & 255}`;
    const count = 60_000;
    const hostileAt = 40_000;
    const lines: string[] = [];
    for (let n = 1; n <= count; n++) lines.push(n === hostileAt ? `x${"a".repeat(40)} from !` : benign(n));
    const expected = lines.flatMap((_, i) => (i + 1 === hostileAt ? [] : [i + 1]));

    it("a file: each failure exactly once, the hostile line skipped", () => {
      const log = join(dir, `chunks-${engine}.log`);
      writeFileSync(log, `${lines.join("\n")}\n`);
      const r = run(redos(log));
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(
        failures(r.stdout).map((f) => f.line),
        expected,
      );
      assert.match(r.stderr, skipped(hostileAt));
    });

    it("standard input: the same", () => {
      const r = run(redos("-"), `${lines.join("\n")}\n`);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(
        failures(r.stdout).map((f) => f.line),
        expected,
      );
      assert.match(r.stderr, skipped(hostileAt));
    });
  });
}

describe("broken filter files", () => {
  it("names every problem with file:line:col, prints nothing on stdout, exits 2", () => {
    const log = join(dir, "any.log");
    writeFileSync(log, "x\n");
    const r = run(["filter", "test", log, join(FIXTURES, "broken.conf"), "--json"]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /broken\.conf:6:1: Unknown section \[Defintion\]/);
    assert.match(r.stderr, /broken\.conf:\d+:\d+: .*_nope/);
    assert.match(r.stderr, /broken\.conf:\d+:\d+: .*(unbalanced|missing \)|parenthesis)/i);
    assert.match(r.stderr, /broken\.conf:\d+:\d+: .*failure-id/);
  });

  it("reports an unknown filter name", () => {
    const r = run(["filter", "test", "-", "no-such-filter", "--json"], "x\n");
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /no-such-filter/);
  });
});
