import { createDateDetector } from "../../core/date/date-detector.js";
import type { CompiledFilter } from "../../core/filter/compiled-filter.js";
import { type ScanPlan, scanPlan } from "../../core/filter/scan-plan.js";
import { hostsFileTable } from "../filter/hosts-file-resolver.js";

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
  const needsHosts = filter.useDns === "yes" || filter.useDns === "warn";
  return scanPlan({
    filter,
    templates: portable.templates,
    defaultTzMinutes: portable.defaultTzMinutes,
    hosts: needsHosts ? hostsFileTable(filter.hostsFile) : new Map(),
  });
}
