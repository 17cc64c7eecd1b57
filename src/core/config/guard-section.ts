import { parseCidr } from "../ip/ip-address.js";
import { type ConfigContext, type ConfigPath, checkKnownKeys, isRecord } from "./config-context.js";
import { parseDuration } from "./durations.js";

/** bantime.increment (fail2ban jail.conf(5)); `undefined` on a jail means "off". */
export interface IncrementConfig {
  /** bantime.factor: multiplies the formula (fail2ban default 1). */
  readonly factor: number;
  /** bantime.maxtime in seconds: cap on any incremented ban; undefined = no cap. */
  readonly maxtime: number | undefined;
  /** bantime.multipliers: replace the 2^count formula when not empty (last one repeats). */
  readonly multipliers: readonly number[];
  /** bantime.overalljails: count earlier bans of the address in every jail, not just this one. */
  readonly overalljails: boolean;
}

export type ActionConfig =
  | { readonly kind: "command"; readonly argv: readonly string[]; readonly timeoutMs: number }
  | { readonly kind: "webhook"; readonly url: string; readonly timeoutMs: number };

export interface JailConfig {
  readonly name: string;
  readonly enabled: boolean;
  /** Built-in filter name, fail2ban filter name or path, optionally `name[mode=aggressive]`. */
  readonly filter: string;
  readonly backend: "file" | "journald";
  readonly logpath: readonly string[];
  /** journalctl match terms (FIELD=value, `+` for OR), as fail2ban's journalmatch. */
  readonly journalmatch: readonly string[];
  /** journalctl --file: read these journal files instead of the system journal. */
  readonly journalfiles: readonly string[];
  /** journalctl --directory: read the journal in this directory. */
  readonly journalpath: string | undefined;
  readonly maxretry: number;
  /** Seconds. */
  readonly findtime: number;
  /** Seconds; -1 = permanent (fail2ban's convention). */
  readonly bantime: number;
  readonly increment: IncrementConfig | undefined;
  readonly ipv6Prefix: number;
  /** The jail's own ignoreip, on top of the global list. */
  readonly ignoreip: readonly string[];
  readonly actions: readonly ActionConfig[];
}

export interface GuardConfig {
  readonly database: string;
  readonly socket: string;
  /** When set, ban/unban lines are appended here too (recidive can watch it). */
  readonly logfile: string | undefined;
  readonly ignoreip: readonly string[];
  readonly nftTable: string;
  /** Chain priority on the input and forward hooks; below 0 runs before the usual filter. */
  readonly nftPriority: number;
  readonly blocktype: "drop" | "reject";
  readonly jails: readonly JailConfig[];
}

export const GUARD_DEFAULTS = {
  database: "/var/lib/rampart/rampart.db",
  socket: "/run/rampart/rampart.sock",
  nftTable: "rampart_guard",
  nftPriority: -10,
  blocktype: "drop",
  // jail.conf's defaults are maxretry 5, findtime 10m, bantime 10m; the issue asks for 1h bans.
  maxretry: 5,
  findtime: 600,
  bantime: 3600,
  // One IPv6 customer usually gets a /64 (RFC 6177), so counting /128s lets one attacker rotate freely.
  ipv6Prefix: 64,
  actionTimeoutMs: 10_000,
} as const;

export const DEFAULT_INCREMENT: IncrementConfig = {
  factor: 1,
  maxtime: undefined,
  multipliers: [],
  overalljails: false,
};

const GUARD_KEYS = [
  "database",
  "socket",
  "logfile",
  "ignoreip",
  "nft_table",
  "nft_priority",
  "blocktype",
  "jails",
  "maxretry",
  "findtime",
  "bantime",
  "increment",
  "ipv6_prefix",
  "backend",
] as const;

const JAIL_KEYS = [
  "filter",
  "logpath",
  "backend",
  "journalmatch",
  "journalfiles",
  "journalpath",
  "maxretry",
  "findtime",
  "bantime",
  "increment",
  "ipv6_prefix",
  "ignoreip",
  "enabled",
  "actions",
] as const;

const INCREMENT_KEYS = ["enabled", "factor", "maxtime", "multipliers", "overalljails"] as const;

export interface GuardDefaultsEnvironment {
  /** Whether /var/log/auth.log exists: Debian 12 has no rsyslog by default (fail2ban #3292). */
  readonly authLogExists: boolean;
}

