import type { IpNetwork } from "../ip/ip-address.js";
import {
  type AddressSpec,
  type DefaultPolicy,
  type FirewallRule,
  type FirewallState,
  type PortRange,
  UFW_LIMIT,
} from "./firewall-rule.js";
import type { AddressSet } from "./set-file.js";

export interface RenderOptions {
  /** nft table name (family inet); Rampart never touches any other table. */
  readonly table: string;
  /** Per-source limits count IPv6 clients by this prefix (default 64). */
  readonly ipv6SourcePrefix?: number | undefined;
}

/** `ffff:ffff:ffff:ffff::` for 64: the mask nft applies to an IPv6 source before counting it. */
export function ipv6PrefixMask(prefix: number): string {
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) {
    const bits = Math.max(0, Math.min(16, prefix - g * 16));
    groups.push(((0xffff << (16 - bits)) & 0xffff).toString(16));
  }
  // Trailing zero groups compress to "::" (nft accepts either form).
  const text = groups.join(":").replace(/(?::0)+$/, "::");
  return text.endsWith(":::") ? text.slice(0, -1) : text;
}

/** nft identifiers: letters, digits, underscore; the config parser enforces the same. */
export const NFT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * The preamble that makes a load replace only our table in one transaction (nft(8): a script
 * given to `nft -f` is applied atomically): "table … {}" creates it if missing so "delete" cannot
 * fail, then the full definition follows. Never `flush ruleset`: Docker's and the guard's tables
 * stay untouched.
 */
function replaceTable(table: string): string {
  return `table inet ${table} {}\ndelete table inet ${table}\n`;
}

/** The script `disable` loads: our table goes, everything else stays. */
export function renderDisabledScript(options: RenderOptions): string {
  return `#!/usr/sbin/nft -f\n# Rampart firewall: disabled, removes table inet ${options.table} only.\n${replaceTable(options.table)}`;
}

const ICMP_V4 = ["destination-unreachable", "time-exceeded", "parameter-problem", "echo-request"];
// RFC 4890 §4.3.1: must not be dropped for IPv6 to work (PMTU discovery, errors).
const ICMP_V6 = [
  "destination-unreachable",
  "packet-too-big",
  "time-exceeded",
  "parameter-problem",
  "echo-request",
];
// Neighbour discovery and MLD are link-local only: RFC 4861 §7.1.1 requires hop limit 255.
const ICMP_V6_LINK = [
  "nd-router-solicit",
  "nd-router-advert",
  "nd-neighbor-solicit",
  "nd-neighbor-advert",
  "ind-neighbor-solicit",
  "ind-neighbor-advert",
];
const MLD = ["mld-listener-query", "mld-listener-report", "mld-listener-done", "mld2-listener-report"];

function setElementText(network: IpNetwork): string {
  return network.text;
}

/** nft set definitions, elements wrapped so a 100k-element set stays a readable file. */
function renderSet(name: string, type: "ipv4_addr" | "ipv6_addr", networks: readonly IpNetwork[]): string {
  const max = type === "ipv4_addr" ? 32 : 128;
  // Interval sets cost more to load; plain host lists do not need them.
  const interval = networks.some((n) => n.prefix !== max);
  const lines = [`\tset ${name} {`, `\t\ttype ${type}`];
  if (interval) lines.push("\t\tflags interval");
  if (networks.length > 0) {
    const chunks: string[] = [];
    for (let i = 0; i < networks.length; i += 8) {
      chunks.push(
        networks
          .slice(i, i + 8)
          .map(setElementText)
          .join(", "),
      );
    }
    lines.push(`\t\telements = { ${chunks.join(",\n\t\t\t     ")} }`);
  }
  lines.push("\t}");
  return lines.join("\n");
}

