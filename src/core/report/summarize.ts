import type { CheckStatus, Finding } from "../audit/audit-types.js";

export function countByStatus(findings: readonly Finding[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const f of findings) counts[f.status]++;
  return counts;
}

/** Worst first, so a reader sees what to fix before what is fine. */
export const STATUS_ORDER: Readonly<Record<CheckStatus, number>> = { fail: 0, warn: 1, pass: 2, skip: 3 };
