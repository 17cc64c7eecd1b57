import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CORPUS_DIR } from "../../support/corpus.js";
import { REPO_ROOT, SCANNER, SCANNER_ASAN, scannerEnv } from "../../support/native-scanner.js";
import { scratchDir } from "../../support/scratch-dir.js";

// The native scanner parses attacker-written text in C: every input below also runs through its
// AddressSanitizer + UBSan build (scripts/setup.sh builds both), which must report nothing and
// print exactly what the release build prints.
const RELEASE = SCANNER;
const ASAN = SCANNER_ASAN;
const PLAN_CLI = join(REPO_ROOT, "dist/src/adapters/native/scan-plan-cli.js");
const dir = scratchDir("sanitizers");

const SANITIZER_ENV = scannerEnv("Europe/Paris");

function plan(filter: string, filterDir?: string): string {
  const file = join(dir, `${filter.replace(/\W+/g, "_")}.plan`);
  const r = spawnSync(process.execPath, [
    PLAN_CLI,
    filter,
    ...(filterDir ? ["--filter-dir", filterDir] : []),
  ]);
  assert.equal(r.status, 0, r.stderr.toString());
  writeFileSync(file, r.stdout);
  return file;
}

function scan(binary: string, planFile: string, log: string) {
  const r = spawnSync(binary, ["--plan", planFile, "--json", "--now", "1763700000", "--stats-fd", "2", log], {
    env: SANITIZER_ENV,
    maxBuffer: 1 << 28,
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function assertClean(planFile: string, log: string): void {
  const asan = scan(ASAN, planFile, log);
  assert.doesNotMatch(
    asan.stderr,
    /AddressSanitizer|runtime error|LeakSanitizer/,
    asan.stderr.slice(0, 3000),
  );
  assert.equal(asan.status, 0, asan.stderr.slice(0, 3000));
  const release = scan(RELEASE, planFile, log);
  assert.equal(release.status, 0, release.stderr);
  assert.equal(asan.stdout, release.stdout);
  assert.equal(asan.stderr, release.stderr);
}

describe("the native scanner under AddressSanitizer and UBSan", {
  skip: !existsSync(ASAN) && "not built",
}, () => {
  it("hostile bytes: huge lines, NUL, invalid UTF-8, CR runs, astral characters, random bytes", () => {
    const prefix = "Nov 21 10:00:00 host sshd[4242]:";
    let random = 7;
    const noise = Buffer.alloc(1 << 20);
    for (let i = 0; i < noise.length; i++) {
      random = (Math.imul(random, 1103515245) + 12345) >>> 0;
      noise[i] = random >>> 24;
    }
    const log = join(dir, "hostile.log");
    writeFileSync(
      log,
      Buffer.concat([
        Buffer.from(
          `${prefix} Failed password for invalid user ${"A".repeat(300_000)} from 198.51.100.20 port 1 ssh2\n`,
        ),
        Buffer.from(`${prefix} Invalid user nul\0user from 198.51.100.21 port 2\n`),
        Buffer.concat([
          Buffer.from(`${prefix} Invalid user bad`),
          Buffer.from([0xff, 0xfe, 0xc3, 0xf0, 0x9f]),
          Buffer.from(" from 198.51.100.22 port 3\n"),
        ]),
        Buffer.from(`${prefix} Invalid user crlf from 198.51.100.23 port 4${"\r".repeat(1000)}\n`),
        Buffer.from(`${prefix} Invalid user ${"😀".repeat(20_000)} from 2001:db8::1 port 5\n`),
        Buffer.from(`${"(".repeat(100000)}${" from ".repeat(20000)}\n`),
        noise,
        Buffer.from(`\n${prefix} Invalid user last from 198.51.100.24 port 5\n`),
        Buffer.from(`${prefix} no newline at the end`),
      ]),
    );
    assertClean(plan("sshd", "/etc/fail2ban/filter.d"), log);
    assertClean(plan("sshd"), log);
  });

  it("fail2ban's corpus logs through their own filters", () => {
    const filters = new Set(readdirSync("/etc/fail2ban/filter.d").map((f) => f.replace(/\.conf$/, "")));
    let scanned = 0;
    for (const name of readdirSync(CORPUS_DIR)) {
      if (!filters.has(name)) continue;
      const r = spawnSync(process.execPath, [PLAN_CLI, name, "--filter-dir", "/etc/fail2ban/filter.d"]);
      if (r.status === 3) continue; // a filter the native scanner does not take (multi-line)
      assert.equal(r.status, 0, r.stderr.toString());
      const planFile = join(dir, `${name}.plan`);
      writeFileSync(planFile, r.stdout);
      assertClean(planFile, join(CORPUS_DIR, name));
      scanned++;
    }
    assert.ok(scanned >= 80, `only ${scanned} corpus logs scanned`);
  });
});
