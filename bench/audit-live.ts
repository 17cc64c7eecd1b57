// Times a full live audit of this machine (the acceptance target is < 2 s):
//   npx tsc -p tsconfig.json && node dist/bench/audit-live.js [runs]
import { hostname } from "node:os";
import { pathToFileURL } from "node:url";
import { gatherHostFacts } from "../src/adapters/system/gather-host-facts.js";
import { CHECKS } from "../src/core/audit/check-catalog.js";
import { runAudit } from "../src/core/audit/run-audit.js";
import { renderHtmlReport } from "../src/core/report/html-report.js";
import { renderTextReport } from "../src/core/report/text-report.js";

export interface AuditBench {
  readonly runs: number;
  readonly firstMs: number;
  readonly medianMs: number;
  readonly maxMs: number;
  readonly checks: number;
}

/** Gathers facts, runs every check and renders text and HTML, `runs` times. */
export async function benchAuditLive(runs = 5): Promise<AuditBench> {
  const times: number[] = [];
  let checks = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const facts = await gatherHostFacts({ settings: { behindCloudflare: false } });
    const report = runAudit(CHECKS, facts, { skip: new Set(), waivers: [], host: hostname() });
    renderTextReport(report, { color: false });
    renderHtmlReport(report);
    times.push(performance.now() - start);
    checks = report.findings.length;
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    runs,
    firstMs: times[0] ?? 0,
    medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
    maxMs: sorted[sorted.length - 1] ?? 0,
    checks,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const runs = Number(process.argv[2] ?? 5);
  const r = await benchAuditLive(runs);
  const verdict = r.maxMs < 2000 ? "within" : "OVER";
  console.log(
    `audit-live: ${r.checks} checks, ${r.runs} runs: first ${r.firstMs.toFixed(0)} ms, median ${r.medianMs.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms (${verdict} the 2 s target)`,
  );
}
