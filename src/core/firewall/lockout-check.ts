import { type Problem, problem } from "../errors/problem.js";
import { type IpAddress, parseIp } from "../ip/ip-address.js";
import type { AddressSpec, FirewallState } from "./firewall-rule.js";
import { formatRuleWords } from "./nft-script.js";
import { evaluatePacket, type Packet, type Verdict } from "./packet-evaluator.js";
import type { AddressSet } from "./set-file.js";

/** The admin's session from `SSH_CONNECTION` (ssh(1): "client_ip client_port server_ip server_port"). */
export interface SshSession {
  readonly client: IpAddress;
  readonly clientPort: number;
  readonly server: IpAddress;
  readonly serverPort: number;
}

export function parseSshConnection(value: string | undefined): SshSession | undefined {
  if (value === undefined) return undefined;
  const [c, cp, s, sp] = value.trim().split(/\s+/);
  const client = parseIp(c ?? "");
  const server = parseIp(s ?? "");
  const clientPort = Number(cp);
  const serverPort = Number(sp);
  if (!client || !server || !Number.isInteger(clientPort) || !Number.isInteger(serverPort)) return undefined;
  if (serverPort < 1 || serverPort > 65535 || clientPort < 1 || clientPort > 65535) return undefined;
  return { client, clientPort, server, serverPort };
}

/** Ports from `sshd -T` output (sshd(8) -T prints "port N" once per configured port). */
export function parseSshdPorts(text: string): number[] {
  const ports = new Set<number>();
  for (const line of text.split("\n")) {
    const match = /^port\s+(\d{1,5})\s*$/i.exec(line.trim());
    const port = Number(match?.[1]);
    if (match && port >= 1 && port <= 65535) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

// Documentation addresses (RFC 5737, RFC 3849) stand for "somebody on the internet".
const ANYWHERE: readonly IpAddress[] = [parseIp("198.51.100.7")!, parseIp("2001:db8::7")!];
const SERVER: readonly IpAddress[] = [parseIp("192.0.2.1")!, parseIp("2001:db8:1::1")!];

function describeVerdict(state: FirewallState, verdict: Verdict): string {
  if (typeof verdict.decidedBy === "number") {
    const rule = state.rules[verdict.decidedBy - 1];
    return `rule ${verdict.decidedBy} "${rule ? formatRuleWords(rule).join(" ") : "?"}" would ${verdict.verdict} it`;
  }
  return `the default incoming policy "${state.defaults.incoming}" would ${verdict.verdict} it`;
}

/** One address per family that an address spec admits, to probe the ruleset with. */
function representatives(spec: AddressSpec, sets: ReadonlyMap<string, AddressSet>): IpAddress[] {
  if (spec.kind === "any") return [...ANYWHERE];
  if (spec.kind === "cidr") {
    const ip = parseIp(spec.cidr.split("/")[0] ?? "");
    return ip ? [ip] : [];
  }
  const set = sets.get(spec.name);
  return [set?.v4[0], set?.v6[0]].filter((n) => n !== undefined).map((n) => n.address);
}

/**
 * Refuses a candidate ruleset that would not admit a NEW connection of the current SSH session,
 * or that admits sshd's ports from nowhere at all. Decided by evaluating the candidate rules
 * (packet-evaluator.ts), the same model the nft script is rendered from.
 */
export function checkLockout(
  candidate: FirewallState,
  sets: ReadonlyMap<string, AddressSet>,
  session: SshSession | undefined,
  sshdPorts: readonly number[],
): Problem[] {
  const problems: Problem[] = [];
  if (!candidate.enabled) return problems;
  const options = { unknownIface: "pessimistic" } as const;
  if (session) {
    const packet: Packet = {
      direction: "in",
      saddr: session.client,
      daddr: session.server,
      proto: "tcp",
      sport: session.clientPort,
      dport: session.serverPort,
    };
    const verdict = evaluatePacket(candidate, sets, packet, options);
    if (verdict.verdict !== "accept") {
      problems.push(
        problem(
          "firewall.lockout-session",
          `The new rules would lock out your SSH session: a new connection from ${session.client.text} to port ${session.serverPort}/tcp would not be admitted (${describeVerdict(candidate, verdict)})`,
        ),
      );
    }
  }
  for (const port of sshdPorts) {
    if (session && session.serverPort === port) continue;
    // Probe from every source an accepting rule for this port names, plus "anywhere".
    const sources = new Map<string, IpAddress>();
    for (const ip of ANYWHERE) sources.set(ip.text, ip);
    for (const rule of candidate.rules) {
      if (rule.direction === "in" && (rule.action === "allow" || rule.action === "limit")) {
        for (const ip of representatives(rule.from, sets)) sources.set(ip.text, ip);
      }
    }
    const admitted = [...sources.values()].some((saddr) => {
      const daddr =
        session && session.server.family === saddr.family
          ? session.server
          : SERVER[saddr.family === 4 ? 0 : 1]!;
      const packet: Packet = { direction: "in", saddr, daddr, proto: "tcp", sport: 40000, dport: port };
      return evaluatePacket(candidate, sets, packet, options).verdict === "accept";
    });
    if (!admitted) {
      problems.push(
        problem(
          "firewall.lockout-sshd",
          `The new rules would close sshd's port ${port}/tcp to every source (allow it first, e.g. "rampart firewall allow ${port}/tcp")`,
        ),
      );
    }
  }
  return problems;
}
