import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { buildNativeProbe } from "../../support/native-probe.js";
import { scratchDir } from "../../support/scratch-dir.js";

// The native date stage asks the local zone's offset of native/src/zone.c, which caches a whole
// transition interval per thread instead of calling glibc's localtime_r (and taking its
// process-wide lock) for every new second. native/test/zone-probe.c checks each of its answers
// against localtime_r: every 997 s from 1900 to 2040, every second around each change, and
// random jumps. `fast` says how many came from the cache, so a cache that stopped working (or
// never engages) shows too.
const dir = scratchDir("native-zone");

interface ZoneCase {
  /** TZ as set for the probe; undefined: unset (glibc reads /etc/localtime). */
  readonly tz: string | undefined;
  /** The least share of answers the cache must give. */
  readonly minFast: number;
  /** The most (0 for zones that must never be cached). */
  readonly maxFast: number;
}

const cases: readonly ZoneCase[] = [
  { tz: undefined, minFast: 0.9, maxFast: 1 },
  { tz: "UTC", minFast: 0.99, maxFast: 1 },
  { tz: "", minFast: 0.99, maxFast: 1 }, // glibc: "Universal"
  { tz: "Europe/Paris", minFast: 0.9, maxFast: 1 },
  { tz: ":Europe/Paris", minFast: 0.9, maxFast: 1 },
  { tz: "/usr/share/zoneinfo/Europe/Berlin", minFast: 0.9, maxFast: 1 },
  { tz: "America/New_York", minFast: 0.9, maxFast: 1 },
  { tz: "Australia/Lord_Howe", minFast: 0.9, maxFast: 1 }, // half-hour DST
  { tz: "Europe/Dublin", minFast: 0.9, maxFast: 1 }, // negative DST in the file
  { tz: "Pacific/Apia", minFast: 0.9, maxFast: 1 }, // skipped a whole day in 2011
  { tz: "Africa/Casablanca", minFast: 0.9, maxFast: 1 }, // Ramadan changes
  // Last transition in 1945: later times follow the file's TZ rule, asked of glibc every time.
  { tz: "Asia/Kolkata", minFast: 0.2, maxFast: 0.5 },
  // Leap seconds: civil time is not time + offset, never cached.
  { tz: "right/Europe/Paris", minFast: 0, maxFast: 0 },
  // POSIX TZ strings (no file): glibc computes the changes, never cached.
  { tz: "EST5EDT,M3.2.0,M11.1.0", minFast: 0, maxFast: 0 },
  { tz: "UTC0", minFast: 0, maxFast: 0 },
  // A name that is no file: glibc falls back to UTC, never cached.
  { tz: "No/Such_Zone", minFast: 0, maxFast: 0 },
];

describe("the native date stage's local zone offsets vs glibc's localtime_r", () => {
  const probe = buildNativeProbe(dir, "zone-probe", ["zone.c"]);
  for (const { tz, minFast, maxFast } of cases) {
    it(`gives localtime_r's answers with TZ ${tz === undefined ? "unset" : JSON.stringify(tz)}`, () => {
      const env = { ...process.env };
      if (tz === undefined) delete env.TZ;
      else env.TZ = tz;
      const r = spawnSync(probe, ["1900", "2040"], { env, timeout: 60_000 });
      const out = r.stdout.toString();
      assert.equal(r.status, 0, out + r.stderr.toString());
      const m = /^ok (\d+) fast (\d+)/.exec(out);
      assert.ok(m, out);
      const share = Number(m[2]) / Number(m[1]);
      assert.ok(
        share >= minFast && share <= maxFast,
        `cached share ${share.toFixed(3)} not in [${minFast}, ${maxFast}]`,
      );
    });
  }
  it("caches with TZDIR pointing elsewhere, reading the zone there as glibc does", () => {
    const r = spawnSync(probe, ["2000", "2030"], {
      env: { ...process.env, TZDIR: "/usr/share/zoneinfo/America", TZ: "Chicago" },
      timeout: 60_000,
    });
    const out = r.stdout.toString();
    assert.equal(r.status, 0, out + r.stderr.toString());
    const m = /^ok (\d+) fast (\d+) \((\d+) changes\)/.exec(out);
    assert.ok(m && Number(m[2]) / Number(m[1]) > 0.9 && Number(m[3]) > 50, out);
  });
});
