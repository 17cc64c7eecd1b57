import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SCANNER } from "../../support/native-scanner.js";
import { scratchDir } from "../../support/scratch-dir.js";

// The scanner's plan reader (native/src/plan.c) refuses a malformed record with the line and the
// problem, and exit status 2, before reading the log. The plan comes from Rampart's own
// TypeScript, so these are internal errors, but one must never be half-read: a field boundary or
// escape read wrong would attach a pattern or a name to the wrong field.
const dir = scratchDir("native-plan-errors");

function scanWithFilterLine(filterLine: string): { status: number | null; stdout: string; stderr: string } {
  const plan = join(dir, "plan");
  writeFileSync(plan, ["rampart-scan-plan 1", filterLine, "date default-tz=none", "end", ""].join("\n"));
  const log = join(dir, "empty.log");
  writeFileSync(log, "");
  const r = spawnSync(SCANNER, ["--plan", plan, "--json", log]);
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("the scanner's plan reader", () => {
  it("reads a well-formed record, percent escapes included", () => {
    for (const line of ["filter name=x maxlines=1 usedns=warn", "filter name=a%41b maxlines=1 usedns=no"]) {
      const r = scanWithFilterLine(line);
      assert.equal(r.status, 0, r.stderr);
    }
  });
  const cases: readonly [string, string][] = [
    ["filter name=x  maxlines=1 usedns=warn", "empty field (two spaces, or a space at the end)"],
    ["filter name=x maxlines=1 usedns=warn ", "empty field (two spaces, or a space at the end)"],
    ["filter name=x maxlines=1 usedns=warn bogus=1", "unknown field 'bogus'"],
    ["filter name=x maxlines=1 usedns", "field 'usedns' has no '='"],
    ["filter name=a%2 maxlines=1 usedns=warn", "bad percent escape in field 'name'"],
    ["filter name=a%zz maxlines=1 usedns=warn", "bad percent escape in field 'name'"],
    ["filter name=a! maxlines=1 usedns=warn", "byte 0x21 must be percent-encoded in field 'name'"],
    ["filter name=x maxlines=1 name=y usedns=warn", "field 'name' given twice"],
    ["filter maxlines=1 usedns=warn", "missing field 'name'"],
  ];
  for (const [line, problem] of cases) {
    it(`refuses ${JSON.stringify(line)}: ${problem}`, () => {
      const r = scanWithFilterLine(line);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `rampart-scan: plan line 2: ${problem}\n`);
    });
  }
});
