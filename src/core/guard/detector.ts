import type { JailConfig } from "../config/guard-section.js";
import type { LogFailure } from "../filter/log-failure.js";
import { type IpAddress, parseIp } from "../ip/ip-address.js";
import { type BanTarget, banTargetOf, parseBanTarget, windowKeyOf } from "./ban-target.js";
import { incrementedBanTime } from "./ban-time.js";
import { FailureWindow } from "./failure-window.js";
import type { ActiveBan, BanHistory, GuardDecision } from "./guard-decision.js";
import { IgnoreList } from "./ignore-list.js";

interface JailState {
  config: JailConfig;
  ignore: IgnoreList;
  window: FailureWindow;
  /** Active bans of this jail by target text. */
  bans: Map<string, ActiveBan>;
  totalBanned: number;
  ignored: number;
}

export interface JailStatus {
  readonly jail: string;
  readonly currentlyFailed: number;
  readonly totalFailed: number;
  readonly currentlyBanned: number;
  readonly totalBanned: number;
  readonly bannedList: readonly string[];
}

export type ManualResult = { ok: true; decisions: GuardDecision[] } | { ok: false; message: string };

/**
 * The guard's decisions as a pure state machine: failures in, ban/unban decisions out. The
 * clock is an argument, the ban history an injected port; the daemon executes the decisions.
 */
export class Detector {
  private readonly jails = new Map<string, JailState>();

  constructor(
    jails: readonly JailConfig[],
    globalIgnore: readonly string[],
    private readonly history: BanHistory,
  ) {
    this.configure(jails, globalIgnore);
  }

  /**
   * Applies a new configuration. Jails whose counting parameters are unchanged keep their failure
   * windows; active bans of a removed jail are returned as unban decisions.
   */
  configure(jails: readonly JailConfig[], globalIgnore: readonly string[]): GuardDecision[] {
    const decisions: GuardDecision[] = [];
    const wanted = new Set(jails.filter((j) => j.enabled).map((j) => j.name));
    for (const [name, state] of this.jails) {
      if (!wanted.has(name)) {
        for (const ban of state.bans.values()) {
          decisions.push({ kind: "unban", jail: name, target: ban.target, reason: "jail-removed" });
        }
        this.jails.delete(name);
      }
    }
    for (const config of jails) {
      if (!config.enabled) continue;
      const ignore = new IgnoreList([...globalIgnore, ...config.ignoreip]);
      const old = this.jails.get(config.name);
      const sameWindow =
        old &&
        old.config.maxretry === config.maxretry &&
        old.config.findtime === config.findtime &&
        old.config.ipv6Prefix === config.ipv6Prefix;
      this.jails.set(config.name, {
        config,
        ignore,
        window: sameWindow ? old.window : new FailureWindow(config.maxretry, config.findtime),
        bans: old?.bans ?? new Map(),
        totalBanned: old?.totalBanned ?? 0,
        ignored: old?.ignored ?? 0,
      });
    }
    return decisions;
  }

  jailNames(): string[] {
    return [...this.jails.keys()];
  }

  /** Re-adopts bans from the store after a restart; expired ones are dropped by `expire`. */
  restore(bans: readonly ActiveBan[]): void {
    for (const ban of bans) this.jails.get(ban.jail)?.bans.set(ban.target.text, ban);
  }

  /** One failure the jail's filter found. Returns a ban decision when it completes maxretry. */
  observe(jailName: string, failure: LogFailure, now: number): GuardDecision[] {
    const state = this.jails.get(jailName);
    // Only addresses can be banned in the kernel; raw ids (hostnames, users) are not counted.
    if (!state || failure.ip === null) return [];
    const ip = parseIp(failure.ip);
    if (!ip) return [];
    if (state.ignore.reason(ip) !== undefined) {
      state.ignored++;
      return [];
    }
    const target = banTargetOf(ip, state.config.ipv6Prefix);
    // Failures logged while the ban is active are late lines or forwarded traffic: nothing to add.
    if (state.bans.has(target.text)) return [];
    const time = Math.min(failure.time, now);
    if (time < now - state.config.findtime) return [];
    const key = windowKeyOf(target, ip);
    const count = state.window.record(key, time);
    if (count < state.config.maxretry) return [];
    state.window.delete(key);
    const decision = this.banDecision(state, target, ip, time, now, count, "failures", failure.matches);
    return decision ? [decision] : [];
  }

  /** `rampart ban JAIL IP`. */
  manualBan(jailName: string, address: string, now: number): ManualResult {
    const state = this.jails.get(jailName);
    if (!state)
      return {
        ok: false,
        message: `No jail "${jailName}" (jails: ${this.jailNames().join(", ") || "none"})`,
      };
    const ip = parseIp(address);
    if (!ip) return { ok: false, message: `"${address}" is not an IP address` };
    const why = state.ignore.reason(ip);
    if (why !== undefined)
      return { ok: false, message: `Refusing to ban "${ip.text}": it is ignored (${why})` };
    const target = banTargetOf(ip, state.config.ipv6Prefix);
    if (state.bans.has(target.text))
      return { ok: false, message: `"${target.text}" is already banned in jail "${jailName}"` };
    state.window.delete(windowKeyOf(target, ip));
    const decision = this.banDecision(state, target, ip, now, now, 0, "manual", []);
    return decision ? { ok: true, decisions: [decision] } : { ok: false, message: "Ban time is zero" };
  }

