import { failed, ok, type Problem, problem, type Result } from "../errors/problem.js";
import { parseCidr } from "../ip/ip-address.js";
import type {
  AddressSpec,
  DefaultPolicy,
  Direction,
  FirewallRule,
  PortRange,
  Protocol,
  RateLimit,
  RateUnit,
  RuleAction,
} from "./firewall-rule.js";
import type { ServiceEntry } from "./services-file.js";

export type StatusMode = "plain" | "numbered" | "verbose";

/** What a `rampart firewall …` invocation asks for, after parsing and before touching anything. */
export type FirewallCommand =
  | { readonly kind: "status"; readonly mode: StatusMode }
  | { readonly kind: "enable" | "disable" | "reload" | "reset" | "update-sets" | "install" }
  | {
      readonly kind: "default";
      readonly policy: DefaultPolicy;
      readonly direction: "incoming" | "outgoing" | "routed";
    }
  | { readonly kind: "add"; readonly rule: FirewallRule; readonly position?: number }
  | { readonly kind: "delete-number"; readonly number: number }
  | { readonly kind: "delete-rule"; readonly rule: FirewallRule };

/** Options that parseArgs pulled out of argv (they may stand anywhere among the words). */
export interface RuleExtras {
  readonly connlimit?: string;
  readonly rate?: string;
  readonly burst?: string;
}

export interface GrammarContext {
  readonly services: ReadonlyMap<string, readonly ServiceEntry[]>;
  /** Where services came from, for "unknown service" messages. */
  readonly servicesFile: string;
  readonly knownSets: readonly string[];
}

const ACTIONS: readonly string[] = ["allow", "deny", "reject", "limit"];
const POLICIES: readonly string[] = ["allow", "deny", "reject"];
const SIMPLE_VERBS = ["enable", "disable", "reload", "reset", "update-sets", "install"] as const;
const IFACE = /^[A-Za-z0-9_.:@-]{1,15}\*?$/;
// nft keeps at most 128 bytes of comment; "rule NNNN: " is prepended when rendering.
const MAX_COMMENT = 100;

function usage(message: string): Problem {
  return problem("firewall.usage", message);
}

