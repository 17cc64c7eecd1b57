import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

// `filter test --engine js --threads 2` splits a log of 4 MiB or more between two workers; the
// answers (JSON lines, and the summary's counts and hits) must be those of one worker, and of
// the native scanner.
const ROOT = new URL("../../../../", import.meta.url).pathname;
const RAMPART = join(ROOT, "bin/rampart");
const dir = mkdtempSync(join(tmpdir(), "rampart-threads-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(RAMPART, args, { timeout: 120_000, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("filter test --threads", () => {
  const log = join(dir, "auth.log");
  const lines: string[] = [];
  for (let n = 0; n < 60_000; n++) {
    const pid = 2000 + Math.floor(n / 3);
    const ip = `203.0.${(n >> 8) & 255}.${n & 255}`;
    const time = `Nov 21 ${String(10 + (Math.floor(n / 3600) % 10)).padStart(2, "0")}:${String(Math.floor(n / 60) % 60).padStart(2, "0")}:${String(n % 60).padStart(2, "0")}`;
    const message =
      n % 3 === 0
        ? `Invalid user guest${n % 50} from ${ip} port ${1024 + (n % 50000)}`
        : n % 3 === 1
          ? `Failed password for invalid user guest${n % 50} from ${ip} port ${1024 + (n % 50000)} ssh2`
          : `Connection closed by invalid user guest${n % 50} ${ip} port ${1024 + (n % 50000)} [preauth]`;
    lines.push(`${time} web-1 sshd[${pid}]: ${message}`);
  }
  writeFileSync(log, `${lines.join("\n")}\n`);

  for (const filter of ["sshd", "/etc/fail2ban/filter.d/sshd.conf"]) {
    it(`gives one worker's answers with two (${filter})`, () => {
      const base = ["filter", "test", log, filter, "--engine", "js"];
      const oneJson = run([...base, "--json", "--threads", "1"]);
      const twoJson = run([...base, "--json", "--threads", "2"]);
      assert.equal(oneJson.status, 0, oneJson.stderr);
      assert.equal(twoJson.status, 0, twoJson.stderr);
      assert.ok(oneJson.stdout.split("\n").length > 20_000);
      assert.equal(twoJson.stdout, oneJson.stdout);
      const summary = (text: string) => text.replace(/\[processed in .*\]/, "");
      const oneSummary = run([...base, "--threads", "1"]);
      const twoSummary = run([...base, "--threads", "2"]);
      assert.equal(summary(twoSummary.stdout), summary(oneSummary.stdout));
      assert.match(oneSummary.stdout, /Lines: 60000 lines/);
      assert.match(oneSummary.stdout, /lines\/s\]/);
      assert.match(twoSummary.stdout, /lines\/s, 2 threads\]/, "split, and verified");
      // The native scanner (one thread) gives the same failures, counts and regex hits.
      const nativeJson = run(["filter", "test", log, filter, "--engine", "native", "--json"]);
      assert.equal(nativeJson.stdout, oneJson.stdout, nativeJson.stderr);
      const nativeSummary = run(["filter", "test", log, filter, "--engine", "native"]);
      assert.equal(summary(nativeSummary.stdout), summary(oneSummary.stdout));
    });
  }

  it("rejects a thread count other than 1 or 2", () => {
    const r = run(["filter", "test", log, "sshd", "--threads", "3"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /invalid --threads "3"/);
    assert.equal(r.stdout, "");
  });
});
