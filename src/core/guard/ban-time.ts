import type { IncrementConfig } from "../config/guard-section.js";

/** fail2ban caps the exponent at 20 (`1<<(ban.Count if ban.Count<20 else 20)`, jail.py:253). */
const MAX_EXPONENT = 20;

/**
 * The ban time for an address already banned `previousBans` times before, exactly as fail2ban
 * 1.0.2 computes it (jail.py:243-262, observer.py:incrBanTime):
 * - the first ban (previousBans = 0) is the plain bantime;
 * - with multipliers: bantime * factor * multipliers[min(count, len-1)];
 * - else the default formula max(bantime, bantime * 2**min(count, 20) * factor);
 * - then capped at maxtime. A permanent bantime (-1) stays permanent.
 */
export function incrementedBanTime(
  bantime: number,
  previousBans: number,
  increment: IncrementConfig | undefined,
): number {
  if (increment === undefined || bantime < 0 || previousBans <= 0) return bantime;
  let seconds: number;
  if (increment.multipliers.length > 0) {
    const index = Math.min(previousBans, increment.multipliers.length - 1);
    seconds = bantime * increment.factor * (increment.multipliers[index] ?? 1);
  } else {
    seconds = Math.max(bantime, bantime * 2 ** Math.min(previousBans, MAX_EXPONENT) * increment.factor);
  }
  if (increment.maxtime !== undefined) seconds = Math.min(seconds, increment.maxtime);
  return Math.round(seconds);
}