/** The sshd jail that runs when no config file exists, on the source this host actually has. */
export function defaultSshdJail(env: GuardDefaultsEnvironment): JailConfig {
  return {
    name: "sshd",
    enabled: true,
    filter: "sshd",
    backend: env.authLogExists ? "file" : "journald",
    logpath: env.authLogExists ? ["/var/log/auth.log"] : [],
    journalmatch: env.authLogExists
      ? []
      : ["_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd", "+", "_COMM=sshd-session"],
    journalfiles: [],
    journalpath: undefined,
    maxretry: GUARD_DEFAULTS.maxretry,
    findtime: GUARD_DEFAULTS.findtime,
    bantime: GUARD_DEFAULTS.bantime,
    increment: undefined,
    ipv6Prefix: GUARD_DEFAULTS.ipv6Prefix,
    ignoreip: [],
    actions: [],
  };
}

export function defaultGuardConfig(env: GuardDefaultsEnvironment): GuardConfig {
  return {
    database: GUARD_DEFAULTS.database,
    socket: GUARD_DEFAULTS.socket,
    logfile: undefined,
    ignoreip: [],
    nftTable: GUARD_DEFAULTS.nftTable,
    nftPriority: GUARD_DEFAULTS.nftPriority,
    blocktype: GUARD_DEFAULTS.blocktype,
    jails: [defaultSshdJail(env)],
  };
}

interface JailDefaults {
  maxretry: number;
  findtime: number;
  bantime: number;
  increment: IncrementConfig | undefined;
  ipv6Prefix: number;
  backend: "file" | "journald";
}

/**
 * Reads the `guard:` section. Never throws: every problem goes to `ctx` with its position and a
 * usable value is returned, so a caller can print all problems at once and refuse to start.
 * `data` is the section's value (undefined when the file has no `guard:`).
 */
export function parseGuardSection(
  data: unknown,
  ctx: ConfigContext,
  env: GuardDefaultsEnvironment,
): GuardConfig {
  const base: ConfigPath = ["guard"];
  if (data === undefined || data === null) return defaultGuardConfig(env);
  if (!isRecord(data)) {
    ctx.report("guard.type", `The "guard" section must be a mapping, not ${describe(data)}`, base);
    return defaultGuardConfig(env);
  }
  checkKnownKeys(ctx, data, GUARD_KEYS, base, '"guard"');
  const defaults: JailDefaults = {
    maxretry: readCount(ctx, data.maxretry, [...base, "maxretry"], GUARD_DEFAULTS.maxretry),
    findtime: readSeconds(ctx, data.findtime, [...base, "findtime"], GUARD_DEFAULTS.findtime, false),
    bantime: readSeconds(ctx, data.bantime, [...base, "bantime"], GUARD_DEFAULTS.bantime, true),
    increment: readIncrement(ctx, data.increment, [...base, "increment"], undefined),
    ipv6Prefix: readPrefix(ctx, data.ipv6_prefix, [...base, "ipv6_prefix"], GUARD_DEFAULTS.ipv6Prefix),
    backend: readBackend(ctx, data.backend, [...base, "backend"], env.authLogExists ? "file" : "journald"),
  };
  const nftTable = readString(ctx, data.nft_table, [...base, "nft_table"], GUARD_DEFAULTS.nftTable);
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(nftTable)) {
    ctx.report("guard.nft-table", `Invalid nftables table name "${nftTable}" (letters, digits, "_")`, [
      ...base,
      "nft_table",
    ]);
  }
  const nftPriority = readInteger(
    ctx,
    data.nft_priority,
    [...base, "nft_priority"],
    GUARD_DEFAULTS.nftPriority,
  );
  const blocktypeText = readString(ctx, data.blocktype, [...base, "blocktype"], GUARD_DEFAULTS.blocktype);
  if (blocktypeText !== "drop" && blocktypeText !== "reject") {
    ctx.report("guard.blocktype", `Invalid blocktype "${blocktypeText}" (use "drop" or "reject")`, [
      ...base,
      "blocktype",
    ]);
  }
  let jails: JailConfig[];
  if (data.jails === undefined) {
    jails = [defaultJailWith(defaults, env)];
  } else if (!isRecord(data.jails)) {
    ctx.report("guard.jails", `"jails" must be a mapping of jail names, not ${describe(data.jails)}`, [
      ...base,
      "jails",
    ]);
    jails = [];
  } else {
    jails = [];
    for (const [name, value] of Object.entries(data.jails)) {
      const jail = readJail(ctx, name, value, [...base, "jails", name], defaults);
      if (jail) jails.push(jail);
    }
  }
  return {
    database: readPath(ctx, data.database, [...base, "database"], GUARD_DEFAULTS.database),
    socket: readPath(ctx, data.socket, [...base, "socket"], GUARD_DEFAULTS.socket),
    logfile: data.logfile === undefined ? undefined : readPath(ctx, data.logfile, [...base, "logfile"], ""),
    ignoreip: readIgnoreList(ctx, data.ignoreip, [...base, "ignoreip"]),
    nftTable,
    nftPriority,
    blocktype: blocktypeText === "reject" ? "reject" : "drop",
    jails,
  };
}

