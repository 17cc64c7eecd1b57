import type { NftChain, NftRule, NftRuleset } from "./nft-ruleset.js";

export type IpVersion = 4 | 6;

/** What happens to a new inbound TCP connection to one port from an arbitrary source. */
export interface PortVerdict {
  readonly port: number;
  readonly version: IpVersion;
  /** accept: reaches the socket from anywhere; restricted: only from some sources; drop: never. */
  readonly verdict: "accept" | "restricted" | "drop";
  /** True when a rule names the port (an intended opening), false when only a policy lets it in. */
  readonly intended: boolean;
  /** Source restrictions of the accepting rules (CIDRs or @set names). */
  readonly sources: readonly string[];
  /** A rule on the path rate-limits the port (limit, meter, ct count, xt recent/hashlimit). */
  readonly rateLimited: boolean;
  /** Where the decision came from: `inet rampart_fw input #12` or `policy drop of inet rampart_fw input`. */
  readonly evidence: readonly string[];
}

type Tri = "yes" | "no" | "maybe";

interface Packet {
  readonly port: number;
  readonly version: IpVersion;
}

interface Walk {
  intended: boolean;
  sources: string[];
  rateLimited: boolean;
  evidence: string[];
}

const RATE_EXPRS = new Set(["limit", "meter", "ct count", "quota"]);
const RATE_XT = new Set(["recent", "hashlimit", "connlimit", "limit"]);

function chainLabel(c: { family: string; table: string; name: string }): string {
  return `${c.family} ${c.table} ${c.name}`;
}

function familyCovers(family: string, version: IpVersion): boolean {
  return family === "inet" || (family === "ip" && version === 4) || (family === "ip6" && version === 6);
}

/** The base chains hooked on input for a family, by priority (nft(8) "CHAINS"). */
export function inputBaseChains(rs: NftRuleset, version: IpVersion): NftChain[] {
  return rs.chains
    .filter((c) => c.hook === "input" && (c.type ?? "filter") === "filter" && familyCovers(c.family, version))
    .sort((a, b) => (a.prio ?? 0) - (b.prio ?? 0));
}

/** A base chain that drops what no rule accepted: policy drop or an unconditional final drop/reject. */
export function chainDefaultDenies(rs: NftRuleset, chain: NftChain): boolean {
  if (chain.policy === "drop") return true;
  const rules = rs.rules.filter(
    (r) => r.family === chain.family && r.table === chain.table && r.chain === chain.name,
  );
  const last = rules[rules.length - 1];
  if (!last) return false;
  const verdict = ruleVerdict(last);
  return (verdict === "drop" || verdict === "reject") && last.expr.every((e) => isVerdictOrNoise(e));
}

function isVerdictOrNoise(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const key = Object.keys(e)[0];
  return key === "drop" || key === "reject" || key === "counter" || key === "log";
}

function ruleVerdict(rule: NftRule): string | undefined {
  for (const e of rule.expr) {
    if (typeof e !== "object" || e === null) continue;
    const key = Object.keys(e)[0];
    if (
      key === "accept" ||
      key === "drop" ||
      key === "reject" ||
      key === "return" ||
      key === "jump" ||
      key === "goto"
    )
      return key;
  }
  return undefined;
}

/** Evaluates a new TCP connection to `port` through every input base chain. */
export function evaluatePort(rs: NftRuleset, port: number, version: IpVersion): PortVerdict {
  const chains = inputBaseChains(rs, version);
  const walk: Walk = { intended: false, sources: [], rateLimited: false, evidence: [] };
  let restricted = false;
  for (const chain of chains) {
    const result = walkChain(rs, chain, { port, version }, walk, 0);
    if (result === "drop") {
      return {
        port,
        version,
        verdict: "drop",
        intended: false,
        sources: [],
        rateLimited: walk.rateLimited,
        evidence: walk.evidence,
      };
    }
    if (result === "restricted") restricted = true;
  }
  if (chains.length === 0) walk.evidence.push("no input chain (nothing filters inbound traffic)");
  return {
    port,
    version,
    verdict: restricted ? "restricted" : "accept",
    intended: walk.intended,
    sources: walk.sources,
    rateLimited: walk.rateLimited,
    evidence: walk.evidence,
  };
}

type ChainResult = "accept" | "restricted" | "drop" | "continue";

