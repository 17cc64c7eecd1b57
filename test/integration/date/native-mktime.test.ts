import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { buildNativeProbe } from "../../support/native-probe.js";
import { scratchDir } from "../../support/scratch-dir.js";

// The native date detector's mktime (native/src/date.c civil_to_epoch) is glibc's algorithm with
// its guess kept per detector, so that two scanning threads cannot change each other's answers.
// native/test/mktime-probe.c checks it against glibc's own mktime, call for call, across every
// DST transition of a zone (where the guess decides the answer of a repeated or skipped hour).
const dir = scratchDir("native-mktime");

describe("the native detector's mktime vs glibc's", () => {
  const probe = buildNativeProbe(dir, "mktime-probe", ["zone.c", "plan.c", "regex.c", "text.c"]);
  for (const zone of [
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Europe/Dublin",
    "Pacific/Apia",
    "right/Europe/Paris",
    "UTC",
  ]) {
    it(`gives glibc's answers call for call in ${zone}`, () => {
      const r = spawnSync(probe, ["1960", "2040"], { env: { ...process.env, TZ: zone }, timeout: 120_000 });
      assert.equal(r.status, 0, r.stdout.toString() + r.stderr.toString());
      assert.match(r.stdout.toString(), /^ok \d+/);
    });
  }
});