  /**
   * `rampart unban IP [--jail J]`: lifts every ban covering the address (its IPv6 prefix included),
   * in one jail or all of them.
   */
  manualUnban(address: string, jailName: string | undefined): ManualResult {
    const ip = parseIp(address);
    const asTarget = ip ? undefined : parseBanTarget(address);
    if (!ip && !asTarget) return { ok: false, message: `"${address}" is not an IP address` };
    if (jailName !== undefined && !this.jails.has(jailName))
      return { ok: false, message: `No jail "${jailName}"` };
    const decisions: GuardDecision[] = [];
    for (const [name, state] of this.jails) {
      if (jailName !== undefined && name !== jailName) continue;
      const target = asTarget ?? banTargetOf(ip as IpAddress, state.config.ipv6Prefix);
      const ban = state.bans.get(target.text);
      if (!ban) continue;
      state.bans.delete(target.text);
      if (ip) state.window.delete(windowKeyOf(target, ip));
      decisions.push({ kind: "unban", jail: name, target: ban.target, reason: "manual" });
    }
    if (decisions.length === 0)
      return { ok: false, message: `"${address}" is not banned${jailName ? ` in jail "${jailName}"` : ""}` };
    return { ok: true, decisions };
  }

  /** Bans whose time is over; also forgets failure windows that fell out of findtime. */
  expire(now: number, sweepWindows = false): GuardDecision[] {
    const decisions: GuardDecision[] = [];
    for (const [name, state] of this.jails) {
      for (const [key, ban] of state.bans) {
        if (ban.until !== null && ban.until <= now) {
          state.bans.delete(key);
          decisions.push({ kind: "unban", jail: name, target: ban.target, reason: "expired" });
        }
      }
      if (sweepWindows) state.window.sweep(now);
    }
    return decisions;
  }

  /** Every active ban, all jails. */
  activeBans(): ActiveBan[] {
    const out: ActiveBan[] = [];
    for (const state of this.jails.values()) out.push(...state.bans.values());
    return out;
  }

  /** The latest end time per target over all jails: what the kernel set must hold. */
  kernelUntil(target: BanTarget): number | null | undefined {
    let until: number | null | undefined;
    for (const state of this.jails.values()) {
      const ban = state.bans.get(target.text);
      if (!ban) continue;
      if (ban.until === null) return null;
      if (until === undefined || (until !== null && ban.until > until)) until = ban.until;
    }
    return until;
  }

  /** Open failure windows, for the store at shutdown. */
  *pendingFailures(): IterableIterator<{ jail: string; key: string; times: number[] }> {
    for (const [jail, state] of this.jails) {
      for (const { key, times } of state.window.entries()) yield { jail, key: JSON.stringify(key), times };
    }
  }

  /** Re-adopts saved windows; failures older than findtime are dropped, a full window does not ban. */
  restorePendingFailures(
    entries: readonly { jail: string; key: string; times: readonly number[] }[],
    now: number,
  ): void {
    for (const e of entries) {
      const state = this.jails.get(e.jail);
      if (!state) continue;
      let key: unknown;
      try {
        key = JSON.parse(e.key);
      } catch {
        continue;
      }
      if (typeof key !== "string" && typeof key !== "number") continue;
      const times = e.times
        .filter((t) => t >= now - state.config.findtime && t <= now)
        .slice(-(state.config.maxretry - 1));
      for (const t of times) state.window.record(key, t);
    }
  }

  status(jailName: string): JailStatus | undefined {
    const state = this.jails.get(jailName);
    if (!state) return undefined;
    return {
      jail: jailName,
      currentlyFailed: state.window.size,
      totalFailed: state.window.total,
      currentlyBanned: state.bans.size,
      totalBanned: state.totalBanned,
      bannedList: [...state.bans.keys()],
    };
  }

  jailConfig(jailName: string): JailConfig | undefined {
    return this.jails.get(jailName)?.config;
  }

  private banDecision(
    state: JailState,
    target: BanTarget,
    ip: IpAddress,
    since: number,
    now: number,
    failures: number,
    reason: "failures" | "manual",
    matches: readonly string[],
  ): GuardDecision | undefined {
    const { config } = state;
    const previous = config.increment
      ? this.history.previousBans(target.text, config.increment.overalljails ? undefined : config.name)
      : this.history.previousBans(target.text, config.name);
    const bantime = incrementedBanTime(config.bantime, previous, config.increment);
    const until = bantime < 0 ? null : since + bantime;
    // fail2ban counts the ban from the last failure (ticket.py:getEndOfBanTime); a ban already over
    // (old lines read at start-up) is not worth a kernel element.
    if (until !== null && until <= now) return undefined;
    const ban: ActiveBan = {
      jail: config.name,
      target,
      since,
      until,
      bantime,
      banCount: previous + 1,
      failures,
    };
    state.bans.set(target.text, ban);
    state.totalBanned++;
    return { kind: "ban", ban, findtime: config.findtime, reason, address: ip.text, matches };
  }
}
