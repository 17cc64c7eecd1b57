import { parseDuration } from "../config/durations.js";
import { ConfigLookupError, type ConfigStore, DEFAULT_SECTION } from "../filter/config/config-store.js";
import { parseCidr } from "../ip/ip-address.js";

/** How a jail's filter is carried over; decided by the caller, which can read files. */
export type FilterChoice =
  | { readonly kind: "builtin" }
  | { readonly kind: "path"; readonly path: string; readonly reason: string }
  | { readonly kind: "missing" };

export interface Fail2banImportInput {
  /** jail.conf → jail.d/*.conf → jail.local → jail.d/*.local, merged with their includes. */
  readonly store: ConfigStore;
  readonly classifyFilter: (name: string) => FilterChoice;
  /** Whether a (non-glob) log path exists, for the Debian 12 "no auth.log" hint; absent: no check. */
  readonly pathExists?: (path: string) => boolean;
}

export interface Fail2banImport {
  /** The `guard:` section (its content), ready for YAML. */
  readonly guard: Record<string, unknown>;
  readonly jails: readonly string[];
  /** What could not be carried over, one sentence each. */
  readonly notes: readonly string[];
}

// Options the import understands; anything else set in a jail is reported as not carried over.
const CARRIED = new Set([
  "enabled",
  "filter",
  "mode",
  "logpath",
  "backend",
  "journalmatch",
  "maxretry",
  "findtime",
  "bantime",
  "bantime.increment",
  "bantime.factor",
  "bantime.maxtime",
  "bantime.multipliers",
  "bantime.overalljails",
  "ignoreip",
  "action",
  "banaction",
  "banaction_allports",
  "port",
  "protocol",
  "chain",
  "__name__",
]);
// Ban actions whose job Rampart's own nftables sets do (fail2ban action.d names).
const FIREWALL_ACTION =
  /^(?:iptables|ip6tables|nftables|firewallcmd|shorewall|ufw|pf|bsd-ipfw|ipfw|route|npf|apf|hostsdeny|dummy|nginx-block-map|ipset|netscaler|symbiosis-blacklist)/;
const JAIL_NAME = /^[A-Za-z0-9._-]+$/;

interface Settings {
  maxretry?: number;
  findtime?: string | number;
  bantime?: string | number;
  increment?: Record<string, unknown> | false;
  ignoreip?: string[];
}

/**
 * Converts a merged Fail2Ban jail configuration into Rampart's `guard:` section: enabled jails,
 * their filter (with its `[mode=…]` options), log paths (after `%(…)s` interpolation; globs kept),
 * backend, retry/time settings, bantime.increment, ignoreip. Values equal to [DEFAULT]'s are
 * written once at the guard level. Everything it cannot express is listed in `notes`.
 */
