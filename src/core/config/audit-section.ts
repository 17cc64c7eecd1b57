import { type ConfigContext, checkKnownKeys, isRecord } from "./config-context.js";

export interface AuditSection {
  /** The web server sits behind Cloudflare: ports 80/443 should accept only Cloudflare. */
  readonly behindCloudflare: boolean;
  /** A waiver file (see docs/audit.md). */
  readonly waivers?: string;
  readonly skip: readonly string[];
}

export const DEFAULT_AUDIT_SECTION: AuditSection = { behindCloudflare: false, skip: [] };

/** The `audit:` section of rampart.yaml; problems go to ctx, bad values fall back to defaults. */
export function parseAuditSection(data: unknown, ctx: ConfigContext): AuditSection {
  if (data === undefined || data === null) return DEFAULT_AUDIT_SECTION;
  const path = ["audit"];
  if (!isRecord(data)) {
    ctx.report("config.type", 'Section "audit" must be a map', path);
    return DEFAULT_AUDIT_SECTION;
  }
  checkKnownKeys(ctx, data, ["behind_cloudflare", "waivers", "skip"], path, '"audit"');
  let behindCloudflare = false;
  if (data.behind_cloudflare !== undefined) {
    if (typeof data.behind_cloudflare === "boolean") behindCloudflare = data.behind_cloudflare;
    else
      ctx.report(
        "config.type",
        `"audit.behind_cloudflare" must be true or false, not "${String(data.behind_cloudflare)}"`,
        [...path, "behind_cloudflare"],
      );
  }
  let waivers: string | undefined;
  if (data.waivers !== undefined) {
    if (typeof data.waivers === "string" && data.waivers !== "") waivers = data.waivers;
    else ctx.report("config.type", '"audit.waivers" must be a file path', [...path, "waivers"]);
  }
  const skip: string[] = [];
  if (data.skip !== undefined) {
    if (Array.isArray(data.skip) && data.skip.every((s) => typeof s === "string"))
      skip.push(...(data.skip as string[]));
    else ctx.report("config.type", '"audit.skip" must be a list of check ids', [...path, "skip"]);
  }
  return { behindCloudflare, ...(waivers !== undefined ? { waivers } : {}), skip };
}
