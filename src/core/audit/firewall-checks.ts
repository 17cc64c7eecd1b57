import { networkContains, parseCidr } from "../ip/ip-address.js";
import { type CheckOutcome, missingFact } from "./audit-types.js";
import {
  chainDefaultDenies,
  dockerPublished,
  evaluatePort,
  expandSources,
  inputBaseChains,
} from "./firewall-model.js";
import type { CheckDefinition, HostFacts } from "./host-facts.js";
import type { NftRuleset } from "./nft-ruleset.js";

/** The ports sshd listens on, as the ssh facts say (22 when unknown). */
export function sshPorts(facts: HostFacts): number[] {
  if (facts.sshSocket && facts.sshSocket.ports.length > 0) return [...facts.sshSocket.ports];
  if (!facts.ssh.ok) return [22];
  const ports = facts.ssh.value
    .getAll("port")
    .map((p) => Number(p.value))
    .filter((n) => Number.isInteger(n));
  return ports.length ? [...new Set(ports)] : [22];
}

function describeFirewall(rs: NftRuleset): string {
  const names = new Set(rs.tables.map((t) => `${t.family} ${t.name}`));
  const ufw = rs.chains.some((c) => c.name.startsWith("ufw-"));
  return `${ufw ? "UFW (iptables-nft) " : ""}tables: ${[...names].join(", ") || "none"}`;
}

function withRuleset(facts: HostFacts, body: (rs: NftRuleset) => CheckOutcome): CheckOutcome {
  if (!facts.ruleset.ok) return missingFact(facts.ruleset);
  return body(facts.ruleset.value);
}

function defaultDeny(rs: NftRuleset, version: 4 | 6): string | undefined {
  const chain = inputBaseChains(rs, version).find((c) => chainDefaultDenies(rs, c));
  return chain
    ? `${chain.family} ${chain.table} ${chain.name} (hook input, ${chain.policy === "drop" ? "policy drop" : "final drop rule"})`
    : undefined;
}

// Cloudflare's published ranges (https://www.cloudflare.com/ips-v4 and ips-v6).
const CLOUDFLARE = [
  "173.245.48.0/20",
  "103.21.244.0/22",
  "103.22.200.0/22",
  "103.31.4.0/22",
  "141.101.64.0/18",
  "108.162.192.0/18",
  "190.93.240.0/20",
  "188.114.96.0/20",
  "197.234.240.0/22",
  "198.41.128.0/17",
  "162.158.0.0/15",
  "104.16.0.0/13",
  "104.24.0.0/14",
  "172.64.0.0/13",
  "131.0.72.0/22",
  "2400:cb00::/32",
  "2606:4700::/32",
  "2803:f800::/32",
  "2405:b500::/32",
  "2405:8100::/32",
  "2a06:98c0::/29",
  "2c0f:f248::/32",
];

function insideCloudflare(source: string): boolean {
  const cidr = parseCidr(source);
  if (!cidr) return false;
  return CLOUDFLARE.some((c) => {
    const net = parseCidr(c);
    return net !== undefined && cidr.prefix >= net.prefix && networkContains(net, cidr.address);
  });
}