export function importFail2ban(input: Fail2banImportInput): Fail2banImport {
  const { store } = input;
  const notes = new Notes();
  const get = (section: string, option: string): string | undefined => {
    try {
      const v = store.getEx(section, option);
      return v === undefined ? undefined : v.text.trim();
    } catch (e) {
      if (!(e instanceof ConfigLookupError)) throw e;
      notes.add(`Cannot read option "${option}" of [${section}]: ${e.message}`);
      return undefined;
    }
  };

  const defaults = readSettings(DEFAULT_SECTION, get, notes);
  const guard: Record<string, unknown> = {};
  if (defaults.ignoreip && defaults.ignoreip.length > 0) guard.ignoreip = defaults.ignoreip;
  for (const key of ["maxretry", "findtime", "bantime", "increment"] as const) {
    if (defaults[key] !== undefined) guard[key] = defaults[key];
  }
  const usedns = get(DEFAULT_SECTION, "usedns");
  if (usedns !== undefined && usedns.toLowerCase() !== "no") {
    notes.add(
      `usedns = ${usedns}: Rampart never resolves host names from logs; only IP addresses are counted and banned`,
    );
  }
  const ignorecommand = get(DEFAULT_SECTION, "ignorecommand");
  if (ignorecommand)
    notes.add(`ignorecommand (${ignorecommand}) is not carried over; list addresses in ignoreip instead`);

  const jails: Record<string, unknown> = {};
  const names: string[] = [];
  const portNotes = new Map<string, string[]>();
  for (const section of store.sections.keys()) {
    if (section === "INCLUDES" || section.startsWith("KNOWN/") || section === DEFAULT_SECTION) continue;
    if (!isTrue(get(section, "enabled"))) continue;
    if (!JAIL_NAME.test(section)) {
      notes.add(
        `Jail "${section}" is not carried over: Rampart jail names use letters, digits, ".", "_", "-"`,
      );
      continue;
    }
    const jail: Record<string, unknown> = {};
    const filter = get(section, "filter") ?? section;
    const filterName = /^[^[]+/.exec(filter)?.[0]?.trim() ?? section;
    const filterOptions = filter.slice(filterName.length).trim();
    const choice = input.classifyFilter(filterName);
    if (choice.kind === "path") {
      jail.filter = `${choice.path}${filterOptions}`;
      notes.add(`Jail "${section}" uses the filter file ${choice.path} (${choice.reason})`);
    } else {
      jail.filter = `${filterName}${filterOptions}`;
      if (choice.kind === "missing") {
        notes.add(
          `Filter "${filterName}" of jail "${section}" was not found; Rampart will look for a built-in one`,
        );
      }
    }

    const backend = get(section, "backend") ?? "auto";
    if (backend.startsWith("systemd")) {
      jail.backend = "journald";
      const options = backend.slice("systemd".length).trim();
      if (options)
        notes.add(
          `Backend options ${options} of jail "${section}" are not carried over (journald reads the system journal)`,
        );
      const match = store.sections.get(section)?.get("journalmatch")?.text.trim();
      if (match) jail.journalmatch = match.split(/\s+/);
    } else {
      if (!["auto", "pyinotify", "gamin", "polling"].includes(backend)) {
        notes.add(`Backend "${backend}" of jail "${section}" is unknown; using file (inotify)`);
      }
      const logpath = (get(section, "logpath") ?? "")
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      jail.logpath = logpath;
      if (logpath.length === 0)
        notes.add(`Jail "${section}" has no logpath; fill it in or use backend: journald`);
      for (const p of logpath) {
        if (!p.startsWith("/"))
          notes.add(`Log path "${p}" of jail "${section}" is relative; Rampart needs an absolute path`);
        else if (input.pathExists && !/[*?[]/.test(p) && !input.pathExists(p)) {
          notes.add(
            `Log file "${p}" of jail "${section}" does not exist on this host; Rampart waits for it (a service that logs only to the journal, like sshd on Debian 12, fail2ban#3292, needs backend: journald)`,
          );
        }
      }
    }

    const own = readSettings(section, get, notes);
    for (const key of ["maxretry", "findtime", "bantime", "increment", "ignoreip"] as const) {
      const value = key === "ignoreip" ? jailOnlyIgnore(own.ignoreip, defaults.ignoreip) : own[key];
      if (
        value !== undefined &&
        JSON.stringify(value) !== JSON.stringify(key === "ignoreip" ? undefined : defaults[key])
      ) {
        jail[key] = value;
      }
    }

    for (const action of splitActions(get(section, "action") ?? "")) {
      if (!FIREWALL_ACTION.test(action)) {
        notes.add(
          `Action "${action}" of jail "${section}" is not carried over; Rampart bans with its own nftables sets (use "actions:" with a command or webhook for notifications)`,
        );
      }
    }
    const port = get(section, "port");
    if (port && port !== "0:65535" && port !== "all")
      portNotes.set(port, [...(portNotes.get(port) ?? []), section]);

    const raw = store.sections.get(section);
    for (const key of raw?.keys() ?? []) {
      if (!CARRIED.has(key) && !key.startsWith("known/")) {
        notes.add(`Option "${key}" of jail "${section}" is not carried over`);
      }
    }
    jails[section] = jail;
    names.push(section);
  }
  for (const [port, sections] of portNotes) {
    notes.add(
      `Jail(s) ${sections.map((s) => `"${s}"`).join(", ")} ban port(s) "${port}" only; Rampart bans the address on all ports (stricter)`,
    );
  }
  guard.jails = jails;
  return { guard, jails: names, notes: notes.list };
}

function readSettings(
  section: string,
  get: (s: string, o: string) => string | undefined,
  notes: Notes,
): Settings {
  const out: Settings = {};
  const maxretry = get(section, "maxretry");
  if (maxretry !== undefined) {
    if (/^\d+$/.test(maxretry)) out.maxretry = Number(maxretry);
    else notes.add(`maxretry "${maxretry}" of [${section}] is not a number; not carried over`);
  }
  for (const key of ["findtime", "bantime"] as const) {
    const v = get(section, key);
    if (v === undefined) continue;
    if (parseDuration(v) === undefined)
      notes.add(`${key} "${v}" of [${section}] is not a duration Rampart reads; not carried over`);
    else out[key] = /^-?\d+$/.test(v) ? Number(v) : v;
  }
  const increment = get(section, "bantime.increment");
  if (increment !== undefined) {
    if (!isTrue(increment)) out.increment = false;
    else {
      const inc: Record<string, unknown> = {};
      const factor = get(section, "bantime.factor");
      if (factor !== undefined) {
        // fail2ban eval()s the factor; only a plain number is carried.
        if (/^\d+(?:\.\d+)?$/.test(factor)) inc.factor = Number(factor);
        else notes.add(`bantime.factor "${factor}" of [${section}] is an expression; not carried over`);
      }
      const maxtime = get(section, "bantime.maxtime");
      if (maxtime) {
        if (parseDuration(maxtime) === undefined)
          notes.add(`bantime.maxtime "${maxtime}" of [${section}] is not a duration`);
        else inc.maxtime = maxtime;
      }
      const multipliers = get(section, "bantime.multipliers");
      if (multipliers) inc.multipliers = multipliers.split(/\s+/).map(Number);
      const overall = get(section, "bantime.overalljails");
      if (overall !== undefined) inc.overalljails = isTrue(overall);
      for (const unsupported of ["bantime.formula", "bantime.rndtime"]) {
        const v = get(section, unsupported);
        if (v)
          notes.add(
            `${unsupported} of [${section}] is not carried over (Rampart uses fail2ban's default formula)`,
          );
      }
      out.increment = inc;
    }
  }
  const ignoreip = get(section, "ignoreip");
  if (ignoreip !== undefined) {
    out.ignoreip = [];
    for (const item of ignoreip.split(/[\s,]+/).filter(Boolean)) {
      const network = parseCidr(item);
      if (network) out.ignoreip.push(item);
      else
        notes.add(
          `ignoreip entry "${item}" is not an address or network (host names are not resolved); not carried over`,
        );
    }
  }
  return out;
}

/** The jail's ignoreip minus the global ones (Rampart adds the global list to every jail). */
function jailOnlyIgnore(own: string[] | undefined, global: string[] | undefined): string[] | undefined {
  if (own === undefined) return undefined;
  const extra = own.filter((ip) => !(global ?? []).includes(ip));
  return extra.length > 0 ? extra : undefined;
}

/**
 * Action names, split as fail2ban's splitWithOptions does: a newline separates actions only
 * outside brackets and quotes (an action's options may hold a multi-line logpath).
 */
function splitActions(value: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = "";
  let current = "";
  for (const ch of value) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "[") depth++;
    else if (ch === "]") depth = Math.max(0, depth - 1);
    else if (ch === "\n" && depth === 0) {
      parts.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => /^[^[\s]+/.exec(l)?.[0] ?? l);
}

// configparser's getboolean (BOOLEAN_STATES).
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "yes", "true", "on"].includes(value.toLowerCase());
}

class Notes {
  readonly list: string[] = [];
  add(note: string): void {
    if (!this.list.includes(note)) this.list.push(note);
  }
}
