import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gatherHostFacts } from "../../../src/adapters/system/gather-host-facts.js";
import { CHECKS } from "../../../src/core/audit/check-catalog.js";
import { runAudit } from "../../../src/core/audit/run-audit.js";
import { AUDIT_FIXTURES } from "./fixture-paths.js";

// Each fixture tree carries expect.json: check id → status, or [status, evidence substring].
type Expectation = string | [string, string];

describe("audit of offline fixture trees (--root)", () => {
  const trees = readdirSync(AUDIT_FIXTURES).filter((d) => {
    try {
      readFileSync(join(AUDIT_FIXTURES, d, "expect.json"));
      return true;
    } catch {
      return false;
    }
  });

  it("has the trap fixtures the issue asks for", () => {
    for (const t of [
      "cloud-init-dropin",
      "mixed-case",
      "two-ports",
      "match-root",
      "second-uid0",
      "empty-hash",
      "broken-shadow",
      "unknown-keyword",
      "no-sshd",
      "hardened",
      "weak",
    ]) {
      assert.ok(trees.includes(t), `fixture ${t}`);
    }
  });

  for (const tree of trees) {
    it(`${tree}: every expected status and evidence`, async () => {
      const expect = JSON.parse(readFileSync(join(AUDIT_FIXTURES, tree, "expect.json"), "utf8")) as Record<
        string,
        Expectation
      >;
      const facts = await gatherHostFacts({
        root: join(AUDIT_FIXTURES, tree),
        settings: { behindCloudflare: false },
        now: Date.parse("2026-11-21T12:00:00Z"),
      });
      const report = runAudit(CHECKS, facts, { skip: new Set(), waivers: [], host: tree });
      for (const [id, want] of Object.entries(expect)) {
        if (id.startsWith("_")) continue;
        const finding = report.findings.find((f) => f.id === id);
        assert.ok(finding, `check ${id} exists`);
        const [status, evidence] = Array.isArray(want) ? want : [want, undefined];
        const shown = `${finding.status}: ${finding.summary}\n  ${finding.evidence.join("\n  ")}`;
        assert.equal(finding.status, status, `${tree} ${id} → ${shown}`);
        if (evidence)
          assert.ok(
            `${finding.summary}\n${finding.evidence.join("\n")}`.includes(evidence),
            `${tree} ${id} evidence mentions "${evidence}" → ${shown}`,
          );
        if (finding.status === "fail" || finding.status === "warn")
          assert.ok(
            finding.remediation || finding.summary.startsWith("Could not"),
            `${id} has a remediation`,
          );
      }
    });
  }
});
