import { AREA_TITLES, type Area, type CheckStatus } from "../audit/audit-types.js";
import type { AuditReport } from "../audit/run-audit.js";
import { countByStatus } from "./summarize.js";

const COLORS: Readonly<Record<CheckStatus | "dim" | "bold" | "reset", string>> = {
  pass: "\x1b[32m",
  fail: "\x1b[31m",
  warn: "\x1b[33m",
  skip: "\x1b[90m",
  dim: "\x1b[2m",
  bold: "\x1b[1m",
  reset: "\x1b[0m",
};

/**
 * The terminal report: grouped by area, each finding with its evidence and fix, then the score
 * with its breakdown. `color` is decided by the caller (TTY and no NO_COLOR, https://no-color.org).
 */
export function renderTextReport(
  report: AuditReport,
  options: { color: boolean; verbose?: boolean },
): string {
  const c = (k: keyof typeof COLORS, s: string) => (options.color ? `${COLORS[k]}${s}${COLORS.reset}` : s);
  const out: string[] = [];
  const where = report.mode === "live" ? "live host" : `offline tree ${report.root}`;
  out.push(
    c(
      "bold",
      `Rampart audit of ${report.host} (${where}), ${report.generatedAt.slice(0, 16).replace("T", " ")} UTC`,
    ),
  );
  out.push("");
  const areas = [...new Set(report.findings.map((f) => f.area))] as Area[];
  for (const area of areas) {
    out.push(c("bold", AREA_TITLES[area]));
    for (const f of report.findings.filter((x) => x.area === area)) {
      const label = f.waived ? "WAIVED" : f.status.toUpperCase();
      out.push(
        `  ${c(f.status, label.padEnd(6))} ${f.id.padEnd(24)} ${f.summary}${f.status === "pass" || f.status === "skip" ? "" : c("dim", ` [${f.severity}]`)}`,
      );
      const showEvidence = options.verbose || f.status === "fail" || f.status === "warn";
      if (showEvidence)
        for (const e of f.evidence.slice(0, options.verbose ? undefined : 6))
          out.push(c("dim", `         ${" ".repeat(24)} ${e}`));
      if (!options.verbose && showEvidence && f.evidence.length > 6)
        out.push(c("dim", `         ${" ".repeat(24)} … ${f.evidence.length - 6} more (--verbose)`));
      if (f.remediation && (f.status === "fail" || f.status === "warn"))
        out.push(`         ${" ".repeat(24)} ${c("bold", "fix:")} ${f.remediation}`);
    }
    out.push("");
  }
  const counts = countByStatus(report.findings);
  const s = report.score;
  const bar = "#".repeat(Math.round(s.score / 5)).padEnd(20, "-");
  const band = s.score >= 90 ? "pass" : s.score >= 50 ? "warn" : "fail";
  out.push(
    `${c("bold", "Score")} ${c(band, `${s.score}/100`)} [${bar}]  ${counts.pass} pass, ${counts.fail} fail, ${counts.warn} warn, ${counts.skip} skip`,
  );
  out.push(
    `  ${s.byArea.map((a) => `${AREA_TITLES[a.area]} ${Math.round((a.earned / a.possible) * 100)}% (${fmt(a.earned)}/${a.possible})`).join(" · ")}`,
  );
  out.push(
    c(
      "dim",
      "  pass = full weight, warn = half, fail = 0; weights critical 10, high 6, medium 3, low 1; skips excluded",
    ),
  );
  return `${out.join("\n")}\n`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