function portsText(ranges: readonly PortRange[]): string {
  const items = ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`));
  return items.length === 1 ? (items[0] ?? "") : `{ ${items.join(", ")} }`;
}

export function setNftName(setName: string, family: 4 | 6): string {
  return `set_${setName}_v${family}`;
}

type Family = 4 | 6;

/** The families a rule applies to: addresses narrow it; sets apply where they have elements. */
function ruleFamilies(rule: FirewallRule, sets: ReadonlyMap<string, AddressSet>): Family[] | "both" {
  let families: Family[] | "both" = "both";
  for (const spec of [rule.from, rule.to]) {
    let allowed: Family[] | "both" = "both";
    if (spec.kind === "cidr") allowed = [spec.family];
    if (spec.kind === "set") {
      const set = sets.get(spec.name);
      allowed = [];
      if (set && set.v4.length > 0) allowed.push(4);
      if (set && set.v6.length > 0) allowed.push(6);
    }
    if (allowed === "both") continue;
    families = families === "both" ? allowed : families.filter((f) => (allowed as Family[]).includes(f));
  }
  return families;
}

function addressMatch(
  spec: AddressSpec,
  field: "saddr" | "daddr",
  family: Family | undefined,
): string | undefined {
  if (spec.kind === "any" || family === undefined) return undefined;
  const prefix = family === 4 ? "ip" : "ip6";
  if (spec.kind === "cidr") return `${prefix} ${field} ${spec.cidr}`;
  return `${prefix} ${field} @${setNftName(spec.name, family)}`;
}

function verdict(action: "accept" | "drop" | "reject", proto: FirewallRule["proto"]): string {
  if (action !== "reject") return action;
  // A TCP reset makes clients fail at once ("connection refused"), like ufw's tcp-reset reject.
  return proto === "tcp" ? "reject with tcp reset" : "reject";
}

function rateText(rate: { count: number; unit: string; burst: number }): string {
  return `limit rate over ${rate.count}/${rate.unit} burst ${rate.burst} packets`;
}

interface Rendered {
  readonly sets: string[];
  readonly lines: string[];
}

/** One user rule → nft rules (one per family when addresses or per-source meters need it). */
function renderRule(
  rule: FirewallRule,
  number: number,
  sets: ReadonlyMap<string, AddressSet>,
  out: Rendered,
  options: RenderOptions,
): void {
  const families = ruleFamilies(rule, sets);
  const rate = rule.rate ?? (rule.action === "limit" ? UFW_LIMIT : undefined);
  const needsMeter = rate !== undefined || rule.connlimit !== undefined;
  const variants: (Family | undefined)[] =
    families === "both" ? (needsMeter ? [4, 6] : [undefined]) : families;
  const label = `rule ${number}`;
  out.lines.push(`\t\t# [${number}] ${describeRuleForComment(rule)}`);
  if (variants.length === 0) {
    out.lines.push(`\t\t# (matches nothing: its set has no addresses of the needed IP version)`);
    return;
  }
  const localPeer: "saddr" | "daddr" = rule.direction === "in" ? "saddr" : "daddr";
  for (const family of variants) {
    const match: string[] = [];
    if (rule.iface !== undefined)
      match.push(`${rule.direction === "in" ? "iifname" : "oifname"} "${rule.iface}"`);
    if (family !== undefined && rule.from.kind === "any" && rule.to.kind === "any") {
      match.push(`meta nfproto ${family === 4 ? "ipv4" : "ipv6"}`);
    }
    const src = addressMatch(rule.from, "saddr", family);
    const dst = addressMatch(rule.to, "daddr", family);
    if (src) match.push(src);
    if (dst) match.push(dst);
    const hasPorts = rule.fromPorts !== undefined || rule.toPorts !== undefined;
    if (rule.proto === "any") {
      if (hasPorts) match.push("meta l4proto { tcp, udp }");
      if (rule.fromPorts) match.push(`th sport ${portsText(rule.fromPorts)}`);
      if (rule.toPorts) match.push(`th dport ${portsText(rule.toPorts)}`);
    } else {
      if (!hasPorts) match.push(`meta l4proto ${rule.proto}`);
      if (rule.fromPorts) match.push(`${rule.proto} sport ${portsText(rule.fromPorts)}`);
      if (rule.toPorts) match.push(`${rule.proto} dport ${portsText(rule.toPorts)}`);
    }
    const base = match.join(" ");
    const lead = base === "" ? "" : `${base} `;
    if (family !== undefined && needsMeter) {
      const addrType = family === 4 ? "ipv4_addr" : "ipv6_addr";
      // Per-source keys: the address for IPv4, its /64 (configurable) for IPv6 — one host usually
      // owns a whole /64, so counting single IPv6 addresses would let it dodge every limit.
      const v6prefix = options.ipv6SourcePrefix ?? 64;
      const key =
        family === 4
          ? `ip ${localPeer}`
          : v6prefix >= 128
            ? `ip6 ${localPeer}`
            : `ip6 ${localPeer} & ${ipv6PrefixMask(v6prefix)}`;
      if (rate !== undefined) {
        const setName = `meter_${number}_rate_v${family}`;
        // The timeout only bounds memory; it is longer than any bucket takes to refill.
        const timeout = rate.unit === "hour" ? "2h" : rate.unit === "minute" ? "2m" : "1m";
        out.sets.push(
          `\tset ${setName} {\n\t\ttype ${addrType}\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout ${timeout}\n\t}`,
        );
        out.lines.push(
          `\t\t${lead}ct state new add @${setName} { ${key} ${rateText(rate)} } ${verdict("reject", rule.proto)} comment "${label} rate"`,
        );
      }
      if (rule.connlimit !== undefined) {
        const setName = `meter_${number}_conn_v${family}`;
        out.sets.push(`\tset ${setName} {\n\t\ttype ${addrType}\n\t\tsize 65535\n\t\tflags dynamic\n\t}`);
        out.lines.push(
          `\t\t${lead}ct state new add @${setName} { ${key} ct count over ${rule.connlimit} } ${verdict("reject", rule.proto)} comment "${label} connlimit"`,
        );
      }
    }
    const action = rule.action === "deny" ? "drop" : rule.action === "reject" ? "reject" : "accept";
    const comment = rule.comment !== undefined ? `${label}: ${rule.comment}` : label;
    out.lines.push(`\t\t${lead}${verdict(action, rule.proto)} comment "${comment}"`);
  }
}

