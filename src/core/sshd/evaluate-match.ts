import { networkContains, parseCidr, parseIp } from "../ip/ip-address.js";
import { matchGlobSegment } from "./glob-pattern.js";
import { firstDirective, type SshdConfig, type SshdMatchBlock } from "./sshd-config.js";
import { SSHD_DEFAULTS } from "./sshd-keywords.js";

/** The connection `sshd -T -C user=…,host=…,addr=…` describes. */
export interface SshdConnection {
  readonly user: string;
  readonly host: string;
  readonly addr: string;
  readonly groups?: readonly string[];
  readonly laddr?: string;
  readonly lport?: number;
}

// match_pattern_list() in match.c: any negated hit rejects, else any positive hit accepts.
function matchList(
  patterns: readonly string[],
  value: string,
  test: (pattern: string, value: string) => boolean,
): boolean {
  let hit = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = negated ? raw.slice(1) : raw;
    if (test(pattern, value)) {
      if (negated) return false;
      hit = true;
    }
  }
  return hit;
}

const wildcard = (pattern: string, value: string) =>
  matchGlobSegment(pattern.toLowerCase(), value.toLowerCase()) || pattern === value;

function addressMatches(pattern: string, value: string): boolean {
  if (pattern.includes("/")) {
    const net = parseCidr(pattern);
    const ip = parseIp(value);
    return net !== undefined && ip !== undefined && networkContains(net, ip);
  }
  return wildcard(pattern, value);
}

/** Does a Match block apply to this connection (servconf.c match_cfg_line)? */
export function matchBlockApplies(block: SshdMatchBlock, conn: SshdConnection): boolean {
  for (const c of block.criteria) {
    switch (c.kind) {
      case "all":
        break;
      case "user":
        if (!matchList(c.patterns, conn.user, wildcard)) return false;
        break;
      case "group":
        if (!(conn.groups ?? []).some((g) => matchList(c.patterns, g, wildcard))) return false;
        break;
      case "host":
        if (!matchList(c.patterns, conn.host, wildcard)) return false;
        break;
      case "address":
        if (!matchList(c.patterns, conn.addr, addressMatches)) return false;
        break;
      case "localaddress":
        if (conn.laddr === undefined || !matchList(c.patterns, conn.laddr, addressMatches)) return false;
        break;
      case "localport":
        if (conn.lport === undefined || !matchList(c.patterns, String(conn.lport), wildcard)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * A keyword's value for one connection: the first applying Match block that sets it overrides
 * the global value (sshd_config(5) "Match"), else the first global value, else the default.
 */
export function effectiveValue(config: SshdConfig, keyword: string, conn: SshdConnection): string {
  for (const block of config.matchBlocks) {
    if (!matchBlockApplies(block, conn)) continue;
    const d = block.directives.find((x) => x.keyword === keyword);
    if (d) return d.args.join(" ");
  }
  const g = firstDirective(config, keyword);
  return g ? g.args.join(" ") : (SSHD_DEFAULTS[keyword] ?? "");
}