export const firewallChecks: readonly CheckDefinition[] = [
  {
    id: "firewall.active",
    title: "A firewall drops inbound traffic by default",
    area: "firewall",
    severity: "high",
    run: (facts) =>
      withRuleset(facts, (rs) => {
        const v4 = defaultDeny(rs, 4);
        const v6 = defaultDeny(rs, 6);
        const evidence = [`nft -j list ruleset: ${describeFirewall(rs)}`];
        if (v4) evidence.push(`IPv4: ${v4}`);
        if (v6) evidence.push(`IPv6: ${v6}`);
        const fix = "rampart harden --firewall --apply (default deny incoming, SSH allowed and rate-limited)";
        if (v4 && v6)
          return {
            status: "pass",
            summary: "Inbound traffic is denied unless a rule allows it (IPv4 and IPv6)",
            evidence,
          };
        if (v4 || v6)
          return {
            status: "fail",
            summary: `Only ${v4 ? "IPv4" : "IPv6"} is filtered; ${v4 ? "IPv6" : "IPv4"} is wide open`,
            evidence,
            remediation: fix,
          };
        return {
          status: "fail",
          summary: rs.chains.length
            ? "The ruleset has no default-deny input chain"
            : "No firewall: the nftables ruleset is empty",
          evidence,
          remediation: fix,
        };
      }),
  },
  {
    id: "firewall.ssh-allowed",
    title: "The firewall lets SSH in (no lockout)",
    area: "firewall",
    severity: "high",
    run: (facts) =>
      withRuleset(facts, (rs) => {
        if (!defaultDeny(rs, 4) && !defaultDeny(rs, 6))
          return {
            status: "skip",
            summary: "No default-deny firewall (see firewall.active): SSH is reachable",
            evidence: [],
          };
        const blocked: string[] = [];
        const evidence: string[] = [];
        for (const port of sshPorts(facts)) {
          for (const version of [4, 6] as const) {
            const v = evaluatePort(rs, port, version);
            evidence.push(`tcp ${port} IPv${version}: ${v.verdict} (${v.evidence.join("; ")})`);
            if (v.verdict === "drop" && version === 4) blocked.push(`${port}`);
          }
        }
        if (blocked.length)
          return {
            status: "fail",
            summary: `The firewall drops the SSH port ${blocked.join(", ")}: next login is locked out`,
            evidence,
            remediation: `rampart firewall allow ${blocked[0]}/tcp`,
          };
        return { status: "pass", summary: `SSH port(s) ${sshPorts(facts).join(", ")} allowed`, evidence };
      }),
  },
  {
    id: "firewall.ssh-ratelimit",
    title: "New SSH connections are rate-limited",
    area: "firewall",
    severity: "medium",
    run: (facts) =>
      withRuleset(facts, (rs) => {
        const ports = sshPorts(facts);
        const verdicts = ports.map((p) => evaluatePort(rs, p, 4));
        const limited = verdicts.filter((v) => v.rateLimited);
        if (limited.length === ports.length)
          return {
            status: "pass",
            summary: `SSH port(s) ${ports.join(", ")} rate-limited`,
            evidence: verdicts.flatMap((v) => v.evidence),
          };
        return {
          status: "fail",
          summary: `No rate limit on SSH port(s) ${ports.filter((p) => !limited.some((l) => l.port === p)).join(", ")}`,
          evidence: [`nft -j list ruleset: no limit/meter/ct count/recent rule on the SSH port`],
          remediation: `rampart firewall limit ${ports[0]}/tcp`,
        };
      }),
  },
  {
    id: "firewall.exposed",
    title: "No listening service is reachable without a rule meaning it",
    area: "firewall",
    severity: "medium",
    run: (facts) => {
      if (!facts.listening.ok) return missingFact(facts.listening);
      return withRuleset(facts, (rs) => {
        const ssh = new Set(sshPorts(facts));
        const exposed: string[] = [];
        const evidence: string[] = [];
        const seen = new Set<string>();
        for (const s of facts.listening.ok ? facts.listening.value : []) {
          if (s.address.startsWith("127.") || s.address === "::1") continue;
          const key = `${s.port}/${s.version}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const v = evaluatePort(rs, s.port, s.version);
          const label = `tcp ${s.address}:${s.port}${s.process ? ` (${s.process})` : ""}`;
          if (v.verdict === "accept" && !v.intended && !ssh.has(s.port)) {
            exposed.push(label);
            evidence.push(`${label}: reachable by ${v.evidence.join("; ")}`);
          } else {
            evidence.push(`${label}: ${v.verdict}${v.intended ? " (allowed by a rule)" : ""}`);
          }
        }
        if (exposed.length) {
          return {
            status: "fail",
            summary: `Reachable but not allowed on purpose: ${exposed.join(", ")}`,
            evidence,
            remediation:
              "Bind the service to 127.0.0.1, or: rampart harden --firewall --apply (default deny), then rampart firewall allow PORT/tcp for the ones you mean",
          };
        }
        return { status: "pass", summary: "Every reachable listening port is allowed by a rule", evidence };
      });
    },
  },
  {
    id: "firewall.docker-bypass",
    title: "Docker-published ports do not bypass the firewall",
    area: "firewall",
    severity: "high",
    run: (facts) =>
      withRuleset(facts, (rs) => {
        const d = dockerPublished(rs);
        if (!d.present)
          return {
            status: "pass",
            summary: "Docker has no NAT rules here",
            evidence: ["nft -j list ruleset: no DOCKER chain"],
          };
        if (d.ports.length === 0)
          return {
            status: "pass",
            summary: "Docker publishes no ports",
            evidence: ["nft -j list ruleset: DOCKER chain has no DNAT rule"],
          };
        if (d.dockerUserFilters)
          return {
            status: "pass",
            summary: `Published ports ${d.ports.join(", ")} are filtered in DOCKER-USER`,
            evidence: ["nft -j list ruleset: DOCKER-USER has drop/reject rules"],
          };
        return {
          status: "fail",
          summary: `Docker publishes ${d.ports.join(", ")} through NAT, bypassing the input firewall`,
          evidence: [
            `nft -j list ruleset: DNAT in chain DOCKER for tcp ${d.ports.join(", ")}; DOCKER-USER has no drop rule`,
          ],
          remediation:
            "Publish on 127.0.0.1 (docker run -p 127.0.0.1:PORT:PORT), or drop unwanted sources in the DOCKER-USER chain",
        };
      }),
  },
  {
    id: "web.cloudflare-only",
    title: "Web ports accept only Cloudflare",
    area: "firewall",
    severity: "medium",
    run: (facts) => {
      if (!facts.settings.behindCloudflare)
        return {
          status: "skip",
          summary: "Not behind Cloudflare (set audit.behind_cloudflare: true to check)",
          evidence: [],
        };
      return withRuleset(facts, (rs) => {
        const bad: string[] = [];
        const evidence: string[] = [];
        for (const port of [80, 443]) {
          for (const version of [4, 6] as const) {
            const v = evaluatePort(rs, port, version);
            evidence.push(
              `tcp ${port} IPv${version}: ${v.verdict} ${v.sources.length ? `from ${v.sources.join(", ")}` : ""} (${v.evidence.join("; ")})`,
            );
            if (v.verdict === "accept") bad.push(`${port}/IPv${version} open to everyone`);
            if (v.verdict === "restricted") {
              const chain = inputBaseChains(rs, version)[0];
              const outside = v.sources
                .flatMap((s) => (chain ? expandSources(rs, chain.family, chain.table, s) : [s]))
                .filter((s) => !insideCloudflare(s));
              if (outside.length) bad.push(`${port}/IPv${version} also open to ${outside.join(", ")}`);
            }
          }
        }
        if (bad.length)
          return {
            status: "fail",
            summary: `Web ports reachable around Cloudflare: ${bad.join("; ")}`,
            evidence,
            remediation:
              "rampart firewall allow from cloudflare to any port 80,443 && rampart firewall update-sets",
          };
        return {
          status: "pass",
          summary: "Ports 80/443 accept only Cloudflare's ranges (or are closed)",
          evidence,
        };
      });
    },
  },
];
