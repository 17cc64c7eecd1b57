/**
 * The firewall's data model. Rules are stored as this JSON (never as nft text), the nft script
 * and the lockout evaluator are both derived from it, so what is checked is what is loaded.
 */
export type RuleAction = "allow" | "deny" | "reject" | "limit";
export type Direction = "in" | "out";
export type Protocol = "tcp" | "udp" | "any";
export type DefaultPolicy = "allow" | "deny" | "reject";
export type RateUnit = "second" | "minute" | "hour";

/** An inclusive port range; a single port has `from === to`. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export type AddressSpec =
  | { readonly kind: "any" }
  | { readonly kind: "cidr"; readonly family: 4 | 6; readonly cidr: string }
  | { readonly kind: "set"; readonly name: string };

export interface RateLimit {
  readonly count: number;
  readonly unit: RateUnit;
  readonly burst: number;
}

export interface FirewallRule {
  readonly action: RuleAction;
  readonly direction: Direction;
  readonly iface?: string;
  readonly proto: Protocol;
  readonly from: AddressSpec;
  readonly fromPorts?: readonly PortRange[];
  readonly to: AddressSpec;
  readonly toPorts?: readonly PortRange[];
  /** Concurrent connections per source (IPv4 /32, IPv6 /64) above which new ones are refused. */
  readonly connlimit?: number;
  /** New connections per source; `limit` without it means UFW's 6-per-30-s. */
  readonly rate?: RateLimit;
  readonly comment?: string;
}

export interface FirewallDefaults {
  readonly incoming: DefaultPolicy;
  readonly outgoing: DefaultPolicy;
  /** "disabled" installs no forward hook at all, so Docker and routers keep their own policy. */
  readonly routed: DefaultPolicy | "disabled";
}

export interface FirewallState {
  readonly version: 1;
  readonly enabled: boolean;
  readonly defaults: FirewallDefaults;
  readonly rules: readonly FirewallRule[];
}

/** UFW's installation defaults (ufw's /etc/default/ufw): deny in, allow out, routing untouched. */
export const INITIAL_STATE: FirewallState = {
  version: 1,
  enabled: false,
  defaults: { incoming: "deny", outgoing: "allow", routed: "disabled" },
  rules: [],
};

/**
 * UFW's `limit` (ufw backend_iptables.py: recent --seconds 30 --hitcount 6): the 6th new
 * connection in a quick row is refused. A token bucket of 5 refilled at 10/minute refuses the 6th
 * and lets a source back in after 6 s of quiet per token.
 */
export const UFW_LIMIT: RateLimit = { count: 10, unit: "minute", burst: 5 };

/** Identity of a rule for duplicate detection and `delete RULE`: everything but the comment. */
export function ruleKey(rule: FirewallRule): string {
  const { comment: _comment, ...rest } = rule;
  return canonicalJson(rest);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
