import { type ConfigContext, checkKnownKeys, isRecord } from "./config-context.js";

/** The firewall's settings from /etc/rampart/rampart.yaml; every path is configurable. */
export interface FirewallConfig {
  /** `state_dir` (top level): rules, last-good Cloudflare lists and the last loaded script live under it. */
  readonly stateDir: string;
  /** nft table (family inet) Rampart owns; tests use their own name. */
  readonly table: string;
  /** The nft program. */
  readonly nft: string;
  /** services(5) file for `allow ssh`. */
  readonly servicesFile: string;
  /** Named address sets: name → file (one CIDR per line); relative paths are from the config file. */
  readonly sets: Readonly<Record<string, string>>;
  readonly cloudflareUrl: string;
  /** The sshd program asked for its ports (`sshd -T`). */
  readonly sshd: string;
  /** sshd's ports, when given: replaces asking `sshd -T` (lockout protection). */
  readonly sshPorts?: readonly number[];
  /** Where `rampart firewall install` writes the boot unit. */
  readonly unitPath: string;
  /** IPv6 sources are counted by this prefix for limit/--connlimit/--rate (one host owns a /64). */
  readonly ipv6SourcePrefix: number;
}

export const FIREWALL_DEFAULTS: FirewallConfig = {
  stateDir: "/var/lib/rampart",
  table: "rampart_fw",
  nft: "nft",
  servicesFile: "/etc/services",
  sets: {},
  cloudflareUrl: "https://api.cloudflare.com/client/v4/ips",
  sshd: "sshd",
  unitPath: "/etc/systemd/system/rampart-firewall.service",
  ipv6SourcePrefix: 64,
};

const KNOWN = [
  "table",
  "nft",
  "services_file",
  "sets",
  "cloudflare_url",
  "sshd",
  "ssh_ports",
  "unit_path",
  "ipv6_source_prefix",
] as const;
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
// Set names become nft identifiers ("set_<name>_v4") and rule words, so letters first.
const SET_NAME = /^[a-z][a-z0-9_]{0,23}$/;

function pathValue(ctx: ConfigContext, value: unknown, path: (string | number)[], fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value.trim() === "" || value.includes("\0")) {
    ctx.report("config.path", `Expected a path at "${path.join(".")}", got ${JSON.stringify(value)}`, path);
    return fallback;
  }
  return value;
}

/**
 * Parses `state_dir` and the `firewall:` section of the whole config document. Never throws:
 * problems go to `ctx` with file:line:col, and safe defaults come back.
 */
export function parseFirewallSection(data: unknown, ctx: ConfigContext): FirewallConfig {
  const root = isRecord(data) ? data : {};
  const stateDir = pathValue(ctx, root.state_dir, ["state_dir"], FIREWALL_DEFAULTS.stateDir);
  const section = root.firewall;
  if (section === undefined || section === null) return { ...FIREWALL_DEFAULTS, stateDir };
  if (!isRecord(section)) {
    ctx.report("config.type", `Expected a mapping at "firewall"`, ["firewall"]);
    return { ...FIREWALL_DEFAULTS, stateDir };
  }
  checkKnownKeys(ctx, section, KNOWN, ["firewall"], `"firewall"`);
  let table = FIREWALL_DEFAULTS.table;
  if (section.table !== undefined) {
    if (typeof section.table === "string" && TABLE_NAME.test(section.table)) table = section.table;
    else {
      ctx.report(
        "config.firewall.table",
        `Invalid nft table name ${JSON.stringify(section.table)} (letters, digits and "_", starting with a letter)`,
        ["firewall", "table"],
      );
    }
  }
  const sets: Record<string, string> = {};
  if (section.sets !== undefined && section.sets !== null) {
    if (!isRecord(section.sets)) {
      ctx.report("config.type", `Expected a mapping of set name to file at "firewall.sets"`, [
        "firewall",
        "sets",
      ]);
    } else {
      for (const [name, file] of Object.entries(section.sets)) {
        if (!SET_NAME.test(name)) {
          ctx.report(
            "config.firewall.set-name",
            `Invalid set name "${name}" (lower-case letters, digits and "_", starting with a letter, at most 24)`,
            ["firewall", "sets", name],
          );
          continue;
        }
        if (name === "any") {
          ctx.report("config.firewall.set-name", `Set name "any" is reserved`, ["firewall", "sets", name]);
          continue;
        }
        sets[name] = pathValue(ctx, file, ["firewall", "sets", name], "");
      }
    }
  }
  let sshPorts: number[] | undefined;
  if (section.ssh_ports !== undefined) {
    const value = section.ssh_ports;
    if (Array.isArray(value) && value.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535))
      sshPorts = value;
    else
      ctx.report("config.firewall.ssh-ports", `Expected a list of ports (1-65535) at "firewall.ssh_ports"`, [
        "firewall",
        "ssh_ports",
      ]);
  }
  let ipv6SourcePrefix = FIREWALL_DEFAULTS.ipv6SourcePrefix;
  if (section.ipv6_source_prefix !== undefined) {
    const value = section.ipv6_source_prefix;
    if (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 128)
      ipv6SourcePrefix = value as number;
    else
      ctx.report(
        "config.firewall.ipv6-source-prefix",
        `Expected a prefix length from 1 to 128 at "firewall.ipv6_source_prefix", got ${JSON.stringify(value)}`,
        ["firewall", "ipv6_source_prefix"],
      );
  }
  let cloudflareUrl = FIREWALL_DEFAULTS.cloudflareUrl;
  if (section.cloudflare_url !== undefined) {
    if (typeof section.cloudflare_url === "string" && /^https?:\/\/[^\s]+$/.test(section.cloudflare_url)) {
      cloudflareUrl = section.cloudflare_url;
    } else {
      ctx.report("config.firewall.url", `Expected an http(s) URL at "firewall.cloudflare_url"`, [
        "firewall",
        "cloudflare_url",
      ]);
    }
  }
  return {
    stateDir,
    table,
    nft: pathValue(ctx, section.nft, ["firewall", "nft"], FIREWALL_DEFAULTS.nft),
    servicesFile: pathValue(
      ctx,
      section.services_file,
      ["firewall", "services_file"],
      FIREWALL_DEFAULTS.servicesFile,
    ),
    sets,
    cloudflareUrl,
    sshd: pathValue(ctx, section.sshd, ["firewall", "sshd"], FIREWALL_DEFAULTS.sshd),
    ...(sshPorts !== undefined ? { sshPorts } : {}),
    unitPath: pathValue(ctx, section.unit_path, ["firewall", "unit_path"], FIREWALL_DEFAULTS.unitPath),
    ipv6SourcePrefix,
  };
}
