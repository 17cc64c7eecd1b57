import { formatDuration } from "./format-duration.js";
import type { GuardDecision } from "./guard-decision.js";

/**
 * The one readable line per ban/unban, e.g.
 * `rampart[812]: [sshd] Ban 192.0.2.7 for 1h (5 failures in 10m)`. The built-in `recidive` filter
 * matches this shape, so it is a contract: change both together.
 */
export function guardLogLine(decision: GuardDecision, pid: number): string {
  if (decision.kind === "unban") return `rampart[${pid}]: [${decision.jail}] Unban ${decision.target.text}`;
  const { ban } = decision;
  const why =
    decision.reason === "manual"
      ? "manual"
      : `${ban.failures} failures in ${formatDuration(decision.findtime)}`;
  return `rampart[${pid}]: [${ban.jail}] Ban ${ban.target.text} for ${formatDuration(ban.bantime)} (${why})`;
}
