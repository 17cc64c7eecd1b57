import { type ConfigContext, checkKnownKeys, isRecord } from "./config-context.js";

/** The `harden:` section: the desired state (same meaning as the flags) and where harden keeps things. */
export interface HardenSection {
  readonly sshPort?: number;
  readonly adminUser?: string;
  /** A public key line, or a path to a .pub file (relative to the config file's directory). */
  readonly adminKey?: string;
  readonly noRootLogin: boolean;
  readonly noPasswordAuth: boolean;
  readonly updates: boolean;
  readonly firewall: boolean;
  readonly guard: boolean;
  readonly ftpPort?: number;
  readonly maxAuthTries?: number;
  /** Seconds before an unconfirmed change rolls itself back. */
  readonly confirmTimeout: number;
  /** Transactions (snapshots, records) live here. */
  readonly stateDir: string;
  /** The sshd binary used for `sshd -t`. */
  readonly sshd: string;
  /** How sshd is told to re-read its config: auto = systemd when it is PID 1, else SIGHUP. */
  readonly reload: "auto" | "systemd" | "signal" | "none";
}

export const HARDEN_DEFAULTS: HardenSection = {
  noRootLogin: false,
  noPasswordAuth: false,
  updates: false,
  firewall: false,
  guard: false,
  confirmTimeout: 120,
  stateDir: "/var/lib/rampart/harden",
  sshd: "/usr/sbin/sshd",
  reload: "auto",
};

const KNOWN = [
  "ssh_port",
  "admin_user",
  "admin_key",
  "no_root_login",
  "no_password_auth",
  "updates",
  "firewall",
  "guard",
  "ftp_port",
  "max_auth_tries",
  "confirm_timeout",
  "state_dir",
  "sshd",
  "reload",
] as const;

/** Parses the `harden:` section of the whole config document; never throws (problems go to ctx). */
export function parseHardenSection(data: unknown, ctx: ConfigContext): HardenSection {
  const root = isRecord(data) ? data : {};
  const section = root.harden;
  if (section === undefined || section === null) return HARDEN_DEFAULTS;
  if (!isRecord(section)) {
    ctx.report("config.type", `Expected a mapping at "harden"`, ["harden"]);
    return HARDEN_DEFAULTS;
  }
  checkKnownKeys(ctx, section, KNOWN, ["harden"], `"harden"`);
  const out: { -readonly [K in keyof HardenSection]: HardenSection[K] } = { ...HARDEN_DEFAULTS };
  const port = (key: string): number | undefined => {
    const v = section[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) {
      ctx.report(
        "config.harden.port",
        `Expected a port number (1-65535) at "harden.${key}", got ${JSON.stringify(v)}`,
        ["harden", key],
      );
      return undefined;
    }
    return v;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = section[key];
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") {
      ctx.report("config.type", `Expected true or false at "harden.${key}", got ${JSON.stringify(v)}`, [
        "harden",
        key,
      ]);
      return fallback;
    }
    return v;
  };
  const text = (key: string): string | undefined => {
    const v = section[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v.trim() === "" || v.includes("\0")) {
      ctx.report("config.type", `Expected a non-empty string at "harden.${key}", got ${JSON.stringify(v)}`, [
        "harden",
        key,
      ]);
      return undefined;
    }
    return v;
  };
  const sshPort = port("ssh_port");
  if (sshPort !== undefined) out.sshPort = sshPort;
  const ftpPort = port("ftp_port");
  if (ftpPort !== undefined) out.ftpPort = ftpPort;
  const adminUser = text("admin_user");
  if (adminUser !== undefined) out.adminUser = adminUser;
  const adminKey = text("admin_key");
  if (adminKey !== undefined) out.adminKey = adminKey;
  out.noRootLogin = bool("no_root_login", false);
  out.noPasswordAuth = bool("no_password_auth", false);
  out.updates = bool("updates", false);
  out.firewall = bool("firewall", false);
  out.guard = bool("guard", false);
  const tries = section.max_auth_tries;
  if (tries !== undefined) {
    if (typeof tries === "number" && Number.isInteger(tries) && tries >= 1 && tries <= 100)
      out.maxAuthTries = tries;
    else
      ctx.report(
        "config.harden.max-auth-tries",
        `Expected a number 1-100 at "harden.max_auth_tries", got ${JSON.stringify(tries)}`,
        ["harden", "max_auth_tries"],
      );
  }
  const timeout = section.confirm_timeout;
  if (timeout !== undefined) {
    if (typeof timeout === "number" && Number.isInteger(timeout) && timeout >= 1 && timeout <= 86_400)
      out.confirmTimeout = timeout;
    else
      ctx.report(
        "config.harden.confirm-timeout",
        `Expected seconds (1-86400) at "harden.confirm_timeout", got ${JSON.stringify(timeout)}`,
        ["harden", "confirm_timeout"],
      );
  }
  out.stateDir = text("state_dir") ?? out.stateDir;
  out.sshd = text("sshd") ?? out.sshd;
  const reload = section.reload;
  if (reload !== undefined) {
    if (reload === "auto" || reload === "systemd" || reload === "signal" || reload === "none")
      out.reload = reload;
    else
      ctx.report(
        "config.harden.reload",
        `Expected auto, systemd, signal or none at "harden.reload", got ${JSON.stringify(reload)}`,
        ["harden", "reload"],
      );
  }
  return out;
}
