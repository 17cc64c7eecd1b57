import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gatherHostFacts } from "../../../src/adapters/system/gather-host-facts.js";
import { CHECKS } from "../../../src/core/audit/check-catalog.js";
import { runAudit } from "../../../src/core/audit/run-audit.js";
import { renderJsonReport } from "../../../src/core/report/json-report.js";
import { renderTextReport } from "../../../src/core/report/text-report.js";
import { AUDIT_FIXTURES } from "./fixture-paths.js";

// Golden files: RAMPART_UPDATE_GOLDEN=1 rewrites them after an intended change (review the diff).
const GOLDEN = join(AUDIT_FIXTURES, "golden");

async function weakReport() {
  const root = join(AUDIT_FIXTURES, "weak");
  const facts = await gatherHostFacts({
    root,
    settings: { behindCloudflare: false },
    now: Date.parse("2026-11-21T12:00:00Z"),
  });
  const report = runAudit(CHECKS, facts, { skip: new Set(), waivers: [], host: "weak" });
  return { ...report, root: "/srv/images/weak" };
}

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env.RAMPART_UPDATE_GOLDEN) writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, "utf8"), `${name} differs from its golden file`);
}

describe("report golden files (weak fixture)", () => {
  it("text report", async () => {
    golden("weak-report.txt", renderTextReport(await weakReport(), { color: false }));
  });
  it("JSON report", async () => {
    golden("weak-report.json", renderJsonReport(await weakReport()));
  });
});
