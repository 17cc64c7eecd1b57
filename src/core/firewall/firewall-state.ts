import { isRecord } from "../config/config-context.js";
import { failed, ok, type Problem, problem, type Result } from "../errors/problem.js";
import { parseCidr } from "../ip/ip-address.js";
import type { AddressSpec, FirewallRule, FirewallState, PortRange } from "./firewall-rule.js";

/**
 * Validates the stored rules file. It is written only by Rampart, but a hand edit or a disk
 * problem must stop the load with a clear message instead of rendering a half-understood rule.
 */
export function parseFirewallState(text: string, file: string): Result<FirewallState> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return failed([problem("firewall.state-json", `Invalid JSON in ${file}: ${(error as Error).message}`)]);
  }
  const problems: Problem[] = [];
  const bad = (what: string) => problems.push(problem("firewall.state", `Invalid ${what} in ${file}`));
  if (!isRecord(data) || data.version !== 1) {
    return failed([problem("firewall.state", `Unsupported rules file ${file} (expected "version": 1)`)]);
  }
  const policies = ["allow", "deny", "reject"];
  const defaults = data.defaults;
  if (
    !isRecord(defaults) ||
    !policies.includes(String(defaults.incoming)) ||
    !policies.includes(String(defaults.outgoing)) ||
    ![...policies, "disabled"].includes(String(defaults.routed))
  ) {
    bad(`"defaults"`);
  }
  if (typeof data.enabled !== "boolean") bad(`"enabled"`);
  if (!Array.isArray(data.rules)) bad(`"rules"`);
  else {
    data.rules.forEach((rule, i) => {
      if (!isRule(rule)) bad(`rule ${i + 1}`);
    });
  }
  if (problems.length > 0) return failed(problems);
  return ok(data as unknown as FirewallState);
}

function isPorts(value: unknown): value is PortRange[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (r) =>
        isRecord(r) &&
        Number.isInteger(r.from) &&
        Number.isInteger(r.to) &&
        (r.from as number) >= 1 &&
        (r.to as number) <= 65535 &&
        (r.from as number) <= (r.to as number),
    )
  );
}

function isAddress(value: unknown): value is AddressSpec {
  if (!isRecord(value)) return false;
  if (value.kind === "any") return true;
  if (value.kind === "cidr")
    return typeof value.cidr === "string" && parseCidr(value.cidr)?.address.family === value.family;
  return value.kind === "set" && typeof value.name === "string" && /^[a-z][a-z0-9_]{0,23}$/.test(value.name);
}

function isRule(value: unknown): value is FirewallRule {
  if (!isRecord(value)) return false;
  const okRate =
    value.rate === undefined ||
    (isRecord(value.rate) &&
      Number.isInteger(value.rate.count) &&
      Number.isInteger(value.rate.burst) &&
      ["second", "minute", "hour"].includes(String(value.rate.unit)));
  return (
    ["allow", "deny", "reject", "limit"].includes(String(value.action)) &&
    ["in", "out"].includes(String(value.direction)) &&
    ["tcp", "udp", "any"].includes(String(value.proto)) &&
    (value.iface === undefined ||
      (typeof value.iface === "string" && /^[A-Za-z0-9_.:@-]{1,15}\*?$/.test(value.iface))) &&
    isAddress(value.from) &&
    isAddress(value.to) &&
    (value.fromPorts === undefined || isPorts(value.fromPorts)) &&
    (value.toPorts === undefined || isPorts(value.toPorts)) &&
    (value.connlimit === undefined ||
      (Number.isInteger(value.connlimit) && (value.connlimit as number) >= 1)) &&
    (value.comment === undefined ||
      (typeof value.comment === "string" && !/["\\\p{Cc}]/u.test(value.comment))) &&
    okRate
  );
}

export function serializeFirewallState(state: FirewallState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}
