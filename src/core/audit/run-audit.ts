import type { Finding } from "./audit-types.js";
import type { CheckDefinition, HostFacts } from "./host-facts.js";
import { computeScore, type Score } from "./score.js";
import type { Waiver } from "./waivers.js";

export interface AuditReport {
  readonly host: string;
  readonly mode: "live" | "offline";
  readonly root: string;
  readonly generatedAt: string;
  readonly score: Score;
  readonly findings: readonly Finding[];
}

export interface RunOptions {
  readonly skip: ReadonlySet<string>;
  readonly waivers: readonly Waiver[];
  readonly host: string;
}

/** Runs every check; one check throwing becomes that check's warning, never the audit's crash. */
export function runAudit(
  checks: readonly CheckDefinition[],
  facts: HostFacts,
  options: RunOptions,
): AuditReport {
  const today = new Date(facts.now).toISOString().slice(0, 10);
  const findings: Finding[] = [];
  for (const check of checks) {
    const base = { id: check.id, title: check.title, area: check.area, severity: check.severity };
    if (options.skip.has(check.id)) {
      findings.push({
        ...base,
        status: "skip",
        summary: "Skipped on request (--skip / audit.skip)",
        evidence: [],
      });
      continue;
    }
    let outcome: Finding;
    try {
      outcome = { ...base, ...check.run(facts) };
    } catch (error) {
      outcome = {
        ...base,
        status: "warn",
        summary: `The check itself failed: ${(error as Error).message}`,
        evidence: [],
      };
    }
    const waiver = options.waivers.find(
      (w) => w.id === check.id && (w.until === undefined || w.until >= today),
    );
    if (waiver && (outcome.status === "fail" || outcome.status === "warn")) {
      outcome = {
        ...outcome,
        status: "skip",
        waived: { reason: waiver.reason, originalStatus: outcome.status },
        evidence: [...outcome.evidence, `waived at ${waiver.at}: ${waiver.reason}`],
      };
    }
    findings.push(outcome);
  }
  return {
    host: options.host,
    mode: facts.mode,
    root: facts.root,
    generatedAt: new Date(facts.now).toISOString(),
    score: computeScore(findings),
    findings,
  };
}
