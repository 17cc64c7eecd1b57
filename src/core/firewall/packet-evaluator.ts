import { type IpAddress, isLoopback, networkContains, parseCidr } from "../ip/ip-address.js";
import type { AddressSpec, DefaultPolicy, FirewallRule, FirewallState, PortRange } from "./firewall-rule.js";
import type { AddressSet } from "./set-file.js";

/** A new connection's first packet, as the input or output hook would see it. */
export interface Packet {
  readonly direction: "in" | "out";
  readonly saddr: IpAddress;
  readonly daddr: IpAddress;
  readonly proto: "tcp" | "udp";
  readonly sport: number;
  readonly dport: number;
  /** Interface name when known; unknown interfaces are handled by `unknownIface`. */
  readonly iface?: string;
}

export interface Verdict {
  readonly verdict: "accept" | "drop" | "reject";
  /** What decided: "disabled", "baseline", a 1-based rule number, or "default". */
  readonly decidedBy: "disabled" | "baseline" | "default" | number;
}

export interface EvaluateOptions {
  /**
   * When the packet's interface is unknown, "pessimistic" treats interface-bound accept rules as
   * not matching and interface-bound drop/reject rules as matching — the safe side for lockout.
   */
  readonly unknownIface?: "pessimistic";
}

function addressMatches(
  spec: AddressSpec,
  address: IpAddress,
  sets: ReadonlyMap<string, AddressSet>,
): boolean {
  if (spec.kind === "any") return true;
  if (spec.kind === "cidr") {
    const network = parseCidr(spec.cidr);
    return network !== undefined && networkContains(network, address);
  }
  const set = sets.get(spec.name);
  if (!set) return false;
  return (address.family === 4 ? set.v4 : set.v6).some((n) => networkContains(n, address));
}

function portMatches(ranges: readonly PortRange[] | undefined, port: number): boolean {
  return ranges === undefined || ranges.some((r) => port >= r.from && port <= r.to);
}

function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** Mirrors one rendered rule's match (nft-script.ts): same fields, same meaning. */
export function ruleMatches(
  rule: FirewallRule,
  packet: Packet,
  sets: ReadonlyMap<string, AddressSet>,
  options: EvaluateOptions = {},
): boolean {
  if (rule.direction !== packet.direction) return false;
  if (rule.iface !== undefined) {
    if (packet.iface === undefined) {
      if (options.unknownIface === "pessimistic") return rule.action === "deny" || rule.action === "reject";
      return false;
    }
    if (!ifaceMatches(rule.iface, packet.iface)) return false;
  }
  if (rule.proto !== "any" && rule.proto !== packet.proto) return false;
  if (!addressMatches(rule.from, packet.saddr, sets)) return false;
  if (!addressMatches(rule.to, packet.daddr, sets)) return false;
  return portMatches(rule.fromPorts, packet.sport) && portMatches(rule.toPorts, packet.dport);
}

function policyVerdict(policy: DefaultPolicy): Verdict["verdict"] {
  return policy === "allow" ? "accept" : policy === "deny" ? "drop" : "reject";
}

/**
 * Decides what the candidate ruleset does with a new connection, in the same order as the
 * rendered chains: baseline, user rules (first match wins), default policy. Rate, connlimit and
 * `limit` rules admit the first connection, so they count as accepting.
 */
export function evaluatePacket(
  state: FirewallState,
  sets: ReadonlyMap<string, AddressSet>,
  packet: Packet,
  options: EvaluateOptions = {},
): Verdict {
  if (!state.enabled) return { verdict: "accept", decidedBy: "disabled" };
  if (packet.iface === "lo" || (isLoopback(packet.saddr) && isLoopback(packet.daddr))) {
    return { verdict: "accept", decidedBy: "baseline" };
  }
  for (const [index, rule] of state.rules.entries()) {
    if (!ruleMatches(rule, packet, sets, options)) continue;
    const verdict = rule.action === "deny" ? "drop" : rule.action === "reject" ? "reject" : "accept";
    return { verdict, decidedBy: index + 1 };
  }
  return {
    verdict: policyVerdict(packet.direction === "in" ? state.defaults.incoming : state.defaults.outgoing),
    decidedBy: "default",
  };
}
