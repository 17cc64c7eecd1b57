import type { BanTarget } from "./ban-target.js";

/** One active ban of a target in a jail, as the guard and its store know it. */
export interface ActiveBan {
  readonly jail: string;
  readonly target: BanTarget;
  /** Epoch seconds the ban counts from (fail2ban: the time of the last failure). */
  readonly since: number;
  /** Epoch seconds it ends; null = permanent (bantime -1). */
  readonly until: number | null;
  /** Seconds, after increment. */
  readonly bantime: number;
  /** How many times this target has been banned, this ban included. */
  readonly banCount: number;
  readonly failures: number;
}

/** What the detector decided; the daemon carries it out (kernel, store, actions, log). */
export type GuardDecision =
  | {
      readonly kind: "ban";
      readonly ban: ActiveBan;
      readonly findtime: number;
      readonly reason: "failures" | "manual";
      /** The address the failure named (the ban may cover its whole IPv6 prefix). */
      readonly address: string;
      readonly matches: readonly string[];
    }
  | {
      readonly kind: "unban";
      readonly jail: string;
      readonly target: BanTarget;
      readonly reason: "expired" | "manual" | "jail-removed";
    };

/** Earlier bans of a target, for bantime.increment (the store implements it over its history). */
export interface BanHistory {
  /** The target's ban count in `jail`, or summed over all jails when `jail` is undefined. */
  previousBans(target: string, jail: string | undefined): number;
}
