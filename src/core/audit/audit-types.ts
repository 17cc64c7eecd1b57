export type CheckStatus = "pass" | "fail" | "warn" | "skip";
export type Severity = "critical" | "high" | "medium" | "low";
export type Area = "ssh" | "accounts" | "updates" | "firewall" | "ips" | "services";

export const AREA_TITLES: Readonly<Record<Area, string>> = {
  ssh: "SSH server",
  accounts: "Accounts",
  updates: "Updates",
  firewall: "Firewall",
  ips: "Intrusion prevention",
  services: "Services and backups",
};

/** What one check concluded. Evidence names a file:line or the command that showed it. */
export interface CheckOutcome {
  readonly status: CheckStatus;
  readonly summary: string;
  readonly evidence: readonly string[];
  /** The exact fix: a shell command or a `rampart harden --flag`. */
  readonly remediation?: string;
}

export interface Finding extends CheckOutcome {
  readonly id: string;
  readonly title: string;
  readonly area: Area;
  readonly severity: Severity;
  /** Present when a waiver file excused a non-passing result; status is then "skip". */
  readonly waived?: { readonly reason: string; readonly originalStatus: CheckStatus };
}

/**
 * A fact the host reader gathered, or why it could not: `unavailable` facts need a live system
 * (checks say skip), `error` facts could not be read (checks say warn and quote the problem).
 */
export type Fact<T> =
  | { readonly ok: true; readonly value: T; readonly source: string }
  | { readonly ok: false; readonly kind: "unavailable" | "error"; readonly reason: string };

export function factOk<T>(value: T, source: string): Fact<T> {
  return { ok: true, value, source };
}

export function factUnavailable<T>(reason: string): Fact<T> {
  return { ok: false, kind: "unavailable", reason };
}

export function factError<T>(reason: string): Fact<T> {
  return { ok: false, kind: "error", reason };
}

/** The outcome a check gives when the fact it needs is missing. */
export function missingFact(fact: { kind: "unavailable" | "error"; reason: string }): CheckOutcome {
  return fact.kind === "unavailable"
    ? { status: "skip", summary: fact.reason, evidence: [] }
    : { status: "warn", summary: `Could not check: ${fact.reason}`, evidence: [] };
}