function parsePositiveInt(text: string, max: number): number | undefined {
  if (!/^[1-9]\d{0,9}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= max ? value : undefined;
}

/**
 * Parses the UFW grammar (ufw(8): "allow|deny|reject|limit [in|out [on IFACE]] [proto P]
 * [from A [port P]] [to A [port P]] [comment C]" and the simple "allow 22/tcp" form) into a
 * command. Pure: services and set names are passed in, so errors can name the exact token.
 */
export function parseFirewallCommand(
  words: readonly string[],
  extras: RuleExtras,
  context: GrammarContext,
): Result<FirewallCommand> {
  const [verb, ...rest] = words;
  const noExtras = (): Problem[] =>
    extras.connlimit !== undefined || extras.rate !== undefined || extras.burst !== undefined
      ? [usage(`Options --connlimit, --rate and --burst apply to "allow" and "limit" rules only`)]
      : [];
  if (verb === undefined) return failed([usage("Missing a command (try: status, allow 22/tcp, enable)")]);
  if (!ACTIONS.includes(verb) && verb !== "insert" && !(verb === "delete" && !/^\d+$/.test(rest[0] ?? ""))) {
    const extraProblems = noExtras();
    if (extraProblems.length > 0) return failed(extraProblems);
  }
  if (verb === "status") {
    const mode = rest[0] ?? "plain";
    if (rest.length > 1 || !["plain", "numbered", "verbose"].includes(mode)) {
      return failed([
        usage(`Unknown status option "${rest.join(" ")}" (use: status, status numbered, status verbose)`),
      ]);
    }
    return ok({ kind: "status", mode: mode as StatusMode });
  }
  const simple = SIMPLE_VERBS.find((v) => v === verb);
  if (simple !== undefined) {
    if (rest.length > 0) return failed([usage(`"${verb}" takes no arguments, got "${rest.join(" ")}"`)]);
    return ok({ kind: simple });
  }
  if (verb === "default") {
    const [policy, direction = "incoming", ...more] = rest;
    if (policy === undefined || !POLICIES.includes(policy)) {
      return failed([usage(`Unknown default policy "${policy ?? ""}" (use: allow, deny or reject)`)]);
    }
    if (!["incoming", "outgoing", "routed"].includes(direction) || more.length > 0) {
      return failed([
        usage(`Unknown direction "${[direction, ...more].join(" ")}" (use: incoming, outgoing or routed)`),
      ]);
    }
    return ok({
      kind: "default",
      policy: policy as DefaultPolicy,
      direction: direction as "incoming" | "outgoing" | "routed",
    });
  }
  if (verb === "delete") {
    const [first, ...more] = rest;
    if (first === undefined)
      return failed([usage(`"delete" needs a rule number or a rule (delete 2, delete allow 22/tcp)`)]);
    if (/^\d+$/.test(first)) {
      const number = parsePositiveInt(first, 1_000_000);
      if (number === undefined || more.length > 0)
        return failed([usage(`Invalid rule number "${rest.join(" ")}"`)]);
      return ok({ kind: "delete-number", number });
    }
    const rule = parseRule(rest, extras, context);
    return rule.ok ? ok({ kind: "delete-rule", rule: rule.value }) : rule;
  }
  if (verb === "insert") {
    const [numberText = "", ...ruleWords] = rest;
    const position = parsePositiveInt(numberText, 1_000_000);
    if (position === undefined)
      return failed([usage(`Invalid position "${numberText}" for "insert" (rules count from 1)`)]);
    const rule = parseRule(ruleWords, extras, context);
    return rule.ok ? ok({ kind: "add", rule: rule.value, position }) : rule;
  }
  if (ACTIONS.includes(verb)) {
    const rule = parseRule(words, extras, context);
    return rule.ok ? ok({ kind: "add", rule: rule.value }) : rule;
  }
  return failed([
    usage(
      `Unknown command "${verb}" (use: allow, deny, reject, limit, insert, delete, default, status, enable, disable, reload, reset, update-sets, install)`,
    ),
  ]);
}

interface PortParse {
  ranges: PortRange[];
  /** Protocols implied by service names, when any were used. */
  impliedProtos: Set<string>;
}

/** Parses "22", "80,443", "6000:6007", "ssh" (no /proto suffix). */
function parsePortList(
  text: string,
  explicitProto: Protocol | undefined,
  context: GrammarContext,
  problems: Problem[],
) {
  const result: PortParse = { ranges: [], impliedProtos: new Set() };
  if (text === "") {
    problems.push(usage(`Missing port`));
    return result;
  }
  for (const item of text.split(",")) {
    const range = /^(\d+):(\d+)$/.exec(item);
    if (range) {
      const from = parsePort(range[1] ?? "", text, problems);
      const to = parsePort(range[2] ?? "", text, problems);
      if (from !== undefined && to !== undefined) {
        if (from >= to)
          problems.push(usage(`Invalid port range "${item}": the first port must be lower than the second`));
        else result.ranges.push({ from, to });
      }
      continue;
    }
    if (/^\d+$/.test(item)) {
      const port = parsePort(item, text, problems);
      if (port !== undefined) result.ranges.push({ from: port, to: port });
      continue;
    }
    const entries = /^[A-Za-z][A-Za-z0-9_.+-]*$/.test(item)
      ? context.services.get(item.toLowerCase())
      : undefined;
    if (!entries) {
      problems.push(
        usage(
          /^[A-Za-z]/.test(item)
            ? `Unknown service "${item}" (not in ${context.servicesFile})`
            : `Invalid port "${item}" in "${text}" (use a port, a range like 6000:6007, a list like 80,443, or a service name)`,
        ),
      );
      continue;
    }
    const usable = entries.filter(
      (e) =>
        (e.proto === "tcp" || e.proto === "udp") &&
        (explicitProto === undefined || explicitProto === "any" || e.proto === explicitProto),
    );
    if (usable.length === 0) {
      problems.push(
        usage(`Service "${item}" has no ${explicitProto ?? "tcp or udp"} port in ${context.servicesFile}`),
      );
      continue;
    }
    const ports = new Set(usable.map((e) => e.port));
    for (const port of ports) result.ranges.push({ from: port, to: port });
    for (const e of usable) result.impliedProtos.add(e.proto);
  }
  return result;
}

function parsePort(text: string, whole: string, problems: Problem[]): number | undefined {
  const value = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= 65535)) {
    problems.push(
      usage(`Invalid port "${text}"${whole !== text ? ` in "${whole}"` : ""}: ports are 1 to 65535`),
    );
    return undefined;
  }
  return value;
}

function parseProto(text: string | undefined, problems: Problem[]): Protocol | undefined {
  if (text === "tcp" || text === "udp" || text === "any") return text;
  problems.push(usage(`Unsupported protocol "${text ?? ""}" (use: tcp, udp or any)`));
  return undefined;
}

