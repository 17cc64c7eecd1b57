import type { DockerFindings } from "./docker-detect.js";
import type { StatusMode } from "./firewall-command.js";
import type { AddressSpec, FirewallRule, FirewallState, PortRange } from "./firewall-rule.js";
import type { AddressSet } from "./set-file.js";

export interface StatusFacts {
  readonly state: FirewallState;
  /** Whether our table is loaded in the kernel right now (undefined: could not ask nft). */
  readonly loaded: boolean | undefined;
  readonly table: string;
  readonly sets: ReadonlyMap<string, AddressSet>;
  readonly docker: DockerFindings | undefined;
}

function ports(ranges: readonly PortRange[]): string {
  return ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}:${r.to}`)).join(",");
}

function place(spec: AddressSpec, portRanges: readonly PortRange[] | undefined, proto: string): string {
  const who = spec.kind === "any" ? "Anywhere" : spec.kind === "cidr" ? spec.cidr : `set:${spec.name}`;
  if (!portRanges) return spec.kind === "any" && proto !== "any" ? `${who}/${proto}` : who;
  const p = `${ports(portRanges)}${proto === "any" ? "" : `/${proto}`}`;
  return spec.kind === "any" ? p : `${who} ${p}`;
}

function actionText(rule: FirewallRule): string {
  const base = rule.action === "deny" ? "DENY" : rule.action.toUpperCase();
  return `${base} ${rule.direction.toUpperCase()}`;
}

function extras(rule: FirewallRule): string {
  const parts: string[] = [];
  if (rule.iface !== undefined) parts.push(`on ${rule.iface}`);
  if (rule.action === "limit" && !rule.rate) parts.push("6/30s (ufw)");
  if (rule.rate) parts.push(`rate ${rule.rate.count}/${rule.rate.unit} burst ${rule.rate.burst}`);
  if (rule.connlimit !== undefined) parts.push(`connlimit ${rule.connlimit}`);
  if (rule.comment !== undefined) parts.push(`# ${rule.comment}`);
  return parts.join(" ");
}

/** `ufw status`'s table: To / Action / From, one row per rule (one rule covers IPv4 and IPv6). */
export function formatStatus(facts: StatusFacts, mode: StatusMode): string {
  const { state } = facts;
  const lines: string[] = [];
  let status = state.enabled ? "active" : "inactive";
  if (state.enabled && facts.loaded === false) {
    status = `inactive (enabled, but table inet ${facts.table} is not loaded: run "rampart firewall reload")`;
  }
  if (!state.enabled && facts.loaded === true)
    status = `inactive (but table inet ${facts.table} is still loaded)`;
  lines.push(`Status: ${status}`);
  if (mode === "verbose") {
    const d = state.defaults;
    lines.push(`Default: ${d.incoming} (incoming), ${d.outgoing} (outgoing), ${d.routed} (routed)`);
    lines.push(`Table: inet ${facts.table}`);
    for (const set of [...facts.sets.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      lines.push(`Set ${set.name}: ${set.v4.length} IPv4, ${set.v6.length} IPv6 (${set.source})`);
    }
  }
  if (state.rules.length > 0) {
    const rows = state.rules.map((rule, i) => {
      const to = place(rule.to, rule.toPorts, rule.proto);
      const from = place(rule.from, rule.fromPorts, rule.fromPorts ? rule.proto : "any");
      return {
        n: mode === "numbered" ? `[${String(i + 1).padStart(2)}] ` : "",
        to,
        action: actionText(rule),
        from,
        extra: extras(rule),
      };
    });
    const nWidth = mode === "numbered" ? (rows[0]?.n.length ?? 0) : 0;
    const toWidth = Math.max(26, ...rows.map((r) => r.to.length + 1));
    const actWidth = Math.max(11, ...rows.map((r) => r.action.length + 1));
    lines.push("");
    lines.push(`${" ".repeat(nWidth)}${"To".padEnd(toWidth)} ${"Action".padEnd(actWidth)} From`);
    lines.push(`${" ".repeat(nWidth)}${"--".padEnd(toWidth)} ${"------".padEnd(actWidth)} ----`);
    for (const r of rows) {
      lines.push(
        `${r.n}${r.to.padEnd(toWidth)} ${r.action.padEnd(actWidth)} ${r.from}${r.extra ? `  ${r.extra}` : ""}`.trimEnd(),
      );
    }
  }
  if (facts.docker?.present) {
    lines.push("");
    const list = facts.docker.published.map((p) => `${p.port}/${p.proto} -> ${p.target}`);
    lines.push(
      `Warning: Docker is active here. Ports it publishes go through the forward path and bypass these input rules${
        list.length > 0 ? `: ${list.join(", ")}` : ""
      }. Restrict them in Docker (publish on 127.0.0.1, or rules in DOCKER-USER).`,
    );
  }
  return `${lines.join("\n")}\n`;
}