function defaultJailWith(defaults: JailDefaults, env: GuardDefaultsEnvironment): JailConfig {
  const detected = defaultSshdJail({ authLogExists: env.authLogExists && defaults.backend === "file" });
  return {
    ...detected,
    maxretry: defaults.maxretry,
    findtime: defaults.findtime,
    bantime: defaults.bantime,
    increment: defaults.increment,
    ipv6Prefix: defaults.ipv6Prefix,
  };
}

function readJail(
  ctx: ConfigContext,
  name: string,
  value: unknown,
  path: ConfigPath,
  defaults: JailDefaults,
): JailConfig | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    ctx.report("guard.jail-name", `Invalid jail name "${name}" (letters, digits, ".", "_", "-")`, path);
    return undefined;
  }
  const data = value === null || value === undefined ? {} : value;
  if (!isRecord(data)) {
    ctx.report("guard.jail-type", `Jail "${name}" must be a mapping, not ${describe(data)}`, path);
    return undefined;
  }
  checkKnownKeys(ctx, data, JAIL_KEYS, path, `jail "${name}"`);
  const backend = readBackend(
    ctx,
    data.backend,
    [...path, "backend"],
    data.logpath === undefined ? defaults.backend : "file",
  );
  const logpath = readStringList(ctx, data.logpath, [...path, "logpath"]);
  for (const [i, p] of logpath.entries()) {
    if (!p.startsWith("/")) {
      ctx.report("guard.logpath", `Log path "${p}" of jail "${name}" must be absolute`, [
        ...path,
        "logpath",
        i,
      ]);
    }
  }
  const enabled = readBoolean(ctx, data.enabled, [...path, "enabled"], true);
  if (backend === "file" && logpath.length === 0 && enabled) {
    ctx.report("guard.logpath-missing", `Jail "${name}" has backend "file" but no "logpath"`, path);
  }
  const journalmatch =
    data.journalmatch === undefined
      ? []
      : typeof data.journalmatch === "string"
        ? data.journalmatch.split(/\s+/).filter(Boolean)
        : readStringList(ctx, data.journalmatch, [...path, "journalmatch"]);
  for (const [i, term] of journalmatch.entries()) {
    if (term !== "+" && !/^[A-Z0-9_]+=./.test(term)) {
      ctx.report("guard.journalmatch", `Invalid journal match "${term}" (FIELD=value or "+")`, [
        ...path,
        "journalmatch",
        i,
      ]);
    }
  }
  const filter = readString(ctx, data.filter, [...path, "filter"], name);
  if (backend === "journald" && enabled && journalmatch.length === 0 && !filter.startsWith("sshd")) {
    // Without matches every journal entry goes through the filter (fail2ban warns about it too).
    ctx.report("guard.journalmatch-missing", `Jail "${name}" uses journald but has no "journalmatch"`, path);
  }
  const journalfiles = readStringList(ctx, data.journalfiles, [...path, "journalfiles"]);
  return {
    name,
    enabled,
    filter,
    journalfiles,
    journalpath:
      data.journalpath === undefined
        ? undefined
        : readPath(ctx, data.journalpath, [...path, "journalpath"], ""),
    backend,
    logpath,
    journalmatch,
    maxretry: readCount(ctx, data.maxretry, [...path, "maxretry"], defaults.maxretry),
    findtime: readSeconds(ctx, data.findtime, [...path, "findtime"], defaults.findtime, false),
    bantime: readSeconds(ctx, data.bantime, [...path, "bantime"], defaults.bantime, true),
    increment: readIncrement(ctx, data.increment, [...path, "increment"], defaults.increment),
    ipv6Prefix: readPrefix(ctx, data.ipv6_prefix, [...path, "ipv6_prefix"], defaults.ipv6Prefix),
    ignoreip: readIgnoreList(ctx, data.ignoreip, [...path, "ignoreip"]),
    actions: readActions(ctx, data.actions, [...path, "actions"], name),
  };
}

