import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

// The native date detector's mktime (native/src/date.c civil_to_epoch) is glibc's algorithm with
// its guess kept per detector, so that two scanning threads cannot change each other's answers.
// native/test/mktime-probe.c checks it against glibc's own mktime, call for call, across every
// DST transition of a zone (where the guess decides the answer of a repeated or skipped hour).
const ROOT = new URL("../../../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "rampart-native-mktime-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function buildProbe(): string {
  const probe = join(dir, "mktime-probe");
  const src = (f: string) => join(ROOT, "native", f);
  const pcre = execFileSync("pkg-config", ["--cflags", "--libs", "libpcre2-8"])
    .toString()
    .trim()
    .split(/\s+/);
  execFileSync("cc", [
    "-std=c11",
    "-O1",
    `-I${src("src")}`,
    "-o",
    probe,
    src("test/mktime-probe.c"),
    src("src/plan.c"),
    src("src/regex.c"),
    src("src/text.c"),
    ...pcre,
    "-lm",
  ]);
  return probe;
}

describe("the native detector's mktime vs glibc's", () => {
  const probe = buildProbe();
  for (const zone of [
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "UTC",
  ]) {
    it(`gives glibc's answers call for call in ${zone}`, () => {
      const r = spawnSync(probe, ["1960", "2040"], { env: { ...process.env, TZ: zone }, timeout: 120_000 });
      assert.equal(r.status, 0, r.stdout.toString() + r.stderr.toString());
      assert.match(r.stdout.toString(), /^ok \d+/);
    });
  }
});
