import { readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../adapters/fs/atomic-write.js";
import { gatherHostFacts } from "../../adapters/system/gather-host-facts.js";
import { RootedFs } from "../../adapters/system/rooted-fs.js";
import { CHECKS } from "../../core/audit/check-catalog.js";
import { runAudit } from "../../core/audit/run-audit.js";
import { parseWaivers, type Waiver } from "../../core/audit/waivers.js";
import {
  type AuditSection,
  DEFAULT_AUDIT_SECTION,
  parseAuditSection,
} from "../../core/config/audit-section.js";
import { checkTopLevelKeys, isRecord, parseYamlWithPositions } from "../../core/config/config-context.js";
import { formatProblem, type Problem } from "../../core/errors/problem.js";
import { ExitCode } from "../../core/errors/rampart-error.js";
import { renderHtmlReport } from "../../core/report/html-report.js";
import { renderJsonReport } from "../../core/report/json-report.js";
import { renderTextReport } from "../../core/report/text-report.js";
import type { CliIo } from "../cli-io.js";

const USAGE = `Usage: rampart audit [--root DIR] [--json] [--html FILE] [--skip ID]... [--waivers FILE] [--refresh]

Checks this host (read-only) against the hosting guides and says what to fix.

Options:
  --root DIR       Audit an offline tree (image, mounted disk, container rootfs) instead of this host
  --json           Print the report as JSON (schema in docs/audit.md)
  --html FILE      Also write a self-contained HTML report to FILE
  --skip ID        Do not run check ID (repeatable; also audit.skip in the config)
  --waivers FILE   Accept findings on purpose: YAML "waivers: [{id, reason, until}]"
  --refresh        Run "apt-get update" first (network) so pending updates are current
  --cache-dir DIR  Where to keep apt's cache if the system disabled apt's own (default /var/cache/rampart/apt)
  --verbose        Show the evidence of passing checks too
  --list           List the check ids and exit
  --config FILE    Rampart config (default /etc/rampart/rampart.yaml; section "audit:")

Exit status: 0 no check failed, 1 a check failed, 2 usage or invalid input.
`;

function usageError(io: CliIo, message: string, problems: readonly Problem[] = []): number {
  io.stderr.write(`rampart audit: ${message}\n`);
  for (const p of problems) io.stderr.write(`  ${formatProblem(p)}\n`);
  return ExitCode.usage;
}

export async function auditCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return usageError(io, `${(error as Error).message}\n\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout.write(USAGE);
    return ExitCode.ok;
  }
  if (parsed.positionals.length > 0)
    return usageError(io, `unexpected argument "${parsed.positionals[0]}"\n\n${USAGE}`);
  if (v.list) {
    for (const c of CHECKS) io.stdout.write(`${c.id.padEnd(26)} ${c.severity.padEnd(9)} ${c.title}\n`);
    return ExitCode.ok;
  }
  const knownIds = CHECKS.map((c) => c.id);

  // The audit: section of the config. A missing default config is fine; a missing --config is not.
  let section: AuditSection = DEFAULT_AUDIT_SECTION;
  const configPath = v.config !== undefined ? resolve(io.cwd, v.config) : "/etc/rampart/rampart.yaml";
  let configText: string | undefined;
  try {
    configText = readFileSync(configPath, "utf8");
  } catch (error) {
    if (v.config !== undefined)
      return usageError(io, `Cannot read config "${configPath}": ${(error as Error).message}`);
  }
  if (configText !== undefined) {
    const { data, context } = parseYamlWithPositions(configText, configPath);
    checkTopLevelKeys(context, data);
    if (context.problems.length === 0)
      section = parseAuditSection(isRecord(data) ? data.audit : undefined, context);
    const auditProblems = context.problems.filter(
      (p) =>
        p.code === "config.yaml" ||
        p.code === "config.unknown-section" ||
        (p.at && isAuditPath(configText, p.at.line)),
    );
    if (auditProblems.length) return usageError(io, `Invalid config "${configPath}"`, auditProblems);
  }

  const skip = new Set<string>([...section.skip, ...(v.skip ?? [])]);
  const unknownSkip = [...skip].filter((id) => !knownIds.includes(id));
  if (unknownSkip.length)
    return usageError(io, `Unknown check id "${unknownSkip[0]}" (see rampart audit --list)`);

  let waivers: Waiver[] = [];
  const waiverFile = v.waivers ?? section.waivers;
  if (waiverFile !== undefined) {
    const path = resolve(io.cwd, waiverFile);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      return usageError(io, `Cannot read waiver file "${path}": ${(error as Error).message}`);
    }
    const w = parseWaivers(text, path, knownIds);
    if (w.problems.length) return usageError(io, `Invalid waiver file "${path}"`, w.problems);
    waivers = w.waivers;
  }

  let root: string | undefined;
  if (v.root !== undefined) {
    root = resolve(io.cwd, v.root);
    try {
      if (!statSync(root).isDirectory()) return usageError(io, `--root "${root}" is not a directory`);
    } catch {
      return usageError(io, `--root "${root}" does not exist`);
    }
  }

  const facts = await gatherHostFacts({
    ...(root !== undefined ? { root } : {}),
    settings: { behindCloudflare: section.behindCloudflare },
    refresh: v.refresh === true,
    ...(v["cache-dir"] !== undefined ? { cacheDir: resolve(io.cwd, v["cache-dir"]) } : {}),
    ...(io.env.RAMPART_SSHD !== undefined ? { binaries: { sshd: io.env.RAMPART_SSHD } } : {}),
    ...(root === undefined && v.config !== undefined ? { rampartConfig: configPath } : {}),
  });
  const host =
    root === undefined ? hostname() : new RootedFs(root).readText("/etc/hostname")?.trim() || basename(root);
  const report = runAudit(CHECKS, facts, { skip, waivers, host });

  if (v.html !== undefined) {
    const path = resolve(io.cwd, v.html);
    try {
      writeFileAtomic(path, renderHtmlReport(report), { mode: 0o600 });
    } catch (error) {
      io.stderr.write(`rampart audit: cannot write HTML report "${path}": ${(error as Error).message}\n`);
      return ExitCode.usage;
    }
  }
  if (v.json) {
    io.stdout.write(renderJsonReport(report));
  } else {
    const color = io.stdout.isTTY === true && !io.env.NO_COLOR;
    io.stdout.write(renderTextReport(report, { color, verbose: v.verbose === true }));
    if (v.html !== undefined) io.stdout.write(`HTML report written to ${resolve(io.cwd, v.html)}\n`);
  }
  return report.findings.some((f) => f.status === "fail") ? ExitCode.failure : ExitCode.ok;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      root: { type: "string" },
      json: { type: "boolean" },
      html: { type: "string" },
      skip: { type: "string", multiple: true },
      waivers: { type: "string" },
      refresh: { type: "boolean" },
      "cache-dir": { type: "string" },
      verbose: { type: "boolean", short: "v" },
      list: { type: "boolean" },
      config: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** True when a config line lies inside the top-level `audit:` block (others' sections are theirs to report). */
function isAuditPath(text: string, line: number): boolean {
  const lines = text.split("\n");
  for (let i = line - 1; i >= 0; i--) {
    const l = lines[i] ?? "";
    if (/^[A-Za-z_]/.test(l)) return l.startsWith("audit:");
  }
  return false;
}
