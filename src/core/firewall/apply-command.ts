import { failed, ok, problem, type Result } from "../errors/problem.js";
import type { FirewallCommand } from "./firewall-command.js";
import { type FirewallState, INITIAL_STATE, ruleKey } from "./firewall-rule.js";
import { formatRuleWords } from "./nft-script.js";

export interface Transition {
  readonly state: FirewallState;
  /** What to tell the admin (ufw's wording where it has one). */
  readonly message: string;
  /** False when nothing changed (a duplicate rule), so nothing is written or loaded. */
  readonly changed: boolean;
  /** Commands that can cut the admin off go through the lockout check (issue 4). */
  readonly lockoutSensitive: boolean;
}

/** The state a mutating command leads to; pure, so `--dry-run` and the real run agree. */
export function applyCommand(state: FirewallState, command: FirewallCommand): Result<Transition> {
  switch (command.kind) {
    case "enable":
      return ok({
        state: { ...state, enabled: true },
        message: "Firewall is active and enabled on system startup",
        changed: true,
        lockoutSensitive: true,
      });
    case "disable":
      return ok({
        state: { ...state, enabled: false },
        message: "Firewall stopped and disabled on system startup",
        changed: true,
        lockoutSensitive: false,
      });
    case "reload":
      return ok({
        state,
        message: state.enabled ? "Firewall reloaded" : "Firewall not enabled (table removed if present)",
        changed: true,
        // Not refused: at boot (systemd unit) there is no session, and refusing would leave the host open.
        lockoutSensitive: false,
      });
    case "reset":
      // Unlike ufw, reset keeps the on/off switch: resetting rules must not silently open the host.
      return ok({
        state: { ...INITIAL_STATE, enabled: state.enabled },
        message: `Rules and defaults reset${state.enabled ? " (firewall still enabled)" : ""}`,
        changed: true,
        lockoutSensitive: true,
      });
    case "default": {
      const defaults = { ...state.defaults, [command.direction]: command.policy };
      return ok({
        state: { ...state, defaults },
        message: `Default ${command.direction} policy changed to "${command.policy}"`,
        changed: true,
        lockoutSensitive: command.direction === "incoming" && command.policy !== "allow",
      });
    }
    case "add": {
      const key = ruleKey(command.rule);
      if (state.rules.some((r) => ruleKey(r) === key)) {
        return ok({
          state,
          message: "Skipping adding existing rule",
          changed: false,
          lockoutSensitive: false,
        });
      }
      const rules = [...state.rules];
      if (command.position !== undefined) {
        if (command.position > rules.length) {
          return failed([
            problem(
              "firewall.position",
              `Invalid position "${command.position}" (there ${rules.length === 1 ? "is 1 rule" : `are ${rules.length} rules`})`,
            ),
          ]);
        }
        rules.splice(command.position - 1, 0, command.rule);
      } else {
        rules.push(command.rule);
      }
      return ok({
        state: { ...state, rules },
        message:
          command.position !== undefined ? `Rule inserted at position ${command.position}` : "Rule added",
        changed: true,
        lockoutSensitive: command.rule.action === "deny" || command.rule.action === "reject",
      });
    }
    case "delete-number": {
      if (command.number > state.rules.length) {
        return failed([
          problem(
            "firewall.position",
            `Could not delete rule ${command.number}: there ${state.rules.length === 1 ? "is 1 rule" : `are ${state.rules.length} rules`}`,
          ),
        ]);
      }
      const removed = state.rules[command.number - 1];
      return ok({
        state: { ...state, rules: state.rules.filter((_, i) => i !== command.number - 1) },
        message: `Deleted rule ${command.number}: ${removed ? formatRuleWords(removed).join(" ") : ""}`,
        changed: true,
        lockoutSensitive: true,
      });
    }
    case "delete-rule": {
      const key = ruleKey(command.rule);
      const index = state.rules.findIndex((r) => ruleKey(r) === key);
      if (index < 0) {
        return failed([
          problem(
            "firewall.no-such-rule",
            `Could not delete non-existent rule "${formatRuleWords(command.rule).join(" ")}"`,
          ),
        ]);
      }
      return ok({
        state: { ...state, rules: state.rules.filter((_, i) => i !== index) },
        message: `Deleted rule ${index + 1}`,
        changed: true,
        lockoutSensitive: true,
      });
    }
    default:
      return failed([problem("firewall.not-a-change", `"${command.kind}" does not change the rules`)]);
  }
}