function walkChain(
  rs: NftRuleset,
  chain: { family: string; table: string; name: string; policy?: string; hook?: string },
  p: Packet,
  walk: Walk,
  depth: number,
): ChainResult {
  if (depth > 16) return "continue";
  const rules = rs.rules.filter(
    (r) => r.family === chain.family && r.table === chain.table && r.chain === chain.name,
  );
  let restrictedAccept = false;
  for (const rule of rules) {
    const m = ruleMatches(rs, rule, p);
    if (m.match === "no") continue;
    if (m.rateLimit) walk.rateLimited = true;
    const verdict = ruleVerdict(rule);
    const where = `${rule.family} ${rule.table} ${rule.chain} rule #${rule.handle ?? "?"}`;
    if (verdict === "accept") {
      if (m.namesPort) walk.intended = true;
      if (m.match === "yes" && !m.sources.length) {
        walk.evidence.push(`${where} accepts`);
        return "accept";
      }
      restrictedAccept = true;
      walk.sources.push(...m.sources);
      walk.evidence.push(`${where} accepts from ${m.sources.join(", ") || "some sources"}`);
      continue;
    }
    if (
      (verdict === "drop" || verdict === "reject") &&
      m.match === "yes" &&
      !m.sources.length &&
      !m.rateLimit
    ) {
      walk.evidence.push(`${where} ${verdict}s`);
      return restrictedAccept ? "restricted" : "drop";
    }
    if (verdict === "jump" || verdict === "goto") {
      const target = jumpTarget(rule);
      if (target === undefined) continue;
      const sub = walkChain(rs, { family: rule.family, table: rule.table, name: target }, p, walk, depth + 1);
      if (m.sources.length && sub !== "continue") {
        // Only some sources take this jump: what the target decides holds for them alone.
        if (sub !== "drop") {
          restrictedAccept = true;
          walk.sources.push(...m.sources);
        }
        continue;
      }
      if (sub === "accept" || sub === "drop") return sub === "drop" && restrictedAccept ? "restricted" : sub;
      if (sub === "restricted") restrictedAccept = true;
      if (verdict === "goto") break;
      continue;
    }
    if (verdict === "return" && m.match === "yes") break;
  }
  if (chain.hook !== undefined) {
    if (chain.policy === "drop") {
      walk.evidence.push(`policy drop of ${chainLabel(chain)}`);
      return restrictedAccept ? "restricted" : "drop";
    }
    walk.evidence.push(`policy accept of ${chainLabel(chain)}`);
    return restrictedAccept ? "restricted" : "accept";
  }
  return restrictedAccept ? "restricted" : "continue";
}

function jumpTarget(rule: NftRule): string | undefined {
  for (const e of rule.expr) {
    if (typeof e !== "object" || e === null) continue;
    const j = (e as Record<string, unknown>).jump ?? (e as Record<string, unknown>).goto;
    if (typeof j === "object" && j !== null && typeof (j as { target?: unknown }).target === "string")
      return (j as { target: string }).target;
  }
  return undefined;
}

interface RuleMatch {
  match: Tri;
  namesPort: boolean;
  sources: string[];
  rateLimit: boolean;
}

function ruleMatches(rs: NftRuleset, rule: NftRule, p: Packet): RuleMatch {
  let match: Tri = "yes";
  let namesPort = false;
  let rateLimit = false;
  const sources: string[] = [];
  const and = (t: Tri) => {
    if (t === "no") match = "no";
    else if (t === "maybe" && match === "yes") match = "maybe";
  };
  for (const e of rule.expr) {
    if (typeof e !== "object" || e === null) continue;
    const key = Object.keys(e)[0] as string;
    const body = (e as Record<string, unknown>)[key];
    if (RATE_EXPRS.has(key)) rateLimit = true;
    if (key === "xt" && typeof body === "object" && body !== null) {
      const name = String((body as { name?: unknown }).name ?? "");
      if (RATE_XT.has(name)) rateLimit = true;
      continue;
    }
    if (
      key === "set" &&
      typeof body === "object" &&
      body !== null &&
      JSON.stringify(body).includes('"limit"')
    ) {
      rateLimit = true;
      continue;
    }
    if (key !== "match" || typeof body !== "object" || body === null) continue;
    const { left, right, op } = body as { left?: unknown; right?: unknown; op?: string };
    const negate = op === "!=";
    const lk = describeLeft(left);
    if (lk === "dport") {
      const hit = valueContains(rs, rule, right, p.port);
      and(hit === "maybe" ? "maybe" : (hit === "yes") !== negate ? "yes" : "no");
      if (!negate && hit === "yes") namesPort = true;
    } else if (lk === "l4proto") {
      const hit =
        valueContains(rs, rule, right, "tcp") === "yes" || valueContains(rs, rule, right, 6) === "yes";
      and(hit !== negate ? "yes" : "no");
    } else if (lk === "nfproto") {
      const want = p.version === 4 ? "ipv4" : "ipv6";
      const hit = valueContains(rs, rule, right, want) === "yes";
      and(hit !== negate ? "yes" : "no");
    } else if (lk === "ctstate") {
      // A new connection: "new" (or untracked) states match; established/related/invalid do not.
      const hit = valueContains(rs, rule, right, "new") === "yes";
      and(hit !== negate ? "yes" : "no");
    } else if (lk === "iif") {
      // Traffic from outside never arrives on loopback.
      const isLo = valueContains(rs, rule, right, "lo") === "yes";
      and(isLo ? (negate ? "yes" : "no") : "maybe");
    } else if (lk === "saddr4" || lk === "saddr6") {
      if ((lk === "saddr4") !== (p.version === 4)) {
        and("no");
        continue;
      }
      and("maybe");
      if (!negate) sources.push(describeValue(right));
    } else if (lk === "proto-payload") {
      // A match on another transport protocol's header (udp dport, icmp type) excludes TCP.
      and("no");
    } else if (lk === "other") {
      and("maybe");
    }
  }
  return { match, namesPort, sources, rateLimit };
}

