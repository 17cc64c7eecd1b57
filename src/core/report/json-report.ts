import type { AuditReport } from "../audit/run-audit.js";
import { countByStatus } from "./summarize.js";

/** The `--json` document; its schema is documented in docs/audit.md ("JSON schema"). */
export function renderJsonReport(report: AuditReport): string {
  const doc = {
    schema: "rampart.audit/v1",
    host: report.host,
    mode: report.mode,
    root: report.root,
    generatedAt: report.generatedAt,
    score: report.score.score,
    scoreBreakdown: {
      earned: report.score.earned,
      possible: report.score.possible,
      areas: report.score.byArea.map((a) => ({ area: a.area, earned: a.earned, possible: a.possible })),
    },
    summary: countByStatus(report.findings),
    checks: report.findings.map((f) => ({
      id: f.id,
      title: f.title,
      area: f.area,
      status: f.status,
      severity: f.severity,
      summary: f.summary,
      evidence: f.evidence,
      remediation: f.remediation ?? null,
      waived: f.waived ? { reason: f.waived.reason, originalStatus: f.waived.originalStatus } : null,
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
