import { isRecord } from "../config/config-context.js";

/** The parts of `nft -j list ruleset` (libnftables-json(5)) the firewall checks read. */
export interface NftChain {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  readonly hook?: string;
  readonly type?: string;
  readonly prio?: number;
  readonly policy?: string;
}

export interface NftRule {
  readonly family: string;
  readonly table: string;
  readonly chain: string;
  readonly handle?: number;
  readonly expr: readonly unknown[];
}

export interface NftSet {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  readonly elem: readonly unknown[];
}

export interface NftRuleset {
  readonly tables: readonly { family: string; name: string }[];
  readonly chains: readonly NftChain[];
  readonly rules: readonly NftRule[];
  readonly sets: readonly NftSet[];
}

/** Reads nft's JSON; throws a plain Error with the reason when it is not nft JSON. */
export function parseNftJson(text: string): NftRuleset {
  const doc: unknown = JSON.parse(text);
  if (!isRecord(doc) || !Array.isArray(doc.nftables))
    throw new Error('expected an object with an "nftables" array');
  const tables: { family: string; name: string }[] = [];
  const chains: NftChain[] = [];
  const rules: NftRule[] = [];
  const sets: NftSet[] = [];
  for (const item of doc.nftables) {
    if (!isRecord(item)) continue;
    if (isRecord(item.table))
      tables.push({ family: String(item.table.family), name: String(item.table.name) });
    if (isRecord(item.chain)) {
      const c = item.chain;
      chains.push({
        family: String(c.family),
        table: String(c.table),
        name: String(c.name),
        ...(typeof c.hook === "string" ? { hook: c.hook } : {}),
        ...(typeof c.type === "string" ? { type: c.type } : {}),
        ...(typeof c.prio === "number" ? { prio: c.prio } : {}),
        ...(typeof c.policy === "string" ? { policy: c.policy } : {}),
      });
    }
    if (isRecord(item.rule)) {
      const r = item.rule;
      rules.push({
        family: String(r.family),
        table: String(r.table),
        chain: String(r.chain),
        ...(typeof r.handle === "number" ? { handle: r.handle } : {}),
        expr: Array.isArray(r.expr) ? r.expr : [],
      });
    }
    const s = isRecord(item.set) ? item.set : isRecord(item.map) ? item.map : undefined;
    if (s) {
      sets.push({
        family: String(s.family),
        table: String(s.table),
        name: String(s.name),
        elem: Array.isArray(s.elem) ? s.elem : [],
      });
    }
  }
  return { tables, chains, rules, sets };
}