function describeLeft(left: unknown): string {
  if (typeof left !== "object" || left === null) return "other";
  const l = left as Record<string, unknown>;
  if (isRec(l.payload)) {
    const proto = String(l.payload.protocol ?? "");
    const field = String(l.payload.field ?? "");
    if ((proto === "tcp" || proto === "th") && field === "dport") return "dport";
    if (proto === "ip" && field === "saddr") return "saddr4";
    if (proto === "ip6" && field === "saddr") return "saddr6";
    if (proto === "ip" && field === "protocol") return "l4proto";
    if (proto === "ip6" && field === "nexthdr") return "l4proto";
    if (proto === "udp" || proto === "icmp" || proto === "icmpv6" || proto === "sctp") return "proto-payload";
    return "other";
  }
  if (isRec(l.meta)) {
    const k = String(l.meta.key ?? "");
    if (k === "l4proto") return "l4proto";
    if (k === "nfproto") return "nfproto";
    if (k === "iifname" || k === "iif") return "iif";
    return "other";
  }
  if (isRec(l.ct) && l.ct.key === "state") return "ctstate";
  return "other";
}

function isRec(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function valueContains(rs: NftRuleset, rule: NftRule, right: unknown, want: number | string): Tri {
  if (typeof right === "number" || typeof right === "string") {
    if (typeof right === "string" && right.startsWith("@")) {
      const set = rs.sets.find(
        (s) => s.family === rule.family && s.table === rule.table && s.name === right.slice(1),
      );
      if (!set) return "maybe";
      return valueContains(rs, rule, set.elem, want);
    }
    return String(right) === String(want) ? "yes" : "no";
  }
  if (Array.isArray(right)) {
    let any: Tri = "no";
    for (const v of right) {
      const t = valueContains(rs, rule, v, want);
      if (t === "yes") return "yes";
      if (t === "maybe") any = "maybe";
    }
    return any;
  }
  if (isRec(right)) {
    if (Array.isArray(right.set)) return valueContains(rs, rule, right.set, want);
    if (Array.isArray(right.range) && typeof want === "number") {
      const [lo, hi] = right.range as [unknown, unknown];
      return typeof lo === "number" && typeof hi === "number"
        ? want >= lo && want <= hi
          ? "yes"
          : "no"
        : "maybe";
    }
    if (isRec(right.elem)) return valueContains(rs, rule, right.elem.val, want);
    if ("val" in right) return valueContains(rs, rule, right.val, want);
  }
  return "maybe";
}

function describeValue(right: unknown): string {
  if (typeof right === "string" || typeof right === "number") return String(right);
  if (isRec(right) && isRec(right.prefix)) return `${String(right.prefix.addr)}/${String(right.prefix.len)}`;
  if (isRec(right) && Array.isArray(right.set)) return right.set.map(describeValue).join(", ");
  if (isRec(right) && Array.isArray(right.range)) return right.range.map(describeValue).join("-");
  return JSON.stringify(right);
}

/** Every concrete address/prefix a source restriction stands for (sets expanded). */
export function expandSources(rs: NftRuleset, family: string, table: string, source: string): string[] {
  if (source.startsWith("@")) {
    const set = rs.sets.find((s) => s.family === family && s.table === table && s.name === source.slice(1));
    return set ? set.elem.map(describeValue) : [source];
  }
  return source.split(", ");
}

/** Ports Docker publishes (DNAT in its nat DOCKER chain) and whether DOCKER-USER filters them. */
export function dockerPublished(rs: NftRuleset): {
  ports: number[];
  dockerUserFilters: boolean;
  present: boolean;
} {
  const present = rs.chains.some((c) => c.name === "DOCKER" || c.name === "DOCKER-USER");
  const ports: number[] = [];
  for (const rule of rs.rules) {
    if (rule.chain !== "DOCKER") continue;
    if (!rule.expr.some((e) => isRec(e) && "dnat" in e)) continue;
    for (const e of rule.expr) {
      if (!isRec(e) || !isRec(e.match)) continue;
      if (describeLeft(e.match.left) === "dport" && typeof e.match.right === "number")
        ports.push(e.match.right);
    }
  }
  const dockerUserFilters = rs.rules.some(
    (r) => r.chain === "DOCKER-USER" && ["drop", "reject"].includes(ruleVerdict(r) ?? ""),
  );
  return { ports: [...new Set(ports)].sort((a, b) => a - b), dockerUserFilters, present };
}