/** Short rule text for the script's comments (UFW words, so the admin recognises the rule). */
export function describeRuleForComment(rule: FirewallRule): string {
  return formatRuleWords(rule).join(" ");
}

/** The rule in the words `rampart firewall` accepts, so `delete <these words>` finds it. */
export function formatRuleWords(rule: FirewallRule): string[] {
  const words: string[] = [rule.action];
  if (rule.direction === "out" || rule.iface !== undefined) words.push(rule.direction);
  if (rule.iface !== undefined) words.push("on", rule.iface);
  const ports = (ranges: readonly PortRange[]) =>
    ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}:${r.to}`)).join(",");
  const addr = (spec: AddressSpec) =>
    spec.kind === "any" ? "any" : spec.kind === "cidr" ? spec.cidr : spec.name;
  const simple =
    rule.from.kind === "any" && rule.to.kind === "any" && rule.fromPorts === undefined && rule.toPorts;
  if (simple) {
    words.push(
      rule.proto === "any" ? ports(rule.toPorts ?? []) : `${ports(rule.toPorts ?? [])}/${rule.proto}`,
    );
  } else {
    if (rule.proto !== "any") words.push("proto", rule.proto);
    words.push("from", addr(rule.from));
    if (rule.fromPorts) words.push("port", ports(rule.fromPorts));
    words.push("to", addr(rule.to));
    if (rule.toPorts) words.push("port", ports(rule.toPorts));
  }
  if (rule.connlimit !== undefined) words.push(`--connlimit ${rule.connlimit}`);
  if (rule.rate !== undefined)
    words.push(`--rate ${rule.rate.count}/${rule.rate.unit} --burst ${rule.rate.burst}`);
  return words;
}

function policyOf(policy: DefaultPolicy): "accept" | "drop" {
  return policy === "allow" ? "accept" : "drop";
}

/** A `reject` default: the chain's policy stays drop, a last rule answers politely first. */
function defaultRejectLines(policy: DefaultPolicy | "disabled"): string[] {
  if (policy !== "reject") return [];
  return [
    `\t\tmeta l4proto tcp reject with tcp reset comment "default reject"`,
    `\t\treject comment "default reject"`,
  ];
}

/**
 * Renders the whole firewall as ONE nft script: our table only, replaced in one transaction.
 * Layout like ufw's before/user chains: the baseline (loopback, conntrack, required ICMP, DHCP)
 * runs first and jumps to the user chains, so no user rule can break it.
 */
export function renderFirewallScript(
  state: FirewallState,
  sets: ReadonlyMap<string, AddressSet>,
  options: RenderOptions,
): string {
  if (!state.enabled) return renderDisabledScript(options);
  const table = options.table;
  const input: Rendered = { sets: [], lines: [] };
  const output: Rendered = { sets: [], lines: [] };
  const usedSets = new Set<string>();
  state.rules.forEach((rule, index) => {
    for (const spec of [rule.from, rule.to]) if (spec.kind === "set") usedSets.add(spec.name);
    renderRule(rule, index + 1, sets, rule.direction === "in" ? input : output, options);
  });
  const parts: string[] = [
    "#!/usr/sbin/nft -f",
    `# Rampart firewall: generated from the rules in the state directory; do not edit.`,
    `# Loaded with "nft -f" as one transaction that replaces table inet ${table} only.`,
    replaceTable(table).trimEnd(),
    `table inet ${table} {`,
  ];
  const setDefs: string[] = [];
  for (const name of [...usedSets].sort()) {
    const set = sets.get(name);
    if (!set) throw new Error(`set "${name}" used by a rule is not loaded`);
    setDefs.push(`\t# set "${name}" from ${set.source.replace(/[\n"]/g, "?")}`);
    setDefs.push(renderSet(setNftName(name, 4), "ipv4_addr", set.v4));
    setDefs.push(renderSet(setNftName(name, 6), "ipv6_addr", set.v6));
  }
  setDefs.push(...input.sets, ...output.sets);
  if (setDefs.length > 0) parts.push(setDefs.join("\n"), "");
  const d = state.defaults;
  parts.push(
    "\tchain input {",
    `\t\ttype filter hook input priority filter; policy ${policyOf(d.incoming)};`,
    `\t\tiif "lo" accept comment "baseline: loopback"`,
    `\t\tct state established,related accept comment "baseline: replies"`,
    `\t\tct state invalid drop comment "baseline: invalid"`,
    `\t\tmeta l4proto icmp icmp type { ${ICMP_V4.join(", ")} } accept comment "baseline: icmp"`,
    `\t\tmeta l4proto ipv6-icmp icmpv6 type { ${ICMP_V6.join(", ")} } accept comment "baseline: icmpv6"`,
    `\t\tmeta l4proto ipv6-icmp ip6 hoplimit 255 icmpv6 type { ${ICMP_V6_LINK.join(", ")} } accept comment "baseline: neighbour discovery"`,
    `\t\tmeta l4proto ipv6-icmp ip6 saddr fe80::/10 icmpv6 type { ${MLD.join(", ")} } accept comment "baseline: multicast listener discovery"`,
    `\t\tmeta nfproto ipv4 udp sport 67 udp dport 68 accept comment "baseline: dhcp client"`,
    `\t\tip6 saddr fe80::/10 udp sport 547 udp dport 546 accept comment "baseline: dhcpv6 client"`,
    `\t\tjump user_input`,
    ...defaultRejectLines(d.incoming),
    "\t}",
    "",
    "\tchain user_input {",
    ...input.lines,
    "\t}",
    "",
    "\tchain output {",
    `\t\ttype filter hook output priority filter; policy ${policyOf(d.outgoing)};`,
    `\t\toif "lo" accept comment "baseline: loopback"`,
    `\t\tct state established,related accept comment "baseline: replies"`,
    `\t\tmeta l4proto ipv6-icmp icmpv6 type { ${[...ICMP_V6, ...ICMP_V6_LINK, ...MLD].join(", ")} } accept comment "baseline: icmpv6"`,
    `\t\tmeta nfproto ipv4 udp sport 68 udp dport 67 accept comment "baseline: dhcp client"`,
    `\t\tudp sport 546 udp dport 547 accept comment "baseline: dhcpv6 client"`,
    `\t\tjump user_output`,
    ...defaultRejectLines(d.outgoing),
    "\t}",
    "",
    "\tchain user_output {",
    ...output.lines,
    "\t}",
  );
  if (d.routed !== "disabled") {
    parts.push(
      "",
      "\tchain forward {",
      `\t\ttype filter hook forward priority filter; policy ${policyOf(d.routed)};`,
      `\t\tct state established,related accept comment "baseline: replies"`,
      ...defaultRejectLines(d.routed),
      "\t}",
    );
  }
  parts.push("}");
  return `${parts.join("\n")}\n`;
}