function parseAddress(
  text: string | undefined,
  context: GrammarContext,
  problems: Problem[],
): AddressSpec | undefined {
  if (text === undefined) {
    problems.push(usage(`Missing address after "from"/"to"`));
    return undefined;
  }
  if (text === "any") return { kind: "any" };
  if (/[0-9:.]/.test(text[0] ?? "") || text.includes("/") || text.includes(":")) {
    const network = parseCidr(text);
    if (!network) {
      problems.push(usage(`Invalid address "${text}": not an IPv4/IPv6 address or CIDR`));
      return undefined;
    }
    return { kind: "cidr", family: network.address.family, cidr: network.text };
  }
  if (context.knownSets.includes(text)) return { kind: "set", name: text };
  problems.push(
    usage(
      `Unknown address or set "${text}" (use an IP address, a CIDR, "any" or a set: ${context.knownSets.join(", ") || "none configured"})`,
    ),
  );
  return undefined;
}

function parseRate(text: string, problems: Problem[]): { count: number; unit: RateUnit } | undefined {
  const match = /^([1-9]\d{0,6})\/(second|minute|hour)$/.exec(text);
  if (!match) {
    problems.push(usage(`Invalid rate "${text}" (use N/second, N/minute or N/hour, e.g. 2/second)`));
    return undefined;
  }
  return { count: Number(match[1]), unit: match[2] as RateUnit };
}

