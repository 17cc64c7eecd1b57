import { createDateDetector } from "../../core/date/date-detector.js";
import type { CompiledFilter } from "../../core/filter/compiled-filter.js";
import { type ScanPlan, scanPlan } from "../../core/filter/scan-plan.js";
import { DEFAULT_HOSTS_FILE, hostsFileTable } from "../filter/hosts-file-resolver.js";

/** The native scanner's plan for a compiled filter: its date templates and hosts file included. */
export function buildScanPlan(filter: CompiledFilter): ScanPlan {
  const detector = createDateDetector({ datepattern: filter.datepattern, logTimeZone: filter.logTimeZone });
  if (!detector.ok) return { ok: false, reason: detector.problems.map((p) => p.message).join("; ") };
  let portable: ReturnType<typeof detector.value.portable>;
  try {
    portable = detector.value.portable();
  } catch (error) {
    return { ok: false, reason: `date templates: ${(error as Error).message}` };
  }
  const hostsFile = planHostsFile(filter);
  return scanPlan({
    filter,
    templates: portable.templates,
    defaultTzMinutes: portable.defaultTzMinutes,
    hosts: hostsFile === undefined ? new Map() : hostsFileTable(hostsFile),
  });
}

/** The hosts file the plan carries (hostname ids resolve there with `usedns = yes|warn`), if any. */
export function planHostsFile(filter: CompiledFilter): string | undefined {
  return filter.useDns === "yes" || filter.useDns === "warn"
    ? (filter.hostsFile ?? DEFAULT_HOSTS_FILE)
    : undefined;
}