function readActions(ctx: ConfigContext, value: unknown, path: ConfigPath, jail: string): ActionConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    ctx.report("guard.actions", `"actions" of jail "${jail}" must be a list`, path);
    return [];
  }
  const actions: ActionConfig[] = [];
  value.forEach((item: unknown, i) => {
    const at = [...path, i];
    if (!isRecord(item)) {
      ctx.report("guard.action", `An action must be a mapping with "command" or "webhook"`, at);
      return;
    }
    checkKnownKeys(ctx, item, ["command", "webhook", "timeout"], at, "an action");
    const timeoutSeconds = readSeconds(
      ctx,
      item.timeout,
      [...at, "timeout"],
      GUARD_DEFAULTS.actionTimeoutMs / 1000,
      false,
    );
    const timeoutMs = Math.max(1, timeoutSeconds) * 1000;
    if (item.command !== undefined && item.webhook === undefined) {
      // An argv list only: a single string would invite shell splitting, which is the bug class we avoid.
      if (
        !Array.isArray(item.command) ||
        item.command.length === 0 ||
        !item.command.every((a: unknown) => typeof a === "string")
      ) {
        ctx.report(
          "guard.action-command",
          `"command" must be a non-empty list of arguments, e.g. ["/usr/local/bin/notify", "{ip}"] (no shell)`,
          [...at, "command"],
        );
        return;
      }
      if (!(item.command[0] as string).startsWith("/")) {
        ctx.report("guard.action-command", `Command "${item.command[0]}" must be an absolute path`, [
          ...at,
          "command",
          0,
        ]);
        return;
      }
      actions.push({ kind: "command", argv: item.command as string[], timeoutMs });
    } else if (item.webhook !== undefined && item.command === undefined) {
      let url: URL | undefined;
      try {
        url = typeof item.webhook === "string" ? new URL(item.webhook) : undefined;
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
        ctx.report(
          "guard.action-webhook",
          `Invalid webhook URL ${JSON.stringify(item.webhook)} (http or https)`,
          [...at, "webhook"],
        );
        return;
      }
      actions.push({ kind: "webhook", url: url.toString(), timeoutMs });
    } else {
      ctx.report("guard.action", `An action needs exactly one of "command" or "webhook"`, at);
    }
  });
  return actions;
}

function readIncrement(
  ctx: ConfigContext,
  value: unknown,
  path: ConfigPath,
  fallback: IncrementConfig | undefined,
): IncrementConfig | undefined {
  if (value === undefined || value === null) return fallback;
  if (value === true) return DEFAULT_INCREMENT;
  if (value === false) return undefined;
  if (!isRecord(value)) {
    ctx.report("guard.increment", `"increment" must be true, false or a mapping`, path);
    return fallback;
  }
  checkKnownKeys(ctx, value, INCREMENT_KEYS, path, '"increment"');
  if (!readBoolean(ctx, value.enabled, [...path, "enabled"], true)) return undefined;
  const factor = value.factor === undefined ? 1 : value.factor;
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor <= 0) {
    // fail2ban eval()s bantime.factor; we take a plain positive number.
    ctx.report(
      "guard.increment-factor",
      `"factor" must be a positive number, not ${JSON.stringify(factor)}`,
      [...path, "factor"],
    );
  }
  const multipliers: number[] = [];
  if (value.multipliers !== undefined) {
    const raw =
      typeof value.multipliers === "string"
        ? value.multipliers.split(/\s+/).filter(Boolean)
        : value.multipliers;
    if (!Array.isArray(raw)) {
      ctx.report("guard.increment-multipliers", `"multipliers" must be a list of numbers`, [
        ...path,
        "multipliers",
      ]);
    } else {
      for (const m of raw) {
        const n = typeof m === "string" ? Number(m) : m;
        if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
          ctx.report("guard.increment-multipliers", `Invalid multiplier ${JSON.stringify(m)}`, [
            ...path,
            "multipliers",
          ]);
        } else multipliers.push(n);
      }
    }
  }
  return {
    factor: typeof factor === "number" && factor > 0 ? factor : 1,
    maxtime:
      value.maxtime === undefined
        ? undefined
        : readSeconds(ctx, value.maxtime, [...path, "maxtime"], 0, false),
    multipliers,
    overalljails: readBoolean(ctx, value.overalljails, [...path, "overalljails"], false),
  };
}

