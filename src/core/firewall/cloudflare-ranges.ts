import { isRecord } from "../config/config-context.js";
import { failed, ok, type Problem, problem, type Result } from "../errors/problem.js";
import { type IpNetwork, parseCidr } from "../ip/ip-address.js";

export interface CloudflareRanges {
  readonly v4: readonly IpNetwork[];
  readonly v6: readonly IpNetwork[];
}

// Sanity floors: Cloudflare has published 15 IPv4 and 7 IPv6 ranges for years; far fewer means
// a broken or hostile answer, and loading it would cut real visitors off.
const MIN_V4 = 10;
const MIN_V6 = 5;
/** An update may not drop more than this share of the last good list without --force. */
const MAX_SHRINK = 0.2;

/**
 * Validates Cloudflare's API answer (GET /client/v4/ips:
 * {"result":{"ipv4_cidrs":[…],"ipv6_cidrs":[…]},"success":true}) against the last good lists.
 */
export function parseCloudflareRanges(
  body: string,
  lastGood: CloudflareRanges | undefined,
  options: { force?: boolean } = {},
): Result<CloudflareRanges> {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return failed([problem("cloudflare.json", "Cloudflare's answer is not JSON")]);
  }
  if (!isRecord(data) || data.success !== true || !isRecord(data.result)) {
    return failed([
      problem("cloudflare.format", `Cloudflare's answer has no "success": true and "result" object`),
    ]);
  }
  const problems: Problem[] = [];
  const list = (key: "ipv4_cidrs" | "ipv6_cidrs", family: 4 | 6): IpNetwork[] => {
    const raw = (data.result as Record<string, unknown>)[key];
    if (!Array.isArray(raw)) {
      problems.push(problem("cloudflare.format", `Cloudflare's answer has no "${key}" list`));
      return [];
    }
    const networks: IpNetwork[] = [];
    for (const item of raw) {
      const network = typeof item === "string" ? parseCidr(item) : undefined;
      if (!network || network.address.family !== family) {
        problems.push(
          problem("cloudflare.cidr", `Invalid IPv${family} CIDR ${JSON.stringify(item)} in "${key}"`),
        );
      } else networks.push(network);
    }
    return networks;
  };
  const v4 = list("ipv4_cidrs", 4);
  const v6 = list("ipv6_cidrs", 6);
  if (problems.length > 0) return failed(problems);
  if (v4.length < MIN_V4 || v6.length < MIN_V6) {
    return failed([
      problem(
        "cloudflare.too-few",
        `Cloudflare's answer lists only ${v4.length} IPv4 and ${v6.length} IPv6 ranges (expected at least ${MIN_V4} and ${MIN_V6})`,
      ),
    ]);
  }
  if (lastGood && !options.force) {
    for (const [family, fresh, old] of [
      [4, v4, lastGood.v4],
      [6, v6, lastGood.v6],
    ] as const) {
      const freshText = new Set(fresh.map((n) => n.text));
      const dropped = old.filter((n) => !freshText.has(n.text));
      if (old.length > 0 && dropped.length / old.length > MAX_SHRINK) {
        problems.push(
          problem(
            "cloudflare.shrink",
            `Cloudflare's answer drops ${dropped.length} of ${old.length} known IPv${family} ranges (${dropped
              .slice(0, 3)
              .map((n) => n.text)
              .join(", ")}${dropped.length > 3 ? ", …" : ""}); use --force if that is expected`,
          ),
        );
      }
    }
    if (problems.length > 0) return failed(problems);
  }
  return ok({ v4, v6 });
}

/** The shipped/last-good list format: one CIDR per line, read back with parseSetFile. */
export function formatRangeList(networks: readonly IpNetwork[], header: string): string {
  return `# ${header}\n${networks.map((n) => n.text).join("\n")}\n`;
}
