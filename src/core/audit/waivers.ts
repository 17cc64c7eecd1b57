import { type ConfigContext, isRecord, parseYamlWithPositions } from "../config/config-context.js";
import type { Problem } from "../errors/problem.js";

export interface Waiver {
  readonly id: string;
  readonly reason: string;
  /** ISO date after which the waiver no longer applies. */
  readonly until?: string;
  readonly at: string;
}

/**
 * A waiver file (YAML): `waivers: [{id: ssh.port, reason: "…", until: 2027-01-31}]`. Every waiver
 * needs a reason, so a report always says why a finding was accepted.
 */
export function parseWaivers(
  text: string,
  file: string,
  knownIds: readonly string[],
): { waivers: Waiver[]; problems: readonly Problem[] } {
  const { data, context } = parseYamlWithPositions(text, file);
  const waivers: Waiver[] = [];
  if (context.problems.length) return { waivers, problems: context.problems };
  const list = isRecord(data) ? data.waivers : undefined;
  if (!Array.isArray(list)) {
    context.report("waivers.shape", 'Expected a "waivers:" list of {id, reason}', []);
    return { waivers, problems: context.problems };
  }
  for (const [i, item] of list.entries()) parseOne(item, i, context, knownIds, waivers);
  return { waivers, problems: context.problems };
}

function parseOne(
  item: unknown,
  i: number,
  ctx: ConfigContext,
  knownIds: readonly string[],
  out: Waiver[],
): void {
  const path = ["waivers", i];
  if (!isRecord(item)) {
    ctx.report("waivers.shape", "Each waiver must be a map with id and reason", path);
    return;
  }
  for (const key of Object.keys(item)) {
    if (!["id", "reason", "until"].includes(key))
      ctx.report("waivers.unknown-key", `Unknown key "${key}" in waiver (known: id, reason, until)`, [
        ...path,
        key,
      ]);
  }
  const id = item.id;
  const reason = item.reason;
  if (typeof id !== "string" || !knownIds.includes(id)) {
    ctx.report("waivers.unknown-check", `Unknown check id "${String(id)}"`, [...path, "id"]);
    return;
  }
  if (typeof reason !== "string" || reason.trim() === "") {
    ctx.report("waivers.no-reason", `Waiver for "${id}" needs a reason`, [
      ...path,
      typeof reason === "string" ? "reason" : "id",
    ]);
    return;
  }
  let until: string | undefined;
  if (item.until !== undefined) {
    const u = item.until instanceof Date ? item.until.toISOString().slice(0, 10) : String(item.until);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(u)) {
      ctx.report("waivers.until", `Invalid date "${u}" (expected YYYY-MM-DD)`, [...path, "until"]);
      return;
    }
    until = u;
  }
  const pos = ctx.positionOf(path);
  out.push({
    id,
    reason: reason.trim(),
    ...(until ? { until } : {}),
    at: pos ? `${pos.file}:${pos.line}` : ctx.file,
  });
}