function readIgnoreList(ctx: ConfigContext, value: unknown, path: ConfigPath): string[] {
  const items =
    typeof value === "string" ? value.split(/[\s,]+/).filter(Boolean) : readStringList(ctx, value, path);
  const out: string[] = [];
  items.forEach((item, i) => {
    const network = parseCidr(item);
    if (!network) {
      // fail2ban also accepts DNS names here and resolves them on every check; we refuse them.
      ctx.report(
        "guard.ignoreip",
        `Invalid address or network "${item}" in ignoreip`,
        typeof value === "string" ? path : [...path, i],
      );
    } else out.push(network.text);
  });
  return out;
}

function readBackend(
  ctx: ConfigContext,
  value: unknown,
  path: ConfigPath,
  fallback: "file" | "journald",
): "file" | "journald" {
  if (value === undefined) return fallback;
  if (value === "file" || value === "journald") return value;
  if (value === "systemd") return "journald";
  if (value === "auto" || value === "polling" || value === "pyinotify") return "file";
  ctx.report("guard.backend", `Unknown backend ${JSON.stringify(value)} (use "file" or "journald")`, path);
  return fallback;
}

function readStringList(ctx: ConfigContext, value: unknown, path: ConfigPath): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) {
    const out: string[] = [];
    value.forEach((v: unknown, i) => {
      if (typeof v === "string" || typeof v === "number") out.push(String(v));
      else ctx.report("config.type", `Expected a string, not ${describe(v)}`, [...path, i]);
    });
    return out;
  }
  ctx.report("config.type", `Expected a string or a list of strings, not ${describe(value)}`, path);
  return [];
}

function readString(ctx: ConfigContext, value: unknown, path: ConfigPath, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value === "string" && value !== "") return value;
  ctx.report("config.type", `Expected a non-empty string, not ${describe(value)}`, path);
  return fallback;
}

function readPath(ctx: ConfigContext, value: unknown, path: ConfigPath, fallback: string): string {
  const text = readString(ctx, value, path, fallback);
  if (value !== undefined && !text.startsWith("/")) {
    ctx.report("config.path", `Path "${text}" must be absolute`, path);
  }
  return text;
}

function readBoolean(ctx: ConfigContext, value: unknown, path: ConfigPath, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  ctx.report("config.type", `Expected true or false, not ${describe(value)}`, path);
  return fallback;
}

function readInteger(ctx: ConfigContext, value: unknown, path: ConfigPath, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  ctx.report("config.type", `Expected an integer, not ${describe(value)}`, path);
  return fallback;
}

function readCount(ctx: ConfigContext, value: unknown, path: ConfigPath, fallback: number): number {
  const n = readInteger(
    ctx,
    typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value,
    path,
    fallback,
  );
  if (n < 1 || n > 1000) {
    ctx.report("config.range", `Expected a count between 1 and 1000, not ${n}`, path);
    return fallback;
  }
  return n;
}

function readPrefix(ctx: ConfigContext, value: unknown, path: ConfigPath, fallback: number): number {
  const n = readInteger(ctx, value, path, fallback);
  if (n < 16 || n > 128) {
    ctx.report("config.range", `IPv6 prefix must be between 16 and 128, not ${n}`, path);
    return fallback;
  }
  return n;
}

function readSeconds(
  ctx: ConfigContext,
  value: unknown,
  path: ConfigPath,
  fallback: number,
  allowPermanent: boolean,
): number {
  if (value === undefined) return fallback;
  const seconds = typeof value === "string" || typeof value === "number" ? parseDuration(value) : undefined;
  if (seconds === undefined) {
    ctx.report(
      "config.duration",
      `Invalid duration ${JSON.stringify(value)} (e.g. 600, 10m, 1h, 1d, 5w)`,
      path,
    );
    return fallback;
  }
  if (allowPermanent && seconds < 0) return -1;
  if (seconds <= 0) {
    ctx.report("config.range", `Duration ${JSON.stringify(value)} must be positive`, path);
    return fallback;
  }
  return seconds;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}
