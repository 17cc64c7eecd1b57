import type { Area, Finding, Severity } from "./audit-types.js";

// Points a check is worth: a critical finding weighs ten low ones (Lynis' AddHP idea, by severity).
export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = {
  critical: 10,
  high: 6,
  medium: 3,
  low: 1,
};

export interface AreaScore {
  readonly area: Area;
  readonly earned: number;
  readonly possible: number;
}

export interface Score {
  /** 0–100: earned / possible over the checks that ran (skipped and waived checks do not count). */
  readonly score: number;
  readonly earned: number;
  readonly possible: number;
  readonly byArea: readonly AreaScore[];
}

/** pass earns the full weight, warn half, fail nothing. */
export function computeScore(findings: readonly Finding[]): Score {
  const areas = new Map<Area, { earned: number; possible: number }>();
  let earned = 0;
  let possible = 0;
  for (const f of findings) {
    if (f.status === "skip") continue;
    const w = SEVERITY_WEIGHT[f.severity];
    const e = f.status === "pass" ? w : f.status === "warn" ? w / 2 : 0;
    earned += e;
    possible += w;
    const a = areas.get(f.area) ?? { earned: 0, possible: 0 };
    a.earned += e;
    a.possible += w;
    areas.set(f.area, a);
  }
  return {
    score: possible === 0 ? 100 : Math.round((earned / possible) * 100),
    earned,
    possible,
    byArea: [...areas].map(([area, a]) => ({ area, earned: a.earned, possible: a.possible })),
  };
}
