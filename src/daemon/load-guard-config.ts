import { existsSync, readFileSync } from "node:fs";
import {
  ConfigContext,
  checkTopLevelKeys,
  isRecord,
  parseYamlWithPositions,
} from "../core/config/config-context.js";
import { type GuardConfig, parseGuardSection } from "../core/config/guard-section.js";
import type { Problem } from "../core/errors/problem.js";
import { problem } from "../core/errors/problem.js";

export const DEFAULT_CONFIG_PATH = "/etc/rampart/rampart.yaml";

export type LoadedGuardConfig =
  | { ok: true; config: GuardConfig; source: string }
  | { ok: false; problems: readonly Problem[] };

/**
 * Reads the `guard:` section of the config file. The default path may be absent (then the built-in
 * sshd jail runs on the detected source); a path the user named must exist.
 */
export function loadGuardConfig(path: string | undefined, authLog = "/var/log/auth.log"): LoadedGuardConfig {
  const env = { authLogExists: existsSync(authLog) };
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (path === undefined && code === "ENOENT") {
      const ctx = new ConfigContext(file, () => undefined);
      return { ok: true, config: parseGuardSection(undefined, ctx, env), source: "built-in defaults" };
    }
    return {
      ok: false,
      problems: [problem("config.read", `Cannot read config file "${file}": ${(error as Error).message}`)],
    };
  }
  const { data, context } = parseYamlWithPositions(text, file);
  checkTopLevelKeys(context, data);
  if (context.problems.length > 0) return { ok: false, problems: context.problems };
  if (data !== undefined && data !== null && !isRecord(data)) {
    return {
      ok: false,
      problems: [
        problem("config.type", "The config file must be a mapping of sections", { file, line: 1, col: 1 }),
      ],
    };
  }
  const config = parseGuardSection(isRecord(data) ? data.guard : undefined, context, env);
  if (context.problems.length > 0) return { ok: false, problems: context.problems };
  return { ok: true, config, source: file };
}
