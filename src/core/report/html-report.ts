import { AREA_TITLES, type Area, type Finding } from "../audit/audit-types.js";
import type { AuditReport } from "../audit/run-audit.js";
import { SEVERITY_WEIGHT } from "../audit/score.js";
import { countByStatus, STATUS_ORDER } from "./summarize.js";

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:24px 40px;display:flex;gap:32px;align-items:center}
h1{margin:0;font-size:24px}header p{margin:4px 0 0;color:#b9c0cc}
.gauge{width:110px;height:110px;border-radius:50%;display:grid;place-items:center;flex:none}
.gauge span{background:#1d2330;width:84px;height:84px;border-radius:50%;display:grid;place-items:center;font-size:30px;font-weight:700}
main{max-width:1100px;margin:0 auto;padding:24px 40px}
.cards{display:flex;gap:12px;margin-bottom:20px}.card{flex:1;background:#fff;border-radius:8px;padding:12px 16px;border-top:4px solid}
.card b{font-size:26px;display:block}.fail{border-color:#d64545}.warn{border-color:#e0a100}.pass{border-color:#2e9e5b}.skip{border-color:#9aa3b0}
section{background:#fff;border-radius:8px;margin-bottom:18px;padding:4px 20px 12px}
h2{font-size:18px;display:flex;justify-content:space-between}h2 small{color:#667;font-weight:400}
.f{border-left:4px solid;padding:8px 12px;margin:10px 0;background:#fafbfc;border-radius:0 6px 6px 0}
.f .top{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}.badge{font-size:12px;font-weight:700;padding:1px 8px;border-radius:10px;color:#fff}
.b-fail{background:#d64545}.b-warn{background:#b88400}.b-pass{background:#2e9e5b}.b-skip{background:#8a93a0}
.id{font-family:ui-monospace,Menlo,monospace;color:#556;font-size:13px}.sev{color:#667;font-size:12px}
ul.ev{margin:6px 0 0;padding-left:18px;color:#445;font-size:13px;font-family:ui-monospace,Menlo,monospace;word-break:break-all}
.fix{margin-top:6px;font-size:14px}.fix code,#fixes code{background:#eef1f5;padding:2px 6px;border-radius:4px;font-family:ui-monospace,Menlo,monospace}
#fixes li{margin:6px 0}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eee}
footer{color:#778;font-size:12px;text-align:center;padding:20px}
`;

/**
 * One self-contained page (inline CSS, no script, no fetch) a person would rather read than the
 * terminal: score, counts, what to fix first, then every finding by area with its evidence.
 */
export function renderHtmlReport(report: AuditReport): string {
  const counts = countByStatus(report.findings);
  const s = report.score.score;
  const color = s >= 90 ? "#2e9e5b" : s >= 50 ? "#e0a100" : "#d64545";
  const areas = [...new Set(report.findings.map((f) => f.area))] as Area[];
  const toFix = report.findings
    .filter((f) => (f.status === "fail" || f.status === "warn") && f.remediation)
    .sort(
      (a, b) =>
        STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
        SEVERITY_WEIGHT[b.severity] - SEVERITY_WEIGHT[a.severity],
    );
  const finding = (f: Finding) => `
<div class="f ${f.status}" id="${esc(f.id)}"><div class="top"><span class="badge b-${f.status}">${f.waived ? "WAIVED" : f.status.toUpperCase()}</span>
<strong>${esc(f.title)}</strong><span class="id">${esc(f.id)}</span><span class="sev">${esc(f.severity)}</span></div>
<div>${esc(f.summary)}</div>
${f.evidence.length ? `<ul class="ev">${f.evidence.map((e) => `<li>${esc(e)}</li>`).join("")}</ul>` : ""}
${f.remediation && f.status !== "pass" ? `<div class="fix">Fix: <code>${esc(f.remediation)}</code></div>` : ""}
${f.waived ? `<div class="fix">Waived: ${esc(f.waived.reason)} (was ${f.waived.originalStatus})</div>` : ""}</div>`;
  const areaScore = (a: Area) => {
    const x = report.score.byArea.find((b) => b.area === a);
    return x && x.possible > 0 ? `${Math.round((x.earned / x.possible) * 100)}%` : "n/a";
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Rampart audit: ${esc(report.host)} (${s}/100)</title><style>${CSS}</style></head>
<body><header><div class="gauge" style="background:conic-gradient(${color} ${s * 3.6}deg,#3a4252 0)"><span>${s}</span></div>
<div><h1>Rampart audit: ${esc(report.host)}</h1><p>${report.mode === "live" ? "Live host" : `Offline tree ${esc(report.root)}`} · ${esc(report.generatedAt.slice(0, 16).replace("T", " "))} UTC · score ${s}/100</p></div></header>
<main><div class="cards">
<div class="card fail"><b>${counts.fail}</b>failed</div><div class="card warn"><b>${counts.warn}</b>warnings</div>
<div class="card pass"><b>${counts.pass}</b>passed</div><div class="card skip"><b>${counts.skip}</b>skipped</div></div>
<section id="fixes"><h2>What to fix first</h2>${toFix.length ? `<ol>${toFix.map((f) => `<li><a href="#${esc(f.id)}">${esc(f.id)}</a>: ${esc(f.summary)}<br><code>${esc(f.remediation ?? "")}</code></li>`).join("")}</ol>` : "<p>Nothing: every check passed.</p>"}</section>
<section><h2>Score breakdown</h2><table><tr><th>Area</th><th>Points</th><th>Score</th></tr>
${report.score.byArea.map((a) => `<tr><td>${esc(AREA_TITLES[a.area])}</td><td>${a.earned}/${a.possible}</td><td>${areaScore(a.area)}</td></tr>`).join("")}
</table><p class="sev">pass = full weight, warn = half, fail = 0; weights critical 10, high 6, medium 3, low 1; skipped checks excluded.</p></section>
${areas
  .map(
    (a) => `<section><h2>${esc(AREA_TITLES[a])}<small>${areaScore(a)}</small></h2>
${report.findings
  .filter((f) => f.area === a)
  .sort((x, y) => STATUS_ORDER[x.status] - STATUS_ORDER[y.status])
  .map(finding)
  .join("")}</section>`,
  )
  .join("\n")}
</main><footer>Generated by rampart audit · read-only · ${report.findings.length} checks</footer></body></html>
`;
}
