import { isRecord } from "../config/config-context.js";

export interface PublishedPort {
  readonly family: string;
  readonly proto: string;
  readonly port: string;
  readonly target: string;
}

export interface DockerFindings {
  /** A Docker table (native nft backend) or an iptables-nft `DOCKER` chain exists. */
  readonly present: boolean;
  readonly published: readonly PublishedPort[];
}

function valueText(value: unknown): string {
  if (typeof value === "number" || typeof value === "string") return String(value);
  if (isRecord(value) && isRecord(value.range)) return JSON.stringify(value.range);
  if (isRecord(value) && Array.isArray(value.range)) return value.range.map(valueText).join("-");
  if (isRecord(value) && Array.isArray(value.set)) return value.set.map(valueText).join(",");
  if (isRecord(value) && isRecord(value.prefix))
    return `${valueText(value.prefix.addr)}/${valueText(value.prefix.len)}`;
  return "?";
}

/**
 * Finds ports Docker publishes, from `nft -j list ruleset` (libnftables-json(5)). Published ports
 * are DNATed in prerouting and then take the forward path, so input rules — ufw's and ours — never
 * see them (moby#4737, docker/for-linux#690): status must say so.
 */
export function detectDockerPublishedPorts(ruleset: unknown): DockerFindings {
  const items = isRecord(ruleset) && Array.isArray(ruleset.nftables) ? ruleset.nftables : [];
  let present = false;
  const published: PublishedPort[] = [];
  const isDockerChain = (table: string, chain: string) => /docker/i.test(table) || /^DOCKER/.test(chain);
  for (const item of items) {
    if (!isRecord(item)) continue;
    if (isRecord(item.table) && /docker/i.test(String(item.table.name))) present = true;
    if (isRecord(item.chain) && isDockerChain(String(item.chain.table), String(item.chain.name)))
      present = true;
    const rule = item.rule;
    if (
      !isRecord(rule) ||
      !isDockerChain(String(rule.table), String(rule.chain)) ||
      !Array.isArray(rule.expr)
    )
      continue;
    let proto = "?";
    let port = "?";
    let target: string | undefined;
    for (const expr of rule.expr) {
      if (!isRecord(expr)) continue;
      const match = expr.match;
      if (
        isRecord(match) &&
        isRecord(match.left) &&
        isRecord(match.left.payload) &&
        match.left.payload.field === "dport"
      ) {
        proto = String(match.left.payload.protocol ?? "?");
        port = valueText(match.right);
      }
      const dnat = expr.dnat;
      if (isRecord(dnat))
        target = `${valueText(dnat.addr)}${dnat.port !== undefined ? `:${valueText(dnat.port)}` : ""}`;
    }
    if (target !== undefined) published.push({ family: String(rule.family), proto, port, target });
  }
  return { present, published };
}