/** One rule from its words (`allow 22/tcp`, `deny from 10.0.0.0/8 to any port 25 proto tcp`). */
export function parseRule(
  words: readonly string[],
  extras: RuleExtras,
  context: GrammarContext,
): Result<FirewallRule> {
  const problems: Problem[] = [];
  const [actionWord, ...tokens] = words;
  if (actionWord === undefined || !ACTIONS.includes(actionWord)) {
    return failed([
      usage(`Expected a rule starting with allow, deny, reject or limit, got "${actionWord ?? ""}"`),
    ]);
  }
  const action = actionWord as RuleAction;
  let direction: Direction = "in";
  let iface: string | undefined;
  let proto: Protocol | undefined;
  let from: AddressSpec = { kind: "any" };
  let to: AddressSpec = { kind: "any" };
  let fromPortsText: string | undefined;
  let toPortsText: string | undefined;
  let simplePorts: string | undefined;
  let comment: string | undefined;
  let i = 0;
  const next = (): string | undefined => tokens[i++];
  if (tokens[i] === "in" || tokens[i] === "out") direction = next() as Direction;
  if (tokens[i] === "on") {
    next();
    const name = next();
    if (name === undefined || !IFACE.test(name))
      problems.push(usage(`Invalid interface name "${name ?? ""}"`));
    else iface = name;
  }
  if (tokens[i] === "log" || tokens[i] === "log-all") {
    problems.push(usage(`Logging rules ("${tokens[i]}") are not supported yet`));
    next();
  }
  const keywords = new Set(["proto", "from", "to", "port", "comment"]);
  if (i < tokens.length && !keywords.has(tokens[i] ?? "")) {
    // Simple form: one port/service token, e.g. "22/tcp", "80,443/tcp", "ssh".
    const token = next() ?? "";
    const slash = token.lastIndexOf("/");
    if (slash >= 0) {
      proto = parseProto(token.slice(slash + 1), problems);
      simplePorts = token.slice(0, slash);
    } else {
      simplePorts = token;
    }
  }
  let sawFrom = false;
  let sawTo = false;
  while (i < tokens.length) {
    const word = next();
    if (word === "proto") {
      const value = next();
      if (proto !== undefined && value !== proto)
        problems.push(usage(`Conflicting protocols "${proto}" and "${value ?? ""}"`));
      proto = parseProto(value, problems) ?? proto;
    } else if (word === "from" || word === "to") {
      if (simplePorts !== undefined) {
        problems.push(
          usage(
            `"${word}" cannot follow the short form "${simplePorts}" (write: ${action} from A to any port P)`,
          ),
        );
      }
      const address = parseAddress(next(), context, problems);
      if (word === "from") {
        if (sawFrom) problems.push(usage(`"from" given twice`));
        sawFrom = true;
        if (address) from = address;
      } else {
        if (sawTo) problems.push(usage(`"to" given twice`));
        sawTo = true;
        if (address) to = address;
      }
      if (tokens[i] === "port") {
        next();
        const ports = next();
        if (ports === undefined) problems.push(usage(`Missing port after "port"`));
        else if (word === "from") fromPortsText = ports;
        else toPortsText = ports;
      }
    } else if (word === "port") {
      // ufw accepts "allow in on eth0 to any port 80"; a bare "port" means the destination.
      const ports = next();
      if (ports === undefined) problems.push(usage(`Missing port after "port"`));
      else toPortsText = ports;
    } else if (word === "comment") {
      const text = next();
      if (text === undefined) problems.push(usage(`Missing text after "comment"`));
      else if (new TextEncoder().encode(text).length > MAX_COMMENT || /["\\\p{Cc}]/u.test(text)) {
        problems.push(
          usage(
            `Invalid comment "${text}": at most ${MAX_COMMENT} characters, no quotes, backslashes or control characters`,
          ),
        );
      } else comment = text;
      if (i < tokens.length)
        problems.push(usage(`Unexpected "${tokens.slice(i).join(" ")}" after the comment`));
      i = tokens.length;
    } else if (word === "app") {
      problems.push(usage(`Application profiles ("app") are not supported; use ports or service names`));
      next();
    } else {
      problems.push(usage(`Unexpected "${word ?? ""}" in rule (expected proto, from, to, port or comment)`));
    }
  }
  if (simplePorts === undefined && !sawFrom && !sawTo && toPortsText === undefined) {
    problems.push(
      usage(`Incomplete rule "${words.join(" ")}" (e.g. ${action} 22/tcp, ${action} from 192.0.2.0/24)`),
    );
  }
  const impliedProtos = new Set<string>();
  const portList = (text: string | undefined): PortRange[] | undefined => {
    if (text === undefined) return undefined;
    const parsed = parsePortList(text, proto, context, problems);
    for (const p of parsed.impliedProtos) impliedProtos.add(p);
    return mergeRanges(parsed.ranges);
  };
  const toPorts = portList(simplePorts ?? toPortsText);
  const fromPorts = portList(fromPortsText);
  if (proto === undefined)
    proto = impliedProtos.size === 1 ? (([...impliedProtos][0] ?? "any") as Protocol) : "any";
  if (from.kind === "cidr" && to.kind === "cidr" && from.family !== to.family) {
    problems.push(usage(`Addresses "${from.cidr}" and "${to.cidr}" are of different IP versions`));
  }
  const rate = extrasRate(action, extras, problems);
  let connlimit: number | undefined;
  if (extras.connlimit !== undefined) {
    connlimit = parsePositiveInt(extras.connlimit, 65535);
    if (connlimit === undefined)
      problems.push(usage(`Invalid --connlimit "${extras.connlimit}" (use a number from 1 to 65535)`));
  }
  if ((connlimit !== undefined || rate !== undefined) && action !== "allow" && action !== "limit") {
    problems.push(usage(`Options --connlimit, --rate and --burst apply to "allow" and "limit" rules only`));
  }
  if (problems.length > 0) return failed(problems);
  const rule: FirewallRule = {
    action,
    direction,
    ...(iface !== undefined ? { iface } : {}),
    proto,
    from,
    ...(fromPorts !== undefined ? { fromPorts } : {}),
    to,
    ...(toPorts !== undefined ? { toPorts } : {}),
    ...(connlimit !== undefined ? { connlimit } : {}),
    ...(rate !== undefined ? { rate } : {}),
    ...(comment !== undefined ? { comment } : {}),
  };
  return ok(rule);
}

function extrasRate(action: RuleAction, extras: RuleExtras, problems: Problem[]): RateLimit | undefined {
  let burst: number | undefined;
  if (extras.burst !== undefined) {
    burst = parsePositiveInt(extras.burst, 1_000_000);
    if (burst === undefined)
      problems.push(usage(`Invalid --burst "${extras.burst}" (use a positive number)`));
    if (extras.rate === undefined && action !== "limit")
      problems.push(usage(`--burst needs --rate (or a "limit" rule)`));
  }
  if (extras.rate !== undefined) {
    const rate = parseRate(extras.rate, problems);
    // Without --burst, N/unit lets N connections through back to back, then N per unit.
    return rate ? { ...rate, burst: burst ?? rate.count } : undefined;
  }
  if (burst !== undefined && action === "limit") return { count: 10, unit: "minute", burst };
  return undefined;
}

/** Sorts and merges overlapping/adjacent ranges; nft rejects overlapping interval elements. */
export function mergeRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from || a.to - b.to);
  const merged: PortRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to + 1)
      merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
    else merged.push({ ...r });
  }
  return merged;
}
